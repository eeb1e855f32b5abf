import { basename, extname } from 'node:path';
import { type AgentSpec, agentSpecSchema } from './agent-spec.js';
import { type AgentryConfig, configSchema } from './config.js';
import { fromDinoai } from './dinoai.js';
import type { SpecIssue } from './errors.js';
import { describeValue, schemaIssues } from './schema-issues.js';
import { YamlDocument } from './yaml-document.js';

/** Which layout an agent file was found in: ours, or Paradime's `.dinoai/agents/`. */
export type AgentSource = 'agentry' | 'dinoai';

/**
 * The outcome of reading one file: the typed value and the parsed document (so later
 * cross-file rules can point into it), or every issue found in the file.
 */
export type FileLoad<T> = { ok: true; value: T; document: YamlDocument } | { ok: false; issues: SpecIssue[] };

/**
 * Reads one agent file. Never throws for a bad file: syntax errors, schema errors and a
 * `name` that differs from the file name all come back as issues, at once.
 */
export function loadAgentFile(
  file: string,
  text: string,
  options: { source?: AgentSource } = {},
): FileLoad<AgentSpec> {
  const parsed = YamlDocument.parse(file, text);
  if (!parsed.ok) return parsed;
  const { document } = parsed;
  if (document.value === null || document.value === undefined) {
    return {
      ok: false,
      issues: [document.issueAt([], 'the file is empty: an agent needs at least name, role and goal')],
    };
  }
  const shapeIssue = notMappingIssue(document);
  if (shapeIssue) return { ok: false, issues: [shapeIssue] };

  let raw = document.value as Record<string, unknown>;
  if (options.source === 'dinoai') raw = fromDinoai(raw);
  const result = agentSpecSchema.safeParse(raw);
  const issues = result.success ? [] : schemaIssues(result.error.issues, agentSpecSchema, document);

  const stem = agentNameOf(file);
  if (typeof raw['name'] === 'string' && raw['name'] !== stem) {
    issues.push(
      document.issueAt(
        ['name'],
        `name '${raw['name']}' must equal the file name '${stem}': rename the file or change the name`,
      ),
    );
  }
  if (issues.length > 0 || !result.success) return { ok: false, issues: sortIssues(issues) };
  return { ok: true, value: result.data, document };
}

/**
 * Reads `.agentry/config.yml`. An empty file (or one holding only comments) is the defaults;
 * an `openai-compatible` model without `base_url` is an issue, as it cannot be reached.
 */
export function loadConfigFile(file: string, text: string): FileLoad<AgentryConfig> {
  const parsed = YamlDocument.parse(file, text);
  if (!parsed.ok) return parsed;
  const { document } = parsed;
  const raw = document.value ?? {};
  const shapeIssue = notMappingIssue(document);
  if (shapeIssue) return { ok: false, issues: [shapeIssue] };
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    return { ok: false, issues: sortIssues(schemaIssues(result.error.issues, configSchema, document)) };
  }
  const issues = modelEndpointIssues(result.data, document);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: result.data, document };
}

/** The defaults a project without `.agentry/config.yml` runs with. */
export function defaultConfig(): AgentryConfig {
  return configSchema.parse({});
}

/** The agent name a file must declare: its name without `.yml` / `.yaml`. */
export function agentNameOf(file: string): string {
  return basename(file, extname(file));
}

function notMappingIssue(document: YamlDocument): SpecIssue | undefined {
  if (document.value === null || document.value === undefined || document.isMapping) return undefined;
  return document.issueAt(
    [],
    `the file must be a mapping of keys (key: value on each line), got ${describeValue(document.value)}`,
  );
}

function modelEndpointIssues(config: AgentryConfig, document: YamlDocument): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const [name, model] of Object.entries(config.models)) {
    if (model.provider !== 'openai-compatible' || model.base_url) continue;
    issues.push(
      document.issueAt(
        ['models', name],
        `model '${name}' uses provider openai-compatible and needs base_url (Ollama: http://127.0.0.1:11434/v1)`,
      ),
    );
  }
  return issues;
}

/** Issues of one file in reading order. */
export function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}
