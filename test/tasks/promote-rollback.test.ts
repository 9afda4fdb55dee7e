/**
 * GitOpsPromote@1's last step (issue #12), as the agent runs the built bundle against the Azure
 * DevOps emulator and the Flux simulation: the history trailers, `action: rollback` (folder state
 * from the history, through a pull request, Flux awaited), `onFailure: rollback` after an unhealthy
 * release, and the verifyUrls smoke checks against the simulated clusters' app endpoint. One story:
 * each test starts from where the one before left the GitOps repository.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { GitStatusState, PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import type { ArmEmulator } from '../emulators/arm';
import type { DevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { promoteRunOptions, publishSampleRelease, startGitOpsEmulators } from '../harness/sample-release';
import { connectWithJobToken } from '../../shared/devops/connection';
import { resolveRepository } from '../../shared/devops/repository';

const PROJECT = 'Rollback';
const FOLDER = 'apps/dev/voting-app';
const RELEASES = [
  { name: '20261201.1', tag: '1.0.0' },
  { name: '20261201.2', tag: '2.0.0' },
  { name: '20261201.3', tag: '3.0.0' },
];
const runs: TaskRun[] = [];
const cleanup: string[] = [];

describe('GitOpsPromote@1 bundle: history, rollback, onFailure rollback and smoke checks', function () {
  this.timeout(240_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let bare: string;
  let connectionId: string;
  let oidcRequestUri: string;
  let jobToken: string;
  const bundles: string[] = [];
  /** The folder's tree id on main right after each release was promoted. */
  const folderTrees = new Map<string, string>();

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const head = () => git('rev-parse', 'refs/heads/main');
  const folderTree = (commit = 'refs/heads/main', folder = FOLDER) => git('rev-parse', `${commit}:${folder}`);
  /** The substituted templates beside the manifests (templatesFolder), restored with them by a rollback. */
  const TEMPLATES = { templatesFolder: 'templates/{environment}/{app}' };
  const templatesTree = () => folderTree('refs/heads/main', 'templates/dev/voting-app');
  const templateTrees = new Map<string, string>();
  const smokeUrl = () => `${arm.appsUrl}/arc-nonprod/voting-dev/`;

  async function run(inputs: Record<string, string>, bundle = bundles[0]): Promise<TaskRun> {
    const done = await runBuiltTask(promoteRunOptions({ devops, arm, connectionId, oidcRequestUri, jobToken }, PROJECT, bundle, inputs));
    runs.push(done);
    return done;
  }
  const promote = (i: number, inputs: Record<string, string> = {}) => run(inputs, bundles[i]);
  const rollback = (inputs: Record<string, string> = {}) => run({ action: 'rollback', app: 'voting-app', bundle: '', ...inputs }, '');

  async function statuses(commitId: string, repository = 'gitops') {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/${repository}`);
    const all = await conn.git.getStatuses(commitId, repo.id, PROJECT);
    return all.filter((s) => s.context?.name === 'voting-app/dev').sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
  }

  async function pullRequestCount(): Promise<number> {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    return (await conn.git.getPullRequests(repo.id, { status: PullRequestStatus.All }, PROJECT)).length;
  }

  /** Each release's source commit in the application repository (voting-app, an Azure Repos repository of the same organization). */
  const sourceCommits: string[] = [];

  before(async () => {
    ({ devops, arm, bare, connectionId, oidcRequestUri } = await startGitOpsEmulators(PROJECT));
    await devops.admin.createRepository(PROJECT, 'voting-app', { defaultBranch: 'main' });
    // The CD pipeline's own repository is the application's (self): its job token reaches both.
    jobToken = devops.admin.mintJobToken(PROJECT, ['gitops', 'voting-app']);
    oidcRequestUri = arm.identity.addJob({ accessToken: jobToken }).oidcRequestUri;
    for (const r of RELEASES) {
      sourceCommits.push(await devops.admin.seedFiles(PROJECT, 'voting-app', 'main', { VERSION: `${r.tag}\n` }, `web ${r.tag}`));
      const sample = await publishSampleRelease('gitops-rollback-app-', {
        tag: r.tag,
        buildNumber: r.name,
        sourceVersion: sourceCommits[sourceCommits.length - 1],
        repositoryUri: `${devops.url}/${PROJECT}/_git/voting-app`,
      });
      cleanup.push(sample.appDir);
      runs.push(sample.run);
      bundles.push(sample.bundle);
    }
  });

  after(async () => {
    await arm?.stop();
    await devops?.stop();
    for (const r of runs) fs.rmSync(r.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses a rollback with no promotion in the history: an input error, nothing written', async () => {
    const before = head();
    const refused = await rollback();
    assert.equal(refused.result, 'Failed', refused.stdout);
    assert.equal(
      refused.resultMessage,
      `Input "action": the history of /${FOLDER} on main of ${PROJECT}/gitops holds no promotion of voting-app to dev: there is nothing to roll back`,
    );
    assert.equal(head(), before);
    assert.equal(await pullRequestCount(), 0);
  });

  it('promotes r1 with trailers on the merge commit, and refuses to roll back the first promotion', async () => {
    const first = await promote(0, TEMPLATES);
    assert.equal(first.result, 'Succeeded', first.stdout);
    assert.equal(first.outputs.verified, 'skipped');
    const merge = first.outputs.mergeCommitId;
    assert.equal(merge, head());
    assert.deepEqual(git('log', '-1', '--format=%B', merge).trim().split('\n').slice(-6), [
      'GitOps-Flow-Action: promote',
      'GitOps-Flow-App: voting-app',
      'GitOps-Flow-Environment: dev',
      'GitOps-Flow-Release: 20261201.1',
      `GitOps-Flow-Source-Commit: ${sourceCommits[0]}`,
      'GitOps-Flow-Build: ' + git('log', '-1', '--format=%B', merge).match(/^GitOps-Flow-Build: (.*)$/m)![1],
    ]);
    folderTrees.set(RELEASES[0].name, folderTree());
    templateTrees.set(RELEASES[0].name, templatesTree());

    const before = head();
    const refused = await rollback();
    assert.equal(refused.result, 'Failed', refused.stdout);
    assert.equal(
      refused.resultMessage,
      `Input "action": voting-app 20261201.1 (commit ${merge.slice(0, 12)}) is the first promotion to dev in the history of /${FOLDER} on main of ${PROJECT}/gitops: there is no earlier release to roll back to`,
    );
    assert.equal(head(), before);
  });

  it('promotes r2 verified by the app endpoint, then rolls back to r1: folder bytes equal r1’s, another app’s later commit kept, Flux at the rollback’s merge', async () => {
    const second = await promote(1, { ...TEMPLATES, verifyUrls: `${smokeUrl()} 200 ~voting/web:2\\.0\\.0`, verifyTimeoutMinutes: '1' });
    assert.equal(second.result, 'Succeeded', second.stdout);
    assert.equal(second.outputs.verified, 'true');
    // Both Kustomizations (the configuration's and voting-app-dev) wait for health: no "health not assessed" warning.
    assert.deepEqual(
      second.issues.filter((i) => /health not assessed/.test(i.message)),
      [],
    );
    // The application commit r2 was built from shows where it runs.
    assert.deepEqual((await statuses(sourceCommits[1], 'voting-app')).map((st) => [st.state, st.description]).reverse(), [
      [GitStatusState.Pending, 'Deploying to dev: waiting for Flux to reconcile voting-app 20261201.2'],
      [GitStatusState.Succeeded, `Deployed to dev (Flux reconciled ${second.outputs.deployedCommitId.slice(0, 12)})`],
    ]);
    folderTrees.set(RELEASES[1].name, folderTree());
    assert.notEqual(folderTrees.get(RELEASES[1].name), folderTrees.get(RELEASES[0].name));
    assert.notEqual(templatesTree(), templateTrees.get(RELEASES[0].name), 'r2’s substituted templates differ from r1’s');
    // Another app's commit after the promotion: a rollback of voting-app must keep it.
    await devops.admin.seedFiles(
      PROJECT,
      'gitops',
      'main',
      { 'apps/dev/other-app/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n' },
      'other app',
    );
    const other = git('rev-parse', 'refs/heads/main:apps/dev/other-app');

    const back = await rollback({ ...TEMPLATES, verifyUrls: `${smokeUrl()} ~voting/web:1\\.0\\.0`, verifyTimeoutMinutes: '1' });
    assert.equal(back.result, 'Succeeded', back.stdout);
    assert.equal(folderTree(), folderTrees.get(RELEASES[0].name), 'the folder holds r1’s bytes again');
    assert.equal(templatesTree(), templateTrees.get(RELEASES[0].name), 'the templates folder holds r1’s substituted templates again');
    assert.equal(git('rev-parse', 'refs/heads/main:apps/dev/other-app'), other, 'the other app’s folder is kept');
    assert.equal(back.outputs.deployedCommitId, head());
    assert.equal(back.outputs.mergeCommitId, head());
    assert.equal(back.outputs.reconciled, 'true');
    assert.equal(back.outputs.verified, 'true');
    assert.match(
      back.resultMessage!,
      new RegExp(`^voting-app on dev rolled back from 20261201\\.2 to 20261201\\.1 at ${head().slice(0, 12)} \\(${PROJECT}/gitops /${FOLDER}\\)`),
    );
    const message = git('log', '-1', '--format=%B', head());
    assert.match(message, /^Roll back voting-app on dev from 20261201\.2 to 20261201\.1 \(PR \d+\)$/m);
    assert.match(message, /^GitOps-Flow-Action: rollback\nGitOps-Flow-App: voting-app\nGitOps-Flow-Environment: dev\nGitOps-Flow-Release: 20261201\.1\n/m);
    assert.match(message, /^GitOps-Flow-Rolled-Back-From: 20261201\.2$/m);
    const [latest] = await statuses(head());
    assert.equal(latest.state, GitStatusState.Succeeded);
    assert.match(latest.description!, /^Flux reconciled voting-app rolled back from 20261201\.2 to 20261201\.1 on rg-gitops\/arc-nonprod in /);
    const summary = back.summaries.map((s) => s.markdown).join('\n');
    assert.match(summary, /^## voting-app on dev: rollback 20261201\.2 → 20261201\.1$/m);
  });

  it('a rollback re-run changes nothing', async () => {
    const before = head();
    const prs = await pullRequestCount();
    const again = await rollback();
    assert.equal(again.result, 'Succeeded', again.stdout);
    assert.equal(again.outputs.changed, 'false');
    assert.equal(head(), before);
    assert.equal(await pullRequestCount(), prs);
    assert.match(again.resultMessage!, /^dev already holds voting-app 20261201\.1, as the rollback from 20261201\.2 left it/);
  });

  it('r3 never becomes Ready: with onFailure rollback the environment is back on r2 in the same run, the task failed and the statuses say so', async () => {
    const r2 = await promote(1);
    assert.equal(r2.result, 'Succeeded', r2.stdout);
    assert.equal(folderTree(), folderTrees.get(RELEASES[1].name));
    arm.flux.failImages(/voting\/web:3\.0\.0$/);
    try {
      const third = await promote(2, { onFailure: 'rollback', verifyUrls: `${smokeUrl()} ~voting/web:2\\.0\\.0`, nonCompliantGraceSeconds: '1' });
      assert.equal(third.result, 'Failed', third.stdout);
      const lines = third.resultMessage!.split('\n');
      assert.match(
        lines[0],
        /^voting-app 20261201\.3 on dev failed: Flux configuration cluster-config failed to reconcile [0-9a-f]{12} on rg-gitops\/arc-nonprod/,
      );
      assert.match(third.resultMessage!, /voting\/web:3\.0\.0: Back-off restarting failed container/);
      assert.equal(lines[lines.length - 1], `Rolled back: dev is back on voting-app 20261201.2 (commit ${head().slice(0, 12)}, Flux reconciled)`);
      assert.equal(folderTree(), folderTrees.get(RELEASES[1].name), 'r2’s bytes');
      assert.equal(third.outputs.deployedCommitId, head(), 'the output names the commit the environment runs');
      const failedCommit = git('rev-parse', 'refs/heads/main^');
      assert.match(git('log', '-1', '--format=%B', failedCommit), /^GitOps-Flow-Release: 20261201\.3$/m);
      const [onFailed] = await statuses(failedCommit);
      assert.equal(onFailed.state, GitStatusState.Failed);
      assert.match(onFailed.description!, new RegExp(`; rolled back: dev is back on voting-app 20261201\\.2 at ${head().slice(0, 12)}$`));
      const [onSource] = await statuses(sourceCommits[2], 'voting-app');
      assert.equal(onSource.state, GitStatusState.Failed);
      assert.equal(onSource.description, onFailed.description, 'the source commit of r3 says the same');
      const [onRollback] = await statuses(head());
      assert.equal(onRollback.state, GitStatusState.Succeeded);
      assert.equal(third.outputs.reconciled, 'false', 'r3 did not reconcile');
      assert.equal(third.outputs.verified, 'skipped', 'r3 never got as far as its smoke checks');
      assert.match(third.stdout, new RegExp(`^${smokeUrl().replace(/[.]/g, '\\.')}: passed \\(answer 1\\)$`, 'm'), 'the rollback was verified (r2 answers)');
      const summary = third.summaries.map((s) => s.markdown).join('\n');
      assert.match(summary, /^## voting-app 20261201\.3 → dev$/m);
      assert.match(summary, /^## voting-app on dev: rollback 20261201\.3 → 20261201\.2$/m);
    } finally {
      arm.flux.clearImageFailures();
    }
  });

  it('smoke checks: failing answers are asked again until they pass within the verification time; the first failing one is shown', async () => {
    arm.flux.setAppAnswer({ image: /voting\/web:3\.0\.0$/, status: 503, body: 'warming up', times: 2 });
    try {
      const third = await promote(2, {
        verifyUrls: `# the app endpoint of the dev namespace\n${smokeUrl()} 200 ~voting/web:3\\.0\\.0`,
        verifyTimeoutMinutes: '1',
      });
      assert.equal(third.result, 'Succeeded', third.stdout);
      assert.equal(third.outputs.verified, 'true');
      assert.ok(
        third.stdout.includes(`${smokeUrl()}: status 503 (expected 200), body "warming up"; asking again until the verification time is up`),
        third.stdout,
      );
      assert.match(third.stdout, new RegExp(`^${smokeUrl().replace(/[.]/g, '\\.')}: passed \\(answer 3\\)$`, 'm'));
    } finally {
      arm.flux.clearAppAnswers();
    }
  });

  it('a verification that never passes fails the task with verified false and a failed status naming the URL, without its credentials', async () => {
    const url = smokeUrl().replace('http://', 'http://deployer:s3cret-pass@');
    const before = head();
    const again = await promote(2, { verifyUrls: `${url} 200 ~voting/web:9\\.9\\.9`, verifyTimeoutMinutes: '0.05' });
    assert.equal(again.result, 'Failed', again.stdout);
    assert.equal(again.outputs.verified, 'false');
    assert.equal(head(), before, 'r3 was already there: nothing committed');
    const shown = smokeUrl().replace('http://', 'http://***@');
    assert.match(
      again.resultMessage!,
      new RegExp(
        `^Verification failed: ${shown.replace(/[.*]/g, '\\$&')} did not pass within 3 s \\(\\d+ answer\\(s\\); first: status 200, body does not match`,
      ),
    );
    // Registered as a secret (the agent masks it from then on), and never written by the task; the
    // one other line is task-lib's own debug echo of the input as read (shown only with System.Debug).
    const lines = again.stdout.split('\n').filter((l) => l.includes('s3cret-pass'));
    assert.deepEqual(
      lines.map((l) => l.replace(/=.*/, '=')),
      ['##vso[task.debug]verifyUrls=', '##vso[task.setsecret]s3cret-pass'],
    );
    const [latest] = await statuses(head());
    assert.equal(latest.state, GitStatusState.Failed);
    assert.match(latest.description!, /^Verification failed: /);
  });
});
