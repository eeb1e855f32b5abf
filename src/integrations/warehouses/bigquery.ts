/**
 * BigQuery. BigQuery has no read-only session: reads are checked twice before they run, by the
 * parser and by a dry run whose statement type must be SELECT (dry runs are free). Every job
 * carries the run id as labels, a `maximumBytesBilled` ceiling and a job timeout. What is built
 * (options, SQL) is pure and tested; the client is loaded only when a BigQuery warehouse is used.
 */
import type { BigQuery, Job, Query } from '@google-cloud/bigquery';
import type { WarehouseConfig } from '../../spec/config.js';
import { type Stopper, withDeadline } from './deadline.js';
import { StatementRefusedError, WarehouseConfigError } from './errors.js';
import { metadataQuery } from './metadata-query.js';
import { asQueryError } from './query-error.js';
import { bigQueryLabels, tagStatement } from './query-tag.js';
import { RowCollector } from './row-collector.js';
import { DEFAULT_MAXIMUM_BYTES_BILLED } from './settings.js';
import { classifyStatement } from './sql-safety.js';
import { likePattern, quoteIdentifier, quoteLiteral } from './sql-text.js';
import { pickTable, resultRecords, toColumnInfo, toTableInfo } from './table-lookup.js';
import type {
  ListTablesOptions,
  QueryContext,
  QueryHistory,
  QueryHistoryOptions,
  QueryOptions,
  QueryResult,
  StatementClass,
  TableDescription,
  TableInfo,
  TableName,
  Warehouse,
  WarehouseCapabilities,
} from './warehouse.js';

/** How long one results call waits for the job. */
const POLL_MS = 10_000;

/** What the BigQuery client is created with. */
export interface BigQueryClientOptions {
  projectId: string;
  location: string;
  /** A service-account key; absent means application default credentials. */
  credentials?: Record<string, unknown>;
}

/** The client options for a configured warehouse; the key comes from the worker's environment. */
export function bigQueryClientOptions(
  name: string,
  config: WarehouseConfig,
  env: NodeJS.ProcessEnv,
): BigQueryClientOptions {
  const options: BigQueryClientOptions = { projectId: config.project!, location: config.location ?? 'US' };
  if (!config.credentials_env) return options;
  const key = env[config.credentials_env];
  if (!key) {
    throw new WarehouseConfigError(
      'warehouse.misconfigured',
      `${name}: the environment variable ${config.credentials_env} is not set: export the service-account key (JSON) where the worker runs`,
    );
  }
  try {
    return { ...options, credentials: JSON.parse(key) as Record<string, unknown> };
  } catch {
    // Never echo the key: the message names the variable only.
    throw new WarehouseConfigError(
      'warehouse.misconfigured',
      `${name}: ${config.credentials_env} does not hold a JSON service-account key`,
    );
  }
}

/**
 * The job for one statement: standard SQL, the run's labels, the byte ceiling, the timeout, the
 * configured dataset for unqualified names; `dryRun` only plans it.
 */
export function bigQueryJobOptions(
  sql: string,
  options: Pick<QueryOptions, 'tag' | 'timeoutMs'>,
  config: Pick<WarehouseConfig, 'project' | 'dataset' | 'location' | 'maximum_bytes_billed'>,
  dryRun = false,
): Query {
  return {
    query: tagStatement(sql, options.tag),
    useLegacySql: false,
    labels: bigQueryLabels(options.tag),
    maximumBytesBilled: String(config.maximum_bytes_billed ?? DEFAULT_MAXIMUM_BYTES_BILLED),
    jobTimeoutMs: Math.max(1000, Math.ceil(options.timeoutMs)),
    location: config.location ?? 'US',
    ...(config.dataset ? { defaultDataset: { projectId: config.project, datasetId: config.dataset } } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  };
}

/** Refuses what a dry run says is not a query: the second wall, where BigQuery has no read-only mode. */
export function checkDryRunStatement(statementType: string | undefined): void {
  if (statementType === 'SELECT') return;
  throw new StatementRefusedError(
    'warehouse.write-refused',
    `refused: BigQuery plans this as ${statementType ?? 'an unknown statement'}, not a SELECT; nothing ran`,
  );
}

/** `` `project`.`region-us` `` for region-wide INFORMATION_SCHEMA views. */
export function bigQueryRegion(project: string, location: string): string {
  return `${quoteIdentifier(project, 'bigquery')}.${quoteIdentifier(`region-${location.toLowerCase()}`, 'bigquery')}`;
}

/** Tables of one dataset, or of the whole region when no dataset is given. */
export function bigQueryTablesSql(
  config: Pick<WarehouseConfig, 'project' | 'location'>,
  filters: { dataset?: string; pattern?: string; exactName?: string },
): string {
  const scope = filters.dataset
    ? `${quoteIdentifier(config.project!, 'bigquery')}.${quoteIdentifier(filters.dataset, 'bigquery')}`
    : bigQueryRegion(config.project!, config.location ?? 'US');
  const where = [
    ...(filters.pattern
      ? [`lower(table_name) like lower(${quoteLiteral(likePattern(filters.pattern), 'bigquery')})`]
      : []),
    ...(filters.exactName
      ? [`lower(table_name) = lower(${quoteLiteral(filters.exactName, 'bigquery')})`]
      : []),
  ];
  return `select table_catalog, table_schema, table_name, table_type
from ${scope}.INFORMATION_SCHEMA.TABLES${where.length > 0 ? `\nwhere ${where.join(' and ')}` : ''}
order by table_schema, table_name`;
}

/** The columns of one table, in order. */
export function bigQueryColumnsSql(project: string, table: { schema: string; name: string }): string {
  return `select column_name, data_type, is_nullable
from ${quoteIdentifier(project, 'bigquery')}.${quoteIdentifier(table.schema, 'bigquery')}.INFORMATION_SCHEMA.COLUMNS
where table_name = ${quoteLiteral(table.name, 'bigquery')}
order by ordinal_position`;
}

const JOBS_ORDER: Record<QueryHistoryOptions['order'], string> = {
  slowest: 'elapsed_ms',
  largest: 'total_bytes_billed',
  recent: 'creation_time',
};

/** Query jobs of the project from INFORMATION_SCHEMA.JOBS, slowest (or costliest, or newest) first. */
export function bigQueryJobsSql(
  config: Pick<WarehouseConfig, 'project' | 'location'>,
  options: QueryHistoryOptions,
): string {
  return `select job_id, user_email, creation_time, statement_type, state,
       total_bytes_processed, total_bytes_billed, total_slot_ms,
       timestamp_diff(end_time, start_time, millisecond) as elapsed_ms, cache_hit,
       error_result.message as error,
       (select value from unnest(labels) where key = 'agentry_run_id') as agentry_run_id,
       left(query, 1000) as query
from ${bigQueryRegion(config.project!, config.location ?? 'US')}.INFORMATION_SCHEMA.JOBS
where creation_time >= timestamp_sub(current_timestamp(), interval ${Math.max(1, Math.floor(options.hours))} hour)
  and job_type = 'QUERY'
order by ${JOBS_ORDER[options.order]} desc
limit ${Math.max(1, Math.floor(options.limit))}`;
}

/** A BigQuery project for one run. */
export class BigQueryWarehouse implements Warehouse {
  readonly type = 'bigquery' as const;
  readonly capabilities: WarehouseCapabilities = {
    readOnlyMode: 'dry-run',
    queryTag: 'job-labels',
    queryHistory: true,
    approximateDistinct: true,
  };

  private constructor(
    readonly name: string,
    private readonly client: BigQuery,
    private readonly config: WarehouseConfig,
  ) {}

  /** Creates the client, loaded on first use; no request is made until the first query. */
  static async open(options: {
    name: string;
    config: WarehouseConfig;
    env: NodeJS.ProcessEnv;
  }): Promise<BigQueryWarehouse> {
    const clientOptions = bigQueryClientOptions(options.name, options.config, options.env);
    const { BigQuery } = await import('@google-cloud/bigquery');
    return new BigQueryWarehouse(options.name, new BigQuery(clientOptions), options.config);
  }

  classify(sql: string): Promise<StatementClass> {
    return classifyStatement(sql, 'bigquery');
  }

  async query(sql: string, options: QueryOptions): Promise<QueryResult> {
    const started = performance.now();
    let job: Job | undefined;
    try {
      const result = await withDeadline(
        this.name,
        { timeoutMs: options.timeoutMs, signal: options.signal, graceMs: 2000 },
        () => job?.cancel(),
        async (stopper) => {
          if (options.readOnly) {
            const [planned] = await this.client.createQueryJob(
              bigQueryJobOptions(sql, options, this.config, true),
            );
            checkDryRunStatement(planned.metadata?.statistics?.query?.statementType);
          }
          [job] = await this.client.createQueryJob(bigQueryJobOptions(sql, options, this.config));
          const [rows, , response] = await firstPage(job, options.maxRows + 1, stopper);
          const fields = response?.schema?.fields ?? [];
          const collector = new RowCollector(options.maxRows, options.maxBytes);
          for (const row of rows as Record<string, unknown>[]) {
            if (!collector.add(fields.map((field) => unwrap(row[field.name ?? ''])))) break;
          }
          const more = response?.pageToken && !collector.cut ? { cut: 'rows' as const } : {};
          const bytes = Number(response?.totalBytesProcessed ?? Number.NaN);
          return {
            columns: fields.map((field) => ({ name: field.name ?? '', type: field.type ?? '' })),
            rows: collector.rows,
            ...(collector.cut ? { cut: collector.cut } : more),
            ...(Number.isFinite(bytes) ? { bytesProcessed: bytes } : {}),
            queryId: job.id,
          };
        },
      );
      return { ...result, elapsedMs: Math.round(performance.now() - started) };
    } catch (error) {
      throw asQueryError(this.name, error);
    }
  }

  async listTables(
    options: ListTablesOptions,
    context: QueryContext,
  ): Promise<{ tables: TableInfo[]; cut: boolean }> {
    const result = await metadataQuery(
      this,
      bigQueryTablesSql(this.config, {
        dataset: options.schema ?? this.config.dataset,
        pattern: options.pattern,
      }),
      options.limit,
      context,
    );
    return { tables: resultRecords(result).map((row) => toTableInfo(row)), cut: result.cut !== undefined };
  }

  async describeTable(table: TableName, context: QueryContext): Promise<TableDescription> {
    const dataset = table.schema ?? this.config.dataset;
    const result = await metadataQuery(
      this,
      bigQueryTablesSql(this.config, { dataset, exactName: table.name }),
      50,
      context,
    );
    const found = pickTable(
      table,
      resultRecords(result).map((row) => toTableInfo(row)),
      this.name,
    );
    const columns = await metadataQuery(
      this,
      bigQueryColumnsSql(found.catalog ?? this.config.project!, found),
      10_000,
      context,
    );
    return {
      table: found,
      columns: resultRecords(columns).map((row) => toColumnInfo(row, row.is_nullable === 'YES')),
    };
  }

  async queryHistory(options: QueryHistoryOptions, context: QueryContext): Promise<QueryHistory> {
    const jobs = await metadataQuery(this, bigQueryJobsSql(this.config, options), options.limit, context);
    return {
      sections: [
        { title: `Query jobs of the last ${options.hours} hours (INFORMATION_SCHEMA.JOBS)`, result: jobs },
      ],
      notes: ['On-demand cost is total_bytes_billed × the price per TiB of the project’s region.'],
    };
  }

  async close(): Promise<void> {
    // The client holds no connection of its own.
  }
}

/**
 * The first page of a job's rows. BigQuery answers "not complete yet" after about ten seconds per
 * call, so it asks again until the job is done or our deadline cancels it.
 */
async function firstPage(job: Job, maxResults: number, stopper: Stopper) {
  for (;;) {
    try {
      return await job.getQueryResults({ maxResults, autoPaginate: false, timeoutMs: POLL_MS });
    } catch (error) {
      const incomplete = error instanceof Error && /did not complete before/.test(error.message);
      if (!incomplete || stopper.reason) throw error;
    }
  }
}

/** BigQuery's client wraps dates, times and big numbers in objects holding `value`. */
function unwrap(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'value' in value) {
    const keys = Object.keys(value);
    if (keys.length === 1) return (value as { value: unknown }).value;
  }
  return value;
}
