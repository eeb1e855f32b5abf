/**
 * Which warehouse a SQL tool call reaches and what it may do there: the named one, else the
 * agent's default, else the only one configured. Writes need both the agent's grant
 * (`warehouse.allow_writes`) and the warehouse's `read_only: false`. Connections are opened once
 * per run and closed with it.
 */
import {
  openWarehouse,
  type QueryContext,
  READ_STATEMENTS,
  type StatementClass,
  StatementRefusedError,
  type Warehouse,
  WarehouseConfigError,
  type WarehouseLimits,
  warehouseLimits,
} from '../integrations/warehouses/index.js';
import type { ToolContext } from './tool.js';

/** A warehouse as one tool call may use it. */
export interface WarehouseAccess {
  name: string;
  warehouse: Warehouse;
  limits: WarehouseLimits;
  /** The agent may write here: granted in its YAML and allowed by config.yml. */
  writesGranted: boolean;
  /** Identity, timeout and cancellation for the adapter's metadata queries. */
  queryContext: QueryContext;
}

/** The warehouse a call names, or the agent's default, or the only one configured. */
export function chooseWarehouse(context: ToolContext, requested: string | undefined): string {
  const configured = Object.keys(context.config.warehouses);
  const known = configured.length > 0 ? configured.join(', ') : 'none';
  const name = requested ?? context.spec.warehouse?.default;
  if (name !== undefined) {
    if (context.config.warehouses[name]) return name;
    throw new WarehouseConfigError(
      'warehouse.unknown',
      `there is no warehouse named ${name} in .agentry/config.yml (configured: ${known})`,
    );
  }
  if (configured.length === 1) return configured[0]!;
  if (configured.length === 0) {
    throw new WarehouseConfigError(
      'warehouse.unknown',
      'no warehouse is configured: a person must add one under warehouses: in .agentry/config.yml',
    );
  }
  throw new WarehouseConfigError(
    'warehouse.not-chosen',
    `several warehouses are configured (${known}): pass warehouse=NAME`,
  );
}

/** Opens (once per run) the warehouse a call reaches, with its limits and grants. */
export async function warehouseAccess(
  context: ToolContext,
  requested: string | undefined,
): Promise<WarehouseAccess> {
  const name = chooseWarehouse(context, requested);
  const config = context.config.warehouses[name]!;
  const limits = warehouseLimits(config);
  const writesGranted = grantsWrites(context, name) && !limits.readOnly;
  const warehouse = await context.resources.get(
    `warehouse:${name}`,
    () =>
      openWarehouse({
        name,
        config,
        projectRoot: context.projectRoot,
        env: context.env,
        writable: writesGranted,
        tag: { runId: context.runId, agent: context.agent },
      }),
    (opened) => opened.close(),
  );
  return {
    name,
    warehouse,
    limits,
    writesGranted,
    queryContext: {
      tag: { runId: context.runId, agent: context.agent },
      timeoutMs: limits.timeoutMs,
      signal: context.signal,
    },
  };
}

/** Refuses a write the agent may not make, saying who can change that. */
export function assertMayRun(access: WarehouseAccess, verdict: StatementClass, context: ToolContext): void {
  if (verdict.kind === 'read' || access.writesGranted) return;
  const grantedInYaml = grantsWrites(context, access.name);
  const who = grantedInYaml
    ? `${access.name} is read_only in .agentry/config.yml (a person can set read_only: false there)`
    : `${context.agent} may only read ${access.name} (a person can grant writes under warehouse.allow_writes in .agentry/agents/${context.agent}.yml)`;
  throw new StatementRefusedError(
    'warehouse.write-refused',
    `refused: ${verdict.statement} changes the warehouse and ${who}; only ${READ_STATEMENTS} run here; nothing ran`,
  );
}

function grantsWrites(context: ToolContext, name: string): boolean {
  return context.spec.warehouse?.allow_writes.includes(name) ?? false;
}
