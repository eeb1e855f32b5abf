import type { AgentConcurrency } from '../spec/agent-spec.js';
import type { RunTrigger } from '../store/types.js';
import type { OnConflict } from './queue.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** What a concurrency template may read. */
export interface GroupContext {
  agent: string;
  trigger: RunTrigger;
}

/**
 * Render an agent's `concurrency.group` template, e.g. `"{{ metadata.dag_id }}"`, over the
 * trigger: `agent`, `metadata.*`, `trigger.kind`, `trigger.source`. A placeholder with no value
 * renders as nothing, so `dag-{{ metadata.dag_id }}` without a dag_id is the group `dag-`.
 */
export function renderConcurrencyGroup(template: string, context: GroupContext): string {
  const values: Record<string, unknown> = {
    agent: context.agent,
    metadata: context.trigger.metadata ?? {},
    trigger: { kind: context.trigger.kind, source: context.trigger.source },
  };
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = lookup(values, path.split('.'));
    return value === undefined || value === null ? '' : String(value);
  });
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'object' ? undefined : value;
}

/** The queue settings of one trigger of an agent: its rendered group, conflict rule and limit. */
export function concurrencyOf(
  concurrency: AgentConcurrency | undefined,
  context: GroupContext,
): { group: string | null; onConflict: OnConflict; agentLimit?: number } {
  if (!concurrency) return { group: null, onConflict: 'queue' };
  return {
    group: concurrency.group === undefined ? null : renderConcurrencyGroup(concurrency.group, context),
    onConflict: concurrency.on_conflict,
    ...(concurrency.limit === undefined ? {} : { agentLimit: concurrency.limit }),
  };
}
