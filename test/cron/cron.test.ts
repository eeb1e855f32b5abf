import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { createSandboxDriver } from '../../src/sandbox/index.js';
import { loadProject, type Project } from '../../src/spec/index.js';
import { openStore, type RunStore } from '../../src/store/index.js';
import {
  type Clock,
  type CronFire,
  CronScheduler,
  CronTriggerError,
  cronTriggersOf,
  FakeClock,
  nextFireTimes,
  parseCronTrigger,
  runStoreCronHistory,
  type StartRun,
} from '../../src/triggers/index.js';
import { createProject, type TempProject } from '../helpers/project.js';

const CONFIG = `version: 1
models:
  default: { provider: openai-compatible, model: scripted, base_url: http://127.0.0.1:9/v1 }
store: sqlite:.agentry/agentry.db
`;

const agent = (name: string, triggers: string) => `name: ${name}
role: data engineer
goal: scheduled work
triggers:
${triggers}
`;

interface CronProject {
  project: Project;
  store: RunStore;
  /** A run starter over a real engine: creates the run (once per key), does not execute it. */
  startRun: StartRun;
  /** Another process on the same store: its own store connection and engine. */
  second(): Promise<{ store: RunStore; startRun: StartRun }>;
}

let temp: TempProject | undefined;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  temp?.cleanup();
  temp = undefined;
});

async function cronProject(agents: Record<string, string>): Promise<CronProject> {
  temp = createProject({ '.agentry/config.yml': CONFIG, '.agentry/.gitignore': 'agentry.db*\n' });
  for (const [name, yaml] of Object.entries(agents)) temp.write(`.agentry/agents/${name}.yml`, yaml);
  const { project, issues } = await loadProject(temp.root);
  expect(issues).toEqual([]);
  const open = async () => {
    const store = await openStore(project.config.store, project.root);
    closers.push(() => store.close());
    const engine = new Engine({
      project,
      store,
      sandbox: createSandboxDriver(project.config.sandbox).driver,
    });
    const startRun: StartRun = (request) =>
      engine.createRunOnce(request.agent, { trigger: request.trigger, message: request.message });
    return { store, startRun };
  };
  const first = await open();
  return { project, ...first, second: open };
}

function scheduler(
  setup: Pick<CronProject, 'project' | 'startRun'> & { store: RunStore },
  clock: FakeClock,
  fires: CronFire[] = [],
  errors: unknown[] = [],
  timers: Clock = clock,
) {
  const cron = new CronScheduler({
    agents: setup.project.agents.values(),
    startRun: setup.startRun,
    history: runStoreCronHistory(setup.store),
    clock: timers,
    onFire: (fire) => fires.push(fire),
    onError: (error) => errors.push(error),
  });
  closers.push(() => cron.stop());
  return cron;
}

async function cronRuns(store: RunStore) {
  return (await store.listRuns({ trigger: 'cron' })).reverse();
}

describe('CronScheduler', () => {
  it('starts one run per tick, keyed by agent, trigger index and scheduled time', async () => {
    const setup = await cronProject({
      sweeper: agent('sweeper', '  - github: { events: [push] }\n  - cron: "*/15 * * * *"'),
    });
    const clock = new FakeClock('2025-03-03T10:07:00Z');
    const fires: CronFire[] = [];
    const cron = scheduler(setup, clock, fires);
    await cron.start();
    expect(cron.nextFire(cron.triggers[0]!)?.toISOString()).toBe('2025-03-03T10:15:00.000Z');
    expect(await cronRuns(setup.store)).toEqual([]);

    await clock.advanceTo('2025-03-03T10:15:00Z');
    await cron.idle();
    let runs = await cronRuns(setup.store);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.trigger).toEqual({
      kind: 'cron',
      source: 'cron:*/15 * * * *',
      idempotencyKey: 'cron:sweeper:1:2025-03-03T10:15:00.000Z',
      metadata: {
        cron: '*/15 * * * *',
        timezone: 'UTC',
        trigger_index: 1,
        scheduled_at: '2025-03-03T10:15:00.000Z',
        catch_up: false,
      },
    });
    expect(runs[0]!.message).toBe('Scheduled run (cron "*/15 * * * *", UTC) for 2025-03-03 10:15.');

    await clock.advance(60 * 60 * 1000);
    await cron.idle();
    runs = await cronRuns(setup.store);
    expect(runs.map((run) => run.trigger.metadata?.scheduled_at)).toEqual([
      '2025-03-03T10:15:00.000Z',
      '2025-03-03T10:30:00.000Z',
      '2025-03-03T10:45:00.000Z',
      '2025-03-03T11:00:00.000Z',
      '2025-03-03T11:15:00.000Z',
    ]);
    expect(fires.every((fire) => fire.started.created && !fire.catchUp)).toBe(true);
  });

  it('reads the pattern in the trigger time zone, across a DST change, and renders the template', async () => {
    const setup = await cronProject({
      weekly: agent(
        'weekly',
        `  - cron: "0 6 * * 1"
    timezone: Europe/Zurich
    message: "Weekly sweep for {{ scheduled_date }} ({{ scheduled_local }} {{ timezone }}, {{ scheduled_at }}) by {{ agent }}"`,
      ),
    });
    const [trigger] = cronTriggersOf(setup.project.agents.values());
    // 06:00 in Zurich is 05:00 UTC in winter (CET) and 04:00 UTC from 30 March (CEST).
    expect(
      nextFireTimes(trigger!, new Date('2025-03-20T00:00:00Z'), 3).map((time) => time.toISOString()),
    ).toEqual(['2025-03-24T05:00:00.000Z', '2025-03-31T04:00:00.000Z', '2025-04-07T04:00:00.000Z']);
    const clock = new FakeClock('2025-03-30T12:00:00Z');
    const cron = scheduler(setup, clock);
    await cron.start();
    await clock.advanceTo('2025-03-31T04:00:00Z');
    await cron.idle();
    const [run] = await cronRuns(setup.store);
    expect(run?.message).toBe(
      'Weekly sweep for 2025-03-31 (2025-03-31 06:00 Europe/Zurich, 2025-03-31T04:00:00.000Z) by weekly',
    );
  });

  it('makes one run per tick when two servers share a store', async () => {
    const setup = await cronProject({ hourly: agent('hourly', '  - cron: "0 * * * *"') });
    const other = await setup.second();
    const clock = new FakeClock('2025-06-01T09:30:00Z');
    const firesA: CronFire[] = [];
    const firesB: CronFire[] = [];
    const a = scheduler(setup, clock, firesA);
    const b = scheduler({ project: setup.project, ...other }, clock, firesB);
    await a.start();
    await b.start();
    await clock.advanceTo('2025-06-01T12:30:00Z');
    await Promise.all([a.idle(), b.idle()]);
    const runs = await cronRuns(setup.store);
    expect(runs.map((run) => run.trigger.metadata?.scheduled_at)).toEqual([
      '2025-06-01T10:00:00.000Z',
      '2025-06-01T11:00:00.000Z',
      '2025-06-01T12:00:00.000Z',
    ]);
    // Both servers fired every tick; the second to arrive got the first's run back.
    const fires = [...firesA, ...firesB];
    expect(fires).toHaveLength(6);
    expect(fires.filter((fire) => fire.started.created)).toHaveLength(3);
  });

  it('after a restart, catches up only the most recent missed tick, once', async () => {
    const setup = await cronProject({ quarter: agent('quarter', '  - cron: "*/15 * * * *"') });
    const clock = new FakeClock('2025-03-03T10:10:00Z');
    const first = scheduler(setup, clock);
    await first.start();
    await clock.advanceTo('2025-03-03T10:20:00Z');
    await first.stop();
    expect(clock.pendingTimers).toBe(0);

    // Down from 10:20 to 11:20: the 10:30, 10:45, 11:00 and 11:15 ticks were missed.
    await clock.advanceTo('2025-03-03T11:20:00Z');
    const fires: CronFire[] = [];
    const second = scheduler(setup, clock, fires);
    await second.start();
    let runs = await cronRuns(setup.store);
    expect(runs.map((run) => [run.trigger.metadata?.scheduled_at, run.trigger.metadata?.catch_up])).toEqual([
      ['2025-03-03T10:15:00.000Z', false],
      ['2025-03-03T11:15:00.000Z', true],
    ]);
    expect(runs[1]!.message).toContain('missed while no server was running');
    expect(fires.map((fire) => fire.catchUp)).toEqual([true]);
    await second.stop();

    // Restarting again at once: the 11:15 tick has its run, so nothing more is caught up.
    const third = scheduler(setup, clock);
    await third.start();
    await clock.advanceTo('2025-03-03T11:30:00Z');
    await third.idle();
    runs = await cronRuns(setup.store);
    expect(runs.map((run) => run.trigger.metadata?.scheduled_at)).toEqual([
      '2025-03-03T10:15:00.000Z',
      '2025-03-03T11:15:00.000Z',
      '2025-03-03T11:30:00.000Z',
    ]);
  });

  it('catches up nothing for a trigger that never fired, or whose pattern changed', async () => {
    const setup = await cronProject({ daily: agent('daily', '  - cron: "0 6 * * *"') });
    const clock = new FakeClock('2025-03-03T07:00:00Z');
    const fresh = scheduler(setup, clock);
    await fresh.start();
    expect(await cronRuns(setup.store)).toEqual([]);
    await clock.advanceTo('2025-03-04T06:00:00Z');
    await fresh.stop();
    expect(await cronRuns(setup.store)).toHaveLength(1);

    // The same agent now says 07:00: a new schedule, which starts from its next tick.
    temp!.write('.agentry/agents/daily.yml', agent('daily', '  - cron: "0 7 * * *"'));
    const { project } = await loadProject(temp!.root);
    await clock.advanceTo('2025-03-05T09:00:00Z');
    const edited = scheduler({ ...setup, project }, clock);
    await edited.start();
    expect(await cronRuns(setup.store)).toHaveLength(1);
    expect(edited.nextFire(edited.triggers[0]!)?.toISOString()).toBe('2025-03-06T07:00:00.000Z');
  });

  it('fires the latest due tick once when it wakes late (a suspended machine), never a burst', async () => {
    const setup = await cronProject({ hourly: agent('hourly', '  - cron: "0 * * * *"') });
    const clock = new FakeClock('2025-06-01T09:30:00Z');
    // The first timer goes off three hours late, as after a laptop lid was closed.
    let late = true;
    const sleepy: Clock = {
      now: () => clock.now(),
      setTimer(delayMs, callback) {
        const extra = late ? 3 * 60 * 60 * 1000 : 0;
        late = false;
        return clock.setTimer(delayMs + extra, callback);
      },
    };
    const cron = scheduler({ ...setup }, clock, [], [], sleepy);
    await cron.start();
    await clock.advanceTo('2025-06-01T13:10:00Z');
    await cron.idle();
    expect((await cronRuns(setup.store)).map((run) => run.trigger.metadata?.scheduled_at)).toEqual([
      '2025-06-01T13:00:00.000Z',
    ]);
    expect(cron.nextFire(cron.triggers[0]!)?.toISOString()).toBe('2025-06-01T14:00:00.000Z');
  });

  it('keeps its schedule when a run cannot be started, reporting the error', async () => {
    const setup = await cronProject({ flaky: agent('flaky', '  - cron: "* * * * *"') });
    let calls = 0;
    const failingOnce: StartRun = async (request) => {
      calls++;
      if (calls === 1) throw new Error('queue unavailable');
      return setup.startRun(request);
    };
    const clock = new FakeClock('2025-03-03T10:00:30Z');
    const errors: unknown[] = [];
    const cron = scheduler({ ...setup, startRun: failingOnce }, clock, [], errors);
    await cron.start();
    await clock.advanceTo('2025-03-03T10:02:00Z');
    await cron.idle();
    expect(errors.map(String)).toEqual(['Error: queue unavailable']);
    expect((await cronRuns(setup.store)).map((run) => run.trigger.metadata?.scheduled_at)).toEqual([
      '2025-03-03T10:02:00.000Z',
    ]);
  });

  it('refuses a pattern or time zone it cannot keep, naming the agent and entry', () => {
    expect(() => parseCronTrigger('broken', 2, '0 6 * *', undefined)).toThrow(CronTriggerError);
    expect(() => parseCronTrigger('broken', 2, '0 6 * *', undefined)).toThrow(
      /agent broken, triggers\[2\]: cron '0 6 \* \*' is not a five-field cron expression/,
    );
    expect(() => parseCronTrigger('broken', 0, '0 0 6 * * 1', undefined)).toThrow(CronTriggerError);
    expect(() => parseCronTrigger('broken', 0, '0 6 * * *', 'Mars/Olympus')).toThrow(
      /timezone 'Mars\/Olympus' is not an IANA time zone/,
    );
    expect(
      parseCronTrigger('fine', 0, '@daily', 'Asia/Kolkata').cron.nextRun(new Date('2025-01-01T12:00:00Z')),
    ).toEqual(new Date('2025-01-01T18:30:00Z'));
  });

  it('agentry validate reports a bad pattern or zone at its line, and leaves the agent out', async () => {
    temp = createProject({ '.agentry/config.yml': CONFIG });
    temp.write(
      '.agentry/agents/broken.yml',
      agent('broken', '  - cron: "0 6 * *"\n  - cron: "0 6 * * *"\n    timezone: Mars/Olympus'),
    );
    const { project, issues } = await loadProject(temp.root);
    expect(project.agents.has('broken')).toBe(false);
    expect(issues.map((issue) => [issue.line, issue.message])).toEqual([
      [5, expect.stringContaining('must be a five-field cron expression such as "0 6 * * 1"')],
      [7, expect.stringContaining('must be an IANA time zone such as Europe/Zurich')],
    ]);
  });
});
