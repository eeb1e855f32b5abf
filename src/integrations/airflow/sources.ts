import path from 'node:path';
import { type AirflowApiVersion, type AirflowCredentials, ApiLogSource } from './api-log-source.js';
import { AirflowError } from './errors.js';
import { FolderLogSource } from './folder-log-source.js';
import type { TaskLogSource } from './log-stream.js';

/** The `integrations.airflow` block of config.yml, as far as logs are concerned. */
export interface AirflowLogSettings {
  base_url?: string;
  /** `v1` (Airflow 2), `v2` (Airflow 3) or `auto`. */
  api_version?: AirflowApiVersion | 'auto';
  username_env?: string;
  password_env?: string;
  token_env?: string;
  /** Relative to the project root, or absolute. */
  log_folder?: string;
}

/** Where a task log may be read from, per the config. */
export interface TaskLogSources {
  api?: TaskLogSource;
  folder?: TaskLogSource;
}

/**
 * The log sources config.yml sets up. Credentials come from the worker's environment, by the
 * variable names the config gives; a name whose variable is unset is a configuration error.
 */
export function taskLogSourcesFromSettings(
  settings: AirflowLogSettings | undefined,
  options: { projectRoot: string; env: NodeJS.ProcessEnv },
): TaskLogSources {
  const sources: TaskLogSources = {};
  if (settings?.base_url) {
    const credentials = credentialsFrom(settings, options.env);
    sources.api = new ApiLogSource({
      baseUrl: settings.base_url,
      apiVersion: settings.api_version ?? 'auto',
      ...(credentials ? { credentials } : {}),
    });
  }
  if (settings?.log_folder)
    sources.folder = new FolderLogSource(path.resolve(options.projectRoot, settings.log_folder));
  return sources;
}

function credentialsFrom(
  settings: AirflowLogSettings,
  env: NodeJS.ProcessEnv,
): AirflowCredentials | undefined {
  if (settings.token_env) return { token: required(env, settings.token_env, 'token_env') };
  if (!settings.username_env && !settings.password_env) return undefined;
  if (!settings.username_env || !settings.password_env) {
    throw new AirflowError(
      'airflow.not-configured',
      'integrations.airflow needs both username_env and password_env (or token_env) in .agentry/config.yml',
    );
  }
  return {
    username: required(env, settings.username_env, 'username_env'),
    password: required(env, settings.password_env, 'password_env'),
  };
}

function required(env: NodeJS.ProcessEnv, name: string, key: string): string {
  const value = env[name];
  if (value) return value;
  throw new AirflowError(
    'airflow.not-configured',
    `integrations.airflow.${key} names ${name}, which is not set in the worker's environment: export it before starting agentry`,
  );
}
