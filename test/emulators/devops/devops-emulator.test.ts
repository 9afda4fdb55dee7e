// The Azure DevOps Git emulator driven by the real azure-devops-node-api client over HTTP, and by
// git over smart HTTP; history is checked with git on the bare repositories.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import {
  CommentThreadStatus,
  CommentType,
  GitPullRequestMergeStrategy,
  GitStatusState,
  GitVersionType,
  ItemContentType,
  PullRequestAsyncStatus,
  PullRequestStatus,
  VersionControlChangeType,
  VersionControlRecursionType,
} from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsEmulator, startDevOpsEmulator } from './index';
import { ZERO, gitApi, gitIn, gitWork, readStream, rejection } from './helpers';

const P = 'proj';

describe('Azure DevOps Git emulator (real client)', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let git: GitApi;
  let repoId: string;
  let base: string;

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject(P);
    repoId = (await emu.admin.createRepository(P, 'gitops')).id;
    base = await emu.admin.seedFiles(P, 'gitops', 'main', {
      'README.md': '# gitops\n',
      'clusters/dev/app.yaml': 'kind: A\n',
      'clusters/dev/nested/deep.yaml': 'deep: true\n',
      'clusters/prod/app.yaml': 'kind: B\n',
    });
    git = await gitApi(emu);
  });
  after(async () => emu?.stop());

  const push = (ref: string, oldObjectId: string, changes: unknown[], comment = 'change') =>
    git.createPush({ refUpdates: [{ name: ref, oldObjectId }], commits: [{ comment, changes: changes as never }] }, repoId, P);
  const head = async (branch: string) => (await git.getRefs(repoId, P, `heads/${branch}`)).find((r) => r.name === `refs/heads/${branch}`)?.objectId;
  const bare = () => emu.admin.bareRepositoryPath(P, 'gitops');

  describe('bootstrap and auth', () => {
    it('negotiates api-version 7.1 through Location, ResourceAreas and the git area', async () => {
      emu.admin.clearRequests();
      const fresh = await gitApi(emu, 'pat');
      await fresh.getRepository('gitops', P);
      const calls = emu.admin.requests().map((r) => `${r.method} ${r.path.split('?')[0]} ${r.apiVersion ?? '-'}`);
      assert.deepEqual(calls, [
        'OPTIONS /contoso/_apis/Location -',
        'GET /contoso/_apis/ResourceAreas 7.1',
        'OPTIONS /contoso/_apis/git -',
        `GET /contoso/${P}/_apis/git/repositories/gitops 7.1`,
      ]);
    });

    it('accepts the token as bearer and as PAT, and answers 401 otherwise', async () => {
      assert.equal((await (await gitApi(emu, 'pat')).getRepository(repoId, P)).name, 'gitops');
      for (const kind of ['bearer', 'pat'] as const) {
        const e = await rejection(gitApi(emu, kind, 'wrong-token').then((g) => g.getRepositories(P)));
        assert.equal(e.statusCode, 401);
      }
      const anonymous = await raw('GET', `${emu.url}/${P}/_apis/git/repositories?api-version=7.1`, undefined, {});
      assert.equal(anonymous.status, 401);
      assert.equal((JSON.parse(anonymous.body) as { typeKey: string }).typeKey, 'UnauthorizedRequestException');
    });

    it('answers 404 with the real typeKey (the client maps 404 to null) and rejects versions above 7.1', async () => {
      assert.equal(await git.getRepository('nope', P), null);
      const missing = await raw('GET', `${emu.url}/${P}/_apis/git/repositories/nope?api-version=7.1`);
      assert.equal(missing.status, 404);
      assert.equal((JSON.parse(missing.body) as { typeKey: string }).typeKey, 'GitRepositoryNotFoundException');
      const noProject = await raw('GET', `${emu.url}/nope/_apis/git/repositories?api-version=7.1`);
      assert.equal((JSON.parse(noProject.body) as { typeKey: string }).typeKey, 'ProjectDoesNotExistWithNameException');
      const tooNew = await raw('GET', `${emu.url}/${P}/_apis/git/repositories?api-version=7.2-preview.1`);
      assert.equal(tooNew.status, 400);
      assert.equal((JSON.parse(tooNew.body) as { typeKey: string }).typeKey, 'VssVersionOutOfRangeException');
    });
  });

  describe('repositories and refs', () => {
    it('gets a repository by name and id, and lists them', async () => {
      const byName = await git.getRepository('gitops', P);
      assert.equal(byName.id, repoId);
      assert.equal(byName.defaultBranch, 'refs/heads/main');
      assert.equal(byName.remoteUrl, `${emu.url}/${P}/_git/gitops`);
      assert.equal((await git.getRepository(repoId)).name, 'gitops'); // by id, without project
      assert.deepEqual(
        (await git.getRepositories(P)).map((r) => r.name),
        ['gitops'],
      );
    });

    it('lists refs by prefix filter and updates refs with per-ref results', async () => {
      const results = await git.updateRefs(
        [
          { name: 'refs/heads/main-2', oldObjectId: ZERO, newObjectId: base },
          { name: 'refs/heads/main', oldObjectId: ZERO, newObjectId: base }, // stale: main exists
          { name: 'refs/heads/bad..name', oldObjectId: ZERO, newObjectId: base },
        ],
        repoId,
        P,
      );
      assert.deepEqual(
        results.map((r) => [r.name, r.success, r.updateStatus]),
        [
          ['refs/heads/main-2', true, 0],
          ['refs/heads/main', false, 2],
          ['refs/heads/bad..name', false, 3],
        ],
      );
      // "heads/main" is a prefix: main-2 matches too
      assert.deepEqual(
        (await git.getRefs(repoId, P, 'heads/main')).map((r) => r.name),
        ['refs/heads/main', 'refs/heads/main-2'],
      );
      const deleted = await git.updateRefs([{ name: 'refs/heads/main-2', oldObjectId: base, newObjectId: ZERO }], repoId, P);
      assert.equal(deleted[0].success, true);
      assert.equal(gitIn(bare(), 'for-each-ref', '--format=%(refname)', 'refs/heads/main-2'), '');
    });
  });

  describe('pushes', () => {
    it('adds, edits, deletes and renames, raw text and base64, several commits, on a new branch', async () => {
      const binary = Buffer.from([0, 1, 2, 3, 255]);
      const result = await git.createPush(
        {
          refUpdates: [{ name: 'refs/heads/feature/push', oldObjectId: base }], // new branch from base
          commits: [
            {
              comment: 'first',
              changes: [
                {
                  changeType: VersionControlChangeType.Add,
                  item: { path: '/clusters/stage/app.yaml' },
                  newContent: { content: 'kind: C\n', contentType: ItemContentType.RawText },
                },
                {
                  changeType: VersionControlChangeType.Edit,
                  item: { path: '/README.md' },
                  newContent: { content: Buffer.from('# changed\n').toString('base64'), contentType: ItemContentType.Base64Encoded },
                },
                {
                  changeType: VersionControlChangeType.Add,
                  item: { path: '/bin/data.bin' },
                  newContent: { content: binary.toString('base64'), contentType: ItemContentType.Base64Encoded },
                },
              ],
            },
            {
              comment: 'second',
              changes: [
                { changeType: 'delete', item: { path: '/clusters/prod/app.yaml' } },
                { changeType: 'rename', sourceServerItem: '/clusters/dev/app.yaml', item: { path: '/clusters/dev/renamed.yaml' } },
              ] as never,
            },
          ],
        },
        repoId,
        P,
      );
      assert.equal(result.commits!.length, 2);
      assert.equal(result.refUpdates![0].oldObjectId, ZERO);
      const tip = result.refUpdates![0].newObjectId!;
      assert.equal(tip, result.commits![1].commitId);
      assert.equal(await head('feature/push'), tip);
      // checked with git itself
      assert.equal(gitIn(bare(), 'rev-list', '--count', `${base}..${tip}`), '2');
      assert.equal(gitIn(bare(), 'log', '-1', '--format=%s', tip), 'second');
      assert.equal(gitIn(bare(), 'show', `${tip}:README.md`), '# changed');
      assert.deepEqual(execBuffer(bare(), `${tip}:bin/data.bin`), binary);
      assert.equal(
        gitIn(bare(), 'ls-tree', '-r', '--name-only', tip),
        ['README.md', 'bin/data.bin', 'clusters/dev/nested/deep.yaml', 'clusters/dev/renamed.yaml', 'clusters/stage/app.yaml'].join('\n'),
      );
      assert.equal(gitIn(bare(), 'show', `${tip}:clusters/dev/renamed.yaml`), 'kind: A');
    });

    it('rejects a stale oldObjectId with 409 GitReferenceStaleException and bad changes with 4xx', async () => {
      const current = (await head('main'))!;
      const first = await push('refs/heads/main', current, [
        { changeType: 1, item: { path: '/stale-test.txt' }, newContent: { content: 'x', contentType: 0 } },
      ]);
      const e = await rejection(
        push('refs/heads/main', current, [{ changeType: 1, item: { path: '/stale-test-2.txt' }, newContent: { content: 'y', contentType: 0 } }]),
      );
      assert.equal(e.statusCode, 409);
      assert.equal(e.result.typeKey, 'GitReferenceStaleException');
      assert.match(e.message, /^TF401028: The reference 'refs\/heads\/main' has already been updated by another client/);
      const tip = first.refUpdates![0].newObjectId!;
      // 404 GitItemNotFoundException: the client turns every 404 into null, even for a POST
      assert.equal(await push('refs/heads/main', tip, [{ changeType: 2, item: { path: '/missing.txt' }, newContent: { content: 'x', contentType: 0 } }]), null);
      assert.equal(
        (await rejection(push('refs/heads/main', tip, [{ changeType: 1, item: { path: '/README.md' }, newContent: { content: 'x', contentType: 0 } }])))
          .statusCode,
        400,
      );
      assert.equal(await head('main'), tip);
    });

    it('lets exactly one of 10 concurrent pushes with the same oldObjectId win; the rest get 409', async () => {
      const start = (await head('main'))!;
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          push(
            'refs/heads/main',
            start,
            [{ changeType: 1, item: { path: `/concurrent/${i}.txt` }, newContent: { content: `${i}`, contentType: 0 } }],
            `writer ${i}`,
          ),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 9);
      for (const l of lost) assert.equal((l.reason as { statusCode: number }).statusCode, 409);
      const tip = (won[0] as PromiseFulfilledResult<{ refUpdates: Array<{ newObjectId: string }> }>).value.refUpdates[0].newObjectId;
      assert.equal(await head('main'), tip);
      assert.equal(gitIn(bare(), 'rev-list', '--count', `${start}..${tip}`), '1');

      // 10 writers that re-read and retry on 409 all land, nothing lost
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          for (let attempt = 0; attempt < 50; attempt++) {
            const old = (await head('main'))!;
            try {
              await push(
                'refs/heads/main',
                old,
                [{ changeType: 1, item: { path: `/writers/${i}/file.txt` }, newContent: { content: `${i}`, contentType: 0 } }],
                `retry writer ${i}`,
              );
              return;
            } catch (e) {
              if ((e as { statusCode?: number }).statusCode !== 409) throw e;
            }
          }
          throw new Error(`writer ${i} never landed`);
        }),
      );
      const final = (await head('main'))!;
      assert.equal(gitIn(bare(), 'rev-list', '--count', `${tip}..${final}`), '10');
      assert.equal(gitIn(bare(), 'ls-tree', '--name-only', `${final}:writers`).split('\n').length, 10);
    });
  });

  describe('items, commits and diffs', () => {
    it('gets one item with content, folder listings by scopePath and recursion level, and raw content by Accept', async () => {
      const item = await git.getItem(
        repoId,
        '/clusters/dev/app.yaml',
        P,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        { version: base, versionType: GitVersionType.Commit },
        true,
      );
      assert.equal(item.content, 'kind: A\n');
      assert.equal(item.commitId, base);
      assert.equal(item.objectId, gitIn(bare(), 'rev-parse', `${base}:clusters/dev/app.yaml`));
      const one = await git.getItems(repoId, P, '/clusters', VersionControlRecursionType.OneLevel, undefined, undefined, undefined, undefined, {
        version: base,
        versionType: GitVersionType.Commit,
      });
      assert.deepEqual(
        one.map((i) => [i.path, i.isFolder ?? false]),
        [
          ['/clusters', true],
          ['/clusters/dev', true],
          ['/clusters/prod', true],
        ],
      );
      const full = await git.getItems(repoId, P, '/clusters/dev', VersionControlRecursionType.Full, undefined, undefined, undefined, undefined, {
        version: base,
        versionType: GitVersionType.Commit,
      });
      assert.deepEqual(
        full.map((i) => i.path),
        ['/clusters/dev', '/clusters/dev/app.yaml', '/clusters/dev/nested', '/clusters/dev/nested/deep.yaml'],
      );
      const byName = await raw(
        'GET',
        `${emu.url}/${P}/_apis/git/repositories/gitops/items?scopePath=/clusters/dev&recursionLevel=full&versionDescriptor.version=feature/push&versionDescriptor.versionType=branch&api-version=7.1`,
      );
      assert.deepEqual(
        (JSON.parse(byName.body) as { value: Array<{ path: string }> }).value.map((i) => i.path),
        ['/clusters/dev', '/clusters/dev/nested', '/clusters/dev/nested/deep.yaml', '/clusters/dev/renamed.yaml'],
      );
      assert.equal(
        await readStream(
          await git.getItemText(repoId, '/clusters/prod/app.yaml', P, undefined, undefined, undefined, undefined, undefined, { version: 'main' }),
        ),
        'kind: B\n',
      );
      const bin = await git.getItemContent(repoId, '/bin/data.bin', P, undefined, undefined, undefined, undefined, undefined, {
        version: 'feature/push',
        versionType: GitVersionType.Branch,
      });
      const chunks: Buffer[] = [];
      for await (const c of bin) chunks.push(c as Buffer);
      assert.deepEqual(Buffer.concat(chunks), Buffer.from([0, 1, 2, 3, 255]));
      assert.equal(await git.getItem(repoId, '/nope.yaml', P), null);
      const missing = await raw('GET', `${emu.url}/${P}/_apis/git/repositories/gitops/items?path=/nope.yaml&api-version=7.1`);
      assert.equal((JSON.parse(missing.body) as { typeKey: string }).typeKey, 'GitItemNotFoundException');
      const badVersion = await raw('GET', `${emu.url}/${P}/_apis/git/repositories/gitops/items?path=/README.md&versionDescriptor.version=nope&api-version=7.1`);
      assert.equal((JSON.parse(badVersion.body) as { typeKey: string }).typeKey, 'GitUnresolvableToCommitException');
    });

    it('gets and lists commits', async () => {
      const c = await git.getCommit(base, repoId, P, 10);
      assert.equal(c.commitId, base);
      assert.equal(c.comment, 'Seed files');
      assert.deepEqual(c.parents, []);
      assert.equal(c.changes!.length, 4);
      const tip = (await head('feature/push'))!;
      const list = await git.getCommits(repoId, { itemVersion: { version: 'feature/push', versionType: GitVersionType.Branch } }, P);
      assert.deepEqual(
        list.map((x) => x.comment),
        ['second', 'first', 'Seed files'],
      );
      assert.equal(list[0].commitId, tip);
      const top1 = await git.getCommits(repoId, { itemVersion: { version: 'feature/push' }, $top: 1 }, P);
      assert.equal(top1.length, 1);
      assert.equal(await git.getCommit('0123456789012345678901234567890123456789', repoId, P), null);
    });

    it('diffs commits with commonCommit, aheadCount and behindCount (ancestry)', async () => {
      const d = await git.getCommitDiffs(
        repoId,
        P,
        true,
        undefined,
        undefined,
        { version: 'main', versionType: GitVersionType.Branch },
        { version: 'feature/push', versionType: GitVersionType.Branch },
      );
      const mainTip = (await head('main'))!;
      assert.equal(d.commonCommit, base);
      assert.equal(d.baseCommit, mainTip);
      assert.equal(d.aheadCount, 2); // feature/push has 2 commits main does not
      assert.ok(d.behindCount! >= 12); // main moved on
      assert.equal(d.allChangesIncluded, true);
      // ancestry: base is an ancestor of main, so the common commit of (base, main) is base itself
      const anc = await git.getCommitDiffs(
        repoId,
        P,
        true,
        undefined,
        undefined,
        { version: base, versionType: GitVersionType.Commit },
        { version: 'main', versionType: GitVersionType.Branch },
      );
      assert.equal(anc.commonCommit, base);
      assert.equal(anc.behindCount, 0);
    });
  });

  describe('pull requests', () => {
    let n = 0;
    const branch = async (files: Record<string, string>) => {
      const name = `topic/${++n}`;
      await emu.admin.seedFiles(P, 'gitops', name, files, `work on ${name}`);
      return `refs/heads/${name}`;
    };

    it('creates, gets, lists, updates, and refuses a second active PR for the same branches', async () => {
      const src = await branch({ 'pr/one.txt': 'one\n' });
      const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'One', description: 'first' }, repoId, P);
      assert.equal(pr.status, PullRequestStatus.Active);
      assert.equal(pr.mergeStatus, PullRequestAsyncStatus.Succeeded);
      const merge = pr.lastMergeCommit!.commitId!;
      assert.equal(gitIn(bare(), 'rev-parse', `refs/pull/${pr.pullRequestId}/merge`), merge);
      assert.equal(gitIn(bare(), 'log', '-1', '--format=%P', merge), `${pr.lastMergeTargetCommit!.commitId} ${pr.lastMergeSourceCommit!.commitId}`);
      const dup = await rejection(git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'again' }, repoId, P));
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.result.typeKey, 'GitPullRequestExistsException');
      assert.equal((await git.getPullRequest(repoId, pr.pullRequestId!, P)).title, 'One');
      assert.equal((await git.getPullRequestById(pr.pullRequestId!, P)).pullRequestId, pr.pullRequestId);
      const found = await git.getPullRequests(repoId, { sourceRefName: src, targetRefName: 'refs/heads/main', status: PullRequestStatus.Active }, P);
      assert.deepEqual(
        found.map((p) => p.pullRequestId),
        [pr.pullRequestId],
      );
      const updated = await git.updatePullRequest({ title: 'One (edited)', description: 'new text' }, repoId, pr.pullRequestId!, P);
      assert.equal(updated.title, 'One (edited)');
      assert.equal(updated.description, 'new text');
      const reviewer = emu.admin.identity('Alice Reviewer');
      const vote = await git.createPullRequestReviewer({ vote: 10, isRequired: true }, repoId, pr.pullRequestId!, reviewer.id, P);
      assert.equal(vote.vote, 10);
      assert.deepEqual(
        (await git.getPullRequest(repoId, pr.pullRequestId!, P)).reviewers!.map((r) => [r.displayName, r.vote, r.isRequired]),
        [['Alice Reviewer', 10, true]],
      );
      const abandoned = await git.updatePullRequest({ status: PullRequestStatus.Abandoned }, repoId, pr.pullRequestId!, P);
      assert.equal(abandoned.status, PullRequestStatus.Abandoned);
      assert.equal((await git.getPullRequests(repoId, { sourceRefName: src, status: PullRequestStatus.Abandoned }, P)).length, 1);
      assert.equal((await git.getPullRequests(repoId, { sourceRefName: src }, P)).length, 0); // active by default
      assert.equal(await git.getPullRequest(repoId, 99999, P), null);
    });

    it('completes with each merge strategy, lastMergeCommit is the commit on the target, deleteSourceBranch works', async () => {
      const strategies: Array<[GitPullRequestMergeStrategy, number]> = [
        [GitPullRequestMergeStrategy.NoFastForward, 2],
        [GitPullRequestMergeStrategy.Squash, 1],
        [GitPullRequestMergeStrategy.Rebase, 1],
        [GitPullRequestMergeStrategy.RebaseMerge, 2],
      ];
      for (const [strategy, parents] of strategies) {
        const src = await branch({ [`strategy/${strategy}/a.txt`]: 'a\n' });
        await emu.admin.seedFiles(P, 'gitops', src, { [`strategy/${strategy}/b.txt`]: 'b\n' }, 'second commit');
        await emu.admin.seedFiles(P, 'gitops', 'main', { [`main-moves/${strategy}.txt`]: 'm\n' }, 'main moves'); // no fast-forward possible
        const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: `strategy ${strategy}` }, repoId, P);
        const before = (await head('main'))!;
        const done = await git.updatePullRequest(
          {
            status: PullRequestStatus.Completed,
            lastMergeSourceCommit: pr.lastMergeSourceCommit,
            completionOptions: { mergeStrategy: strategy, deleteSourceBranch: true },
          },
          repoId,
          pr.pullRequestId!,
          P,
        );
        assert.equal(done.status, PullRequestStatus.Completed, `strategy ${strategy}`);
        const landed = done.lastMergeCommit!.commitId!;
        assert.equal(await head('main'), landed);
        assert.equal(gitIn(bare(), 'log', '-1', '--format=%P', landed).split(' ').length, parents, `parents for strategy ${strategy}`);
        assert.equal(gitIn(bare(), 'merge-base', '--is-ancestor', before, landed), '');
        assert.equal(gitIn(bare(), 'show', `${landed}:strategy/${strategy}/b.txt`), 'b');
        if (strategy === GitPullRequestMergeStrategy.Rebase) assert.equal(gitIn(bare(), 'rev-list', '--count', `${before}..${landed}`), '2');
        assert.equal(await head(src.slice('refs/heads/'.length)), undefined, 'source branch deleted');
      }
    });

    it('reports conflicts and refuses a completion with a stale lastMergeSourceCommit', async () => {
      const src = await branch({ 'README.md': 'conflicting readme\n' });
      await emu.admin.seedFiles(P, 'gitops', 'main', { 'README.md': 'main readme\n' }, 'main edits readme');
      const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'conflict' }, repoId, P);
      assert.equal(pr.mergeStatus, PullRequestAsyncStatus.Conflicts);
      assert.equal(pr.lastMergeCommit, undefined);
      const oldSource = pr.lastMergeSourceCommit!;
      await emu.admin.seedFiles(P, 'gitops', src, { 'README.md': 'main readme\n', 'other.txt': 'x\n' }, 'resolve');
      const resolved = await git.getPullRequest(repoId, pr.pullRequestId!, P);
      assert.equal(resolved.mergeStatus, PullRequestAsyncStatus.Succeeded);
      const stale = await rejection(
        git.updatePullRequest({ status: PullRequestStatus.Completed, lastMergeSourceCommit: oldSource }, repoId, pr.pullRequestId!, P),
      );
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.result.typeKey, 'GitPullRequestStaleException');
    });

    it('holds auto-complete until the required reviewers approve; policies block direct pushes', async () => {
      await emu.admin.setRequiredReviewers(P, 'gitops', 'main', 1);
      try {
        const blocked = await rejection(
          push('refs/heads/main', (await head('main'))!, [{ changeType: 1, item: { path: '/direct.txt' }, newContent: { content: 'x', contentType: 0 } }]),
        );
        assert.equal(blocked.statusCode, 403);
        assert.equal(blocked.result.typeKey, 'GitRefUpdateRejectedByPolicyException');
        const src = await branch({ 'auto/complete.txt': 'x\n' });
        const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'auto' }, repoId, P);
        const me = emu.admin.serviceIdentity();
        const set = await git.updatePullRequest(
          { autoCompleteSetBy: { id: me.id }, completionOptions: { mergeStrategy: GitPullRequestMergeStrategy.Squash, deleteSourceBranch: true } },
          repoId,
          pr.pullRequestId!,
          P,
        );
        assert.equal(set.status, PullRequestStatus.Active);
        assert.equal(set.autoCompleteSetBy!.id, me.id);
        assert.equal((await git.getPullRequest(repoId, pr.pullRequestId!, P)).status, PullRequestStatus.Active, 'held by the policy');
        // completing without the approvals is rejected by policy
        const early = await git.updatePullRequest(
          { status: PullRequestStatus.Completed, lastMergeSourceCommit: pr.lastMergeSourceCommit },
          repoId,
          pr.pullRequestId!,
          P,
        );
        assert.equal(early.status, PullRequestStatus.Active);
        assert.equal(early.mergeStatus, PullRequestAsyncStatus.RejectedByPolicy);
        const approved = await emu.admin.approvePullRequest(P, 'gitops', pr.pullRequestId!, { reviewer: 'Bob Approver' });
        assert.equal(approved.status, 'completed');
        const done = await git.getPullRequest(repoId, pr.pullRequestId!, P);
        assert.equal(done.status, PullRequestStatus.Completed);
        assert.equal(done.completionOptions!.triggeredByAutoComplete, true);
        assert.equal(done.lastMergeCommit!.commitId, await head('main'));
        assert.equal(gitIn(bare(), 'log', '-1', '--format=%P', done.lastMergeCommit!.commitId!).split(' ').length, 1, 'squash');
      } finally {
        await emu.admin.setRequiredReviewers(P, 'gitops', 'main', 0);
      }
    });

    it('admin completePullRequest approves and completes as a reviewer would', async () => {
      const src = await branch({ 'admin/complete.txt': 'x\n' });
      const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'by admin' }, repoId, P);
      const result = await emu.admin.completePullRequest(P, 'gitops', pr.pullRequestId!, { reviewer: 'Carol' });
      assert.equal(result.status, 'completed');
      assert.equal(result.lastMergeCommit, await head('main'));
      const after = await git.getPullRequest(repoId, pr.pullRequestId!, P);
      assert.equal(after.closedBy!.displayName, 'Carol');
      assert.equal(after.reviewers!.find((r) => r.displayName === 'Carol')!.vote, 10);
    });

    it('creates, lists and updates threads and comments', async () => {
      const src = await branch({ 'threads/a.txt': 'x\n' });
      const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'threads' }, repoId, P);
      const thread = await git.createThread(
        {
          comments: [{ parentCommentId: 0, content: 'Rendered diff <!-- gitops-flow:diff -->', commentType: CommentType.Text }],
          status: CommentThreadStatus.Active,
        },
        repoId,
        pr.pullRequestId!,
        P,
      );
      assert.equal(thread.comments!.length, 1);
      assert.equal(thread.status, CommentThreadStatus.Active);
      const reply = await git.createComment({ parentCommentId: 1, content: 'reply', commentType: CommentType.Text }, repoId, pr.pullRequestId!, thread.id!, P);
      assert.equal(reply.id, 2);
      const edited = await git.updateComment({ content: 'Rendered diff v2 <!-- gitops-flow:diff -->' }, repoId, pr.pullRequestId!, thread.id!, 1, P);
      assert.equal(edited.content, 'Rendered diff v2 <!-- gitops-flow:diff -->');
      const closed = await git.updateThread({ status: CommentThreadStatus.Closed }, repoId, pr.pullRequestId!, thread.id!, P);
      assert.equal(closed.status, CommentThreadStatus.Closed);
      const threads = await git.getThreads(repoId, pr.pullRequestId!, P);
      assert.deepEqual(
        threads.map((t) => [t.id, t.status, t.comments!.map((c) => c.content)]),
        [[thread.id, CommentThreadStatus.Closed, ['Rendered diff v2 <!-- gitops-flow:diff -->', 'reply']]],
      );
      assert.equal((await git.getComments(repoId, pr.pullRequestId!, thread.id!, P)).length, 2);
    });

    it('creates and lists commit statuses and PR statuses; gets and patches PR properties', async () => {
      const src = await branch({ 'statuses/a.txt': 'x\n' });
      const pr = await git.createPullRequest({ sourceRefName: src, targetRefName: 'refs/heads/main', title: 'statuses' }, repoId, P);
      const commit = pr.lastMergeSourceCommit!.commitId!;
      const context = { name: 'dev', genre: 'gitops-flow' };
      await git.createCommitStatus(
        { state: GitStatusState.Pending, description: 'reconciling', context, targetUrl: 'https://example.test/1' },
        commit,
        repoId,
        P,
      );
      const ok = await git.createCommitStatus({ state: GitStatusState.Succeeded, description: 'reconciled', context }, commit, repoId, P);
      assert.equal(ok.state, GitStatusState.Succeeded);
      const statuses = await git.getStatuses(commit, repoId, P);
      assert.deepEqual(
        statuses.map((s) => s.description),
        ['reconciled', 'reconciling'],
      );
      assert.deepEqual(
        (await git.getStatuses(commit, repoId, P, undefined, undefined, true)).map((s) => s.description),
        ['reconciled'],
      );
      const prStatus = await git.createPullRequestStatus(
        { state: GitStatusState.Failed, description: '2 findings', context: { name: 'validate', genre: 'gitops-flow' }, iterationId: 1 },
        repoId,
        pr.pullRequestId!,
        P,
      );
      assert.equal(prStatus.iterationId, 1);
      assert.deepEqual(
        (await git.getPullRequestStatuses(repoId, pr.pullRequestId!, P)).map((s) => [s.state, s.description]),
        [[GitStatusState.Failed, '2 findings']],
      );
      // the client types property collections as any
      type Properties = { count: number; value: Record<string, { $value: string }> };
      const props = (await git.updatePullRequestProperties(
        null,
        [{ op: 'add', path: '/gitops-flow.promotion', value: 'dev/abc' }] as never,
        repoId,
        pr.pullRequestId!,
        P,
      )) as Properties;
      assert.equal(props.value['gitops-flow.promotion'].$value, 'dev/abc');
      const got = (await git.getPullRequestProperties(repoId, pr.pullRequestId!, P)) as Properties;
      assert.equal(got.value['Microsoft.Git.PullRequest.SourceRefName'].$value, src);
      assert.equal(got.count, 3);
      await git.updatePullRequestProperties(null, [{ op: 'remove', path: '/gitops-flow.promotion' }] as never, repoId, pr.pullRequestId!, P);
      assert.equal(((await git.getPullRequestProperties(repoId, pr.pullRequestId!, P)) as Properties).count, 2);
    });
  });

  describe('faults', () => {
    it('injects 429 with and without Retry-After, 500, 503, delays and resets, for N requests', async () => {
      const route = /\/_apis\/git\/repositories\/gitops$/;
      emu.admin.injectFault({ pathPattern: route, status: 429, retryAfterSeconds: 3, count: 1 });
      const throttled = await rejection(git.getRepository('gitops', P));
      assert.equal(throttled.statusCode, 429);
      assert.equal(throttled.responseHeaders['retry-after'], '3');
      assert.equal(throttled.result.typeKey, 'RequestBlockedException');
      emu.admin.injectFault({ method: 'GET', pathPattern: route, status: 429, count: 1 });
      const noRetryAfter = await rejection(git.getRepository('gitops', P));
      assert.equal(noRetryAfter.statusCode, 429);
      assert.equal(noRetryAfter.responseHeaders['retry-after'], undefined);
      const h500 = emu.admin.injectFault({ pathPattern: route, status: 500, count: 2 });
      assert.equal((await rejection(git.getRepository('gitops', P))).statusCode, 500);
      assert.equal((await rejection(git.getRepository('gitops', P))).statusCode, 500);
      assert.equal(h500.hits(), 2);
      assert.equal(h500.remaining(), 0);
      assert.equal((await git.getRepository('gitops', P)).name, 'gitops', 'the fault is used up');
      emu.admin.injectFault({ pathPattern: route, status: 503, retryAfterSeconds: 1, count: 1 });
      const unavailable = await rejection(git.getRepository('gitops', P));
      assert.equal(unavailable.statusCode, 503);
      assert.equal(unavailable.responseHeaders['retry-after'], '1');
      emu.admin.injectFault({ pathPattern: route, delayMs: 300, count: 1 });
      const t0 = Date.now();
      assert.equal((await git.getRepository('gitops', P)).name, 'gitops');
      assert.ok(Date.now() - t0 >= 280);
      emu.admin.injectFault({ pathPattern: route, reset: true, count: 1 });
      const reset = await rejection(git.getRepository('gitops', P));
      assert.match(String(reset.code ?? reset.message), /ECONNRESET|socket hang up/);
      assert.equal((await git.getRepository('gitops', P)).name, 'gitops');
    });
  });

  describe('smart HTTP and the admin HTTP API', () => {
    it('clones and pushes with git over /{org}/{project}/_git/{repo}; REST sees the push; policies apply', async () => {
      const work = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-emu-clone-'));
      try {
        const remote = `${emu.url}/${P}/_git/gitops`;
        await gitWork(work, emu.token, 'clone', '--quiet', remote, 'wc');
        const wc = path.join(work, 'wc');
        assert.equal(await gitWork(wc, emu.token, 'rev-parse', 'HEAD'), await head('main'));
        await fs.writeFile(path.join(wc, 'from-git.txt'), 'pushed with git\n');
        await gitWork(wc, emu.token, 'add', '.');
        await gitWork(wc, emu.token, 'commit', '--quiet', '-m', 'from git');
        await gitWork(wc, emu.token, 'push', '--quiet', 'origin', 'HEAD:refs/heads/from-git');
        const pushed = await gitWork(wc, emu.token, 'rev-parse', 'HEAD');
        assert.equal(await head('from-git'), pushed);
        const item = await git.getItem(repoId, '/from-git.txt', P, undefined, undefined, undefined, undefined, undefined, { version: 'from-git' }, true);
        assert.equal(item.content, 'pushed with git\n');
        await emu.admin.setRequiredReviewers(P, 'gitops', 'from-git', 1);
        await fs.writeFile(path.join(wc, 'blocked.txt'), 'x\n');
        await gitWork(wc, emu.token, 'add', '.');
        await gitWork(wc, emu.token, 'commit', '--quiet', '-m', 'blocked');
        await assert.rejects(gitWork(wc, emu.token, 'push', '--quiet', 'origin', 'HEAD:refs/heads/from-git'), /TF402455/);
        await assert.rejects(gitWork(work, 'wrong-token', 'clone', '--quiet', remote, 'denied'), /401|Authentication failed|could not read/i);
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    });

    it('serves the admin API over HTTP', async () => {
      const post = (p: string, body: unknown) => raw('POST', `${emu.adminUrl}${p}`, body, {});
      assert.equal((await post('/contoso/projects', { name: 'demo' })).status, 201);
      const repo = JSON.parse((await post('/contoso/demo/repositories', { name: 'cfg' })).body) as { id: string };
      const seeded = JSON.parse((await post('/contoso/demo/cfg/seed', { branch: 'main', files: { 'a.txt': 'a' } })).body) as { commitId: string };
      assert.match(seeded.commitId, /^[0-9a-f]{40}$/);
      assert.equal((await git.getRepository(repo.id)).defaultBranch, 'refs/heads/main');
      assert.equal((await post('/faults', { pathPattern: '/repositories/cfg', status: 503, count: 1 })).status, 201);
      assert.equal((await rejection(git.getRepository('cfg', 'demo'))).statusCode, 503);
      const state = JSON.parse((await raw('GET', emu.adminUrl, undefined, {})).body) as { organizations: Array<{ projects: Array<{ name: string }> }> };
      assert.deepEqual(state.organizations[0].projects.map((p) => p.name).sort(), ['demo', P]);
    });
  });

  function raw(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = { Authorization: `Bearer ${emu.token}` },
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        url,
        { method, headers: { ...headers, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}) }, timeout: 20_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end(data);
    });
  }
});

function execBuffer(gitDir: string, spec: string): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  return execFileSync('git', ['cat-file', 'blob', spec], { env: { ...process.env, GIT_DIR: gitDir } });
}
