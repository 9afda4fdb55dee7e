// waitForPullRequestMerge timing with an injected clock and wait: the adaptive poll schedule
// (2 s growing 1.5x per unchanged poll up to pollIntervalMs, back to the start on a change), and
// no read or retry of a read running past the timeout. The PR reads are the connection's real
// retry path with the client call stubbed (no HTTP).
import * as assert from 'node:assert/strict';
import { GitPullRequest, PullRequestAsyncStatus, PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { connectWithJobToken, DevOpsConnection } from '../../../shared/devops/connection';
import { nextPollDelay, PullRequestWaitTimeoutError, waitForPullRequestMerge, WaitForMergeOptions } from '../../../shared/devops/pull-request-wait';
import type { PullRequestInfo } from '../../../shared/devops/pull-requests';
import type { Repository } from '../../../shared/devops/repository';

const repo: Repository = { id: 'r1', name: 'gitops', project: { id: 'p1', name: 'demo' }, display: 'demo/gitops' };
const httpError = (statusCode: number, retryAfterSeconds?: number) =>
  Object.assign(new Error(`Failed request: (${statusCode})`), {
    statusCode,
    responseHeaders: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  });

const active = (extra: Partial<GitPullRequest> = {}): GitPullRequest => ({
  pullRequestId: 7,
  status: PullRequestStatus.Active,
  mergeStatus: PullRequestAsyncStatus.Succeeded,
  autoCompleteSetBy: { id: 'u1' },
  reviewers: [{ id: 'g1', vote: 0, isRequired: true }],
  ...extra,
});
const merged: GitPullRequest = { ...active(), status: PullRequestStatus.Completed, lastMergeCommit: { commitId: 'ABC123' } };

/** A fake time line: `wait` advances it; each read is recorded with the time it started. */
function world(reads: Array<GitPullRequest | Error | ((now: number) => GitPullRequest | Error)>) {
  let now = 0;
  const waits: number[] = [];
  const readsAt: number[] = [];
  const clock = () => now;
  const wait = (ms: number) => {
    assert.ok(ms >= 0, `negative wait ${ms}`);
    waits.push(ms);
    now += ms;
    return Promise.resolve();
  };
  const conn: DevOpsConnection = connectWithJobToken('https://dev.azure.com/contoso', 'token', {
    retry: { clock, wait, baseDelayMs: 500, maxDelayMs: 4000, random: () => 0 },
  });
  let i = 0;
  conn.git.getPullRequest = () => {
    readsAt.push(now);
    const next = reads[Math.min(i++, reads.length - 1)];
    const value = typeof next === 'function' ? next(now) : next;
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  };
  const run = (options: Partial<WaitForMergeOptions> & { timeoutMs: number }) => waitForPullRequestMerge(conn, repo, 7, { clock, wait, ...options });
  return { run, waits, readsAt, now: () => now };
}

describe('waitForPullRequestMerge timing (injected clock and wait)', () => {
  it('polls at 2 s, growing 1.5x per unchanged poll up to the ceiling, the last read 2 s before the timeout', async () => {
    const w = world([active()]);
    await assert.rejects(w.run({ timeoutMs: 60_000 }), (e: Error) => {
      assert.ok(e instanceof PullRequestWaitTimeoutError, String(e));
      assert.equal(
        e.message,
        'pull request 7 (https://dev.azure.com/contoso/demo/_git/gitops/pullrequest/7) was not merged within 1 min; last seen: active, merge status succeeded, auto-complete on, waiting for 1 of 1 required reviewer(s) to approve; held by: required reviewer(s) g1 not yet approved',
      );
      return true;
    });
    assert.deepEqual(w.waits, [2000, 3000, 4500, 6750, 10125, 15188, 16437]);
    assert.deepEqual(w.readsAt, [0, 2000, 5000, 9500, 16250, 26375, 41563, 58000]);
    assert.equal(w.now(), 58_000);
  });

  it('keeps pollIntervalMs as the ceiling (default 30 s) and initialPollMs as the start', async () => {
    const w = world([active()]);
    await assert.rejects(w.run({ timeoutMs: 200_000 }), PullRequestWaitTimeoutError);
    assert.deepEqual(w.waits, [2000, 3000, 4500, 6750, 10125, 15188, 22782, 30000, 30000, 30000, 30000, 13655]);
    const fast = world([active()]);
    await assert.rejects(fast.run({ timeoutMs: 1000, pollIntervalMs: 300, initialPollMs: 100 }), PullRequestWaitTimeoutError);
    assert.deepEqual(fast.waits, [100, 150, 225, 300, 125], 'the last read a tenth of the timeout before it');
    const clamped = world([active()]);
    await assert.rejects(clamped.run({ timeoutMs: 350, pollIntervalMs: 100 }), PullRequestWaitTimeoutError);
    assert.deepEqual(clamped.waits, [100, 100, 100, 15], 'an initial pause above the ceiling starts at the ceiling');
  });

  it('polls fast again when the state changes, and reports each change once', async () => {
    const approved = active({ reviewers: [{ id: 'g1', vote: 10, isRequired: true }] });
    const done = { ...approved, status: PullRequestStatus.Completed, lastMergeCommit: { commitId: 'DEF456' } };
    const w = world([active(), active(), active(), approved, approved, approved, done]);
    const seen: string[] = [];
    const result = await w.run({ timeoutMs: 3_600_000, onProgress: (pr) => seen.push(`${pr.status} ${pr.reviewers.map((r) => r.vote).join()}`) });
    assert.equal(result.commitId, 'def456');
    assert.deepEqual(w.waits, [2000, 3000, 4500, 2000, 3000, 4500]);
    assert.deepEqual(w.readsAt, [0, 2000, 5000, 9500, 11500, 14500, 19000]);
    assert.deepEqual(seen, ['active 0', 'active 10', 'completed 10']);
  });

  it('polls a completed PR without its merge commit within a second', async () => {
    const completing = { ...active(), status: PullRequestStatus.Completed };
    const w = world([active(), completing, completing, merged]);
    await w.run({ timeoutMs: 60_000 });
    assert.deepEqual(w.waits, [2000, 1000, 1000]);
  });

  it("caps each read's retries by the time left: a Retry-After beyond the deadline is not waited for", async () => {
    // Reads at 0 and 4 s succeed; at 8 s the server answers 503 Retry-After 5 s, with 2 s left; the
    // last read, 1 s (a tenth of the timeout) before the deadline, gets the same answer.
    const w = world([active(), active(), httpError(503, 5), httpError(503, 5)]);
    await assert.rejects(w.run({ timeoutMs: 10_000, initialPollMs: 4000, pollIntervalMs: 4000 }), (e: Error) => {
      assert.ok(e instanceof PullRequestWaitTimeoutError, String(e));
      assert.match(
        e.message,
        /was not merged within 10 s; last seen: active, .*; the last read failed: reading pull request 7 of demo\/gitops: gave up after 1 attempt in 0 ms: the server asked to wait 5 s, the time budget of 1 s has 1 s left \(last: HTTP 503\)$/,
      );
      return true;
    });
    assert.deepEqual(w.readsAt, [0, 4000, 8000, 9000]);
    assert.deepEqual(w.waits, [4000, 4000, 1000]);
    assert.equal(w.now(), 9_000, 'nothing ran past the timeout');
  });

  it('reports the state the caller last saw when no read of the wait answers at all', async () => {
    // The PR as setting auto-complete answered it; every read of the wait then fails.
    const lastKnown: PullRequestInfo = {
      id: 7,
      webUrl: 'https://dev.azure.com/contoso/demo/_git/gitops/pullrequest/7',
      status: 'active',
      mergeStatus: 'succeeded',
      title: 'Promote',
      description: '',
      sourceRefName: 'refs/heads/promote/dev',
      targetRefName: 'refs/heads/main',
      isDraft: false,
      autoComplete: true,
      reviewers: [],
      raw: active(),
    };
    const known = world([httpError(503)]);
    await assert.rejects(known.run({ timeoutMs: 10_000, lastKnown }), (e: Error) => {
      assert.ok(e instanceof PullRequestWaitTimeoutError, String(e));
      assert.match(
        e.message,
        /^pull request 7 \(https:\/\/dev\.azure\.com\/contoso\/demo\/_git\/gitops\/pullrequest\/7\) was not merged within 10 s; last seen: active, merge status succeeded, auto-complete on; .*; the last read failed: reading pull request 7 of demo\/gitops: /,
      );
      return true;
    });
    const unknown = world([httpError(503)]);
    await assert.rejects(unknown.run({ timeoutMs: 10_000 }), (e: Error) => {
      assert.ok(!(e instanceof PullRequestWaitTimeoutError), 'without a known state the read failure itself is the error');
      assert.match(e.message, /^reading pull request 7 of demo\/gitops: /);
      return true;
    });
  });

  it('retries a failing read with backoff inside the time left, never past it', async () => {
    // From 8 s on every read fails with 503 (no Retry-After): backoff 250, 500, 1000 ms fits in the
    // 2 s left, the next (2000 ms) does not; that read ended inside the final second, so it was the last.
    const w = world([active(), active(), httpError(503)]);
    await assert.rejects(w.run({ timeoutMs: 10_000, initialPollMs: 4000, pollIntervalMs: 4000 }), PullRequestWaitTimeoutError);
    assert.deepEqual(w.readsAt, [0, 4000, 8000, 8250, 8750, 9750]);
    assert.deepEqual(w.waits, [4000, 4000, 250, 500, 1000]);
    assert.ok(w.readsAt.every((t) => t <= 10_000));
  });

  it('keeps polling through a transient outage while time is left, and fails at once on other errors', async () => {
    const w = world([active(), httpError(503, 30), active(), merged]);
    const result = await w.run({ timeoutMs: 600_000, initialPollMs: 1000, pollIntervalMs: 1000 });
    assert.equal(result.commitId, 'abc123');
    assert.deepEqual(w.waits, [1000, 30000, 1000], 'the 503 is retried after its Retry-After');
    const broken = world([active(), httpError(401)]);
    await assert.rejects(broken.run({ timeoutMs: 600_000 }), /reading pull request 7 of demo\/gitops: HTTP 401/);
    assert.deepEqual(broken.readsAt, [0, 2000]);
    const never = world([httpError(503, 100)]);
    await assert.rejects(never.run({ timeoutMs: 5000 }), /gave up after 1 attempt .*HTTP 503/, 'never seen: the read error itself');
  });

  it('the last read, over the real connection, has time to answer: the timeout reports the state, not a failed read', async () => {
    // Before, the last read started at the deadline with a 0 ms limit: over HTTP it always failed.
    const readsAt: number[] = [];
    const conn = connectWithJobToken('https://dev.azure.com/contoso', 'token', { retry: { baseDelayMs: 500, random: () => 0 } });
    let now = 0;
    conn.git.getPullRequest = () => (readsAt.push(now), Promise.resolve(active()));
    const wait = (ms: number) => ((now += ms), Promise.resolve());
    await assert.rejects(waitForPullRequestMerge(conn, repo, 7, { timeoutMs: 3000, clock: () => now, wait }), (e: Error) => {
      assert.ok(e instanceof PullRequestWaitTimeoutError, String(e));
      assert.equal(e.lastError, undefined);
      assert.match(e.message, /was not merged within 3 s; last seen: active, .*; held by: required reviewer\(s\) g1 not yet approved$/);
      return true;
    });
    assert.deepEqual(readsAt, [0, 2000, 2700], 'the last read a tenth of the timeout before the deadline');
    assert.equal(now, 2700);
  });

  it('nextPollDelay: start, growth, ceiling, reset', () => {
    assert.deepEqual(
      [
        nextPollDelay(undefined, false, 2000, 30000),
        nextPollDelay(2000, false, 2000, 30000),
        nextPollDelay(25000, false, 2000, 30000),
        nextPollDelay(30000, true, 2000, 30000),
      ],
      [2000, 3000, 30000, 2000],
    );
    assert.equal(nextPollDelay(undefined, false, 5000, 1000), 1000);
  });
});
