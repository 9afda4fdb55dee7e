/**
 * Waiting for a pull request to be merged, within a time budget. The result is the PR's
 * lastMergeCommit (never parsed from a merge message). Each way a PR can fail to merge has its own
 * error class, so a task can say exactly what happened.
 */
import { formatDuration, sleep, TimeBudget } from '../util/time-budget';
import { DevOpsConnection } from './connection';
import { getPullRequest, PullRequestInfo } from './pull-requests';
import { Repository } from './repository';

export class PullRequestError extends Error {
  constructor(readonly pullRequest: PullRequestInfo, message: string) {
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
    super(pr, `has merge conflicts with ${pr.targetRefName}${pr.mergeFailureMessage ? `: ${pr.mergeFailureMessage}` : ''}; ` +
      'the target changed the same files since the promotion branch was made');
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
  constructor(pr: PullRequestInfo, waitedMs: number) {
    super(pr, `was not merged within ${formatDuration(waitedMs)}; last seen: ${describeWaitingState(pr)}`);
    this.name = 'PullRequestWaitTimeoutError';
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

/**
 * What a PR's state means for a waiter: 'merged' with the commit, 'pending', or an error to throw.
 * Pure, for unit tests.
 */
export function judgePullRequest(pr: PullRequestInfo): { kind: 'merged'; commitId: string } | { kind: 'pending' } | { kind: 'failed'; error: PullRequestError } {
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
  /** Total time to wait, e.g. 2 h for a human review. */
  timeoutMs: number;
  /** Between polls, default 10 s (shorter near the deadline). */
  pollIntervalMs?: number;
  /** Called when the observed state changes, e.g. to log it. */
  onProgress?: (pr: PullRequestInfo) => void;
  wait?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** Polls until the PR is merged (returns lastMergeCommit) or fails (throws the matching error). */
export async function waitForPullRequestMerge(conn: DevOpsConnection, repo: Repository, id: number, options: WaitForMergeOptions): Promise<{ commitId: string; pullRequest: PullRequestInfo }> {
  const budget = new TimeBudget(options.timeoutMs, conn.clock);
  const interval = options.pollIntervalMs ?? 10_000;
  const wait = options.wait ?? ((ms: number) => sleep(ms, options.signal));
  let lastSeen = '';
  for (let polls = 0; polls < 1_000_000; polls++) {
    const pr = await getPullRequest(conn, repo, id);
    const seen = describeWaitingState(pr);
    if (seen !== lastSeen) options.onProgress?.(pr);
    lastSeen = seen;
    const verdict = judgePullRequest(pr);
    if (verdict.kind === 'merged') return { commitId: verdict.commitId, pullRequest: pr };
    if (verdict.kind === 'failed') throw verdict.error;
    const remaining = budget.remainingMs();
    if (remaining <= 0) throw new PullRequestWaitTimeoutError(pr, budget.totalMs);
    // A completed PR without its merge commit yet is polled quickly.
    const next = pr.status === 'completed' ? Math.min(interval, 1000) : interval;
    await wait(Math.min(next, remaining));
  }
  throw new Error('unreachable');
}
