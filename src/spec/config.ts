import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** A named model in config.yml. */
export const modelConfigSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic', 'openai-compatible']),
  /** The provider's model id, e.g. `gpt-4o-mini`, `claude-sonnet-4-5`, `llama3.1`. */
  model: z.string().min(1),
  /** The endpoint; required for openai-compatible (Ollama: http://127.0.0.1:11434/v1). */
  base_url: z.url().optional(),
  /** The environment variable that holds the API key. Never the key itself. */
  api_key_env: envName.optional(),
  /** Prices used for `usage.cost_usd` and `limits.max_cost_usd`. */
  pricing: z
    .strictObject({
      input_per_million_tokens: z.number().nonnegative(),
      output_per_million_tokens: z.number().nonnegative(),
    })
    .optional(),
  /** Upper bound on tokens the model may generate per step. */
  max_output_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
});

/** Where runs are kept and how workspaces are made. */
export const sandboxConfigSchema = z.strictObject({
  /** `local`: a git worktree per run, no isolation of commands. `bwrap`: Linux namespaces. */
  driver: z.enum(['local', 'bwrap']).default('local'),
  /** Where run workspaces are created; the system temp directory when absent. */
  workspace_root: z.string().optional(),
  /** Network inside the sandbox for commands. */
  network: z.enum(['none', 'host']).default('none'),
  /** Paths (gitignore patterns) never copied into a workspace, e.g. `.env`, `profiles.yml`. */
  ignore: z.array(z.string()).default([]),
});

export const warehouseConfigSchema = z.strictObject({
  type: z.enum(['duckdb', 'postgres', 'snowflake', 'bigquery']),
  /** DuckDB file, relative to the project root. */
  path: z.string().optional(),
  /** The environment variable holding a connection URL (postgres) or credentials. */
  url_env: envName.optional(),
  /** Adapter options (account, project, warehouse, role, …). */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

const endpoint = (extra: Record<string, z.ZodType> = {}) =>
  z.strictObject({
    /** The service's API base URL; point it at a local server in tests. */
    api_url: z.url().optional(),
    token_env: envName.optional(),
    ...extra,
  });

export const integrationsConfigSchema = z.strictObject({
  slack: endpoint({ signing_secret_env: envName.optional() }).optional(),
  github: endpoint({ webhook_secret_env: envName.optional() }).optional(),
  linear: endpoint({ webhook_secret_env: envName.optional() }).optional(),
  airflow: z
    .strictObject({
      base_url: z.url().optional(),
      username_env: envName.optional(),
      password_env: envName.optional(),
      token_env: envName.optional(),
      log_folder: z.string().optional(),
    })
    .optional(),
});

/** `.agentry/config.yml`. */
export const configSchema = z.strictObject({
  version: z.literal(1).default(1),
  /** Named models; an agent's `model: NAME` picks one. `default` is used when an agent names none. */
  models: z.record(z.string(), modelConfigSchema).default({}),
  /** `sqlite:PATH` (relative to the project root). */
  store: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'expected sqlite:PATH or postgres://…')
    .default('sqlite:.agentry/agentry.db'),
  sandbox: sandboxConfigSchema.default({ driver: 'local', network: 'none', ignore: [] }),
  warehouses: z.record(z.string(), warehouseConfigSchema).default({}),
  integrations: integrationsConfigSchema.default({}),
  /** More environment variables whose values are redacted everywhere. */
  secrets: z.array(envName).default([]),
});

export type AgentryConfig = z.infer<typeof configSchema>;
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type SandboxConfig = z.infer<typeof sandboxConfigSchema>;
