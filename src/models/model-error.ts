import { APICallError } from 'ai';
import { AgentryError, describeError } from '../errors.js';
import { ModelCallError, ModelUnreachableError } from './errors.js';
import type { ResolvedModel } from './resolve-model.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/** Turns whatever a model call threw into an error that names the model and the config key to fix. */
export function toModelError(error: unknown, model: ResolvedModel): AgentryError {
  if (error instanceof AgentryError) return error;
  const label = `model '${model.name}' (${model.provider} ${model.modelId})`;
  const networkCode = findNetworkCode(error) ?? (cannotConnect(error) ? 'cannot connect' : undefined);
  if (networkCode) {
    return new ModelUnreachableError(
      `${label} is unreachable at ${model.endpoint}: ${networkCode} — check ${model.configKey}.base_url in .agentry/config.yml and that the server is running`,
      { cause: error },
    );
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === 401 || status === 403) {
      return new ModelCallError(
        `${label} rejected the API key (HTTP ${status})` +
          (model.apiKeyEnv ? `: check ${model.apiKeyEnv} (${model.configKey}.api_key_env)` : ''),
        status,
        false,
        { cause: error },
      );
    }
    const detail = firstLine(error.message);
    return new ModelCallError(
      `${label} failed: HTTP ${status ?? '?'}: ${detail}`,
      status,
      error.isRetryable,
      {
        cause: error,
      },
    );
  }
  return new ModelCallError(`${label} failed: ${firstLine(describeError(error))}`, undefined, false, {
    cause: error,
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}

/** The AI SDK's wording when fetch itself failed, whatever the socket error was. */
function cannotConnect(error: unknown): boolean {
  const last = (error as { lastError?: unknown }).lastError ?? error;
  return APICallError.isInstance(last) && last.message.startsWith('Cannot connect to API');
}

function findNetworkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    // AI SDK retries wrap the last error; fetch wraps the socket error in `cause`.
    const next =
      (current as { lastError?: unknown; cause?: unknown }).lastError ??
      (current as { cause?: unknown }).cause;
    current = next;
  }
  return undefined;
}
