import { Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { describeError } from '../../errors.js';
import { type RunEvent, TERMINAL_STATUSES } from '../../store/types.js';
import type { AppEnv } from '../auth.js';
import { requireScope } from '../auth.js';
import type { RouteDeps } from '../deps.js';
import { ApiError, parseWith } from '../errors.js';
import { eventsQuerySchema, type RunEventListView } from '../schemas.js';
import { STREAM_RETRY_AFTER_SECONDS } from '../stream-limiter.js';
import { runEventView } from '../views.js';
import { requireRun } from './runs.js';

const TERMINAL_EVENTS = new Set<string>(['run.completed', 'run.failed', 'run.cancelled']);

/**
 * `/runs/{id}/events`: the run's audit trail as Server-Sent Events (`id` is the event's seq,
 * `event` its type, `data` the event as JSON), from the start or after a cursor
 * (`Last-Event-ID`, or `?after=`), ending with an `end` event once the run is terminal and no
 * turn of it is waiting. With `Accept: application/json`, the events so far as one JSON body.
 */
export function eventRoutes(deps: RouteDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/:id/events', requireScope(deps.auth, 'runs:read'), async (context) => {
    const run = await requireRun(deps, context.req.param('id'));
    const after = cursorOf(context.req.header('Last-Event-ID'), context.req.query());
    const accept = context.req.header('Accept') ?? '';
    if (accept.includes('application/json') && !accept.includes('text/event-stream')) {
      const events = await deps.store.listEvents(run.id, { afterSeq: after });
      const body: RunEventListView = { events: events.map(runEventView), status: run.status };
      return context.json(body);
    }
    const key = context.get('apiKey');
    let release: () => void;
    try {
      release = deps.streams.acquire(
        key?.id ?? 'no-auth',
        key ? `API key ${key.name ?? key.prefix}` : 'this server (no auth)',
      );
    } catch (error) {
      context.header('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
      throw error;
    }
    return streamSSE(context, async (stream) => {
      try {
        await streamRun(deps, stream, run.id, after);
      } finally {
        release();
      }
    });
  });

  return routes;
}

function cursorOf(lastEventId: string | undefined, query: Record<string, string>): number {
  if (lastEventId !== undefined) {
    if (!/^\d+$/.test(lastEventId.trim())) {
      throw new ApiError(422, 'request.invalid', 'Last-Event-ID: must be the seq of an event', {
        field: 'Last-Event-ID',
      });
    }
    return Number(lastEventId.trim());
  }
  return parseWith(eventsQuerySchema, query, 'query').after ?? 0;
}

/** How often a stream whose run is settled looks for the closing event it is still missing. */
const SETTLING_MS = 100;

/**
 * Write the run's events from `after` on, then each new one as it is recorded, until the run is
 * settled. The store is read when the dispatcher's bell rings for the run — the engine rings it
 * for every event it records — never on a timer, unless the run is being executed by another
 * process (a CLI run sharing the store), whose events only polling can see.
 */
async function streamRun(
  deps: RouteDeps,
  stream: SSEStreamingApi,
  runId: string,
  after: number,
): Promise<void> {
  const { store, dispatcher } = deps;
  const pollMs = deps.ssePollMs ?? 1000;
  const keepAliveMs = deps.sseKeepAliveMs ?? 15_000;
  const closed = new AbortController();
  stream.onAbort(() => closed.abort());
  // Subscribed before the first read, so an event recorded in between still rings.
  const bell = dispatcher.subscribeEvents(runId);
  let cursor = after;
  let lastType: string | undefined;
  let quietTerminalPolls = 0;
  let lastWrite = Date.now();
  let read = true;
  let waitMs = keepAliveMs;
  try {
    while (!closed.signal.aborted) {
      if (read) {
        const events = await store.listEvents(runId, { afterSeq: cursor });
        for (const event of events) {
          await writeEvent(stream, event);
          cursor = event.seq;
          lastType = event.type;
          lastWrite = Date.now();
        }
        const run = await store.getRun(runId);
        if (!run) return;
        const settled = TERMINAL_STATUSES.includes(run.status) && !dispatcher.isActive(runId);
        if (settled && run.eventCount > cursor) continue;
        if (settled) {
          lastType ??=
            cursor > 0 ? (await store.listEvents(runId, { afterSeq: cursor - 1 }))[0]?.type : undefined;
          // The status is written just before the closing event: wait for that event, but not
          // forever (a run resolved by an older process may have none).
          quietTerminalPolls++;
          if ((lastType !== undefined && TERMINAL_EVENTS.has(lastType)) || quietTerminalPolls > 3) {
            await stream.writeSSE({ event: 'end', data: JSON.stringify({ status: run.status }) });
            return;
          }
          waitMs = SETTLING_MS;
        } else {
          quietTerminalPolls = 0;
          waitMs = dispatcher.recordsHere(run) ? keepAliveMs : pollMs;
        }
      }
      const untilKeepAlive = Math.max(0, keepAliveMs - (Date.now() - lastWrite));
      const rang = await bell.next(Math.min(waitMs, untilKeepAlive), closed.signal);
      // A quiet stream of a run recorded here only needs its keep-alive: no read.
      read = rang || waitMs <= untilKeepAlive;
      if (Date.now() - lastWrite >= keepAliveMs) {
        await stream.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
    }
  } catch (error) {
    if (!closed.signal.aborted) deps.log(`events of run ${runId}: ${describeError(error)}`);
  } finally {
    bell.close();
  }
}

function writeEvent(stream: SSEStreamingApi, event: RunEvent): Promise<void> {
  return stream.writeSSE({
    id: String(event.seq),
    event: event.type,
    data: JSON.stringify(runEventView(event)),
  });
}
