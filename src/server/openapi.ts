import { z } from 'zod';
import {
  agentDetailSchema,
  agentListSchema,
  errorSchema,
  eventsQuerySchema,
  healthSchema,
  listRunsQuerySchema,
  runDetailSchema,
  runEventListSchema,
  runEventSchema,
  runListSchema,
  runSchema,
  runTreeSchema,
  sendMessageBodySchema,
  triggerRunBodySchema,
} from './schemas.js';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });

/** Each error status an operation may answer, with the same body. */
const errors = (...statuses: number[]): Json =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERROR_TEXT[status] ?? 'Error', content: json('Error') },
    ]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: 'The body is not JSON.',
  401: 'No API key, or an unknown or revoked one.',
  403: 'The API key lacks the scope.',
  404: 'No such run or agent.',
  409: 'The run is not in a state that allows this.',
  422: 'The body or query does not fit the schema; error.field names the field.',
  503: 'The server is shutting down.',
};

/** Components generated from the zod schemas the server parses and answers with. */
function components(): Json {
  const requests = z.registry<{ id: string }>();
  requests.add(triggerRunBodySchema, { id: 'TriggerRunRequest' });
  requests.add(sendMessageBodySchema, { id: 'SendMessageRequest' });
  const responses = z.registry<{ id: string }>();
  responses.add(runSchema, { id: 'Run' });
  responses.add(runDetailSchema, { id: 'RunDetail' });
  responses.add(runTreeSchema, { id: 'RunTree' });
  responses.add(runListSchema, { id: 'RunList' });
  responses.add(runEventSchema, { id: 'RunEvent' });
  responses.add(runEventListSchema, { id: 'RunEventList' });
  responses.add(agentListSchema, { id: 'AgentList' });
  responses.add(agentDetailSchema, { id: 'AgentDetail' });
  responses.add(errorSchema, { id: 'Error' });
  responses.add(healthSchema, { id: 'Health' });
  const uri = (id: string) => `#/components/schemas/${id}`;
  const input = z.toJSONSchema(requests, { target: 'draft-2020-12', io: 'input', uri });
  const output = z.toJSONSchema(responses, { target: 'draft-2020-12', io: 'output', uri });
  const schemas: Json = {};
  for (const [name, schema] of Object.entries({ ...input.schemas, ...output.schemas })) {
    const { $schema: _schema, $id: _id, ...rest } = schema as Json;
    schemas[name] = rest;
  }
  return schemas;
}

/** Query parameters from a zod object schema. */
function queryParameters(schema: z.ZodObject): Json[] {
  const document = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as {
    properties: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(document.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: document.required?.includes(name) ?? false,
      description,
      schema: rest,
    };
  });
}

const runId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The run id.',
  schema: { type: 'string' },
};

function operation(summary: string, scope: string | null, details: Json): Json {
  return {
    summary,
    ...(scope === null
      ? { security: [] }
      : { description: `Requires the \`${scope}\` scope (or \`admin\`).`, 'x-required-scope': scope }),
    ...details,
  };
}

/**
 * The OpenAPI 3.1 document served at `/api/v1/openapi.json`. Its schemas are generated from the
 * zod schemas in `schemas.ts`, which the server parses requests and builds responses with.
 * `extraPaths` come from mounted route groups (webhooks).
 */
export function openApiDocument(options: { version: string; extraPaths?: Record<string, unknown> }): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agentry API',
      version: options.version,
      description:
        'Trigger agent runs, follow them live, read their results. Errors are `{ "error": { "code", "message" } }`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths: {
      '/healthz': {
        get: operation('Liveness', null, {
          responses: { '200': { description: 'The server is up.', content: json('Health') } },
        }),
      },
      '/api/v1/openapi.json': {
        get: operation('This document', null, {
          responses: { '200': { description: 'OpenAPI 3.1.', content: { 'application/json': {} } } },
        }),
      },
      '/api/v1/runs': {
        post: operation('Trigger a run', 'runs:trigger', {
          requestBody: { required: true, content: json('TriggerRunRequest') },
          responses: {
            '201': {
              description: 'A new run, queued (or CANCELLED when its concurrency group skipped it).',
              content: json('Run'),
            },
            '200': {
              description:
                'The run that already holds this idempotency key (header Idempotent-Replayed: true).',
              content: json('Run'),
            },
            ...errors(400, 401, 403, 404, 422, 503),
          },
        }),
        get: operation('List runs, newest first', 'runs:read', {
          parameters: queryParameters(listRunsQuerySchema),
          responses: {
            '200': { description: 'A page of runs.', content: json('RunList') },
            ...errors(401, 403, 422),
          },
        }),
      },
      '/api/v1/runs/{id}': {
        get: operation('Read a run', 'runs:read', {
          parameters: [runId],
          responses: {
            '200': {
              description: 'The run with its messages, child runs and artifacts.',
              content: json('RunDetail'),
            },
            ...errors(401, 403, 404),
          },
        }),
      },
      '/api/v1/runs/{id}/cancel': {
        post: operation('Cancel a run', 'runs:trigger', {
          parameters: [runId],
          responses: {
            '200': {
              description:
                'A queued run is CANCELLED at once; a running one has cancel_requested_at set and stops shortly.',
              content: json('Run'),
            },
            ...errors(401, 403, 404, 409),
          },
        }),
      },
      '/api/v1/runs/{id}/messages': {
        post: operation('Send a follow-up (a new turn)', 'runs:trigger', {
          parameters: [runId],
          requestBody: { required: true, content: json('SendMessageRequest') },
          responses: {
            '202': { description: 'The follow-up is queued; follow it on /events.', content: json('Run') },
            ...errors(400, 401, 403, 404, 409, 422),
          },
        }),
      },
      '/api/v1/runs/{id}/events': {
        get: operation("Follow a run's events (Server-Sent Events)", 'runs:read', {
          parameters: [
            runId,
            ...queryParameters(eventsQuerySchema),
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              description: 'Resume after this seq (sent by EventSource on reconnect).',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description:
                'text/event-stream: one SSE message per event (`id` = seq, `event` = type, `data` = RunEvent JSON), then `event: end` with `{"status"}` once the run is terminal. application/json (Accept): the events so far.',
              content: {
                'text/event-stream': { schema: { type: 'string' } },
                'application/json': { schema: ref('RunEventList') },
              },
            },
            ...errors(401, 403, 404, 422),
          },
        }),
      },
      '/api/v1/agents': {
        get: operation('List agents', 'runs:read', {
          responses: {
            '200': { description: 'The agents this server runs.', content: json('AgentList') },
            ...errors(401, 403),
          },
        }),
      },
      '/api/v1/agents/{name}': {
        get: operation('Read an agent', 'runs:read', {
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The agent and its parsed spec.', content: json('AgentDetail') },
            ...errors(401, 403, 404),
          },
        }),
      },
      ...options.extraPaths,
    },
    components: {
      schemas: components(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: "An API key from 'agentry keys create', as `Authorization: Bearer <key>`.",
        },
      },
    },
  };
}
