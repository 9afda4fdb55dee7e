// GitOpsCiPublish@1's previous release: the previousRelease input's three forms, and the release.json
// of the last successful run read through the emulator's Build API with a job token.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { previousImages } from '../../../shared/workflows/ci-previous-release';
import { BuildContext, readPublishInputs } from '../../../shared/workflows/ci-publish-inputs';
import { DevOpsEmulator, startDevOpsEmulator } from '../../emulators/devops';

const build: BuildContext = {
  sourcesDirectory: path.resolve('/agent/s'),
  stagingDirectory: path.resolve('/agent/a'),
  buildId: '9',
  buildNumber: '20261206.9',
  commit: 'a'.repeat(40),
  branch: 'refs/heads/main',
  repository: 'voting-app',
};
const inputs = (previousRelease: string) => new MemoryAgent({ inputs: { images: 'WEB=contoso.azurecr.io/web:src/web', previousRelease } });

describe('previousRelease input', () => {
  for (const [given, fromRun, file] of [
    ['', false, ''],
    ['none', false, ''],
    ['None', false, ''],
    ['lastSuccessfulRun', true, ''],
    ['lastsuccessfulrun', true, ''],
    ['previous/release.json', false, path.resolve('/agent/s/previous/release.json')],
  ] as const) {
    it(`"${given}": ${fromRun ? 'the last successful run' : file ? 'a path' : 'none'}`, () => {
      const publish = readPublishInputs(inputs(given), build);
      assert.deepEqual([publish.previousReleaseFromRun, publish.previousRelease], [fromRun, file]);
    });
  }
});

describe('previousImages from the last successful run (emulator Build API)', function () {
  this.timeout(30_000);
  let emu: DevOpsEmulator;
  let token: string;
  const agentFor = (extra: Record<string, string> = {}) =>
    new MemoryAgent({
      inputs: { images: 'WEB=contoso.azurecr.io/web:src/web', previousRelease: 'lastSuccessfulRun' },
      variables: { 'System.DefinitionId': '3', 'System.TeamProject': 'voting', 'System.CollectionUri': `${emu.url}/`, ...extra },
      endpoints: { SYSTEMVSSCONNECTION: { url: `${emu.url}/`, scheme: 'OAuth', parameters: { AccessToken: token } } },
    });

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject('voting');
    token = emu.admin.mintJobToken('voting', []);
  });
  after(async () => emu?.stop());

  it('logs why there is none on a first run', async () => {
    const agent = agentFor();
    assert.equal(await previousImages(agent, build, readPublishInputs(agent, build)), undefined);
    assert.deepEqual(
      agent.log.filter((l) => l.kind === 'info').map((l) => l.text),
      ['No previous release: no successful run of pipeline 3 on refs/heads/main yet. Every image tag counts as new.'],
    );
  });

  it('answers the images of the release.json it found', async () => {
    const release = { kind: 'gitops-flow/release/v1', images: [{ name: 'WEB', reference: 'contoso.azurecr.io/web:abc' }, { name: 'BAD' }] };
    const run = emu.admin.recordBuild('voting', {
      definition: { id: 3 },
      buildNumber: '20261206.8',
      artifacts: { release: { 'release.json': JSON.stringify(release) } },
    });
    const agent = agentFor();
    const images = await previousImages(agent, build, readPublishInputs(agent, build));
    assert.deepEqual(images, new Map([['WEB', 'contoso.azurecr.io/web:abc']]));
    assert.deepEqual(
      agent.log.filter((l) => l.kind === 'info').map((l) => l.text),
      [`Previous release: release.json of run 20261206.8 (build ${run.id}, artifact "release") on refs/heads/main, 1 image(s)`],
    );
  });

  it('names the run when its release.json is not one of ours', async () => {
    const run = emu.admin.recordBuild('voting', {
      definition: { id: 3 },
      buildNumber: '20261206.10',
      artifacts: { release: { 'release.json': '{"kind":"other"}' } },
    });
    const agent = agentFor();
    await assert.rejects(previousImages(agent, build, readPublishInputs(agent, build)), {
      message: `Input "previousRelease": "release.json of run 20261206.10 (build ${run.id}, artifact "release")" is not a release.json written by GitOpsCiPublish@1 (kind gitops-flow/release/v1)`,
    });
  });

  it('reads a path as before, warning when it does not exist', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-previous-'));
    try {
      const agent = new MemoryAgent({ inputs: { images: 'WEB=contoso.azurecr.io/web:src/web', previousRelease: path.join(dir, 'none.json') } });
      assert.equal(await previousImages(agent, build, readPublishInputs(agent, build)), undefined);
      assert.deepEqual(
        agent.log.filter((l) => l.kind === 'warning').map((l) => l.text),
        [`No previous release at ${path.join(dir, 'none.json')}: every image tag counts as new.`],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
