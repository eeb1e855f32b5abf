import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { AgentryError, describeError, isAgentryError } from '../errors.js';
import type { ErrorView } from './schemas.js';

/** An error with the HTTP status and stable code it is answered with. */
export class ApiError extends AgentryError {
  readonly kind = 'user' as const;

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: { field?: string; issues?: { path: string; message: string }[] } = {},
  ) {
    super(message);
  }
}

/** The status each of our error codes is answered with; the rest go by kind (user 400, system 500). */
const STATUS_BY_CODE: Readonly<Record<string, ContentfulStatusCode>> = {
  'run.not-found': 404,
  'agent.not-found': 404,
  'run.state': 409,
  'run.duplicate': 409,
  'queue.closed': 503,
  // The server cannot build the agent's model (a key missing in its environment): not the caller's fault.
  'model.config': 500,
};

/** A 422 naming the first field at fault and listing every problem. */
export function validationError(error: z.ZodError, where: 'body' | 'query'): ApiError {
  const issues = error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path, ...keys.slice(0, 1)].map(String).join('.');
    return { path, message: issue.message };
  });
  const first = issues[0] ?? { path: '', message: 'is invalid' };
  const field = first.path || where;
  return new ApiError(
    422,
    'request.invalid',
    `${where === 'query' ? 'query ' : ''}${field}: ${first.message}`,
    {
      field,
      issues,
    },
  );
}

/** Parse `value` with `schema` or throw the 422. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, where);
  return parsed.data;
}

/** The JSON body of a request, parsed with `schema`: 400 when it is not JSON, 422 when it does not fit. */
export async function parseBody<T>(context: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await context.req.json();
  } catch {
    throw new ApiError(400, 'request.malformed', 'the body is not valid JSON: send a JSON object');
  }
  return parseWith(schema, raw, 'body');
}

/** The response for any thrown value: `{ error: { code, message } }` with a fitting status. */
export function errorResponse(context: Context, error: unknown, log?: (line: string) => void): Response {
  const { status, body } = describeForClient(error, log);
  if (status === 401) context.header('WWW-Authenticate', 'Bearer realm="agentry"');
  return context.json(body, status);
}

function describeForClient(
  error: unknown,
  log: ((line: string) => void) | undefined,
): { status: ContentfulStatusCode; body: ErrorView } {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, ...error.details } },
    };
  }
  if (error instanceof HTTPException) {
    const code = error.status === 413 ? 'request.too-large' : 'request.failed';
    const message = error.status === 413 ? 'the body is too large: send at most 1 MiB' : error.message;
    return { status: error.status as ContentfulStatusCode, body: { error: { code, message } } };
  }
  if (isAgentryError(error)) {
    const status = STATUS_BY_CODE[error.code] ?? (error.kind === 'user' ? 400 : error.retryable ? 503 : 500);
    if (status >= 500) log?.(`error ${error.code}: ${error.message}`);
    return { status, body: { error: { code: error.code, message: error.message } } };
  }
  log?.(`internal error: ${describeError(error)}`);
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'internal error: see the server log' } },
  };
}
