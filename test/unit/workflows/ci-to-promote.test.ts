/**
 * GitOpsCiPublish@1 then GitOpsPromote@1 in this process, each over an in-memory agent: the sample
 * app's release bundle, rendered again and pushed to the emulator's GitOps repository. The same
 * path as test/tasks, without spawning bundles; helm and kubectl come from PATH (npm test puts the
 * test tools there).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { ciPublish } from '../../../shared/workflows/ci-publish';
import { promote } from '../../../shared/workflows/promote';
import { git, lsFiles, startWorld, World } from '../../integration/devops/emulator-world';
import { promoteAgent } from './promotion-world';

describe('GitOpsCiPublish then GitOpsPromote in process (in-memory agents, emulator)', function () {
  this.timeout(120_000);
  let world: World;
  const temp: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    temp.push(dir);
    return dir;
  };
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the release, then pushes its dev rendering; a second promotion changes nothing', async () => {
    const app = tempDir('gitops-inproc-app-');
    fs.cpSync(path.join(process.cwd(), 'examples/app'), app, { recursive: true });
    const ci = new MemoryAgent({
      inputs: {
        templates: 'deploy/kustomize/overlays/{environment}',
        environments: 'dev,stage,prod',
        valuesFile: 'deploy/environments/{environment}.yaml',
        images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
        tagStrategy: 'fixed',
        tag: '1.5.0',
        appName: 'voting-app',
        publishArtifact: 'false',
      },
      variables: {
        'Build.SourcesDirectory': app,
        'Build.ArtifactStagingDirectory': tempDir('gitops-inproc-staging-'),
        'Build.BuildId': '42',
        'Build.BuildNumber': '20261127.1',
        'Build.SourceVersion': 'a'.repeat(40),
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
        'Agent.TempDirectory': tempDir('gitops-inproc-agent-'),
      },
    });
    await ciPublish(ci, '1.0.0');
    assert.equal(ci.result?.result, 'Succeeded', JSON.stringify(ci.results));
    const bundle = ci.outputs.get('bundlePath')!;
    assert.ok(fs.existsSync(path.join(bundle, 'release.json')));

    const { name, bare } = await world.newRepo();
    const inputs = { bundle, gitopsRepository: name, targetFolder: 'apps/{environment}/{app}', deliveryMode: 'push', commitStatuses: 'false' };
    const first = promoteAgent(world, name, inputs);
    await promote(first, '1.0.0');
    const head = git(bare, 'rev-parse', 'refs/heads/main');
    assert.deepEqual(first.result, {
      result: 'Succeeded',
      message: `voting-app 20261127.1 promoted to dev at ${head.slice(0, 12)} (demo/${name} /apps/dev/voting-app); Flux not awaited`,
    });
    assert.equal(lsFiles(bare, 'main', 'apps/dev/voting-app').length, 7);
    assert.ok(first.infoLines.includes('7 object(s) rendered into 7 file(s) for /apps/dev/voting-app'), first.infoLines.join('\n'));

    const second = promoteAgent(world, name, inputs);
    await promote(second, '1.0.0');
    assert.equal(git(bare, 'rev-parse', 'refs/heads/main'), head);
    assert.deepEqual(second.result, { result: 'Succeeded', message: `dev already runs voting-app 20261127.1 (demo/${name} /apps/dev/voting-app)` });
  });
});
