/** A timer set by a {@link Clock}; `cancel` is safe to call after it fired. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as the scheduler sees it. Injected so tests drive a {@link FakeClock} instead of waiting
 * for the wall clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Call `callback` once, `delayMs` from now. Must not keep the process alive on its own. */
  setTimer(delayMs: number, callback: () => void): ClockTimer;
}

/** The wall clock, with unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface PendingTimer {
  at: number;
  order: number;
  callback: () => void;
}

/**
 * A clock that moves only when told. `advance` walks forward timer by timer, so a scheduler sees
 * every instant it asked to be woken at, in order, as it would in a process left running.
 */
export class FakeClock implements Clock {
  #now: number;
  #order = 0;
  readonly #timers = new Set<PendingTimer>();

  /** Starts at `start` (an ISO time or epoch milliseconds). */
  constructor(start: string | number | Date) {
    this.#now = new Date(start).getTime();
    if (Number.isNaN(this.#now)) throw new RangeError(`FakeClock: not a time: ${String(start)}`);
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, callback: () => void): ClockTimer {
    const timer: PendingTimer = { at: this.#now + Math.max(0, delayMs), order: this.#order++, callback };
    this.#timers.add(timer);
    return { cancel: () => this.#timers.delete(timer) };
  }

  /**
   * Move forward by `ms`, firing due timers in time order; between timers, pending promise
   * callbacks run, so work a timer starts (and the timers it sets) happens before the next one.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms);
  }

  /** Move forward to `time` (ISO or epoch milliseconds); see {@link advance}. */
  async advanceTo(time: string | number | Date): Promise<void> {
    const target = new Date(time).getTime();
    if (target < this.#now) throw new RangeError('FakeClock cannot go back in time');
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Timers not yet fired, for checks that a stopped scheduler left none behind. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  #nextDue(target: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > target) continue;
      if (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer;
    }
    return next;
  }
}

/** Let queued promise callbacks (and the I/O they wait on, briefly) run. */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
