import * as assert from 'node:assert/strict';
import { commitFolder, findOrCreatePullRequest, postCommitStatus, postPullRequestStatus, upsertPullRequestComment } from '../../../shared/devops';
import { startWorld, World } from './emulator-world';

describe('devops library against the emulator: statuses and comment threads', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('posts a commit status only when it differs from the latest of its context', async () => {
    const { repo } = await world.newRepo();
    const conn = world.connect();
    const r = await commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: { 'a.yaml': 'a\n' }, message: 'c' });
    const context = { genre: 'gitops-flow', name: 'dev/reconciled' };
    const pending = { state: 'pending' as const, description: 'waiting for Flux', targetUrl: 'http://run/1', context };
    assert.equal((await postCommitStatus(conn, repo, r.commitId, pending)).posted, true);
    assert.equal((await postCommitStatus(conn, repo, r.commitId, pending)).posted, false);
    assert.equal((await postCommitStatus(conn, repo, r.commitId, { ...pending, context: { ...context, name: 'stage/reconciled' } })).posted, true);
    assert.equal((await postCommitStatus(conn, repo, r.commitId, { ...pending, state: 'succeeded', description: 'reconciled' })).posted, true);
    assert.equal((await postCommitStatus(conn, repo, r.commitId, pending)).posted, true, 'back to pending is a change');
    const all = await conn.git.getStatuses(r.commitId, repo.id, repo.project.id);
    assert.equal(all.length, 4);
  });

  it('posts a pull request status only when it differs', async () => {
    const { repo } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect();
    await commitFolder(conn, repo, { branch: 'p', baseBranch: 'main', folder: 'dev', files: { 'a.yaml': 'b\n' }, message: 'c' });
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'p', targetBranch: 'main', title: 't' });
    const status = { state: 'succeeded' as const, description: 'manifests valid', context: { genre: 'gitops-flow', name: 'validate' } };
    assert.equal((await postPullRequestStatus(conn, repo, pullRequest.id, status)).posted, true);
    assert.equal((await postPullRequestStatus(conn, repo, pullRequest.id, status)).posted, false);
    assert.equal((await postPullRequestStatus(conn, repo, pullRequest.id, { ...status, state: 'failed' })).posted, true);
  });

  it('keeps one comment thread per key, updated in place', async () => {
    const { repo } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect();
    await commitFolder(conn, repo, { branch: 'p', baseBranch: 'main', folder: 'dev', files: { 'a.yaml': 'b\n' }, message: 'c' });
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'p', targetBranch: 'main', title: 't' });
    const created = await upsertPullRequestComment(conn, repo, pullRequest.id, { key: 'diff/dev', content: '## Diff v1' });
    assert.equal(created.outcome, 'created');
    const same = await upsertPullRequestComment(conn, repo, pullRequest.id, { key: 'diff/dev', content: '## Diff v1' });
    assert.deepEqual([same.outcome, same.threadId], ['unchanged', created.threadId]);
    const updated = await upsertPullRequestComment(conn, repo, pullRequest.id, { key: 'diff/dev', content: '## Diff v2', status: 'closed' });
    assert.deepEqual([updated.outcome, updated.threadId], ['updated', created.threadId]);
    const other = await upsertPullRequestComment(conn, repo, pullRequest.id, { key: 'diff/prod', content: 'prod' });
    assert.notEqual(other.threadId, created.threadId);
    const threads = await conn.git.getThreads(repo.id, pullRequest.id, repo.project.id);
    const ours = threads.filter((t) => t.comments?.[0]?.content?.includes('gitops-flow:diff/dev'));
    assert.equal(ours.length, 1);
    assert.equal(ours[0].comments![0].content, '<!-- gitops-flow:diff/dev -->\n## Diff v2');
  });
});
