import * as assert from 'node:assert/strict';
import { isInFolder, pathsChangedSince } from '../../../shared/devops/branch-changes';
import { commitFolder } from '../../../shared/devops/commit-folder';
import { readBranchHead } from '../../../shared/devops/repository';
import { PROJECT, startWorld, World } from './emulator-world';

describe('pathsChangedSince: the files a branch changed since it left another (emulator)', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('lists only the branch’s own changes since the merge base, every page, and the target’s own the other way round', async () => {
    const { repo, name } = await world.newRepo({ 'apps/dev/web/a.yaml': 'a\n', 'apps/dev/web/gone.yaml': 'g\n', 'README.md': 'r\n' });
    const conn = world.connect();
    await commitFolder(conn, repo, {
      branch: 'promote',
      baseBranch: 'main',
      folder: 'apps/dev/web',
      files: { 'a.yaml': 'b\n', 'new.yaml': 'n\n', 'sub/deep.yaml': 'd\n' },
      message: 'render',
    });
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'apps/stage/web/x.yaml': 'x\n' }, 'main moved on');
    const main = (await readBranchHead(conn, repo, 'main'))!;
    const branch = (await readBranchHead(conn, repo, 'promote'))!;
    const own = ['apps/dev/web/a.yaml', 'apps/dev/web/gone.yaml', 'apps/dev/web/new.yaml', 'apps/dev/web/sub/deep.yaml'];
    assert.deepEqual((await pathsChangedSince(conn, repo, main, branch)).sort(), own);
    assert.deepEqual((await pathsChangedSince(conn, repo, main, branch, 1)).sort(), own, 'one change per page');
    assert.deepEqual(await pathsChangedSince(conn, repo, branch, main), ['apps/stage/web/x.yaml']);
    assert.deepEqual(await pathsChangedSince(conn, repo, main, main), []);
  });

  it('tells whether a path is in a folder, not merely sharing its prefix', () => {
    assert.equal(isInFolder('/apps/dev/web/a.yaml', 'apps/dev/web'), true);
    assert.equal(isInFolder('apps/dev/web', 'apps/dev/web'), true);
    assert.equal(isInFolder('apps/dev/web2/a.yaml', 'apps/dev/web'), false);
    assert.equal(isInFolder('apps/dev/a.yaml', 'apps/dev/web'), false);
  });
});
