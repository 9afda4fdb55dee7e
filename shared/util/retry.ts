/**
 * Retry with exponential backoff and jitter, bounded by a time budget and a number of attempts.
 * What is retryable, and how long the server asked us to wait, is decided by the caller's
 * `classify` (see shared/devops/transient.ts for the Azure DevOps rules): this module only does
 * the arithmetic and the waiting, so it can be tested with fake timers and a fixed random source.
 */
import { Clock, formatDuration, sleep, systemClock, TimeBudget } from './time-budget';

export interface RetryDecision {
  retry: boolean;
  /** The server's own wait (Retry-After), in ms; the wait is never shorter than this. */
  retryAfterMs?: number;
  /** Short reason for the log and the final message, e.g. "HTTP 503". */
  reason?: string;
}

export interface BackoffOptions {
  /** First backoff ceiling (attempt 1), default 500 ms. */
  baseDelayMs?: number;
  /** Largest backoff ceiling, default 30 s. */
  maxDelayMs?: number;
  /** Growth of the ceiling per retry, default 2 (a poll that backs off gently uses e.g. 1.5). */
  factor?: number;
  /** Source of randomness in [0, 1), default Math.random. */
  random?: () => number;
}

export interface RetryOptions extends BackoffOptions {
  /** Total time for all attempts and waits, default 2 min. */
  budgetMs?: number;
  /** Attempts including the first, default 8. */
  maxAttempts?: number;
  classify: (error: unknown) => RetryDecision;
  /** Called before each wait, e.g. to log "HTTP 429, retrying in 2 s". */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; error: unknown }) => void;
  clock?: Clock;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** Thrown when the attempts or the time budget run out; `cause` is the last error. */
export class RetriesExhaustedError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Backoff for the n-th retry (1-based): "equal jitter", half of the exponential ceiling fixed
 * plus half random, so waits grow and never collapse to zero for concurrent writers.
 */
export function backoffDelay(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  const factor = options.factor ?? 2;
  const ceiling = Math.min(max, base * factor ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Retry-After as milliseconds: delta-seconds ("120", "1.5") or an HTTP date. Undefined when
 * absent or unreadable; never negative (a date in the past means "now").
 */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/^[A-Za-z]{3},/.test(text)) return undefined; // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT"
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The delay before the n-th retry: the backoff, but never shorter than what the server asked. */
export function retryDelay(retry: number, decision: RetryDecision, options: BackoffOptions = {}): number {
  const backoff = backoffDelay(retry, options);
  return decision.retryAfterMs === undefined ? backoff : Math.max(decision.retryAfterMs, Math.min(backoff, decision.retryAfterMs + 1000));
}

/**
 * Runs `operation` until it succeeds, a failure is not retryable, the attempts are used up or the
 * next wait would not fit in the budget. The operation receives the attempt number (1-based).
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const budget = new TimeBudget(options.budgetMs ?? 120_000, clock);
  const maxAttempts = options.maxAttempts ?? 8;
  const wait = options.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const decision = options.classify(error);
      if (!decision.retry) throw error;
      const reason = decision.reason ?? (error instanceof Error ? error.message : String(error));
      if (attempt >= maxAttempts) {
        throw new RetriesExhaustedError(`gave up after ${attempt} attempts (last: ${reason})`, attempt, error);
      }
      const delayMs = retryDelay(attempt, decision, options);
      if (delayMs > budget.remainingMs()) {
        const asked = decision.retryAfterMs !== undefined ? `the server asked to wait ${formatDuration(decision.retryAfterMs)}, ` : '';
        throw new RetriesExhaustedError(
          `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} in ${formatDuration(budget.elapsedMs())}: ${asked}` +
            `the time budget of ${formatDuration(budget.totalMs)} has ${formatDuration(budget.remainingMs())} left (last: ${reason})`,
          attempt,
          error,
        );
      }
      options.onRetry?.({ attempt, delayMs, reason, error });
      await wait(delayMs, options.signal);
    }
  }
}
