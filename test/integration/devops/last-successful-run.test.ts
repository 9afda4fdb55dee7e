// The last successful run's release.json through the real BuildApi client against the emulator's
// Build routes (Builds - List, Artifacts - Get Artifact as a zip), with a job token.
import * as assert from 'node:assert/strict';
import { DevOpsEmulator, startDevOpsEmulator } from '../../emulators/devops';
import { DevOpsError } from '../../../shared/devops/errors';
import { buildReader, LastRunQuery, readLastSuccessfulRunFile } from '../../../shared/devops/last-successful-run';

const PROJECT = 'voting';
const CI = { id: 7, name: 'voting-app-ci' };
const query: LastRunQuery = { project: PROJECT, definitionId: CI.id, branch: 'refs/heads/main', artifactName: 'release', file: 'release.json' };
const releaseOf = (n: number) => ({ 'release.json': `{"run":${n}}\n`, 'templates/a.yaml': 'a: 1\n' });

describe('readLastSuccessfulRunFile against the Azure DevOps emulator', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let token: string;
  const read = (q: Partial<LastRunQuery> = {}, t = token) =>
    readLastSuccessfulRunFile(
      buildReader(emu.url, t, 10_000),
      { ...query, ...q },
      { retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 10_000 }, secrets: [t] },
    );

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject(PROJECT);
    token = emu.admin.mintJobToken(PROJECT, []);
  });
  after(async () => emu?.stop());
  afterEach(() => emu.admin.clearFaults());

  it('finds no previous run on a first run', async () => {
    assert.deepEqual(await read(), { found: false, reason: 'no successful run of pipeline 7 on refs/heads/main yet' });
  });

  it('reads release.json of the newest succeeded, completed run of the definition on the branch', async () => {
    const wanted = emu.admin.recordBuild(PROJECT, { definition: CI, buildNumber: '20261201.1', artifacts: { release: releaseOf(1) } });
    // Newer, but not to be chosen: another branch, another definition, partially succeeded, failed, still running.
    emu.admin.recordBuild(PROJECT, { definition: CI, sourceBranch: 'refs/heads/feature', artifacts: { release: releaseOf(2) } });
    emu.admin.recordBuild(PROJECT, { definition: { id: 8 }, artifacts: { release: releaseOf(3) } });
    emu.admin.recordBuild(PROJECT, { definition: CI, result: 'partiallySucceeded', artifacts: { release: releaseOf(4) } });
    emu.admin.recordBuild(PROJECT, { definition: CI, result: 'failed', artifacts: { release: releaseOf(5) } });
    emu.admin.recordBuild(PROJECT, { definition: CI, status: 'inProgress' });
    const found = await read();
    assert.deepEqual(found, { found: true, buildId: wanted.id, buildNumber: '20261201.1', content: Buffer.from('{"run":1}\n') });
    const listing = emu.admin.requests().filter((r) => r.operation === 'Builds_List');
    // Builds - List as the client sends it: BuildStatus.Completed, BuildResult.Succeeded, BuildQueryOrder.FinishTimeDescending.
    assert.equal(
      listing[listing.length - 1].path,
      '/contoso/voting/_apis/build/builds?definitions=7&statusFilter=2&resultFilter=2&%24top=1&queryOrder=3&branchName=refs%2Fheads%2Fmain',
    );
  });

  it('says so when the last successful run has no such artifact or the artifact no such file', async () => {
    const bare = emu.admin.recordBuild(PROJECT, { definition: CI, buildNumber: '20261201.9' });
    assert.deepEqual(await read(), { found: false, reason: 'run 20261201.9 has no artifact "release"', buildId: bare.id, buildNumber: '20261201.9' });
    const other = emu.admin.recordBuild(PROJECT, { definition: CI, buildNumber: '20261201.10', artifacts: { release: { 'images.yaml': 'x\n' } } });
    assert.deepEqual(await read(), {
      found: false,
      reason: 'the artifact "release" of run 20261201.10 has no release.json',
      buildId: other.id,
      buildNumber: '20261201.10',
    });
  });

  it('retries a throttled listing and a failed download', async () => {
    const last = emu.admin.recordBuild(PROJECT, { definition: CI, buildNumber: '20261201.11', artifacts: { release: releaseOf(11) } });
    emu.admin.injectFault({ method: 'GET', pathPattern: '/_apis/build/builds?', status: 429, retryAfterSeconds: 0, count: 1 });
    emu.admin.injectFault({ method: 'GET', pathPattern: `/builds/${last.id}/artifacts`, status: 503, count: 1 });
    const found = await read();
    assert.equal(found.found && found.content.toString(), '{"run":11}\n');
    assert.deepEqual(
      emu.admin
        .requests()
        .slice(-4)
        .map((r) => [r.operation?.replace(/^fault:.*/, 'fault'), r.status]),
      [
        ['fault', 429],
        ['Builds_List', 200],
        ['fault', 503],
        ['Artifacts_Get Artifact', 200],
      ],
    );
  });

  it('fails with the action and the status when the token is refused, the token masked', async () => {
    const error = await read({}, 'not-a-job-token').then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DevOpsError);
    assert.equal(error.statusCode, 401);
    assert.match(error.message, /^listing the last successful run of pipeline 7 on refs\/heads\/main in project voting: HTTP 401/);
    assert.doesNotMatch(error.message, /not-a-job-token/);
  });
});
