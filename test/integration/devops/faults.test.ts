import * as assert from 'node:assert/strict';
import { commitFolder, DevOpsError, findOrCreatePullRequest, readBranchHead, readFolderTree } from '../../../shared/devops';
import { logSubjects, startWorld, World } from './emulator-world';

/** Each fault kind the emulator injects, against reads (retried) and writes (converged by re-reading). */
describe('devops library against the emulator: faults', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  const readFaults: [string, Record<string, unknown>][] = [
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
    ['429 without Retry-After', { status: 429 }],
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['a reset connection', { reset: true }],
    ['a slow answer (longer than the socket timeout)', { delayMs: 3000 }],
  ];
  // Only the slow answer needs a short socket timeout; every other request of that case has it too, so it leaves room
  // for a loaded machine (answers here took up to 180 ms; with 700 ms an extra timeout and retry log could appear).
  const SLOW_SOCKET_TIMEOUT_MS = 1000;
  for (const [label, fault] of readFaults) {
    it(`a folder read survives ${label}`, async () => {
      const { repo } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
      const logs: string[] = [];
      const conn = world.connect({ ...('delayMs' in fault ? { socketTimeoutMs: SLOW_SOCKET_TIMEOUT_MS } : {}), log: (l) => logs.push(l) });
      const head = (await readBranchHead(conn, repo, 'main'))!;
      world.emu.admin.injectFault({ method: 'GET', pathPattern: /\/items/, count: 2, ...fault });
      const started = Date.now();
      const tree = await readFolderTree(conn, repo, head, 'dev');
      assert.deepEqual([...tree.files.keys()], ['a.yaml']);
      assert.equal(logs.length, 2, logs.join('\n'));
      if (fault.retryAfterSeconds) assert.ok(Date.now() - started >= 2000, 'honours Retry-After twice');
      assert.ok(!logs.join('\n').includes(world.emu.token), 'no token in logs');
    });
  }

  it('fails with a clear message when the server asks to wait longer than the budget', async () => {
    const { repo } = await world.newRepo();
    const conn = world.connect({ retry: { budgetMs: 2000 } });
    world.emu.admin.injectFault({ method: 'GET', pathPattern: /\/refs/, status: 429, retryAfterSeconds: 30, count: 1 });
    await assert.rejects(readBranchHead(conn, repo, 'main'), (e: Error) => {
      assert.ok(e instanceof DevOpsError);
      assert.match(e.message, /^reading refs\/heads\/main of demo\/gitops-\d+: gave up after 1 attempt .*asked to wait 30 s.*HTTP 429/);
      assert.equal(e.statusCode, 429);
      return true;
    });
  });

  const pushFaults: [string, Record<string, unknown>][] = [
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
    ['429 without Retry-After', { status: 429 }],
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['a reset connection', { reset: true }],
  ];
  for (const [label, fault] of pushFaults) {
    it(`a push that meets ${label} lands exactly once`, async () => {
      const { repo, bare } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
      const conn = world.connect();
      world.emu.admin.injectFault({ method: 'POST', pathPattern: /\/pushes/, count: 1, ...fault });
      const r = await commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: { 'a.yaml': 'b\n' }, message: 'promote', baseDelayMs: 10 });
      assert.equal(r.outcome, 'committed');
      assert.equal(r.pushes, 2);
      assert.deepEqual(logSubjects(bare), ['promote', 'seed']);
    });
  }

  it('a push cut off after the server applied it is not applied twice', async () => {
    const { repo, bare } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect({ socketTimeoutMs: SLOW_SOCKET_TIMEOUT_MS });
    // The emulator applies the push, then answers too late: the client times out.
    world.emu.admin.injectFault({ method: 'POST', pathPattern: /\/pushes/, delayMs: 3000, count: 1 });
    const r = await commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: { 'a.yaml': 'b\n' }, message: 'promote', baseDelayMs: 4000 });
    assert.equal(r.outcome, 'committed');
    assert.deepEqual(logSubjects(bare), ['promote', 'seed']);
  });

  it('a pull request create that meets a 503 is looked up again, then created once', async () => {
    const { repo } = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    const conn = world.connect();
    await commitFolder(conn, repo, { branch: 'feature', baseBranch: 'main', folder: 'dev', files: { 'a.yaml': 'b\n' }, message: 'f' });
    world.emu.admin.injectFault({ method: 'POST', pathPattern: /\/pullrequests/i, status: 503, count: 1 });
    const first = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'feature', targetBranch: 'main', title: 'Promote' });
    assert.equal(first.created, true);
    const second = await findOrCreatePullRequest(conn, repo, { sourceBranch: 'feature', targetBranch: 'main', title: 'Promote' });
    assert.deepEqual([second.created, second.pullRequest.id], [false, first.pullRequest.id]);
  });
});
