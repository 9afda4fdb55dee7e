import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { commitFolder } from '../../../shared/devops/commit-folder';
import { PromotionTrailers, readFolderHistory, withPromotionTrailers } from '../../../shared/devops/promotion-history';
import { enableAutoComplete, findOrCreatePullRequest } from '../../../shared/devops/pull-requests';
import { waitForPullRequestMerge } from '../../../shared/devops/pull-request-wait';
import { PROJECT, startWorld, World } from './emulator-world';

const git = (bare: string, ...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' }).trim();
const trailers = (release: string): PromotionTrailers => ({ action: 'promote', app: 'web', environment: 'dev', release, sourceCommit: 'b'.repeat(40) });

describe('readFolderHistory: the promotions of a folder from its commits (emulator)', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('lists the commits that changed the folder, newest first, with their trailers; other folders’ commits are not listed', async () => {
    const { repo, name, bare } = await world.newRepo({ 'apps/dev/web/a.yaml': 'seed\n', 'README.md': 'r\n' });
    const conn = world.connect();
    const r1 = await commitFolder(conn, repo, {
      branch: 'main',
      folder: 'apps/dev/web',
      files: { 'a.yaml': 'r1\n' },
      message: withPromotionTrailers('Promote web r1 to dev', trailers('r1')),
    });
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'apps/dev/api/a.yaml': 'other app\n' }, 'another app');
    const hand = await commitFolder(conn, repo, { branch: 'main', folder: 'apps/dev/web', files: { 'a.yaml': 'hand\n' }, message: 'edit by hand' });
    // A promotion through a squash-merged pull request: the merge commit carries the trailers.
    await commitFolder(conn, repo, {
      branch: 'promote/r2',
      baseBranch: 'main',
      folder: 'apps/dev/web',
      files: { 'a.yaml': 'r2\n' },
      message: withPromotionTrailers('Promote web r2 to dev', trailers('r2')),
    });
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/r2', targetBranch: 'main', title: 'Promote web r2 to dev' });
    await enableAutoComplete(conn, repo, pullRequest, {
      mergeStrategy: 'squash',
      deleteSourceBranch: true,
      mergeCommitMessage: withPromotionTrailers(`Promote web r2 to dev (PR ${pullRequest.id})`, trailers('r2')),
    });
    const merged = await waitForPullRequestMerge(conn, repo, pullRequest.id, { timeoutMs: 10_000, pollIntervalMs: 100 });

    const history = await readFolderHistory(conn, repo, { branch: 'main', folder: '/apps/dev/web/' });
    assert.deepEqual(
      history.map((e) => [e.commitId, e.subject, e.trailers?.release]),
      [
        [merged.commitId, `Promote web r2 to dev (PR ${pullRequest.id})`, 'r2'],
        [hand.commitId, 'edit by hand', undefined],
        [r1.commitId, 'Promote web r1 to dev', 'r1'],
        [git(bare, 'rev-list', '--max-parents=0', 'main'), 'seed', undefined],
      ],
    );
    assert.deepEqual(history[0].trailers, trailers('r2'));
    assert.equal(history[0].date, new Date(Number(git(bare, 'log', '-1', '--format=%ct', merged.commitId)) * 1000).toISOString());
    assert.deepEqual(
      (await readFolderHistory(conn, repo, { branch: 'main', folder: 'apps/dev/web', top: 2 })).map((e) => e.commitId),
      [merged.commitId, hand.commitId],
    );
    assert.deepEqual(await readFolderHistory(conn, repo, { branch: 'main', folder: 'apps/prod/web' }), []);
  });

  it('a promotion whose pull request was squash-merged by hand (default message, no trailers) is traced to the pull request: its source commit’s trailers, one query', async () => {
    const { repo, bare } = await world.newRepo({ 'apps/dev/web/a.yaml': 'seed\n' });
    const conn = world.connect();
    await commitFolder(conn, repo, {
      branch: 'promote/r1',
      baseBranch: 'main',
      folder: 'apps/dev/web',
      files: { 'a.yaml': 'r1\n' },
      message: withPromotionTrailers('Promote web r1 to dev', trailers('r1')),
    });
    const { pullRequest } = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'promote/r1', targetBranch: 'main', title: 'Promote web r1 to dev' });
    // A reviewer's squash with the service's default message (no mergeCommitMessage): no trailers on main.
    await enableAutoComplete(conn, repo, pullRequest, { mergeStrategy: 'squash', deleteSourceBranch: true });
    const merged = await waitForPullRequestMerge(conn, repo, pullRequest.id, { timeoutMs: 10_000, pollIntervalMs: 100 });
    const hand = await commitFolder(conn, repo, { branch: 'main', folder: 'apps/dev/web', files: { 'a.yaml': 'hand\n' }, message: 'edit by hand' });
    assert.equal(git(bare, 'log', '-1', '--format=%s', merged.commitId), `Merged PR ${pullRequest.id}: Promote web r1 to dev`);

    world.emu.admin.clearRequests();
    const history = await readFolderHistory(conn, repo, { branch: 'main', folder: 'apps/dev/web' });
    assert.deepEqual(
      history.map((e) => [e.commitId, e.subject, e.trailers?.release, e.viaPullRequest]),
      [
        [hand.commitId, 'edit by hand', undefined, undefined],
        [merged.commitId, `Merged PR ${pullRequest.id}: Promote web r1 to dev`, 'r1', pullRequest.id],
        [history[2].commitId, 'seed', undefined, undefined],
      ],
    );
    assert.deepEqual(history[1].trailers, trailers('r1'));
    // Commits list, one Pull Request Query for the three trailer-less commits, one read of the one traced pull request's source commit.
    assert.deepEqual(
      world.emu.admin
        .requests()
        .filter((r) => r.operation)
        .map((r) => r.operation),
      ['Commits_Get Commits', 'Pull Request Query_Get', 'Commits_Get'],
    );

    // traceTop bounds the tracing: the newest trailer-less commit only (the hand edit), so the squash stays untraced.
    world.emu.admin.clearRequests();
    const bounded = await readFolderHistory(conn, repo, { branch: 'main', folder: 'apps/dev/web', traceTop: 1 });
    assert.deepEqual(
      bounded.map((e) => e.trailers?.release),
      [undefined, undefined, undefined],
    );
    assert.deepEqual(
      world.emu.admin
        .requests()
        .filter((r) => r.operation)
        .map((r) => r.operation),
      ['Commits_Get Commits', 'Pull Request Query_Get'],
    );
  });
});
