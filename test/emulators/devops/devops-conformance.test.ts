// Conformance: every JSON answer the emulator gives to the real client, for every operation the
// project relies on, validates against the 7.1 definitions encoded in conformance/definitions.ts
// (strict: no undeclared property, right types, formats and enum values); every error answer has
// the service's error shape with a typeKey.
import * as assert from 'node:assert/strict';
import {
  CommentThreadStatus,
  CommentType,
  GitPullRequestMergeStrategy,
  GitStatusState,
  GitVersionType,
  ItemContentType,
  PullRequestStatus,
  VersionControlChangeType,
  VersionControlRecursionType,
} from 'azure-devops-node-api/interfaces/GitInterfaces';
import { OPERATION_RESPONSES } from './conformance/definitions';
import { validateCollection, validateDefinition } from './conformance/validate';
import { ZERO, gitApi, readStream, rejection } from './helpers';
import { startDevOpsEmulator } from './index';

describe('Azure DevOps Git emulator conformance to the 7.1 definitions', function () {
  this.timeout(60_000);

  it('answers every operation with the shapes of the spec', async () => {
    const emu = await startDevOpsEmulator();
    try {
      const P = 'conformance';
      emu.admin.createProject(P);
      const repoId = (await emu.admin.createRepository(P, 'gitops')).id;
      const base = await emu.admin.seedFiles(P, 'gitops', 'main', { 'a/b.yaml': 'b: 1\n', 'c.txt': 'c\n' });
      emu.admin.recordResponses(true);
      const git = await gitApi(emu);
      const reviewer = emu.admin.identity('Conformance Reviewer');

      await git.getRepository('gitops', P);
      await git.getRepositories(P);
      await git.getRefs(repoId, P, 'heads/', undefined, true);
      await git.updateRefs(
        [
          { name: 'refs/heads/x', oldObjectId: ZERO, newObjectId: base },
          { name: 'refs/heads/main', oldObjectId: ZERO, newObjectId: base },
        ],
        repoId,
        P,
      );
      const pushed = await git.createPush(
        {
          refUpdates: [{ name: 'refs/heads/feature', oldObjectId: base }],
          commits: [
            {
              comment: 'feature',
              changes: [
                { changeType: VersionControlChangeType.Edit, item: { path: '/c.txt' }, newContent: { content: 'c2\n', contentType: ItemContentType.RawText } },
                {
                  changeType: VersionControlChangeType.Add,
                  item: { path: '/d/e.bin' },
                  newContent: { content: Buffer.from([0, 1]).toString('base64'), contentType: ItemContentType.Base64Encoded },
                },
              ],
            },
          ],
        },
        repoId,
        P,
      );
      await git.getPush(repoId, pushed.pushId!, P);
      await rejection(
        git.createPush(
          {
            refUpdates: [{ name: 'refs/heads/feature', oldObjectId: base }],
            commits: [{ comment: 'x', changes: [{ changeType: 1, item: { path: '/z' }, newContent: { content: 'z', contentType: 0 } }] }],
          },
          repoId,
          P,
        ),
      );
      await git.getItem(
        repoId,
        '/c.txt',
        P,
        undefined,
        undefined,
        true,
        undefined,
        undefined,
        { version: 'feature', versionType: GitVersionType.Branch },
        true,
      );
      await git.getItem(repoId, '/d/e.bin', P, undefined, undefined, undefined, undefined, undefined, { version: 'feature' }, true);
      await git.getItems(repoId, P, '/', VersionControlRecursionType.Full, true, undefined, undefined, undefined, { version: 'feature' });
      await git.getItems(repoId, P, '/a', VersionControlRecursionType.OneLevel);
      await readStream(await git.getItemText(repoId, '/c.txt', P));
      await git.getItem(repoId, '/missing', P);
      await git.getCommit(base, repoId, P, 5);
      await git.getCommits(repoId, { itemVersion: { version: 'feature' } }, P);
      await git.getCommitDiffs(
        repoId,
        P,
        true,
        undefined,
        undefined,
        { version: 'main', versionType: GitVersionType.Branch },
        { version: 'feature', versionType: GitVersionType.Branch },
      );
      await git.createCommitStatus(
        { state: GitStatusState.Succeeded, description: 'ok', context: { name: 'c', genre: 'g' }, targetUrl: 'https://example.test' },
        base,
        repoId,
        P,
      );
      await git.getStatuses(base, repoId, P);

      const workItem = emu.admin.createWorkItem(P, { title: 'linked at creation' });
      const pr = await git.createPullRequest(
        {
          sourceRefName: 'refs/heads/feature',
          targetRefName: 'refs/heads/main',
          title: 't',
          description: 'd',
          reviewers: [{ id: reviewer.id }] as never,
          workItemRefs: [{ id: String(workItem.id) }],
        },
        repoId,
        P,
      );
      assert.deepEqual(
        (await git.getPullRequestWorkItemRefs(repoId, pr.pullRequestId!, P)).map((r) => r.id),
        [String(workItem.id)],
      );
      await rejection(git.createPullRequest({ sourceRefName: 'refs/heads/feature', targetRefName: 'refs/heads/main', title: 't' }, repoId, P));
      await git.getPullRequest(repoId, pr.pullRequestId!, P);
      await git.getPullRequestById(pr.pullRequestId!, P);
      await git.getPullRequests(repoId, { status: PullRequestStatus.All }, P);
      await git.updatePullRequest(
        { title: 't2', completionOptions: { mergeStrategy: GitPullRequestMergeStrategy.Squash, deleteSourceBranch: false } },
        repoId,
        pr.pullRequestId!,
        P,
      );
      await git.createPullRequestReviewer({ vote: 5 }, repoId, pr.pullRequestId!, reviewer.id, P);
      const thread = await git.createThread(
        { comments: [{ content: 'hello', commentType: CommentType.Text }], status: CommentThreadStatus.Active, properties: { marker: 'x' } as never },
        repoId,
        pr.pullRequestId!,
        P,
      );
      await git.getThreads(repoId, pr.pullRequestId!, P);
      await git.updateThread({ status: CommentThreadStatus.Fixed }, repoId, pr.pullRequestId!, thread.id!, P);
      await git.createComment({ content: 'reply', parentCommentId: 1, commentType: CommentType.Text }, repoId, pr.pullRequestId!, thread.id!, P);
      await git.getComments(repoId, pr.pullRequestId!, thread.id!, P);
      await git.updateComment({ content: 'edited' }, repoId, pr.pullRequestId!, thread.id!, 1, P);
      await git.createPullRequestStatus(
        { state: GitStatusState.Pending, context: { name: 'v', genre: 'g' }, iterationId: 1, properties: { k: 'v' } as never },
        repoId,
        pr.pullRequestId!,
        P,
      );
      await git.getPullRequestStatuses(repoId, pr.pullRequestId!, P);
      await git.getPullRequestProperties(repoId, pr.pullRequestId!, P);
      await git.updatePullRequestProperties(null, [{ op: 'add', path: '/k', value: 1 }] as never, repoId, pr.pullRequestId!, P);
      // auto-complete (nothing holds it): the answer is still active, the next read is completed
      const set = await git.updatePullRequest({ autoCompleteSetBy: { id: emu.admin.serviceIdentity().id } }, repoId, pr.pullRequestId!, P);
      assert.equal(set.status, PullRequestStatus.Active);
      assert.equal((await git.getPullRequest(repoId, pr.pullRequestId!, P)).status, PullRequestStatus.Completed);

      const records = emu.admin.requests().filter((r) => r.body !== undefined || r.status >= 400);
      const seen = new Set<string>();
      const problems: string[] = [];
      for (const r of records) {
        const where = `${r.method} ${r.path} (${r.operation}, ${r.status})`;
        if (r.status >= 400) {
          if (r.body !== undefined) problems.push(...validateDefinition('ServiceError', r.body).map((p) => `${where}: ${p}`));
          continue;
        }
        let op = r.operation!;
        const body = r.body as { count?: unknown; value?: unknown };
        if (op === 'Items_Get' && Array.isArray(body.value)) op = 'Items_Get:list';
        const expected = OPERATION_RESPONSES[op];
        if (!expected) {
          problems.push(`${where}: no definition for the operation`);
          continue;
        }
        seen.add(op);
        assert.equal(r.status, expected.status, where);
        const found = expected.collection ? validateCollection(expected.definition, r.body) : validateDefinition(expected.definition, r.body);
        problems.push(...found.map((p) => `${where}: ${p}`));
      }
      assert.deepEqual(problems, []);
      const errorsSeen = records.filter((r) => r.status >= 400).map((r) => (r.body as { typeKey: string }).typeKey);
      assert.deepEqual(errorsSeen.sort(), ['GitItemNotFoundException', 'GitPullRequestExistsException', 'GitReferenceStaleException']);
      const notExercised = Object.keys(OPERATION_RESPONSES).filter((op) => !seen.has(op) && !op.startsWith('Locations:') && op !== 'ResourceAreas_List');
      assert.deepEqual(notExercised, []);
    } finally {
      await emu.stop();
    }
  });

  it('answers the bootstrap (Location, ResourceAreas, git area) with location and area shapes', async () => {
    const emu = await startDevOpsEmulator();
    try {
      emu.admin.recordResponses(true);
      await gitApi(emu);
      const api = await gitApi(emu);
      await api.getRepositories();
      // OPTIONS answers are not recorded as bodies; fetch them directly
      const problems: string[] = [];
      for (const area of ['Location', 'git', 'wit']) {
        const res = await fetch(`${emu.url}/_apis/${area}`, { method: 'OPTIONS', headers: { Authorization: `Bearer ${emu.token}` } });
        problems.push(...validateCollection('ApiResourceLocation', await res.json()).map((p) => `${area}: ${p}`));
      }
      const areas = emu.admin.requests().find((r) => r.operation === 'ResourceAreas_List');
      problems.push(...validateCollection('ResourceAreaInfo', areas!.body));
      assert.deepEqual(problems, []);
    } finally {
      await emu.stop();
    }
  });
});
