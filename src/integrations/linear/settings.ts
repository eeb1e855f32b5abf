import { LINEAR_API_URL, LinearClient, type LinearClientOptions } from './client.js';
import { LinearError } from './errors.js';

/** The `integrations.linear` block of config.yml, as far as the API is concerned. */
export interface LinearSettings {
  /** The GraphQL endpoint; default `https://api.linear.app/graphql`. */
  api_url?: string;
  /** The environment variable holding the API key or OAuth token. */
  token_env?: string;
}

/**
 * A client for the config's Linear, its token read from the worker's environment by the variable
 * name the config gives. The name must be in config (not a default) so the engine's Redactor
 * knows to mask its value. A missing name or an unset variable is a `user` error saying what to set.
 */
export function linearClientFromSettings(
  settings: LinearSettings | undefined,
  env: NodeJS.ProcessEnv,
  options: Omit<LinearClientOptions, 'token' | 'tokenEnv' | 'apiUrl'> = {},
): LinearClient {
  const variable = settings?.token_env;
  if (variable === undefined) {
    throw new LinearError(
      'linear.not-configured',
      'Linear is not configured: set integrations.linear.token_env in .agentry/config.yml to the name of the environment variable holding a Linear API key (e.g. LINEAR_API_KEY)',
    );
  }
  const token = env[variable]?.trim();
  if (!token) {
    throw new LinearError(
      'linear.token-missing',
      `${variable} is not set on the worker: export it with a Linear API key (Linear → Settings → Security & access → Personal API keys); integrations.linear.token_env names it`,
    );
  }
  return new LinearClient({
    ...options,
    apiUrl: settings?.api_url ?? LINEAR_API_URL,
    token,
    tokenEnv: variable,
  });
}
