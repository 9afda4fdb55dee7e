import * as assert from 'node:assert/strict';
import {
  abandonPullRequest,
  commitFolder,
  enableAutoComplete,
  findOrCreatePullRequest,
  getPullRequest,
  isAncestor,
  PullRequestAbandonedError,
  PullRequestConflictError,
  PullRequestRejectedByPolicyError,
  PullRequestWaitTimeoutError,
  updatePullRequestDescription,
  waitForPullRequestMerge,
} from '../../../shared/devops';
import { git, PROJECT, show, startWorld, World } from './emulator-world';

describe('devops library against the emulator: pull requests', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  const promotionBranch = (files?: Record<string, string>, change?: Record<string, string>) => world.promotionBranch(files, change);

  it('finds or creates: a re-run adopts the PR and refreshes its description', async () => {
    const { repo, conn } = await promotionBranch();
    const reviewers = [
      { id: '11111111-1111-1111-1111-111111111111', required: true },
      { id: '22222222-2222-2222-2222-222222222222', required: false },
    ];
    const workItem = world.emu.admin.createWorkItem(PROJECT, { title: 'Promote dev' }).id;
    const first = await findOrCreatePullRequest(conn, repo, {
      sourceBranch: 'promote/dev',
      targetBranch: 'main',
      title: 'Promote dev',
      description: 'v1',
      reviewers,
      workItemIds: [workItem],
    });
    assert.equal(first.created, true);
    assert.deepEqual(first.workItems, { linked: [workItem], alreadyLinked: [] });
    assert.equal(first.pullRequest.status, 'active');
    assert.match(first.pullRequest.webUrl, new RegExp(`/${PROJECT}/_git/${repo.name}/pullrequest/${first.pullRequest.id}$`));
    assert.deepEqual(
      first.pullRequest.reviewers.map((r) => [r.id, r.required]).sort(),
      reviewers.map((r) => [r.id, r.required]),
    );
    const second = await findOrCreatePullRequest(conn, repo, {
      sourceBranch: 'refs/heads/promote/dev',
      targetBranch: 'main',
      title: 'Promote dev',
      description: 'v2',
    });
    assert.deepEqual([second.created, second.pullRequest.id, second.pullRequest.description], [false, first.pullRequest.id, 'v2']);
    assert.deepEqual(second.workItems, { linked: [], alreadyLinked: [] });
    const third = await updatePullRequestDescription(conn, repo, first.pullRequest.id, 'x'.repeat(5000));
    assert.equal(third.description.length, 4000);
  });

  it('adds a missing reviewer to an adopted PR', async () => {
    const { repo, conn } = await promotionBranch();
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    const again = await findOrCreatePullRequest(conn, repo, {
      sourceBranch: 'promote/dev',
      targetBranch: 'main',
      title: 'Promote',
      reviewers: [{ id: '33333333-3333-3333-3333-333333333333', required: true }],
    });
    assert.equal(again.pullRequest.id, pullRequest.id);
    assert.deepEqual(
      again.pullRequest.reviewers.map((r) => [r.id, r.required]),
      [['33333333-3333-3333-3333-333333333333', true]],
    );
  });

  it('auto-completes with squash and delete-source-branch; the wait returns lastMergeCommit', async () => {
    const { repo, conn, bare } = await promotionBranch();
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    const auto = await enableAutoComplete(conn, repo, pullRequest, {
      mergeStrategy: 'squash',
      deleteSourceBranch: true,
      mergeCommitMessage: 'Promote dev (squash)',
    });
    assert.equal(auto.autoComplete || auto.status === 'completed', true);
    // No policy holds it: auto-complete merges it on its own.
    const progress: string[] = [];
    const merged = await waitForPullRequestMerge(conn, repo, pullRequest.id, {
      timeoutMs: 10_000,
      pollIntervalMs: 100,
      onProgress: (p) => progress.push(p.status),
    });
    assert.equal(merged.commitId, git(bare, 'rev-parse', 'refs/heads/main'));
    assert.equal(git(bare, 'log', '-1', '--format=%s', 'refs/heads/main'), 'Promote dev (squash)');
    assert.equal(git(bare, 'rev-list', '--count', 'refs/heads/main'), '2', 'squash: one commit on top of the seed');
    assert.equal(show(bare, 'main', 'dev/a.yaml'), 'b\n');
    assert.equal(git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/promote/dev'), '', 'source branch deleted');
    assert.equal((await getPullRequest(conn, repo, pullRequest.id)).status, 'completed');
  });

  it('a PR held by a required-reviewer policy times out saying what it saw, then merges once approved', async () => {
    const { repo, conn, name, bare } = await promotionBranch();
    await world.emu.admin.setRequiredReviewers(PROJECT, name, 'main', 1);
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    await enableAutoComplete(conn, repo, pullRequest, { mergeStrategy: 'noFastForward', deleteSourceBranch: false });
    // Time passes only in the wait's pauses, so the deadline falls between reads: with a real 800 ms timeout the last
    // read had 80 ms, and on a loaded machine the message ended in "the last read failed: ... no answer within 80 ms".
    let now = Date.now();
    const paused = { clock: () => now, wait: (ms: number) => ((now += ms), Promise.resolve()) };
    const timeout = { timeoutMs: 60_000, initialPollMs: 20_000, pollIntervalMs: 20_000, explainPolicies: true, ...paused };
    await assert.rejects(waitForPullRequestMerge(conn, repo, pullRequest.id, timeout), (e: Error) => {
      assert.ok(e instanceof PullRequestWaitTimeoutError, String(e));
      assert.match(
        e.message,
        new RegExp(`^pull request ${pullRequest.id} \\(.*\\) was not merged within 1 min; last seen: active, merge status succeeded, auto-complete on`),
      );
      assert.match(e.message, /; held by: policy "Minimum number of reviewers" rejected$/);
      return true;
    });
    await world.emu.admin.completePullRequest(PROJECT, name, pullRequest.id, { reviewer: 'approver' });
    const merged = await waitForPullRequestMerge(conn, repo, pullRequest.id, { timeoutMs: 10_000, pollIntervalMs: 100 });
    assert.equal(merged.commitId, git(bare, 'rev-parse', 'refs/heads/main'));
    assert.equal(git(bare, 'rev-list', '--count', '--merges', 'refs/heads/main'), '1', 'no-fast-forward: a merge commit');
  });

  it('a completion the branch policy rejects is its own error', async () => {
    const { repo, conn, name } = await promotionBranch();
    await world.emu.admin.setRequiredReviewers(PROJECT, name, 'main', 2);
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    // One approval, then a completion attempt: the policy wants two.
    await world.emu.admin.completePullRequest(PROJECT, name, pullRequest.id, {});
    await assert.rejects(waitForPullRequestMerge(conn, repo, pullRequest.id, { timeoutMs: 5000, pollIntervalMs: 50 }), (e: Error) => {
      assert.ok(e instanceof PullRequestRejectedByPolicyError, String(e));
      assert.match(e.message, /was rejected by policy: .*reviewer/);
      return true;
    });
  });

  it('an abandoned PR is its own error', async () => {
    const { repo, conn } = await promotionBranch();
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    await abandonPullRequest(conn, repo, pullRequest.id);
    await assert.rejects(waitForPullRequestMerge(conn, repo, pullRequest.id, { timeoutMs: 5000, pollIntervalMs: 50 }), PullRequestAbandonedError);
    const next = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    assert.equal(next.created, true, 'an abandoned PR is not adopted');
  });

  it('a PR in conflict with its target is its own error', async () => {
    const { repo, conn } = await promotionBranch();
    await commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: { 'a.yaml': 'changed on main\n' }, message: 'hotfix' });
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote' });
    await assert.rejects(waitForPullRequestMerge(conn, repo, pullRequest.id, { timeoutMs: 5000, pollIntervalMs: 50 }), (e: Error) => {
      assert.ok(e instanceof PullRequestConflictError, String(e));
      assert.match(e.message, /has merge conflicts with refs\/heads\/main/);
      return true;
    });
  });

  it('tells ancestors from other commits through the commit diffs API', async () => {
    const { repo, conn, bare } = await promotionBranch();
    const seed = git(bare, 'rev-parse', 'refs/heads/main');
    const tip = git(bare, 'rev-parse', 'refs/heads/promote/dev');
    const side = await commitFolder(conn, repo, { branch: 'main', folder: 'other', files: { 'o.yaml': 'o\n' }, message: 'side' });
    assert.equal(await isAncestor(conn, repo, seed, tip), true);
    assert.equal(await isAncestor(conn, repo, tip, tip), true);
    assert.equal(await isAncestor(conn, repo, tip, seed), false);
    assert.equal(await isAncestor(conn, repo, tip, side.commitId), false);
    await assert.rejects(isAncestor(conn, repo, 'f'.repeat(40), tip), /does not exist|ancestor/);
    await assert.rejects(isAncestor(conn, repo, 'abc', tip), /not a full commit id/);
  });
});
