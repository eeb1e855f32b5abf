import { z } from 'zod';

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

/** Where runs are kept and how workspaces are made. */
export const sandboxConfigSchema = z.strictObject({
  /** `local`: a git worktree per run, no isolation of commands. `bwrap`: Linux namespaces. */
  driver: z
    .enum(['local', 'bwrap'])
    .default('local')
    .describe('local: a git worktree per run, no isolation of commands; bwrap: Linux namespaces.'),
  /** Where run workspaces are created; the system temp directory when absent. */
  workspace_root: z
    .string()
    .optional()
    .describe('Where run workspaces are created; the system temp directory when absent.'),
  /** Network inside the sandbox for commands. */
  network: z.enum(['none', 'host']).default('none').describe('Network inside the sandbox for commands.'),
  /** Paths (gitignore patterns) never copied into a workspace, e.g. `.env`, `profiles.yml`. */
  ignore: z
    .array(z.string())
    .default([])
    .describe('Paths (gitignore patterns) never copied into a workspace, e.g. .env, profiles.yml.'),
});

/** A warehouse tools may query, by name. */
export const warehouseConfigSchema = z.strictObject({
  type: z.enum(['duckdb', 'postgres', 'snowflake', 'bigquery']).describe('The warehouse engine.'),
  /** DuckDB file, relative to the project root. */
  path: z.string().optional().describe('DuckDB file, relative to the project root.'),
  /** The environment variable holding a connection URL (postgres) or credentials. */
  url_env: envName
    .optional()
    .describe('The environment variable holding a connection URL (postgres) or credentials.'),
  /** Adapter options (account, project, warehouse, role, …). */
  options: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe('Adapter options (account, project, warehouse, role, …).'),
});

const endpoint = (extra: Record<string, z.ZodType> = {}) =>
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
    .default({ driver: 'local', network: 'none', ignore: [] })
    .describe('How run workspaces are made and isolated.'),
  warehouses: z
    .record(z.string(), warehouseConfigSchema)
    .default({})
    .describe('Named warehouses tools may query.'),
  integrations: integrationsConfigSchema.default({}).describe('Slack, GitHub, Linear and Airflow endpoints.'),
  /** More environment variables whose values are redacted everywhere. */
  secrets: z
    .array(envName)
    .default([])
    .describe('More environment variables whose values are redacted everywhere.'),
});

export type AgentryConfig = z.infer<typeof configSchema>;
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type SandboxConfig = z.infer<typeof sandboxConfigSchema>;
