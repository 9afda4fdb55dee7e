/**
 * Waiting for a pull request to be merged, within a time budget. The result is the PR's
 * lastMergeCommit (never parsed from a merge message). Each way a PR can fail to merge has its own
 * error class, so a task can say exactly what happened.
 */
import { errorMessage } from '../util/errors';
import { Clock, formatDuration, sleep, TimeBudget } from '../util/time-budget';
import { DevOpsConnection, RetrySettings } from './connection';
import { DevOpsError } from './errors';
import { PolicyReading, readUnmetPolicies } from './policy-evaluations';
import { getPullRequest, PullRequestInfo } from './pull-requests';
import { Repository } from './repository';
import { isTransientFailure } from './transient';

export class PullRequestError extends Error {
  constructor(
    readonly pullRequest: PullRequestInfo,
    message: string,
  ) {
    super(`pull request ${pullRequest.id} (${pullRequest.webUrl}) ${message}`);
    this.name = 'PullRequestError';
  }
}

export class PullRequestAbandonedError extends PullRequestError {
  constructor(pr: PullRequestInfo) {
    super(pr, 'was abandoned before it was merged');
    this.name = 'PullRequestAbandonedError';
  }
}

export class PullRequestConflictError extends PullRequestError {
  constructor(pr: PullRequestInfo) {
    super(
      pr,
      `has merge conflicts with ${pr.targetRefName}${pr.mergeFailureMessage ? `: ${pr.mergeFailureMessage}` : ''}; ` +
        'the target changed the same files since the promotion branch was made',
    );
    this.name = 'PullRequestConflictError';
  }
}

export class PullRequestRejectedByPolicyError extends PullRequestError {
  constructor(pr: PullRequestInfo, detail: string) {
    super(pr, `was rejected by policy: ${detail}`);
    this.name = 'PullRequestRejectedByPolicyError';
  }
}

export class PullRequestMergeFailedError extends PullRequestError {
  constructor(pr: PullRequestInfo) {
    super(pr, `could not be merged${pr.mergeFailureMessage ? `: ${pr.mergeFailureMessage}` : ' (merge failure)'}`);
    this.name = 'PullRequestMergeFailedError';
  }
}

export class PullRequestWaitTimeoutError extends PullRequestError {
  /** The last read's failure, when the last read failed (the state is then from an earlier one). */
  readonly lastError?: unknown;

  /** The PR's policy evaluations when they were read: the unmet blocking policies, or why not. */
  readonly policies?: PolicyReading;

  constructor(pr: PullRequestInfo, waitedMs: number, lastError?: unknown, policies?: PolicyReading) {
    super(
      pr,
      `was not merged within ${formatDuration(waitedMs)}; last seen: ${describeWaitingState(pr)}; held by: ${describeWhatHolds(pr, policies).join('; ')}` +
        (lastError === undefined ? '' : `; the last read failed: ${errorMessage(lastError)}`),
    );
    this.name = 'PullRequestWaitTimeoutError';
    this.lastError = lastError;
    this.policies = policies;
  }
}

/** "active, merge status succeeded, auto-complete on, waiting for 1 of 1 required reviewer(s)". */
export function describeWaitingState(pr: PullRequestInfo): string {
  const parts = [pr.status, `merge status ${pr.mergeStatus}`];
  if (pr.isDraft) parts.push('draft');
  parts.push(pr.autoComplete ? 'auto-complete on' : 'auto-complete off');
  const required = pr.reviewers.filter((r) => r.required);
  const waiting = required.filter((r) => r.vote < 5);
  if (waiting.length > 0) parts.push(`waiting for ${waiting.length} of ${required.length} required reviewer(s) to approve`);
  return parts.join(', ');
}

/** A reviewer as people know it. Votes: 10 approved, 5 approved with suggestions, 0 none, -5 waiting for the author, -10 rejected. */
function reviewerName(r: PullRequestInfo['reviewers'][number]): string {
  return r.displayName ?? r.id;
}

/**
 * What keeps an active PR from merging: its state (merge status, draft, auto-complete, reviewers'
 * votes), and the blocking policies not yet approved when its evaluations were read ('policy
 * "Build" queued'). Without them (not read, or the read failed) an unnamed policy shows as
 * "branch policies not yet met", and a failed read is said.
 */
export function describeWhatHolds(pr: PullRequestInfo, policies?: PolicyReading): string[] {
  const held: string[] = [];
  if (pr.mergeStatus === 'conflicts') held.push(`merge conflicts with ${pr.targetRefName}`);
  else if (pr.mergeStatus === 'queued' || pr.mergeStatus === 'notSet') held.push('the merge is not computed yet');
  if (pr.isDraft) held.push('it is a draft');
  const waiting = pr.reviewers.filter((r) => r.required && r.vote < 5);
  if (waiting.length > 0) held.push(`required reviewer(s) ${waiting.map(reviewerName).join(', ')} not yet approved`);
  const author = pr.reviewers.filter((r) => r.vote === -5);
  if (author.length > 0) held.push(`reviewer(s) ${author.map(reviewerName).join(', ')} waiting for the author`);
  if (!pr.autoComplete) held.push('auto-complete is off: someone must complete it');
  if (policies && 'unmet' in policies) {
    for (const p of policies.unmet) held.push(`policy "${p.name}" ${p.status}`);
    if (held.length === 0) held.push('no blocking policy is unmet: the service has not completed it yet');
    return held;
  }
  if (held.length === 0) held.push('branch policies not yet met (e.g. a build or comment resolution)');
  if (policies) held.push(`the policy evaluations could not be read: ${errorMessage(policies.error)}`);
  return held;
}

/**
 * What a PR's state means for a waiter: 'merged' with the commit, 'pending', or an error to throw.
 * Pure, for unit tests.
 */
export function judgePullRequest(
  pr: PullRequestInfo,
): { kind: 'merged'; commitId: string } | { kind: 'pending' } | { kind: 'failed'; error: PullRequestError } {
  if (pr.status === 'completed') {
    return pr.lastMergeCommit ? { kind: 'merged', commitId: pr.lastMergeCommit } : { kind: 'pending' };
  }
  if (pr.status === 'abandoned') return { kind: 'failed', error: new PullRequestAbandonedError(pr) };
  if (pr.mergeStatus === 'conflicts') return { kind: 'failed', error: new PullRequestConflictError(pr) };
  if (pr.mergeStatus === 'rejectedByPolicy') {
    return { kind: 'failed', error: new PullRequestRejectedByPolicyError(pr, pr.mergeFailureMessage ?? 'a branch policy blocks the merge') };
  }
  if (pr.mergeStatus === 'failure') return { kind: 'failed', error: new PullRequestMergeFailedError(pr) };
  const rejecting = pr.reviewers.filter((r) => r.required && r.vote === -10);
  if (rejecting.length > 0) {
    const who = rejecting.map((r) => r.displayName ?? r.id).join(', ');
    return { kind: 'failed', error: new PullRequestRejectedByPolicyError(pr, `required reviewer ${who} rejected it`) };
  }
  return { kind: 'pending' };
}

export interface WaitForMergeOptions {
  /**
   * Total time to wait, e.g. 2 h for a human review. No pause and no retry of a read starts past it
   * (a request already in flight still has the connection's socket timeout).
   */
  timeoutMs: number;
  /** The longest pause between polls (the ceiling of the adaptive interval), default 30 s. */
  pollIntervalMs?: number;
  /**
   * The first pause, default 2 s: it grows 1.5 times per poll that sees nothing change, up to
   * pollIntervalMs, and drops back to this when the state changes.
   */
  initialPollMs?: number;
  /**
   * At the timeout, read the PR's policy evaluations (one request of at most 5 s, past the deadline) to name the
   * blocking policies not yet approved; default off.
   */
  explainPolicies?: boolean;
  /** Called when the observed state changes, e.g. to log it. */
  onProgress?: (pr: PullRequestInfo) => void;
  /**
   * The PR as the caller last saw it (e.g. the answer to setting auto-complete): what a timeout
   * reports as last seen when no read of the wait answered at all.
   */
  lastKnown?: PullRequestInfo;
  /** Pauses (between polls, and between retries of a read); default a timer honouring `signal`. */
  wait?: (ms: number) => Promise<void>;
  /** Time source for the deadline (and the reads' retry budgets); default the connection's. */
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * The last poll starts this long before the deadline (a tenth of the timeout when that is less),
 * not at it: each read is bounded by the time left, and a read started at the deadline could only fail.
 */
export const FINAL_READ_MS = 2_000;

/** Growth of the pause per unchanged poll. */
export const POLL_GROWTH = 1.5;

/**
 * The pause after a poll: `initialMs` after a change (or the first poll), else the previous pause
 * times 1.5, never above `ceilingMs`. Pure, for unit tests.
 */
export function nextPollDelay(previousMs: number | undefined, changed: boolean, initialMs: number, ceilingMs: number): number {
  const first = Math.min(initialMs, ceilingMs);
  if (changed || previousMs === undefined) return first;
  return Math.min(ceilingMs, Math.round(previousMs * POLL_GROWTH));
}

/**
 * Polls until the PR is merged (returns lastMergeCommit) or fails (throws the matching error).
 * Polling is adaptive (see WaitForMergeOptions); each read may retry transient failures only
 * within the time left, and a read that still fails transiently is followed by the next poll
 * while time is left. At the deadline: PullRequestWaitTimeoutError with the last state seen.
 */
export async function waitForPullRequestMerge(
  conn: DevOpsConnection,
  repo: Repository,
  id: number,
  options: WaitForMergeOptions,
): Promise<{ commitId: string; pullRequest: PullRequestInfo }> {
  const clock = options.clock ?? conn.clock;
  const budget = new TimeBudget(options.timeoutMs, clock);
  const ceiling = options.pollIntervalMs ?? 30_000;
  const initial = options.initialPollMs ?? 2_000;
  if (!(ceiling > 0) || !(initial > 0)) throw new RangeError(`poll intervals must be positive (initialPollMs ${initial}, pollIntervalMs ${ceiling})`);
  const wait = options.wait ?? ((ms: number) => sleep(ms, options.signal));
  const retry: RetrySettings = { ...(options.clock ? { clock: options.clock } : {}), ...(options.wait ? { wait: options.wait } : {}) };
  let lastSeen: string | undefined;
  let lastPr: PullRequestInfo | undefined = options.lastKnown;
  let delay: number | undefined;
  const finalReadMs = Math.min(FINAL_READ_MS, Math.round(options.timeoutMs / 10));
  for (;;) {
    let pr: PullRequestInfo | undefined;
    let readError: unknown;
    try {
      pr = await getPullRequest(conn, repo, id, { ...retry, budgetMs: budget.remainingMs() });
    } catch (error) {
      // A transient failure that outlasted the read's retries: poll again while time is left.
      if (!isTransientFailure(error instanceof DevOpsError ? (error.cause ?? error) : error)) throw error;
      readError = error;
    }
    let changed = false;
    if (pr) {
      const seen = describeWaitingState(pr);
      changed = seen !== lastSeen;
      if (changed) options.onProgress?.(pr);
      lastSeen = seen;
      lastPr = pr;
      const verdict = judgePullRequest(pr);
      if (verdict.kind === 'merged') return { commitId: verdict.commitId, pullRequest: pr };
      if (verdict.kind === 'failed') throw verdict.error;
    }
    const remaining = budget.remainingMs();
    // A read inside the final window was the last one.
    if (remaining <= finalReadMs) {
      if (lastPr) {
        const policies = options.explainPolicies && lastPr.status === 'active' ? await readUnmetPolicies(conn, repo, id, retry) : undefined;
        throw new PullRequestWaitTimeoutError(lastPr, budget.totalMs, readError, policies);
      }
      throw readError;
    }
    delay = nextPollDelay(delay, changed, initial, ceiling);
    // A completed PR without its merge commit yet is polled quickly.
    const next = pr?.status === 'completed' ? Math.min(delay, 1000) : delay;
    await wait(Math.min(next, remaining - finalReadMs));
  }
}
