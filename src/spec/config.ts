import { z } from 'zod';
import { durationSchema, protectedPathsSchema } from './agent-spec.js';

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as SLACK_BOT_TOKEN');

/** A named model in config.yml. */
export const modelConfigSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic', 'openai-compatible']).describe('Which API the model speaks.'),
  /** The provider's model id, e.g. `gpt-4o-mini`, `claude-sonnet-4-5`, `llama3.1`. */
  model: z
    .string()
    .min(1)
    .describe("The provider's model id, e.g. gpt-4o-mini, claude-sonnet-4-5, llama3.1."),
  /** The endpoint; required for openai-compatible (Ollama: http://127.0.0.1:11434/v1). */
  base_url: z
    .url()
    .optional()
    .describe('The endpoint; required for openai-compatible (Ollama: http://127.0.0.1:11434/v1).'),
  /** The environment variable that holds the API key. Never the key itself. */
  api_key_env: envName
    .optional()
    .describe('The environment variable that holds the API key. Never the key itself.'),
  /** Prices used for `usage.cost_usd` and `limits.max_cost_usd`. */
  pricing: z
    .strictObject({
      input_per_million_tokens: z.number().nonnegative().describe('USD per million input tokens.'),
      output_per_million_tokens: z.number().nonnegative().describe('USD per million output tokens.'),
    })
    .optional()
    .describe("Prices used for a run's cost and limits.max_cost_usd."),
  /** Upper bound on tokens the model may generate per step. */
  max_output_tokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Upper bound on tokens the model may generate per step.'),
  temperature: z.number().min(0).max(2).optional().describe('Sampling temperature, 0 to 2.'),
});

/** Bounds on every command a sandbox runs (`run_terminal_command`). */
export const sandboxLimitsSchema = z.strictObject({
  /** Default and longest wall-clock time of one command; the tool may ask for less. */
  command_timeout: durationSchema
    .default('5m')
    .describe('Default and longest wall-clock time of one command; the tool may ask for less.'),
  /** Memory of one command and everything it starts, in MiB. */
  memory_mb: z
    .number()
    .int()
    .positive()
    .default(2048)
    .describe('Memory of one command and all it starts, in MiB.'),
  /** Processes one command may have at once (a fork bomb stops here). */
  processes: z.number().int().positive().default(256).describe('Processes one command may have at once.'),
  /** CPU seconds of each process. */
  cpu_seconds: z.number().int().positive().default(600).describe('CPU seconds of each process.'),
  /** Largest file a command may write, in MiB. */
  file_size_mb: z
    .number()
    .int()
    .positive()
    .default(1024)
    .describe('Largest file a command may write, in MiB.'),
  /**
   * What a run may write into its workspace, in MiB (bwrap with an overlay workspace, worker as
   * root), and the size of each command's private /tmp. Beyond it commands get ENOSPC.
   */
  disk_mb: z
    .number()
    .int()
    .positive()
    .default(2048)
    .describe(
      "What a run may write into its workspace (bwrap overlay workspaces, worker as root) and each command's /tmp, in MiB.",
    ),
  /** Output of one command the model gets, in KiB: head and tail, with a note on what was cut. */
  max_output_kb: z
    .number()
    .int()
    .positive()
    .default(32)
    .describe('Output of one command the model gets, in KiB: head and tail, with a note on what was cut.'),
});

const SANDBOX_LIMITS_DEFAULT = {
  command_timeout: '5m',
  memory_mb: 2048,
  processes: 256,
  cpu_seconds: 600,
  file_size_mb: 1024,
  disk_mb: 2048,
  max_output_kb: 32,
} as const;

/** Where runs are kept and how workspaces are made. See docs/sandbox.md. */
export const sandboxConfigSchema = z.strictObject({
  /**
   * `auto`: `bwrap` where it works, else `local` with a warning. `bwrap`: Linux namespaces
   * (bubblewrap); a run fails if it cannot start. `local`: a git worktree per run; commands
   * run unisolated.
   */
  driver: z
    .enum(['auto', 'bwrap', 'local'])
    .default('auto')
    .describe(
      'auto: bwrap where it works, else local with a warning; bwrap: Linux namespaces (bubblewrap); local: a git worktree per run, commands unisolated.',
    ),
  /** Where run workspaces are created; the system temp directory when absent. */
  workspace_root: z
    .string()
    .optional()
    .describe('Where run workspaces are created; the system temp directory when absent.'),
  /** Network inside the sandbox for commands; an agent's `sandbox.network` overrides it. */
  network: z
    .enum(['none', 'host'])
    .default('none')
    .describe("Network inside the sandbox for commands; an agent's sandbox.network overrides it."),
  /**
   * Paths (gitignore patterns) never copied into a workspace, after the built-in list of secret
   * files (`.env`, `.env.*` but not `.env.example`, `profiles.yml`, `*.pem`, `*.key`, `id_rsa*`,
   * `.netrc`, `.npmrc`, `.pypirc`, `credentials.json`, `service-account*.json`, `*.p12`) and
   * `.agentryignore`. A negation lifts one: `!profiles.yml`.
   */
  ignore: z
    .array(z.string())
    .default([])
    .describe(
      'Paths (gitignore patterns) never copied into a workspace, after the built-in secret files (.env, .env.*, profiles.yml, *.pem, *.key, id_rsa*, .netrc, .npmrc, .pypirc, credentials.json, service-account*.json, *.p12) and .agentryignore; a negation lifts one, e.g. !profiles.yml.',
    ),
  /**
   * How `bwrap` makes a workspace: `auto` tries a kernel overlay, then fuse-overlayfs, then a
   * full checkout; the others insist on one.
   */
  workspace: z
    .enum(['auto', 'overlayfs', 'fuse-overlayfs', 'git-checkout'])
    .default('auto')
    .describe('How bwrap makes a workspace: auto tries overlayfs, then fuse-overlayfs, then a git checkout.'),
  /** Host paths commands may read (a Python virtualenv, a dbt install), bound read-only at the same place. */
  read_only_paths: z
    .array(z.string().startsWith('/', 'must be an absolute path'))
    .default([])
    .describe(
      'Host paths commands may read (a Python virtualenv, a dbt install), bound read-only at the same place.',
    ),
  /** Environment variables of every command, as literal values (never secrets: commands get no credentials). */
  env: z
    .record(envName, z.string())
    .default({})
    .describe(
      'Environment variables of every command, as literal values (never secrets: commands get no credentials).',
    ),
  limits: sandboxLimitsSchema
    .default(SANDBOX_LIMITS_DEFAULT)
    .describe('Bounds on every command a sandbox runs.'),
});

/** A warehouse SQL tools may query, by name. See docs/warehouses.md. */
export const warehouseConfigSchema = z
  .strictObject({
    type: z.enum(['duckdb', 'postgres', 'snowflake', 'bigquery']).describe('The warehouse engine.'),
    /** DuckDB: the database file, relative to the project root; an empty in-memory database when absent. */
    path: z
      .string()
      .optional()
      .describe('DuckDB: the database file, relative to the project root; in-memory when absent.'),
    /** Postgres: the environment variable holding the connection URL. */
    url_env: envName
      .optional()
      .describe(
        'Postgres: the environment variable holding the connection URL (postgres://user:pass@host/db).',
      ),
    /** Snowflake: the account identifier, e.g. `myorg-myaccount`. */
    account: z.string().optional().describe('Snowflake: the account identifier, e.g. myorg-myaccount.'),
    /** Snowflake: the user name. */
    user: z.string().optional().describe('Snowflake: the user name.'),
    /** Snowflake: the environment variable holding the password. */
    password_env: envName.optional().describe('Snowflake: the environment variable holding the password.'),
    /** Snowflake: the environment variable holding a PEM private key (key-pair authentication). */
    private_key_env: envName
      .optional()
      .describe('Snowflake: the environment variable holding a PEM private key (key-pair authentication).'),
    /** Snowflake: the role; give agents a role that can only read. */
    role: z.string().optional().describe('Snowflake: the role; give agents a role that can only read.'),
    /** Snowflake: the virtual warehouse that runs queries. */
    warehouse: z.string().optional().describe('Snowflake: the virtual warehouse that runs queries.'),
    /** Snowflake: the default database. */
    database: z.string().optional().describe('Snowflake: the default database.'),
    /** Snowflake: the default schema. */
    schema: z.string().optional().describe('Snowflake: the default schema.'),
    /** BigQuery: the project jobs run in and are billed to. */
    project: z.string().optional().describe('BigQuery: the project jobs run in and are billed to.'),
    /** BigQuery: the dataset unqualified table names resolve in. */
    dataset: z.string().optional().describe('BigQuery: the dataset unqualified table names resolve in.'),
    /** BigQuery: the location jobs run in, e.g. `US`, `EU`, `europe-west1`. */
    location: z
      .string()
      .optional()
      .describe('BigQuery: the location jobs run in, e.g. US, EU, europe-west1 (default US).'),
    /** BigQuery: the environment variable holding a service-account key (JSON); ADC when absent. */
    credentials_env: envName
      .optional()
      .describe(
        'BigQuery: the environment variable holding a service-account key (JSON); application default credentials when absent.',
      ),
    /** BigQuery: a query that would bill more bytes fails before it runs. */
    maximum_bytes_billed: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('BigQuery: a query that would bill more bytes fails before it runs (default 10 GB).'),
    /**
     * `true` (the default): no agent may write here. `false`: agents that list this warehouse
     * under `warehouse.allow_writes` may run INSERT, UPDATE, DELETE, CREATE, ALTER, DROP.
     */
    read_only: z
      .boolean()
      .default(true)
      .describe(
        'true (default): no agent writes here; false: agents listing it under warehouse.allow_writes may write.',
      ),
    /** The most rows one query returns to the model; a tool call may ask for fewer. */
    max_rows: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .default(1000)
      .describe('The most rows one query returns to the model; a tool call may ask for fewer.'),
    /** The most bytes of rows one query returns to the model. */
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(100 * 1024)
      .describe('The most bytes of rows (as JSON) one query returns to the model.'),
    /** Statements running longer are cancelled. */
    statement_timeout: durationSchema
      .default('60s')
      .describe('Statements running longer are cancelled, e.g. 30s, 5m.'),
    /** Driver settings: DuckDB memory_limit/threads/temp_directory; Snowflake connection options. */
    options: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe(
        'Driver settings: DuckDB memory_limit, threads, temp_directory; Snowflake connection options.',
      ),
  })
  .superRefine((warehouse, context) => {
    const need = (key: keyof typeof warehouse, why: string) => {
      if (warehouse[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: why });
    };
    if (warehouse.type === 'postgres') {
      need('url_env', 'a postgres warehouse needs url_env: the variable holding its URL');
    }
    if (warehouse.type === 'bigquery') {
      need('project', 'a bigquery warehouse needs project: the project to run jobs in');
    }
    if (warehouse.type === 'snowflake') {
      need('account', 'a snowflake warehouse needs account, e.g. myorg-myaccount');
      need('user', 'a snowflake warehouse needs user');
      if (warehouse.password_env === undefined && warehouse.private_key_env === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['password_env'],
          message: 'a snowflake warehouse needs password_env or private_key_env',
        });
      }
    }
  });

// Generic so each integration's extra keys (webhook_secret_env, …) keep their types.
const endpoint = <Extra extends Record<string, z.ZodType> = Record<never, z.ZodType>>(
  extra: Extra = {} as Extra,
) =>
  z.strictObject({
    /** The service's API base URL; point it at a local server in tests. */
    api_url: z.url().optional().describe("The service's API base URL; point it at a local server in tests."),
    token_env: envName.optional().describe('The environment variable holding the API token.'),
    ...extra,
  });

/** The services runs report to and are triggered from. */
export const integrationsConfigSchema = z.strictObject({
  slack: endpoint({
    signing_secret_env: envName
      .optional()
      .describe('The environment variable holding the Slack signing secret.'),
  })
    .optional()
    .describe('Slack: run threads and replies.'),
  github: endpoint({
    webhook_secret_env: envName.optional().describe('The environment variable holding the webhook secret.'),
    /** The repository pull requests go to; read from the push remote's URL when absent. */
    repository: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name, e.g. acme/analytics')
      .optional()
      .describe(
        "The repository pull requests go to, as owner/name; default: read from the push remote's URL.",
      ),
    /** The project's git remote runs push to: a remote name of the project's repository, or a URL. */
    remote: z
      .string()
      .min(1)
      .refine((remote) => !remote.startsWith('-'), 'a remote name or URL may not start with "-"')
      .default('origin')
      .describe(
        "The git remote pull-request branches are pushed to: a remote name of the project's repository (default origin) or a URL.",
      ),
    /** The branch pull requests target; the repository's default branch when absent. */
    base_branch: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The branch pull requests target; default: the repository's default branch on GitHub, else main.",
      ),
    /** Record the pull requests runs would open as artifacts, pushing and opening nothing. */
    staged: z
      .boolean()
      .default(false)
      .describe(
        'Push and open nothing: keep the pull request a run would open as artifacts (pull-request.json/.diff).',
      ),
    /** A pull request changing more files than this is refused. */
    max_files_changed: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(50)
      .describe('A pull request changing more files than this is refused (default 50).'),
    /** Open pull requests as drafts unless the agent asks otherwise. */
    draft: z.boolean().default(false).describe('Open pull requests as drafts (default false).'),
    /** Branches runs push start with this. */
    branch_prefix: z
      .string()
      .regex(/^(?:[A-Za-z0-9_][A-Za-z0-9_./-]*)?$/, 'letters, digits, "_", ".", "-" and "/", e.g. agentry/')
      .refine((prefix) => !prefix.includes('..') && !prefix.includes('//'), 'may not contain ".." or "//"')
      .default('agentry/')
      .describe('Branches runs push for pull requests start with this (default agentry/).'),
  })
    .optional()
    .describe('GitHub: webhooks and pull requests.'),
  linear: endpoint({
    webhook_secret_env: envName.optional().describe('The environment variable holding the webhook secret.'),
  })
    .optional()
    .describe('Linear: webhooks and comments.'),
  airflow: z
    .strictObject({
      base_url: z.url().optional().describe("The Airflow webserver's base URL."),
      /** Which REST API `base_url` speaks: `v1` (Airflow 2), `v2` (Airflow 3), or `auto` to ask it. */
      api_version: z
        .enum(['auto', 'v1', 'v2'])
        .optional()
        .describe(
          'Which REST API base_url speaks: v1 (Airflow 2), v2 (Airflow 3), or auto (default) to ask it.',
        ),
      username_env: envName.optional(),
      password_env: envName.optional(),
      token_env: envName.optional(),
      log_folder: z
        .string()
        .optional()
        .describe('Where task logs can be read when the API cannot serve them.'),
    })
    .optional()
    .describe('Airflow: failure callbacks and task logs.'),
});

/** Where the dbt project and its artifacts are, for the dbt tools and find_owner. See docs/dbt.md. */
export const dbtConfigSchema = z.strictObject({
  /** The dbt project (where dbt_project.yml is), relative to the project root; the root when absent. */
  project_dir: z
    .string()
    .optional()
    .describe('The dbt project (where dbt_project.yml is), relative to the project root; default: the root.'),
  /** manifest.json, relative to the project root or absolute; default `<project_dir>/target/manifest.json`. */
  manifest: z
    .string()
    .optional()
    .describe(
      'manifest.json, relative to the project root or absolute; default <project_dir>/target/manifest.json.',
    ),
  /** run_results.json, relative to the project root or absolute; default `<project_dir>/target/`. */
  run_results: z
    .string()
    .optional()
    .describe(
      'run_results.json, relative to the project root or absolute; default <project_dir>/target/run_results.json',
    ),
  /** catalog.json (`dbt docs generate`), relative to the project root or absolute; optional. */
  catalog: z
    .string()
    .optional()
    .describe(
      'catalog.json, relative to the project root or absolute; default <project_dir>/target/catalog.json.',
    ),
  /** Keep a compact index of the manifest in `.agentry/cache/dbt/` for later processes (default true). */
  cache: z
    .boolean()
    .optional()
    .describe('Keep a compact manifest index in .agentry/cache/dbt/ for new processes (default true).'),
});

/**
 * Files protected unless config.yml lifts the protection (`tools.unprotect`): `AGENTS.md` enters
 * every future system prompt once merged, `.gitattributes` and `.gitmodules` change what git does
 * with the repository, `.agentryignore` decides what runs may read. Matched at any depth.
 */
export const PROTECTED_BY_DEFAULT = ['AGENTS.md', '.gitattributes', '.gitmodules', '.agentryignore'] as const;

/** Protections every agent's file and git tools share. See docs/tools.md. */
export const toolsConfigSchema = z.strictObject({
  /**
   * Paths (gitignore-style globs, relative to the repository root) that write_file, edit_file and
   * git_commit refuse to change, on top of the built-in `.agentry/**` and `.git/**`.
   */
  protected_paths: protectedPathsSchema
    .default([])
    .describe(
      'Globs (gitignore style) the file and git tools may not change, on top of .agentry/** and .git/**, e.g. "models/finance/**".',
    ),
  /**
   * Files of {@link PROTECTED_BY_DEFAULT} agents may change after all, e.g. `[AGENTS.md]` for an
   * agent that maintains it. `.agentry/**` and `.git/**` cannot be lifted.
   */
  unprotect: z
    .array(z.enum(PROTECTED_BY_DEFAULT))
    .default([])
    .describe(
      'Files protected by default (AGENTS.md, .gitattributes, .gitmodules, .agentryignore) that agents may change after all; .agentry/** and .git/** always stay protected.',
    ),
  /** The author of git_commit's commits; `Agentry <agent-name>` when absent. */
  git_author: z
    .strictObject({
      name: z.string().min(1).describe('Author name.'),
      email: z.string().min(1).describe('Author email.'),
    })
    .optional()
    .describe('The author of commits made by git_commit; "Agentry <agent-name>" when absent.'),
});

/** How far squads of agents (`agents_squad`, `invoke_agent`) may grow. */
export const squadsConfigSchema = z.strictObject({
  /** Levels of child runs below a run a person or system started (a child of a child is 2). */
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe('Levels of child runs below a run a person or system started; a child of a child is 2.'),
  /** Child runs of one parent running at once; more wait for a slot. */
  max_parallel: z
    .number()
    .int()
    .positive()
    .max(64)
    .default(4)
    .describe('Child runs of one parent running at once; more wait for a slot.'),
});

/** `.agentry/config.yml`. */
export const configSchema = z.strictObject({
  version: z.literal(1).default(1).describe('The config format version; 1.'),
  /** Named models; an agent's `model: NAME` picks one. `default` is used when an agent names none. */
  models: z
    .record(z.string(), modelConfigSchema)
    .default({})
    .describe("Named models; an agent's model: NAME picks one. default is used when an agent names none."),
  /** `sqlite:PATH` (relative to the project root). */
  store: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:PATH or postgres://…')
    .default('sqlite:.agentry/agentry.db')
    .describe('Where runs are kept: sqlite:PATH (relative to the project root) or postgres://….'),
  sandbox: sandboxConfigSchema
    .default({
      driver: 'auto',
      network: 'none',
      ignore: [],
      workspace: 'auto',
      read_only_paths: [],
      env: {},
      limits: SANDBOX_LIMITS_DEFAULT,
    })
    .describe('How run workspaces are made and isolated.'),
  warehouses: z
    .record(z.string(), warehouseConfigSchema)
    .default({})
    .describe('Named warehouses tools may query.'),
  squads: squadsConfigSchema
    .default({ max_depth: 3, max_parallel: 4 })
    .describe('How deep and wide squads of agents (invoke_agent) may grow.'),
  integrations: integrationsConfigSchema.default({}).describe('Slack, GitHub, Linear and Airflow endpoints.'),
  /** The dbt project's artifacts; defaults to `target/` of a dbt project at the project root. */
  dbt: dbtConfigSchema
    .optional()
    .describe("Where the dbt project's artifacts are (manifest, run results, catalog)."),
  /** Protections for the file and git tools (protected paths, commit author). */
  tools: toolsConfigSchema
    .optional()
    .describe('Protections for the file and git tools: protected paths, the commit author.'),
  /** More environment variables whose values are redacted everywhere. */
  secrets: z
    .array(envName)
    .default([])
    .describe('More environment variables whose values are redacted everywhere.'),
});

export type AgentryConfig = z.infer<typeof configSchema>;
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type SandboxConfig = z.infer<typeof sandboxConfigSchema>;
export type WarehouseConfig = z.infer<typeof warehouseConfigSchema>;
export type DbtConfig = z.infer<typeof dbtConfigSchema>;
export type ToolsConfig = z.infer<typeof toolsConfigSchema>;
export type SquadsConfig = z.infer<typeof squadsConfigSchema>;
