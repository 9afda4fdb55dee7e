// Pull Request Query_Get (POST repositories/{id}/pullrequestquery) through the real client's
// getPullRequestQuery: which pull request made a merge commit (lastMergeCommit) and which pull
// requests merged a commit (commit). Results[n] answers queries[n]; a commit nothing matches has no
// entry; a query without a type is a 400.
import * as assert from 'node:assert/strict';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import { GitPullRequestMergeStrategy, GitPullRequestQueryType, PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { gitApi, rejection } from './helpers';
import { DevOpsEmulator, startDevOpsEmulator } from './index';

const P = 'proj';

describe('Azure DevOps Git emulator: pull request query', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let git: GitApi;
  let repoId: string;

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject(P);
    repoId = (await emu.admin.createRepository(P, 'gitops', { defaultBranch: 'main' })).id;
    await emu.admin.seedFiles(P, 'gitops', 'main', { 'a.txt': 'a\n' });
    git = await gitApi(emu);
  });
  after(async () => emu?.stop());

  it('finds the pull request that made a merge commit, and those that merged a commit', async () => {
    const first = await emu.admin.seedFiles(P, 'gitops', 'topic', { 'b.txt': 'b\n' }, 'first');
    const second = await emu.admin.seedFiles(P, 'gitops', 'topic', { 'b.txt': 'c\n' }, 'second');
    const pr = await git.createPullRequest({ sourceRefName: 'refs/heads/topic', targetRefName: 'refs/heads/main', title: 'topic' }, repoId, P);
    const done = await git.updatePullRequest(
      {
        status: PullRequestStatus.Completed,
        lastMergeSourceCommit: { commitId: second },
        completionOptions: { mergeStrategy: GitPullRequestMergeStrategy.Squash },
      },
      repoId,
      pr.pullRequestId!,
      P,
    );
    const merge = done.lastMergeCommit!.commitId!;
    const unrelated = 'f'.repeat(40);

    const answer = await git.getPullRequestQuery(
      {
        queries: [
          { type: GitPullRequestQueryType.LastMergeCommit, items: [merge, second, unrelated] },
          { type: GitPullRequestQueryType.Commit, items: [first, merge] },
        ],
      },
      repoId,
      P,
    );
    assert.equal(answer.results!.length, 2);
    const [byMerge, byCommit] = answer.results!;
    assert.deepEqual(Object.keys(byMerge), [merge]);
    assert.deepEqual(
      byMerge[merge].map((p) => [p.pullRequestId, String(p.status), p.lastMergeCommit?.commitId, p.lastMergeSourceCommit?.commitId]),
      // The client leaves the dictionary's pull requests as the wire has them: enums as names.
      [[pr.pullRequestId, 'completed', merge, second]],
    );
    assert.deepEqual(Object.keys(byCommit), [first]);
    assert.deepEqual(
      byCommit[first].map((p) => p.pullRequestId),
      [pr.pullRequestId],
    );
    assert.deepEqual(
      answer.queries!.map((q) => q.items),
      [
        [merge, second, unrelated],
        [first, merge],
      ],
    );

    const refused = await rejection(git.getPullRequestQuery({ queries: [{ items: [merge] }] }, repoId, P));
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.result.typeKey, 'InvalidArgumentValueException');
  });
});
