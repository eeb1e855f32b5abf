import { Cron } from 'croner';
import { describeError } from '../errors.js';
import type { LoadedAgent } from '../spec/index.js';
import type { RunStore } from '../store/run-store.js';
import { type Clock, type ClockTimer, systemClock } from './clock.js';
import { CronTriggerError } from './errors.js';
import type { StartedRun, StartRun } from './start-run.js';
import { renderTemplate } from './template.js';

/** One `triggers: - cron:` entry of one agent, parsed. */
export interface CronTrigger {
  agent: string;
  /** The entry's position in the agent's `triggers:` list. */
  triggerIndex: number;
  /** The pattern as written, e.g. `0 6 * * 1`. */
  pattern: string;
  /** IANA time zone the pattern is read in; `UTC` when the trigger names none. */
  timezone: string;
  /** The trigger's `message:` template, if any. */
  template: string | undefined;
  readonly cron: Cron;
}

/** A tick the scheduler started a run for. */
export interface CronFire {
  trigger: CronTrigger;
  /** The scheduled instant (not when it ran). */
  scheduledAt: Date;
  /** True for the one late run of a tick missed while no server was up. */
  catchUp: boolean;
  /** The run; `created` is false when another server (or an earlier start) already fired this tick. */
  started: StartedRun;
}

/** The last tick fired for an agent's cron trigger, as kept with its run. */
export interface FiredTick {
  scheduledAt: Date;
  pattern: string;
  timezone: string;
}

/**
 * Where the scheduler learns which tick an agent's cron trigger last fired, so a restart knows
 * whether it missed one. {@link runStoreCronHistory} reads it from the runs themselves.
 */
export interface CronHistory {
  lastFired(agent: string, triggerIndex: number): Promise<FiredTick | undefined>;
}

/** Options of {@link CronScheduler}. */
export interface CronSchedulerOptions {
  agents: Iterable<LoadedAgent>;
  /** Creates and queues a run (the server's dispatcher). */
  startRun: StartRun;
  /** Without it, no missed tick is caught up at start-up. */
  history?: CronHistory;
  /** The wall clock when absent; tests pass a `FakeClock`. */
  clock?: Clock;
  /** Told after every tick that got its run. */
  onFire?: (fire: CronFire) => void;
  /** Told when a tick could not start its run (unknown model key, server shutting down, …). */
  onError?: (error: unknown, trigger: CronTrigger, scheduledAt: Date) => void;
}

/** The longest the scheduler sleeps before looking at the clock again (clock jumps, suspends). */
const MAX_SLEEP_MS = 60 * 60 * 1000;

/** How many of an agent's newest cron runs are searched for a trigger's last tick. */
const HISTORY_SCAN_LIMIT = 2000;

/** The idempotency key of one tick: the same on every server, so a tick makes one run. */
export function cronIdempotencyKey(agent: string, triggerIndex: number, scheduledAt: Date): string {
  return `cron:${agent}:${triggerIndex}:${scheduledAt.toISOString()}`;
}

/**
 * Every cron trigger of `agents`, parsed: five fields (or a nickname such as `@daily`), read in
 * the trigger's `timezone`. Throws {@link CronTriggerError} naming the agent and entry when a
 * pattern or time zone is not valid, so a server never starts with a schedule it cannot keep.
 */
export function cronTriggersOf(agents: Iterable<LoadedAgent>): CronTrigger[] {
  const triggers: CronTrigger[] = [];
  for (const agent of agents) {
    agent.spec.triggers.forEach((entry, triggerIndex) => {
      if (entry.cron === undefined) return;
      triggers.push(parseCronTrigger(agent.name, triggerIndex, entry.cron, entry.timezone, entry.message));
    });
  }
  return triggers;
}

/** One cron trigger, parsed; see {@link cronTriggersOf}. */
export function parseCronTrigger(
  agent: string,
  triggerIndex: number,
  pattern: string,
  timezone: string | undefined,
  template?: string,
): CronTrigger {
  const zone = timezone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new CronTriggerError(
      agent,
      triggerIndex,
      `timezone '${zone}' is not an IANA time zone such as Europe/Zurich`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone: zone, mode: '5-part', paused: true });
  } catch (error) {
    throw new CronTriggerError(
      agent,
      triggerIndex,
      `cron '${pattern}' is not a five-field cron expression (minute hour day month weekday): ${describeError(error)}`,
    );
  }
  return { agent, triggerIndex, pattern, timezone: zone, template, cron };
}

/** The next `count` times a trigger fires after `from`. */
export function nextFireTimes(trigger: CronTrigger, from: Date, count: number): Date[] {
  return trigger.cron.nextRuns(count, from);
}

/**
 * Starts the runs of every agent's `triggers: - cron:` at their times, for `agentry serve`.
 *
 * Exactly once per tick: each tick's run carries the idempotency key
 * `cron:<agent>:<index>:<scheduled ISO time>`, so two servers on one store, or a restart in the
 * middle of a tick, make one run. A tick missed while no server was up is caught up once at
 * start-up — only the most recent one, and only for a trigger that has fired before with the same
 * pattern and zone (a new or edited trigger starts from its next tick). A process that wakes late
 * (suspended, blocked) fires the most recent due tick once, never a burst.
 */
export class CronScheduler {
  readonly #triggers: CronTrigger[];
  readonly #startRun: StartRun;
  readonly #history: CronHistory | undefined;
  readonly #clock: Clock;
  readonly #onFire: (fire: CronFire) => void;
  readonly #onError: (error: unknown, trigger: CronTrigger, scheduledAt: Date) => void;
  readonly #timers = new Map<CronTrigger, ClockTimer>();
  readonly #next = new Map<CronTrigger, Date>();
  readonly #inFlight = new Set<Promise<void>>();
  #state: 'new' | 'started' | 'stopped' = 'new';

  /** Parses every cron trigger: throws {@link CronTriggerError} before anything is scheduled. */
  constructor(options: CronSchedulerOptions) {
    this.#triggers = cronTriggersOf(options.agents);
    this.#startRun = options.startRun;
    this.#history = options.history;
    this.#clock = options.clock ?? systemClock;
    this.#onFire = options.onFire ?? (() => undefined);
    this.#onError = options.onError ?? (() => undefined);
  }

  /** The cron triggers this scheduler keeps. */
  get triggers(): readonly CronTrigger[] {
    return this.#triggers;
  }

  /** When each trigger fires next, once started; undefined for one that never fires again. */
  nextFire(trigger: CronTrigger): Date | undefined {
    return this.#next.get(trigger);
  }

  /**
   * Catch up missed ticks (see the class comment), then keep time. Resolves once the catch-up
   * runs are started; their failures go to `onError`, never out of here.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error('CronScheduler.start was called twice');
    this.#state = 'started';
    const startedAt = this.#clock.now();
    await Promise.all(this.#triggers.map((trigger) => this.#catchUp(trigger, startedAt)));
    if (this.#state !== 'started') return;
    for (const trigger of this.#triggers) this.#arm(trigger, nextAfter(trigger, this.#clock.now()));
  }

  /** Stop keeping time; resolves once ticks being fired have their runs (or their errors). */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    this.#next.clear();
    await this.idle();
  }

  /** Resolves when no tick is being fired (tests wait on it after moving a fake clock). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #catchUp(trigger: CronTrigger, now: number): Promise<void> {
    if (!this.#history) return;
    const missed = trigger.cron.previousRuns(1, new Date(now))[0];
    if (!missed) return;
    let last: FiredTick | undefined;
    try {
      last = await this.#history.lastFired(trigger.agent, trigger.triggerIndex);
    } catch (error) {
      this.#onError(error, trigger, missed);
      return;
    }
    if (!last || last.pattern !== trigger.pattern || last.timezone !== trigger.timezone) return;
    if (last.scheduledAt.getTime() >= missed.getTime()) return;
    await this.#fire(trigger, missed, true);
  }

  #arm(trigger: CronTrigger, next: Date | undefined): void {
    this.#timers.delete(trigger);
    if (this.#state !== 'started' || next === undefined) {
      this.#next.delete(trigger);
      return;
    }
    this.#next.set(trigger, next);
    const delay = Math.min(next.getTime() - this.#clock.now(), MAX_SLEEP_MS);
    this.#timers.set(
      trigger,
      this.#clock.setTimer(delay, () => this.#wake(trigger)),
    );
  }

  #wake(trigger: CronTrigger): void {
    const next = this.#next.get(trigger);
    if (this.#state !== 'started' || next === undefined) return;
    const now = this.#clock.now();
    if (now < next.getTime()) {
      this.#arm(trigger, next);
      return;
    }
    // Woken late past several ticks: the most recent one stands for them all.
    const latest = trigger.cron.previousRuns(1, new Date(now + 1))[0];
    const due = latest && latest.getTime() > next.getTime() ? latest : next;
    const firing = this.#fire(trigger, due, false);
    this.#inFlight.add(firing);
    void firing.finally(() => this.#inFlight.delete(firing));
    this.#arm(trigger, nextAfter(trigger, Math.max(now, due.getTime())));
  }

  async #fire(trigger: CronTrigger, scheduledAt: Date, catchUp: boolean): Promise<void> {
    const scheduled = scheduledAt.toISOString();
    try {
      const started = await this.#startRun({
        agent: trigger.agent,
        message: cronMessage(trigger, scheduledAt, catchUp),
        trigger: {
          kind: 'cron',
          source: `cron:${trigger.pattern}`,
          idempotencyKey: cronIdempotencyKey(trigger.agent, trigger.triggerIndex, scheduledAt),
          metadata: {
            cron: trigger.pattern,
            timezone: trigger.timezone,
            trigger_index: trigger.triggerIndex,
            scheduled_at: scheduled,
            catch_up: catchUp,
          },
        },
      });
      this.#onFire({ trigger, scheduledAt, catchUp, started });
    } catch (error) {
      this.#onError(error, trigger, scheduledAt);
    }
  }
}

function nextAfter(trigger: CronTrigger, time: number): Date | undefined {
  return trigger.cron.nextRun(new Date(time)) ?? undefined;
}

/** The first turn of a cron run: the trigger's template, or a line saying which tick this is. */
export function cronMessage(trigger: CronTrigger, scheduledAt: Date, catchUp: boolean): string {
  const values = {
    agent: trigger.agent,
    cron: trigger.pattern,
    timezone: trigger.timezone,
    scheduled_at: scheduledAt.toISOString(),
    scheduled_date: localTime(scheduledAt, trigger.timezone).slice(0, 10),
    scheduled_local: localTime(scheduledAt, trigger.timezone),
    catch_up: catchUp,
  };
  if (trigger.template !== undefined) return renderTemplate(trigger.template, values);
  const late = catchUp ? ' This tick was missed while no server was running; it runs once, late.' : '';
  return `Scheduled run (cron "${trigger.pattern}", ${trigger.timezone}) for ${values.scheduled_local}.${late}`;
}

/** `2025-03-03 06:00` in `timezone`. */
function localTime(time: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(time);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((entry) => entry.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/**
 * Cron history read from the runs: the newest cron run of the agent whose metadata names the
 * trigger's index holds its last tick (ids sort by creation, and ticks are fired in order).
 */
export function runStoreCronHistory(store: Pick<RunStore, 'listRuns'>): CronHistory {
  return {
    async lastFired(agent, triggerIndex) {
      const pageSize = 200;
      let beforeId: string | undefined;
      for (let scanned = 0; scanned < HISTORY_SCAN_LIMIT; scanned += pageSize) {
        const runs = await store.listRuns({ agent, trigger: 'cron', limit: pageSize, beforeId });
        for (const run of runs) {
          const metadata = run.trigger.metadata ?? {};
          if (metadata.trigger_index !== triggerIndex || typeof metadata.scheduled_at !== 'string') continue;
          return {
            scheduledAt: new Date(metadata.scheduled_at),
            pattern: String(metadata.cron ?? ''),
            timezone: String(metadata.timezone ?? 'UTC'),
          };
        }
        if (runs.length < pageSize) return undefined;
        beforeId = runs.at(-1)!.id;
      }
      return undefined;
    },
  };
}
