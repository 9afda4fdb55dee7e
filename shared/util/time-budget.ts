/**
 * A deadline shared by the steps of one operation (a retry loop, a poll), so that the whole
 * operation, not each attempt, is bounded. Time comes from an injectable clock for tests.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export class TimeBudget {
  readonly deadline: number;

  constructor(
    readonly totalMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(totalMs >= 0)) throw new RangeError(`time budget must be a non-negative number of milliseconds, got ${totalMs}`);
    this.deadline = clock() + totalMs;
  }

  now(): number {
    return this.clock();
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.clock());
  }

  elapsedMs(): number {
    return this.totalMs - (this.deadline - this.clock());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * A signal that aborts when the remaining time has passed (in real time), or when `parent`
   * aborts: hand it to a request so that a request in flight cannot outlive the budget.
   */
  signal(parent?: AbortSignal): AbortSignal {
    // timers cap at 2^31 - 1 ms (24.8 days); a longer budget would otherwise abort at once
    const timeout = AbortSignal.timeout(Math.min(Math.ceil(this.remainingMs()), 2 ** 31 - 1));
    // Node 20 holds a timeout signal weakly: without a listener of its own, a garbage collection
    // drops it and a signal combined from it by AbortSignal.any never aborts (a wait past its deadline).
    timeout.addEventListener('abort', keepUntilFired);
    return parent ? AbortSignal.any([parent, timeout]) : timeout;
  }
}

function keepUntilFired(): void {
  // a listener is what keeps a timeout signal alive until it fires (see TimeBudget.signal)
}

/** Resolves after `ms` (never negative); rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject((signal.reason as Error | undefined) ?? new Error('aborted'));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject((signal?.reason as Error | undefined) ?? new Error('aborted'));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** "1.5 s", "2 min 5 s": durations in messages a person reads. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  // One decimal, without a trailing ".0": a budget cut to 5.96 s by the job's deadline reads "6 s", as its input said.
  if (s < 60) return `${s.toFixed(1).replace(/\.0$/, '')} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
}
