/**
 * When to read a fluxConfigurations resource again. Flux's source-controller fetches the Git
 * repository every `gitRepository.syncIntervalInSeconds`, so a new commit can only appear in the
 * resource just after a sync: the resource's own timestamps (`statusUpdatedAt`, `sourceUpdatedAt`)
 * give the last sync, the interval the next ones. While the source has not synced our commit the
 * poll sleeps until the next sync (with a read at least every `idleMs`, for a sync triggered by
 * hand or by a webhook), then looks a moment after it and every `windowStepMs` until that sync
 * shows. Once the source has moved, the objects follow within seconds: the poll starts fast again
 * and backs off (util/retry's backoff, with jitter). Without a schedule (no interval, no
 * timestamps) it is that backoff throughout. Pure functions of the resource, the time and a
 * random source.
 */
import { backoffDelay } from '../util/retry';
import type { FluxStatus, Phase } from './flux-status';

export interface PollPolicy {
  /** First interval of the backoff, default 2 s. */
  initialMs?: number;
  /** Ceiling of the backoff, default 20 s. */
  maxMs?: number;
  /** Growth of the backoff per unchanged poll, default 1.5. */
  factor?: number;
  /** Below this many remaining subscription reads every cluster of the subscription polls at the ceiling, default 100. */
  lowReads?: number;
  /** Below this many, at least this slowly: default 5 remaining -> 60 s. */
  criticalReads?: number;
  criticalIntervalMs?: number;
  /** While the source's schedule says nothing can change, still one read this often (a sync by hand or webhook), default 1.5 x maxMs (30 s). */
  idleMs?: number;
  /** First read this long after a predicted sync, default initialMs / 2 (1 s). */
  settleMs?: number;
  /** Then a read this often until the sync shows (bounds how late it is seen), default 1.5 x initialMs (3 s). */
  windowStepMs?: number;
}

export type ResolvedPollPolicy = Required<PollPolicy>;

/** The defaults; the schedule's times scale with initialMs and maxMs (a test's fast policy is fast throughout). */
export function resolvePollPolicy(policy: PollPolicy = {}): ResolvedPollPolicy {
  const initialMs = policy.initialMs ?? 2000;
  const maxMs = policy.maxMs ?? 20_000;
  return {
    initialMs,
    maxMs,
    factor: policy.factor ?? 1.5,
    lowReads: policy.lowReads ?? 100,
    criticalReads: policy.criticalReads ?? 5,
    criticalIntervalMs: policy.criticalIntervalMs ?? 60_000,
    idleMs: policy.idleMs ?? maxMs * 1.5,
    settleMs: policy.settleMs ?? initialMs / 2,
    windowStepMs: policy.windowStepMs ?? initialMs * 1.5,
  };
}

/** How often the source syncs, and when it last did (ms since the epoch). */
export interface SourceSchedule {
  intervalMs: number;
  lastSyncAt: number;
}

function time(value: Date | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** The Git source's schedule, when the resource gives an interval and a time of a past sync. */
export function sourceScheduleOf(status: FluxStatus): SourceSchedule | undefined {
  const seconds = status.gitRepository?.syncIntervalInSeconds;
  if (typeof seconds !== 'number' || !(seconds > 0)) return undefined;
  const times = [time(status.statusUpdatedAt), time(status.sourceUpdatedAt)].filter((t): t is number => t !== undefined);
  if (times.length === 0) return undefined;
  return { intervalMs: seconds * 1000, lastSyncAt: Math.max(...times) };
}

/**
 * How long after a predicted sync it may take to show (fetch, build, apply, relay): a sixth of the
 * interval, 6 to 30 s, and never more than half the interval (else a short interval is all window).
 */
export function syncWindowMs(intervalMs: number): number {
  return Math.min(30_000, Math.max(6000, intervalMs / 6), intervalMs / 2);
}

/** The next sync whose window has not passed: lastSyncAt + k * interval (k >= 1). */
export function nextSyncAt(schedule: SourceSchedule, now: number, policy: ResolvedPollPolicy): number {
  const late = policy.settleMs + syncWindowMs(schedule.intervalMs);
  const k = Math.max(1, Math.floor((now - schedule.lastSyncAt - late) / schedule.intervalMs) + 1);
  return schedule.lastSyncAt + k * schedule.intervalMs;
}

/** The wait before the next read while the source has not synced our commit. */
export function sourceDelay(schedule: SourceSchedule, now: number, policy: ResolvedPollPolicy): number {
  const start = nextSyncAt(schedule, now, policy) + policy.settleMs;
  if (now < start) return Math.min(start - now, policy.idleMs);
  return policy.windowStepMs;
}

/**
 * The pace of one cluster's poll: what the resource says when it says something, else a backoff
 * that starts again from `initialMs` whenever the phase moves (the next step follows soon) and
 * after a failure grows from twice that (util/retry's backoff, with jitter, the server's
 * Retry-After as a floor).
 */
export class PollPacer {
  private phase: Phase | undefined;
  private unchanged = 0;
  private failures = 0;

  constructor(
    private readonly policy: ResolvedPollPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** After a read that evaluated to `phase`. */
  afterRead(phase: Phase, status: FluxStatus, now: number): number {
    this.failures = 0;
    if (phase !== this.phase) {
      this.phase = phase;
      this.unchanged = 0;
    }
    this.unchanged++;
    const schedule = phase === 'waiting-for-source' ? sourceScheduleOf(status) : undefined;
    if (schedule) return sourceDelay(schedule, now, this.policy);
    return this.backoff(this.unchanged, this.policy.initialMs);
  }

  /** After a read or check that failed and is worth another try. */
  afterFailure(retryAfterMs?: number): number {
    this.failures++;
    return Math.max(retryAfterMs ?? 0, this.backoff(this.failures, this.policy.initialMs * 2, 2));
  }

  private backoff(n: number, baseDelayMs: number, factor = this.policy.factor): number {
    return backoffDelay(n, { baseDelayMs, maxDelayMs: this.policy.maxMs, factor, random: this.random });
  }
}

/** The floor the subscription's remaining reads (x-ms-ratelimit-remaining-subscription-reads) put on every poll. */
export function throttleFloor(remainingReads: number | undefined, policy: ResolvedPollPolicy): number {
  if (remainingReads === undefined) return 0;
  if (remainingReads < policy.criticalReads) return policy.criticalIntervalMs;
  if (remainingReads < policy.lowReads) return policy.maxMs;
  return 0;
}
