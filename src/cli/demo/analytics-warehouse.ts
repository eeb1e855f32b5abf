/**
 * The example's warehouse, `jaffle_shop.duckdb`, as last night's failed run left it: the raw tables
 * hold the seeds plus the three guest orders the new mobile checkout export loaded (with a null
 * `user_id`); the `stg_*` views pass them through; `customers` and `orders` are tables from the
 * last successful build, before those rows arrived, because the failed test skipped them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describeError } from '../../errors.js';
import type { CompiledModel } from './cost-history.js';
import { ExampleProjectError } from './example-errors.js';

/** The dbt project's package name: model unique ids are `model.jaffle_shop.<name>`. */
const PACKAGE = 'jaffle_shop';

/** The seeds with the column types dbt-duckdb's seed loader gives them. */
const SEEDS: Record<string, Record<string, string>> = {
  raw_customers: { id: 'INTEGER', first_name: 'VARCHAR', last_name: 'VARCHAR' },
  raw_orders: { id: 'INTEGER', user_id: 'INTEGER', order_date: 'DATE', status: 'VARCHAR' },
  raw_payments: { id: 'INTEGER', order_id: 'INTEGER', payment_method: 'VARCHAR', amount: 'INTEGER' },
};

/**
 * What the mobile checkout export appended on its first night (2026-12-04, before `dbt_build`):
 * guest orders, so no `user_id`, with their payments (amounts in cents, as in the seeds).
 */
export const GUEST_ORDERS = [
  { id: 100, userId: null, orderDate: '2018-04-10', status: 'placed' },
  { id: 101, userId: null, orderDate: '2018-04-10', status: 'placed' },
  { id: 102, userId: null, orderDate: '2018-04-10', status: 'placed' },
] as const;

export const GUEST_PAYMENTS = [
  { id: 114, orderId: 100, paymentMethod: 'credit_card', amount: 2400 },
  { id: 115, orderId: 101, paymentMethod: 'credit_card', amount: 1850 },
  { id: 116, orderId: 102, paymentMethod: 'gift_card', amount: 3100 },
] as const;

/** A model of the manifest, with the models it reads. */
export interface ManifestModel extends CompiledModel {
  dependsOn: string[];
}

/**
 * Builds `file` (which must be named `jaffle_shop.duckdb`: dbt's compiled SQL names the catalog
 * `jaffle_shop`) from the seeds in `root` and `models` (in build order, from {@link readManifestModels}).
 */
export async function buildAnalyticsWarehouse(
  root: string,
  file: string,
  models: readonly CompiledModel[],
): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const [table, columns] of Object.entries(SEEDS)) {
      const csv = join(root, 'seeds', `${table}.csv`);
      const types = Object.entries(columns)
        .map(([column, type]) => `'${column}': '${type}'`)
        .join(', ');
      await connection.run(
        `create table main.${table} as select * from read_csv(${sqlString(csv)}, header = true, columns = {${types}})`,
      );
    }
    // The last successful build (2026-12-03): every model, as dbt materialises it.
    for (const model of models) {
      const kind = model.materialized === 'view' ? 'view' : 'table';
      await connection.run(`create ${kind} main.${model.name} as ${model.compiledCode}`);
    }
    // Then the export's first load: views see these rows, yesterday's tables do not.
    const orders = GUEST_ORDERS.map(
      (order) => `(${order.id}, null, date '${order.orderDate}', '${order.status}')`,
    ).join(', ');
    await connection.run(`insert into main.raw_orders values ${orders}`);
    const payments = GUEST_PAYMENTS.map(
      (payment) => `(${payment.id}, ${payment.orderId}, '${payment.paymentMethod}', ${payment.amount})`,
    ).join(', ');
    await connection.run(`insert into main.raw_payments values ${payments}`);
  } catch (error) {
    throw new ExampleProjectError(`could not build the example warehouse ${file}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The project's models from the manifest, with the SQL dbt compiled, parents before children. */
export async function readManifestModels(file: string): Promise<ManifestModel[]> {
  let nodes: Record<string, Record<string, unknown>>;
  try {
    nodes = (JSON.parse(await readFile(file, 'utf8')) as { nodes: typeof nodes }).nodes;
  } catch (error) {
    throw new ExampleProjectError(
      `the example's dbt manifest ${file} cannot be read: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
  const models = new Map<string, ManifestModel>();
  for (const [id, node] of Object.entries(nodes)) {
    if (node.resource_type !== 'model' || node.package_name !== PACKAGE) continue;
    models.set(id, {
      name: String(node.name),
      materialized: String((node.config as { materialized?: string } | undefined)?.materialized ?? 'table'),
      compiledCode: String(node.compiled_code ?? ''),
      dependsOn: ((node.depends_on as { nodes?: string[] } | undefined)?.nodes ?? []).filter((parent) =>
        parent.startsWith('model.'),
      ),
    });
  }
  const ordered: ManifestModel[] = [];
  const placed = new Set<string>();
  const place = (id: string) => {
    if (placed.has(id)) return;
    placed.add(id);
    const model = models.get(id)!;
    for (const parent of model.dependsOn) if (models.has(parent)) place(parent);
    ordered.push(model);
  };
  for (const id of models.keys()) place(id);
  return ordered;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
