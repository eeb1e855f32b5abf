import { Hono } from 'hono';
import { RunNotFoundError } from '../../store/errors.js';
import { loadRunTree } from '../../store/run-tree.js';
import type { RunRecord, RunTrigger } from '../../store/types.js';
import type { AppEnv } from '../auth.js';
import { requireScope } from '../auth.js';
import type { RouteDeps } from '../deps.js';
import { parseBody, parseWith } from '../errors.js';
import {
  listRunsQuerySchema,
  type RunDetailView,
  type RunListView,
  sendMessageBodySchema,
  type TriggerRunBody,
  triggerRunBodySchema,
} from '../schemas.js';
import { artifactView, runMessageView, runTreeView, runView } from '../views.js';

/** `/runs`: trigger, list, read, cancel, follow up. */
export function runRoutes(deps: RouteDeps): Hono<AppEnv> {
  const { dispatcher, store, auth } = deps;
  const routes = new Hono<AppEnv>();

  routes.post('/', requireScope(auth, 'runs:trigger'), async (context) => {
    const body = await parseBody(context, triggerRunBodySchema);
    const key = context.get('apiKey');
    const { run, created } = await dispatcher.trigger({
      agent: body.agent,
      message: body.message,
      baseRef: body.base_ref,
      trigger: triggerOf(body, key?.name ?? key?.prefix),
    });
    context.header('Location', `/api/v1/runs/${run.id}`);
    if (!created) context.header('Idempotent-Replayed', 'true');
    return context.json(runView(run), created ? 201 : 200);
  });

  routes.get('/', requireScope(auth, 'runs:read'), async (context) => {
    const query = parseWith(listRunsQuerySchema, context.req.query(), 'query');
    // One more than asked tells whether there is a next page.
    const runs = await store.listRuns({
      agent: query.agent,
      status: query.status,
      trigger: query.trigger,
      beforeId: query.cursor,
      limit: query.limit + 1,
    });
    const page = runs.slice(0, query.limit);
    const body: RunListView = {
      runs: page.map(runView),
      next_cursor: runs.length > query.limit ? page.at(-1)!.id : null,
    };
    return context.json(body);
  });

  routes.get('/:id', requireScope(auth, 'runs:read'), async (context) => {
    const run = await requireRun(deps, context.req.param('id'));
    const [messages, tree, artifacts] = await Promise.all([
      store.listMessages(run.id),
      loadRunTree(store, run),
      store.listArtifacts(run.id),
    ]);
    const body: RunDetailView = {
      ...runView(run),
      messages: messages.map(runMessageView),
      child_runs: tree.children.map(runTreeView),
      artifacts: artifacts.map(artifactView),
    };
    return context.json(body);
  });

  routes.post('/:id/cancel', requireScope(auth, 'runs:trigger'), async (context) => {
    const run = await dispatcher.cancel(context.req.param('id'));
    return context.json(runView(run));
  });

  routes.post('/:id/messages', requireScope(auth, 'runs:trigger'), async (context) => {
    const runId = context.req.param('id');
    await requireRun(deps, runId);
    const body = await parseBody(context, sendMessageBodySchema);
    const run = await dispatcher.reply(runId, body.message);
    return context.json(runView(run), 202);
  });

  return routes;
}

/** The run, or a 404. */
export async function requireRun(deps: Pick<RouteDeps, 'store'>, runId: string): Promise<RunRecord> {
  const run = await deps.store.getRun(runId);
  if (!run) throw new RunNotFoundError(runId);
  return run;
}

function triggerOf(body: TriggerRunBody, keyName: string | undefined): RunTrigger {
  const source = body.trigger?.source ?? keyName;
  return {
    kind: body.trigger?.kind ?? 'api',
    ...(source === undefined ? {} : { source }),
    ...(body.idempotency_key === undefined ? {} : { idempotencyKey: body.idempotency_key }),
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    ...(body.slack === undefined
      ? {}
      : {
          slack: {
            channel: body.slack.channel,
            ...(body.slack.thread_ts === undefined ? {} : { threadTs: body.slack.thread_ts }),
          },
        }),
  };
}
