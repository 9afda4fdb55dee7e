import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import {
  commitFolder,
  ConcurrentUpdateError,
  gitBlobId,
  NotFoundError,
  readBranchHead,
  readFile,
  readFolderTree,
  resolveRepository,
  UnsafePathError,
} from '../../../shared/devops';
import { git, logSubjects, lsFiles, PROJECT, show, startWorld, World } from './emulator-world';

describe('devops library against the emulator: repository and commits', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('resolves a repository by name, project/name and URL', async () => {
    const { name } = await world.newRepo();
    const conn = world.connect();
    const byName = await resolveRepository(conn, name, PROJECT);
    const byPath = await resolveRepository(conn, `${PROJECT}/${name}`);
    const byUrl = await resolveRepository(conn, `${world.emu.url}/${PROJECT}/_git/${name}`);
    assert.equal(byName.id, byPath.id);
    assert.equal(byUrl.id, byPath.id);
    assert.equal(byPath.display, `${PROJECT}/${name}`);
    assert.equal(byPath.defaultBranch, 'refs/heads/main');
    await assert.rejects(
      resolveRepository(conn, `${PROJECT}/missing`),
      (e: Error) => e instanceof NotFoundError && /looking up repository "demo\/missing"/.test(e.message),
    );
    await assert.rejects(resolveRepository(conn, name), /no project given/);
    await assert.rejects(resolveRepository(conn, `https://dev.azure.com/other/${PROJECT}/_git/${name}`), /connect to that organization/);
  });

  it('reads one folder as paths and blob ids, and a file when asked', async () => {
    const { repo } = await world.newRepo({
      'clusters/dev/app.yaml': 'a: 1\n',
      'clusters/dev/sub/x.yaml': 'x\n',
      'clusters/dev-2/y.yaml': 'y\n',
      'README.md': 'r\n',
    });
    const conn = world.connect();
    const head = (await readBranchHead(conn, repo, 'main'))!;
    const tree = await readFolderTree(conn, repo, head, '/clusters/dev/');
    assert.deepEqual([...tree.files].sort(), [
      ['app.yaml', gitBlobId('a: 1\n')],
      ['sub/x.yaml', gitBlobId('x\n')],
    ]);
    assert.equal((await readFolderTree(conn, repo, head, 'clusters/prod')).files.size, 0);
    await assert.rejects(readFolderTree(conn, repo, head, 'README.md'), /is a file, not a folder/);
    assert.equal(await readFile(conn, repo, 'clusters/dev/app.yaml', { branch: 'main' }), 'a: 1\n');
    assert.equal(await readFile(conn, repo, 'clusters/dev/none.yaml', { commitId: head }), undefined);
    assert.equal(await readBranchHead(conn, repo, 'mai'), undefined);
  });

  it('commits only the real changes in one push, then nothing when re-run', async () => {
    const { repo, bare } = await world.newRepo({
      'clusters/dev/keep.yaml': 'same\n',
      'clusters/dev/edit.yaml': 'old\n',
      'clusters/dev/stale.yaml': 'gone\n',
      'clusters/prod/p.yaml': 'p\n',
    });
    const conn = world.connect();
    const files = { 'keep.yaml': 'same\n', 'edit.yaml': 'new\n', 'new/added.yaml': 'added\n', 'bin.dat': new Uint8Array([0, 1, 2, 255]) };
    const first = await commitFolder(conn, repo, { branch: 'main', folder: 'clusters/dev', files, message: 'promote dev' });
    assert.equal(first.outcome, 'committed');
    assert.deepEqual([first.added, first.edited, first.deleted], [['bin.dat', 'new/added.yaml'], ['edit.yaml'], ['stale.yaml']]);
    assert.equal(first.pushes, 1);
    assert.equal(git(bare, 'rev-parse', 'refs/heads/main'), first.commitId);
    assert.deepEqual(logSubjects(bare), ['promote dev', 'seed']);
    assert.deepEqual(git(bare, 'diff-tree', '--no-commit-id', '--name-status', '-r', first.commitId).split('\n').sort(), [
      'A\tclusters/dev/bin.dat',
      'A\tclusters/dev/new/added.yaml',
      'D\tclusters/dev/stale.yaml',
      'M\tclusters/dev/edit.yaml',
    ]);
    assert.equal(git(bare, 'rev-parse', 'refs/heads/main:clusters/dev/bin.dat'), gitBlobId(new Uint8Array([0, 1, 2, 255])));
    assert.deepEqual(lsFiles(bare, 'main', 'clusters/prod'), ['clusters/prod/p.yaml']);

    const again = await commitFolder(conn, repo, { branch: 'main', folder: 'clusters/dev', files, message: 'promote dev' });
    assert.deepEqual([again.outcome, again.pushes, again.commitId], ['unchanged', 0, first.commitId]);
    assert.deepEqual(logSubjects(bare), ['promote dev', 'seed']);
  });

  it('commits a second folder (alsoFolders) in the same single commit, and refuses nested folders', async () => {
    const { repo, bare } = await world.newRepo({ 'manifests/dev/app.yaml': 'old\n', 'templates/dev/app/stale.yaml': 's\n', 'other/keep.yaml': 'k\n' });
    const conn = world.connect();
    const r = await commitFolder(conn, repo, {
      branch: 'main',
      folder: 'manifests/dev',
      files: { 'app.yaml': 'new\n' },
      alsoFolders: [{ folder: 'templates/dev/app', files: { 'values.yaml': 'v\n' } }],
      message: 'promote dev',
    });
    assert.deepEqual([r.outcome, r.pushes], ['committed', 1]);
    assert.deepEqual([r.added, r.edited, r.deleted], [['/templates/dev/app/values.yaml'], ['app.yaml'], ['/templates/dev/app/stale.yaml']]);
    assert.deepEqual(logSubjects(bare), ['promote dev', 'seed']);
    assert.deepEqual(git(bare, 'diff-tree', '--no-commit-id', '--name-status', '-r', r.commitId).split('\n').sort(), [
      'A\ttemplates/dev/app/values.yaml',
      'D\ttemplates/dev/app/stale.yaml',
      'M\tmanifests/dev/app.yaml',
    ]);
    const again = await commitFolder(conn, repo, {
      branch: 'main',
      folder: 'manifests/dev',
      files: { 'app.yaml': 'new\n' },
      alsoFolders: [{ folder: 'templates/dev/app', files: { 'values.yaml': 'v\n' } }],
      message: 'promote dev',
    });
    assert.deepEqual([again.outcome, again.pushes], ['unchanged', 0]);
    await assert.rejects(
      commitFolder(conn, repo, { branch: 'main', folder: 'manifests', files: {}, alsoFolders: [{ folder: 'manifests/dev/t', files: {} }], message: 'x' }),
      /committing \/manifests\/dev\/t with \/manifests to refs\/heads\/main of .*: one folder lies inside the other/,
    );
    assert.deepEqual(logSubjects(bare), ['promote dev', 'seed']);
  });

  it('creates a promotion branch from a base, and fails clearly without one', async () => {
    const { repo, bare } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect();
    const base = git(bare, 'rev-parse', 'refs/heads/main');
    const r = await commitFolder(conn, repo, {
      branch: 'gitops/promote/dev/abc',
      baseBranch: 'main',
      folder: 'dev',
      files: { 'a.yaml': 'b\n' },
      message: 'promote',
    });
    assert.equal(r.branchCreated, true);
    assert.equal(r.parentId, base);
    assert.equal(git(bare, 'rev-parse', 'refs/heads/gitops/promote/dev/abc^'), base);
    assert.equal(show(bare, 'gitops/promote/dev/abc', 'dev/a.yaml'), 'b\n');
    const same = await commitFolder(conn, repo, { branch: 'other', baseBranch: 'main', folder: 'dev', files: { 'a.yaml': 'a\n' }, message: 'noop' });
    assert.deepEqual([same.outcome, same.branchCreated], ['unchanged', false]);
    assert.equal(git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/other'), '');
    await assert.rejects(commitFolder(conn, repo, { branch: 'nope', folder: 'dev', files: {}, message: 'm' }), /branch refs\/heads\/nope does not exist/);
  });

  it('rejects unsafe paths before pushing anything', async () => {
    const { repo, bare } = await world.newRepo();
    const conn = world.connect();
    const before = logSubjects(bare);
    await assert.rejects(
      commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: { 'ok.yaml': 'x', '../prod/evil.yaml': 'x' }, message: 'm' }),
      UnsafePathError,
    );
    assert.deepEqual(logSubjects(bare), before);
  });

  it('re-reads and retries when another writer moved the branch (409 GitReferenceStaleException)', async () => {
    const { repo, name, bare } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect();
    const logs: string[] = [];
    const createPush = conn.git.createPush.bind(conn.git);
    let competing = 1;
    sinon.stub(conn.git, 'createPush').callsFake(async (...args: Parameters<typeof createPush>) => {
      if (competing-- > 0) await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'stage/s.yaml': 's\n' }, 'other writer');
      return createPush(...args);
    });
    const r = await commitFolder(conn, repo, {
      branch: 'main',
      folder: 'dev',
      files: { 'a.yaml': 'b\n' },
      message: 'mine',
      log: (l) => logs.push(l),
      random: () => 0,
    });
    assert.deepEqual([r.outcome, r.pushes], ['committed', 2]);
    assert.deepEqual(logSubjects(bare), ['mine', 'other writer', 'seed']);
    assert.equal(r.parentId, git(bare, 'rev-parse', 'refs/heads/main^'));
    assert.match(logs.join('\n'), /moved while we pushed/);
  });

  it('gives up after the bound when the branch never stops moving', async () => {
    const { repo, name, bare } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect();
    const createPush = conn.git.createPush.bind(conn.git);
    let n = 0;
    sinon.stub(conn.git, 'createPush').callsFake(async (...args: Parameters<typeof createPush>) => {
      await world.emu.admin.seedFiles(PROJECT, name, 'main', { [`other/${n++}.yaml`]: 'x\n' }, 'other');
      return createPush(...args);
    });
    await assert.rejects(
      commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: { 'a.yaml': 'b\n' }, message: 'mine', maxAttempts: 3, baseDelayMs: 1 }),
      (e: Error) =>
        e instanceof ConcurrentUpdateError &&
        /committing to \/dev on refs\/heads\/main of demo\/gitops-\d+: the branch kept moving .*3 attempts/.test(e.message),
    );
    assert.ok(!logSubjects(bare).includes('mine'));
  });
});
