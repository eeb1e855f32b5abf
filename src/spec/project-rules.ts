import type { AgentSpec } from './agent-spec.js';
import type { AgentryConfig } from './config.js';
import { didYouMean } from './did-you-mean.js';
import type { SpecIssue } from './errors.js';
import type { YamlDocument } from './yaml-document.js';

const providers = ['openai', 'anthropic', 'openai-compatible'] as const;

/** What the rules that span files know about the project. */
export interface ProjectFacts {
  /** Every agent name a file declares by its file name, valid or not. */
  agentNames: ReadonlySet<string>;
  /** The config, or undefined when config.yml has issues of its own (its models are unknown then). */
  config: AgentryConfig | undefined;
  /** How to name the config file in messages, e.g. `.agentry/config.yml`. */
  configLabel: string;
  knownTools: readonly string[] | undefined;
}

/**
 * The rules one agent file cannot check alone: squad members exist, the model resolves,
 * listed tools exist. Issues point at the offending list item or value.
 */
export function agentRuleIssues(spec: AgentSpec, document: YamlDocument, facts: ProjectFacts): SpecIssue[] {
  return [
    ...squadIssues(spec, document, facts.agentNames),
    ...(facts.config ? modelIssues(spec, document, facts.config, facts.configLabel) : []),
    ...(facts.config ? warehouseIssues(spec, document, facts.config, facts.configLabel) : []),
    ...(facts.knownTools ? toolIssues(spec, document, facts.knownTools) : []),
  ];
}

function squadIssues(spec: AgentSpec, document: YamlDocument, agentNames: ReadonlySet<string>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const tools = spec.tools;
  const listed = tools?.list.indexOf('invoke_agent') ?? -1;
  const mayInvoke = tools !== undefined && (tools.mode === 'allowlist') === listed >= 0;
  if (tools?.mode === 'allowlist' && listed >= 0 && spec.agents_squad.length === 0) {
    issues.push(
      document.issueAt(
        ['tools', 'list', listed],
        'invoke_agent needs agents_squad: list the agents this one may invoke, or remove invoke_agent',
      ),
    );
  }
  if (spec.agents_squad.length > 0 && !mayInvoke) {
    issues.push(
      document.issueAt(
        ['agents_squad'],
        'agents_squad lists agents but invoke_agent is not allowed: add invoke_agent to tools.list',
      ),
    );
  }
  spec.agents_squad.forEach((member, index) => {
    if (member !== spec.name) return;
    issues.push(document.issueAt(['agents_squad', index], `an agent cannot be in its own agents_squad`));
  });
  spec.agents_squad.forEach((member, index) => {
    if (agentNames.has(member)) return;
    const hint = didYouMean(member, agentNames);
    const fix = hint !== '' ? hint : `: add .agentry/agents/${member}.yml or remove it from the list`;
    issues.push(document.issueAt(['agents_squad', index], `unknown agent '${member}' in agents_squad${fix}`));
  });
  return issues;
}

function modelIssues(
  spec: AgentSpec,
  document: YamlDocument,
  config: AgentryConfig,
  configLabel: string,
): SpecIssue[] {
  const model = spec.model;
  if (Object.hasOwn(config.models, model)) return [];
  const separator = model.indexOf(':');
  if (separator > 0) {
    const provider = model.slice(0, separator);
    if ((providers as readonly string[]).includes(provider) && separator < model.length - 1) return [];
    if (!(providers as readonly string[]).includes(provider)) {
      return [
        document.issueAt(
          ['model'],
          `model '${model}' names unknown provider '${provider}'${didYouMean(provider, providers)}: use ${providers.join(', ')}`,
        ),
      ];
    }
  }
  const hint = didYouMean(model, Object.keys(config.models));
  const fix =
    hint !== ''
      ? hint
      : model === 'default'
        ? `: add a model named 'default' there, or give this agent model: provider:model (e.g. openai:gpt-4o-mini)`
        : `: add it to models there, or write provider:model (e.g. openai:gpt-4o-mini)`;
  return [document.issueAt(['model'], `model '${model}' is not in ${configLabel} models${fix}`)];
}

/** `warehouse.default` and `warehouse.allow_writes` must name warehouses of config.yml. */
function warehouseIssues(
  spec: AgentSpec,
  document: YamlDocument,
  config: AgentryConfig,
  configLabel: string,
): SpecIssue[] {
  if (!spec.warehouse) return [];
  const names = Object.keys(config.warehouses);
  const unknown = (name: string, path: (string | number)[]) =>
    document.issueAt(
      path,
      `warehouse '${name}' is not in ${configLabel} warehouses${didYouMean(name, names) || (names.length ? ` (defined: ${names.join(', ')})` : ': add it under warehouses: there')}`,
    );
  const issues: SpecIssue[] = [];
  const { default: fallback, allow_writes: writable } = spec.warehouse;
  if (fallback !== undefined && !names.includes(fallback))
    issues.push(unknown(fallback, ['warehouse', 'default']));
  writable.forEach((name, index) => {
    if (!names.includes(name)) issues.push(unknown(name, ['warehouse', 'allow_writes', index]));
  });
  return issues;
}

function toolIssues(spec: AgentSpec, document: YamlDocument, knownTools: readonly string[]): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const known = new Set(knownTools);
  spec.tools?.list.forEach((tool, index) => {
    if (known.has(tool)) return;
    issues.push(
      document.issueAt(
        ['tools', 'list', index],
        `unknown tool '${tool}' in tools.list${didYouMean(tool, knownTools)}`,
      ),
    );
  });
  return issues;
}
