/**
 * GitOpsPromote@1 in an organization with the default job scope ("Limit job authorization scope to
 * referenced Azure DevOps repositories" on): a job that does not declare the GitOps repository gets
 * the explanation of what to change and writes nothing; the same job declaring it promotes.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { ArmEmulator } from '../emulators/arm';
import type { DevOpsEmulator } from '../emulators/devops';
import { promoteRunOptions, publishSampleRelease, startGitOpsEmulators } from '../harness/sample-release';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { repositoryNotVisibleMessage } from '../../shared/devops/repository-access';

const PROJECT = 'Voting';

describe('GitOpsPromote@1 bundle: job token limited to the referenced repositories', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let bare: string;
  let connectionId: string;
  let bundle: string;
  const runs: TaskRun[] = [];
  const cleanup: string[] = [];

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const refs = () => git('for-each-ref', '--format=%(refname) %(objectname)');

  /** A job of PROJECT whose token was minted for `declared` (the repositories its pipeline references). */
  async function promoteAsJob(declared: string[]): Promise<TaskRun> {
    const jobToken = devops.admin.mintJobToken(PROJECT, declared);
    const oidcRequestUri = arm.identity.addJob({ accessToken: jobToken }).oidcRequestUri;
    const run = await runBuiltTask(
      promoteRunOptions({ devops, arm, connectionId, oidcRequestUri, jobToken }, PROJECT, bundle, { waitForReconciliation: 'false', mergeTimeoutMinutes: '1' }),
    );
    runs.push(run);
    return run;
  }

  before(async () => {
    const sample = await publishSampleRelease('gitops-job-scope-app-');
    runs.push(sample.run);
    cleanup.push(sample.appDir);
    bundle = sample.bundle;
    ({ devops, arm, bare, connectionId } = await startGitOpsEmulators(PROJECT));
    await devops.admin.createRepository(PROJECT, 'voting-app');
  });

  after(async () => {
    await arm?.stop();
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  it('fails with the causes and fixes, and writes nothing, when the job does not declare the GitOps repository', async () => {
    assert.equal(devops.admin.pipelineSettings().limitJobScopeToReferencedRepositories, true);
    const before = refs();
    const run = await promoteAsJob(['voting-app']);
    assert.equal(run.result, 'Failed', run.stdout);
    const expected = repositoryNotVisibleMessage({
      repository: `${PROJECT}/gitops`,
      collectionUrl: devops.url,
      pipelineProject: PROJECT,
      repositoryInput: 'gitopsRepository',
      connectionInput: 'gitopsConnection',
      viaServiceConnection: false,
    });
    assert.equal(run.resultMessage, expected);
    assert.match(run.resultMessage ?? '', /uses: \{ repositories: \[ gitops \] \}/);
    assert.match(run.resultMessage ?? '', /"Voting Build Service \(contoso\)"/);
    assert.equal(refs(), before);
    assert.deepEqual(
      // Writes: REST calls other than reads, and git pushes (Flux's fetches are git-upload-pack POSTs).
      devops.admin.requests().filter((r) => (r.operation === 'git-http' ? r.path.includes('git-receive-pack') : r.method !== 'GET' && r.method !== 'OPTIONS')),
      [],
      'no write reached the emulator',
    );
  });

  it('promotes when the job declares the GitOps repository (uses: repositories)', async () => {
    const before = git('rev-parse', 'refs/heads/main');
    const run = await promoteAsJob(['voting-app', 'gitops']);
    assert.equal(run.result, 'Succeeded', run.stdout);
    const after = git('rev-parse', 'refs/heads/main');
    assert.notEqual(after, before);
    assert.equal(run.outputs.deployedCommitId, after);
    assert.ok(git('ls-tree', '-r', '--name-only', after, 'apps/dev/voting-app').split('\n').length > 1, 'the release is in apps/dev/voting-app');
  });
});
