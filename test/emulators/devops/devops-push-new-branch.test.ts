// Creating a branch with a push, in both forms the service accepts: refUpdates[0].oldObjectId is
// the commit the branch starts from (httpExamples/pushes/POST__..._pushes8.json: the answer's
// refUpdate then says 40 zeros) or 40 zeros with the commit's parents naming the base. A stale or
// mismatched oldObjectId is 409 GitReferenceStaleException and creates nothing.
import * as assert from 'node:assert/strict';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import { ZERO, gitApi, gitIn, rejection } from './helpers';
import { DevOpsEmulator, startDevOpsEmulator } from './index';

const P = 'proj';

describe('Azure DevOps Git emulator: pushes that create a branch', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let git: GitApi;
  let repoId: string;
  let base: string;
  let other: string;

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject(P);
    repoId = (await emu.admin.createRepository(P, 'gitops')).id;
    base = await emu.admin.seedFiles(P, 'gitops', 'main', { 'tasks/content/activetasks.md': '# My Active Tasks\n\n* Item 1\n' });
    other = await emu.admin.seedFiles(P, 'gitops', 'side', { 'side.txt': 'side\n' }, 'side commit');
    git = await gitApi(emu);
  });
  after(async () => emu?.stop());

  const bare = () => emu.admin.bareRepositoryPath(P, 'gitops');
  const edit = (comment: string, parents?: string[]) => ({
    comment,
    ...(parents ? { parents } : {}),
    changes: [
      {
        changeType: 'edit',
        item: { path: '/tasks/content/activetasks.md' },
        newContent: { content: `# My Active Tasks\n\n* ${comment}\n`, contentType: 'rawtext' },
      },
    ],
  });
  const push = (ref: string, oldObjectId: string, commit: object) => git.createPush({ refUpdates: [{ name: ref, oldObjectId }], commits: [commit] }, repoId, P);
  const refNames = async (prefix: string) => (await git.getRefs(repoId, P, prefix)).map((r) => r.name);

  for (const [title, ref, oldId, parents] of [
    ['oldObjectId is the base commit, no parents (the spec example)', 'refs/heads/from-base', 'base', undefined],
    ['oldObjectId is the base commit and the parents name it', 'refs/heads/from-base-parents', 'base', ['base']],
    ['oldObjectId is zeros and the parents name the base', 'refs/heads/from-zeros-parents', 'zero', ['base']],
  ] as const) {
    it(`creates the branch when ${title}`, async () => {
      const oldObjectId = oldId === 'base' ? base : ZERO;
      const result = await push(ref, oldObjectId, edit(ref, parents ? [base] : undefined));
      const commitId = result.commits![0].commitId!;
      assert.deepEqual(
        result.commits!.map((c) => c.parents),
        [[base]],
      );
      assert.deepEqual(
        result.refUpdates!.map((r) => [r.name, r.oldObjectId, r.newObjectId]),
        [[ref, ZERO, commitId]],
        'the answer reports the ref as created (old value zeros), as the service does',
      );
      assert.equal(gitIn(bare(), 'rev-parse', ref), commitId);
      assert.equal(gitIn(bare(), 'rev-list', '--parents', '-n', '1', ref), `${commitId} ${base}`);
      assert.equal(gitIn(bare(), 'show', `${ref}:tasks/content/activetasks.md`), `# My Active Tasks\n\n* ${ref}`);
      const stored = await git.getPush(repoId, result.pushId!, P, undefined, true);
      assert.deepEqual(
        stored.refUpdates!.map((r) => [r.name, r.oldObjectId, r.newObjectId]),
        [[ref, ZERO, commitId]],
      );
    });
  }

  it('keeps the zeros form without parents: a root commit on a new branch', async () => {
    const result = await push('refs/heads/orphan', ZERO, {
      comment: 'root',
      changes: [{ changeType: 'add', item: { path: '/only.txt' }, newContent: { content: 'only\n', contentType: 'rawtext' } }],
    });
    assert.deepEqual(result.commits![0].parents, []);
    assert.equal(gitIn(bare(), 'ls-tree', '-r', '--name-only', 'refs/heads/orphan'), 'only.txt');
  });

  it('answers 409 GitReferenceStaleException when the branch exists at another commit, in both forms', async () => {
    const current = gitIn(bare(), 'rev-parse', 'refs/heads/from-base');
    for (const oldObjectId of [base, ZERO]) {
      const e = await rejection(push('refs/heads/from-base', oldObjectId, edit('late writer', [base])));
      assert.equal(e.statusCode, 409);
      assert.equal(e.result.typeKey, 'GitReferenceStaleException');
      assert.equal(
        e.message,
        "TF401028: The reference 'refs/heads/from-base' has already been updated by another client, so you cannot update it. Please try again.",
      );
    }
    assert.equal(gitIn(bare(), 'rev-parse', 'refs/heads/from-base'), current);
  });

  it('answers 409 GitReferenceStaleException, creating nothing, when oldObjectId does not match the push', async () => {
    const cases: Array<[string, string, object]> = [
      ['refs/heads/mismatch-parents', base, edit('built on another commit', [other])],
      ['refs/heads/mismatch-unknown', 'f'.repeat(40), edit('unknown base')],
      ['refs/heads/mismatch-blob', gitIn(bare(), 'rev-parse', `${base}:tasks/content/activetasks.md`), edit('a blob is no base')],
    ];
    for (const [ref, oldObjectId, commit] of cases) {
      const e = await rejection(push(ref, oldObjectId, commit));
      assert.deepEqual([e.statusCode, e.result.typeKey], [409, 'GitReferenceStaleException'], ref);
      assert.equal(e.message, `TF401028: The reference '${ref}' has already been updated by another client, so you cannot update it. Please try again.`);
    }
    assert.deepEqual(await refNames('heads/mismatch'), []);
  });

  it('updates an existing branch with its current value as oldObjectId (the ordinary form is unchanged)', async () => {
    const tip = gitIn(bare(), 'rev-parse', 'refs/heads/from-base');
    const result = await push('refs/heads/from-base', tip, edit('second'));
    assert.deepEqual(
      result.refUpdates!.map((r) => [r.oldObjectId, r.newObjectId]),
      [[tip, result.commits![0].commitId]],
    );
    assert.deepEqual(result.commits![0].parents, [tip]);
  });
});
