import * as assert from 'node:assert/strict';
import {
  AmbiguousIdentityError,
  commitFolder,
  findOrCreatePullRequest,
  identitiesBaseUrl,
  isIdentityId,
  resolveIdentity,
  resolveReviewers,
  UnknownIdentityError,
} from '../../../shared/devops';
import { PROJECT, startWorld, World } from './emulator-world';

describe('devops library against the emulator: reviewers by id, email or name', function () {
  this.timeout(60_000);
  let world: World;
  let jamal: { id: string };
  let mona: { id: string };
  let approvers: { id: string };
  before(async () => {
    world = await startWorld();
    world.emu.admin.createProject('platform');
    jamal = world.emu.admin.identity('Jamal Hartnett', { email: 'jamal@contoso.com' });
    world.emu.admin.identity('Jamal Hartnett', { email: 'jamal.h@fabrikam.com' }); // a namesake
    mona = world.emu.admin.identity('Mona Kane', { email: 'mona@contoso.com' });
    approvers = world.emu.admin.group('Release Approvers', { project: PROJECT, members: ['mona@contoso.com'] });
    world.emu.admin.group('Release Approvers', { project: 'platform' });
  });
  after(async () => {
    await world?.stop();
  });

  async function promotionBranch() {
    const made = await world.newRepo({ 'dev/a.yaml': 'a\n' });
    await commitFolder(world.connect(), made.repo, {
      branch: 'promote/dev',
      baseBranch: 'main',
      folder: 'dev',
      files: { 'a.yaml': 'b\n' },
      message: 'render dev',
    });
    return made;
  }
  const base = { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote dev' };
  const calls = () => world.emu.admin.requests().map((r) => `${r.method} ${r.operation}`);

  it('creates the PR with reviewers given by email, display name, scoped group name and id', async () => {
    const { repo } = await promotionBranch();
    const guid = '55555555-5555-5555-5555-555555555555';
    const { pullRequest, created } = await findOrCreatePullRequest(world.connect(), repo, {
      ...base,
      reviewers: [
        { name: 'JAMAL@contoso.com', required: true },
        { name: 'Mona Kane', required: false },
        { name: `[${PROJECT}]\\Release Approvers`, required: true },
        { name: guid.toUpperCase(), required: false },
      ],
    });
    assert.equal(created, true);
    assert.deepEqual(
      pullRequest.reviewers.map((r) => [r.id, r.displayName, r.required]),
      [
        [jamal.id, 'Jamal Hartnett', true],
        [mona.id, 'Mona Kane', false],
        [approvers.id, `[${PROJECT}]\\Release Approvers`, true],
        [guid, 'User 55555555', false],
      ],
    );
  });

  it('looks names up through GET _apis/identities (searchFilter General, api-version 7.1), ids never', async () => {
    world.emu.admin.clearRequests();
    const conn = world.connect();
    const resolved = await resolveReviewers(conn, [
      { name: 'mona@contoso.com', required: false },
      { name: 'Mona Kane', required: true }, // the same person again: kept once, required
      { name: 'mona@contoso.com', required: false }, // looked up once
      { id: jamal.id, required: false },
      { name: `{${jamal.id}}`, required: true },
    ]);
    assert.deepEqual(resolved, [
      { id: mona.id, required: true },
      { id: jamal.id, required: true },
    ]);
    assert.deepEqual(
      world.emu.admin.requests().map((r) => `${r.method} ${r.path} ${r.operation}`),
      ['mona%40contoso.com', 'Mona%20Kane'].map(
        (v) => `GET /gitopsorg/_apis/identities?searchFilter=General&filterValue=${v}&queryMembership=None&api-version=7.1 Identities_Read Identities`,
      ),
    );
  });

  it('an unknown reviewer is an error naming it, before the PR is created', async () => {
    const { repo } = await promotionBranch();
    world.emu.admin.clearRequests();
    await assert.rejects(
      findOrCreatePullRequest(world.connect(), repo, {
        ...base,
        reviewers: [
          { name: 'mona@contoso.com', required: true },
          { name: 'nobody@contoso.com', required: true },
        ],
      }),
      (e: Error) => {
        assert.ok(e instanceof UnknownIdentityError, String(e));
        assert.equal(
          e.message,
          `reviewer "nobody@contoso.com": no active user or group in ${world.emu.url} has that display name, email, account or group name`,
        );
        assert.equal(e.query, 'nobody@contoso.com');
        return true;
      },
    );
    assert.deepEqual(calls(), ['GET Identities_Read Identities', 'GET Identities_Read Identities']);
  });

  it('an ambiguous reviewer is an error naming it and the candidates, before the PR is created', async () => {
    const { repo } = await promotionBranch();
    const conn = world.connect();
    await assert.rejects(findOrCreatePullRequest(conn, repo, { ...base, reviewers: [{ name: 'Jamal Hartnett', required: true }] }), (e: Error) => {
      assert.ok(e instanceof AmbiguousIdentityError, String(e));
      const ids = e.candidates.map((c) => c.id);
      assert.equal(ids.length, 2);
      assert.ok(ids.includes(jamal.id));
      const described = e.candidates.map((c) => `Jamal Hartnett <${c.mail}> (id ${c.id})`).join('; ');
      assert.equal(
        e.message,
        `reviewer "Jamal Hartnett" is ambiguous: it matches 2 identities (${described}); give the email, the scoped group name ("[project]\\Group") or the identity id instead`,
      );
      return true;
    });
    await assert.rejects(resolveIdentity(conn, 'release approvers', 'reviewer'), (e: Error) => {
      assert.ok(e instanceof AmbiguousIdentityError);
      assert.match(
        e.message,
        /^reviewer "release approvers" is ambiguous: it matches 2 identities \(\[(demo|platform)\]\\Release Approvers <group> \(id [0-9a-f-]{36}\); \[(demo|platform)\]\\Release Approvers <group>/,
      );
      return true;
    });
    assert.deepEqual(await conn.git.getPullRequests(repo.id, { status: 4 }, repo.project.id), []);
  });

  it('an adopted PR gets the missing reviewers by name; a re-run adds none', async () => {
    const { repo } = await promotionBranch();
    await findOrCreatePullRequest(world.connect(), repo, { ...base, reviewers: [{ name: 'mona@contoso.com', required: false }] });
    const again = await findOrCreatePullRequest(world.connect(), repo, {
      ...base,
      reviewers: [
        { name: 'mona@contoso.com', required: false },
        { name: `[${PROJECT}]\\Release Approvers`, required: true },
      ],
    });
    assert.deepEqual(
      again.pullRequest.reviewers.map((r) => [r.id, r.required]),
      [
        [mona.id, false],
        [approvers.id, true],
      ],
    );
    world.emu.admin.clearRequests();
    await findOrCreatePullRequest(world.connect(), repo, {
      ...base,
      reviewers: [
        { name: 'Mona Kane', required: false },
        { name: `[${PROJECT}]\\Release Approvers`, required: true },
      ],
    });
    assert.ok(!calls().some((c) => c.startsWith('PUT') || c.startsWith('PATCH') || c.startsWith('POST')), calls().join('\n'));
  });

  it('the identity lookup is retried on 503 and honours Retry-After on 429', async () => {
    const logs: string[] = [];
    const conn = world.connect({ log: (l) => logs.push(l) });
    world.emu.admin.injectFault({ method: 'GET', pathPattern: /\/_apis\/identities/, status: 503, count: 1 });
    world.emu.admin.injectFault({ method: 'GET', pathPattern: /\/_apis\/identities/, status: 429, retryAfterSeconds: 1, count: 1 });
    const started = Date.now();
    assert.deepEqual(await resolveIdentity(conn, 'mona@contoso.com'), {
      id: mona.id,
      displayName: 'Mona Kane',
      accountName: 'mona@contoso.com',
      mail: 'mona@contoso.com',
      isGroup: false,
    });
    assert.ok(Date.now() - started >= 1000);
    assert.equal(logs.length, 2, logs.join('\n'));
    assert.match(logs[0], /^HTTP 503 while looking up the identity "mona@contoso.com" in http:\/\/127\.0\.0\.1:\d+\/gitopsorg: retry 1 in \d+ ms$/);
  });

  it('knows ids from names, and where the Identities API lives', () => {
    assert.deepEqual(
      ['1d9a4b5e-0000-4000-8000-000000000001', '{1D9A4B5E-0000-4000-8000-000000000001}', 'jamal@contoso.com', '[p]\\G', '1d9a4b5e'].map(isIdentityId),
      [true, true, false, false, false],
    );
    assert.equal(identitiesBaseUrl('https://dev.azure.com/contoso'), 'https://vssps.dev.azure.com/contoso');
    assert.equal(identitiesBaseUrl('https://contoso.visualstudio.com'), 'https://contoso.vssps.visualstudio.com');
    assert.equal(identitiesBaseUrl('https://tfs.contoso.local/tfs/DefaultCollection'), 'https://tfs.contoso.local/tfs/DefaultCollection');
    assert.equal(identitiesBaseUrl('http://127.0.0.1:8080/org'), 'http://127.0.0.1:8080/org');
  });
});
