/**
 * GitOpsPromote@1 as the agent runs it (the built bundle against the Azure DevOps emulator, the
 * GitOps repository seeded from examples/gitops): another app's folder under the same Flux
 * Kustomization path already defines one of the release's objects. The promotion fails before
 * anything is written, naming both files; without the overlap it promotes as before.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';
import { exampleGitOpsFiles, publishSampleRelease } from '../harness/sample-release';
import { connectWithJobToken } from '../../shared/devops/connection';
import { resolveRepository } from '../../shared/devops/repository';

const root = process.cwd();
const promoteDir = path.join(root, 'dist/tasks/GitOpsPromote/v1');
const PROJECT = 'Voting';
const runs: TaskRun[] = [];
const cleanup: string[] = [];

/** Another app of dev, under the same Kustomization path (./apps/dev) as voting-app. */
const otherApp = (serviceName: string) =>
  [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: other-app',
    '  namespace: voting-dev',
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${serviceName}`,
    '  namespace: voting-dev',
    'spec:',
    '  ports:',
    '    - port: 6379',
    '',
  ].join('\n');

describe('GitOpsPromote@1 bundle: an object another app under the same Flux Kustomization path defines', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let bundle: string;

  const seedRepository = async (name: string, extra: Record<string, string>) => {
    await devops.admin.createRepository(PROJECT, name, { defaultBranch: 'main' });
    await devops.admin.seedFiles(PROJECT, name, 'main', { ...exampleGitOpsFiles(), ...extra }, 'GitOps repository from examples/gitops, and another app');
    const bare = devops.admin.bareRepositoryPath(PROJECT, name);
    return (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  };

  async function promote(repository: string, inputs: Record<string, string>): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir: promoteDir,
      inputs: { bundle, environment: 'dev', gitopsRepository: repository, waitForReconciliation: 'false', mergeTimeoutMinutes: '1', ...inputs },
      variables: { 'System.CollectionUri': `${devops.url}/`, 'System.TeamProject': PROJECT, 'Build.BuildId': '77', 'Build.BuildNumber': '20261127.3' },
      endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    runs.push(run);
    return run;
  }

  async function pullRequests(repository: string) {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/${repository}`);
    return conn.git.getPullRequests(repo.id, { status: 4 /* all */ }, PROJECT);
  }

  before(async () => {
    const sample = await publishSampleRelease('gitops-overlap-app-');
    cleanup.push(sample.appDir);
    const published = sample.run;
    runs.push(published);
    bundle = sample.bundle;
    devops = await startDevOpsEmulator({ org: 'contoso' });
    devops.admin.createProject(PROJECT);
  });

  after(async () => {
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const mode of ['pullRequest', 'push'] as const) {
    it(`${mode}: fails naming the object and both files; no branch, no commit, no pull request`, async () => {
      const repository = `gitops-overlap-${mode}`;
      const git = await seedRepository(repository, { 'apps/dev/other-app/service.yaml': otherApp('voting-app-redis') });
      const refs = git('for-each-ref', '--format=%(refname) %(objectname)');
      const run = await promote(repository, { deliveryMode: mode });
      assert.equal(run.result, 'Failed', run.stdout);
      assert.equal(
        run.resultMessage,
        '1 object(s) would be defined twice under the Flux Kustomization path /apps/dev of main: ' +
          'Service voting-dev/voting-app-redis is rendered to apps/dev/voting-app/service-voting-app-redis.yaml and already defined in apps/dev/other-app/service.yaml:7. ' +
          'Nothing was committed: rename the object, or give the apps target folders that different Kustomizations apply',
      );
      assert.equal(git('for-each-ref', '--format=%(refname) %(objectname)'), refs);
      assert.deepEqual(await pullRequests(repository), []);
      assert.equal(run.summaries.length, 1);
      assert.match(run.summaries[0].markdown, /would be defined twice/);
    });
  }

  it('promotes as before when the other app defines other objects, after reading its file', async () => {
    const repository = 'gitops-no-overlap';
    const git = await seedRepository(repository, { 'apps/dev/other-app/service.yaml': otherApp('other-app-redis') });
    const before = git('rev-parse', 'refs/heads/main');
    const run = await promote(repository, { deliveryMode: 'push' });
    assert.equal(run.result, 'Succeeded', run.stdout);
    const pushed = git('rev-parse', 'refs/heads/main');
    assert.deepEqual(git('rev-list', '--parents', '-n', '1', pushed).split(' '), [pushed, before]);
    assert.equal(git('ls-tree', '-r', '--name-only', pushed, '--', 'apps/dev/voting-app').split('\n').length, 7);
    assert.ok(
      run.stdout.includes(`Checked 1 other YAML file(s) under /apps/dev of main at ${before.slice(0, 12)}: no object of this promotion is defined there`),
      run.stdout,
    );
  });
});
