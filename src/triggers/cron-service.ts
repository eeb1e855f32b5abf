import { describeError } from '../errors.js';
import type { LoadedAgent } from '../spec/index.js';
import type { RunStore } from '../store/run-store.js';
import type { Clock } from './clock.js';
import { CronScheduler, runStoreCronHistory } from './cron.js';
import type { StartRun } from './start-run.js';

/** Options of {@link startCronService}. */
export interface CronServiceOptions {
  agents: Iterable<LoadedAgent>;
  /** Where the last fired tick of each trigger is read from (its runs). */
  store: Pick<RunStore, 'listRuns'>;
  startRun: StartRun;
  /** One line per tick that started a run, and per tick that could not. */
  log: (line: string) => void;
  clock?: Clock;
}

/**
 * The cron scheduler of `agentry serve`: every agent's `triggers: - cron:`, caught up once after
 * downtime (see `CronScheduler`), logging what it starts. Call `stop()` before closing the server.
 */
export async function startCronService(options: CronServiceOptions): Promise<CronScheduler> {
  const { log } = options;
  const scheduler = new CronScheduler({
    agents: options.agents,
    startRun: options.startRun,
    history: runStoreCronHistory(options.store),
    clock: options.clock,
    onFire: ({ trigger, scheduledAt, catchUp, started }) => {
      // Another server (or an earlier start) fired this tick: its run is the one.
      if (!started.created) return;
      const late = catchUp ? ' (catch-up: missed while no server was running)' : '';
      log(`cron: run ${started.run.id} of ${trigger.agent} for ${scheduledAt.toISOString()}${late}`);
    },
    onError: (error, trigger, scheduledAt) =>
      log(
        `cron: ${trigger.agent} triggers[${trigger.triggerIndex}] could not start its run for ${scheduledAt.toISOString()}: ${describeError(error)}`,
      ),
  });
  await scheduler.start();
  if (scheduler.triggers.length > 0) {
    const next = scheduler.triggers
      .map((trigger) => ({ trigger, at: scheduler.nextFire(trigger) }))
      .filter((entry) => entry.at !== undefined)
      .sort((left, right) => left.at!.getTime() - right.at!.getTime())[0];
    log(
      `cron: ${scheduler.triggers.length} schedule(s)` +
        (next ? `; next: ${next.trigger.agent} at ${next.at!.toISOString()}` : ''),
    );
  }
  return scheduler;
}
