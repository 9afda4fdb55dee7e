// The Build routes (Builds - List, Artifacts - List / Get Artifact) through the real BuildApi
// client and over raw HTTP: shapes, filters, order, the zip, and the errors' status and typeKey.
import * as assert from 'node:assert/strict';
import * as azdev from 'azure-devops-node-api';
import type { BuildApi } from 'azure-devops-node-api/BuildApi';
import { BuildQueryOrder, BuildResult, BuildStatus } from 'azure-devops-node-api/interfaces/BuildInterfaces';
import { readZipEntry, zipEntryNames } from '../../../shared/devops/zip-archive';
import { DevOpsEmulator, startDevOpsEmulator } from './index';

const P = 'voting';

describe('Azure DevOps emulator: builds and artifacts', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let build: BuildApi;
  let ids: number[];

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject(P);
    const ci = { id: 4, name: 'voting-app-ci' };
    ids = [
      emu.admin.recordBuild(P, { definition: ci, buildNumber: 'b1', artifacts: { release: { 'release.json': '{"n":1}', 'source/a.yaml': 'a: 1\n' } } }).id,
      emu.admin.recordBuild(P, { definition: ci, buildNumber: 'b2', result: 'failed' }).id,
      emu.admin.recordBuild(P, { definition: ci, buildNumber: 'b3', sourceBranch: 'refs/heads/dev' }).id,
      emu.admin.recordBuild(P, { definition: ci, buildNumber: 'b4', status: 'inProgress' }).id,
    ];
    const token = emu.admin.mintJobToken(P, []);
    build = await new azdev.WebApi(emu.url, azdev.getBearerHandler(token), { allowRetries: false }).getBuildApi();
  });
  after(async () => emu?.stop());

  const raw = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${emu.url}/${P}/_apis/build/${path}`, { headers: { Authorization: `Bearer ${emu.token}`, ...headers } });

  it('lists builds newest first by default and filters by definition, branch, status and result', async () => {
    const all = await build.getBuilds(P);
    assert.deepEqual(
      all.map((b) => b.buildNumber),
      ['b4', 'b3', 'b2', 'b1'],
    );
    const done = await build.getBuilds(P, [4], undefined, undefined, undefined, undefined, undefined, undefined, BuildStatus.Completed, BuildResult.Succeeded);
    assert.deepEqual(
      done.map((b) => [b.buildNumber, b.status, b.result, b.sourceBranch]),
      [
        ['b3', BuildStatus.Completed, BuildResult.Succeeded, 'refs/heads/dev'],
        ['b1', BuildStatus.Completed, BuildResult.Succeeded, 'refs/heads/main'],
      ],
    );
    const oldest = await build.getBuilds(
      P,
      [4],
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      1,
      undefined,
      undefined,
      undefined,
      BuildQueryOrder.QueueTimeAscending,
    );
    assert.deepEqual(
      oldest.map((b) => b.buildNumber),
      ['b1'],
    );
    assert.deepEqual(await build.getBuilds(P, [5]), []);
    const first = all[3];
    assert.equal(first.definition?.name, 'voting-app-ci');
    assert.equal(first.uri, `vstfs:///Build/Build/${ids[0]}`);
    assert.ok(first.finishTime instanceof Date);
  });

  it('answers the artifacts of a build, one as JSON and as a zip below a folder named after it', async () => {
    assert.deepEqual(
      (await build.getArtifacts(P, ids[0])).map((a) => [a.name, a.resource?.type]),
      [['release', 'Container']],
    );
    const artifact = await build.getArtifact(P, ids[0], 'release');
    assert.match(artifact.resource?.downloadUrl ?? '', /artifactName=release&api-version=7\.1&%24format=zip$/);
    const stream = await build.getArtifactContentZip(P, ids[0], 'release');
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    assert.equal((stream as unknown as { statusCode: number }).statusCode, 200);
    assert.deepEqual(zipEntryNames(Buffer.concat(chunks)), ['release/release.json', 'release/source/a.yaml']);
    const bytes = Buffer.from(await (await raw(`builds/${ids[0]}/artifacts?artifactName=release&%24format=zip&api-version=7.1`)).arrayBuffer());
    assert.deepEqual(zipEntryNames(bytes), ['release/release.json', 'release/source/a.yaml']);
    assert.equal(readZipEntry(bytes, 'release/release.json')?.toString(), '{"n":1}');
  });

  it('answers a missing artifact, a missing build and a bad filter as the service does', async () => {
    const missing = await raw(`builds/${ids[1]}/artifacts?artifactName=release&api-version=7.1`);
    assert.equal(missing.status, 404);
    assert.deepEqual(((await missing.json()) as { typeKey: string }).typeKey, 'ArtifactNotFoundException');
    const noBuild = await raw('builds/999/artifacts?artifactName=release&api-version=7.1');
    assert.equal(noBuild.status, 404);
    assert.deepEqual(((await noBuild.json()) as { typeKey: string }).typeKey, 'BuildNotFoundException');
    const bad = await raw('builds?statusFilter=sleeping&api-version=7.1');
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as { typeKey: string }).typeKey, 'InvalidArgumentValueException');
    assert.equal(((await raw('builds?statusFilter=completed&resultFilter=failed&api-version=7.1').then((r) => r.json())) as { count: number }).count, 1);
  });
});
