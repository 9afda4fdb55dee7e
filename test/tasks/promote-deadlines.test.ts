/**
 * GitOpsPromote@1 (the built bundle) when Azure is unusable or does not answer: a broken Azure
 * service connection, a missing cluster or Flux configuration or a missing role is an input error
 * found before anything is written; a service that never answers ends the task by its deadline,
 * naming what was outstanding. Short deadlines come from fractional minutes
 * (reconcileTimeoutMinutes / mergeTimeoutMinutes 0.1 = 6 s), which the inputs accept.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import type { ArmEmulator } from '../emulators/arm';
import type { DevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { promoteRunOptions, publishSampleRelease, startGitOpsEmulators } from '../harness/sample-release';
import { connectWithJobToken } from '../../shared/devops/connection';
import { resolveRepository } from '../../shared/devops/repository';

const PROJECT = 'Voting';
/** A deadline of 6 s, and what a loaded 2-core machine may add to it (process start, the CA, the exit). */
const SHORT_MINUTES = '0.1';
const SHORT_MS = 6_000;
const SLACK_MS = 12_000;

describe('GitOpsPromote@1 bundle: deadlines and the Azure connection checked before anything is written', function () {
  this.timeout(240_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let bundle: string;
  let bare: string;
  let connectionId: string;
  let oidcRequestUri: string;
  const runs: TaskRun[] = [];
  const cleanup: string[] = [];

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

  async function promote(inputs: Record<string, string>, extra: Partial<RunTaskOptions> = {}): Promise<TaskRun> {
    const run = await runBuiltTask({
      ...promoteRunOptions({ devops, arm, connectionId, oidcRequestUri }, PROJECT, bundle, inputs),
      // the old behaviour never ended: the harness ends it, with no result
      timeoutMs: 150_000,
      ...extra,
    });
    runs.push(run);
    return run;
  }

  async function pullRequests() {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    return { conn, repo, all: await conn.git.getPullRequests(repo.id, { status: PullRequestStatus.All }, PROJECT) };
  }

  /** Nothing written: no ref moved or appeared, no pull request opened. */
  async function nothingWritten(action: () => Promise<TaskRun>): Promise<TaskRun> {
    const refs = git('for-each-ref');
    const prs = (await pullRequests()).all.length;
    const run = await action();
    assert.equal(git('for-each-ref'), refs, 'a ref was written');
    assert.equal((await pullRequests()).all.length, prs, 'a pull request was opened');
    return run;
  }

  /** The one active PR, once the running task waits for its merge (auto-complete set). */
  async function pullRequestAwaitingMerge() {
    for (let i = 0; i < 300; i++) {
      const { conn, repo, all } = await pullRequests();
      const active = all.filter((p) => p.status === PullRequestStatus.Active && p.autoCompleteSetBy);
      if (active.length === 1) return { conn, repo, prId: active[0].pullRequestId! };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no pull request waiting for its merge appeared');
  }

  const spn = (secret: string) => ({
    SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } },
    spn: {
      url: arm.armUrl,
      scheme: 'ServicePrincipal',
      parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId, authenticationType: 'spnKey', serviceprincipalkey: secret },
      data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
    },
  });

  before(async () => {
    const sample = await publishSampleRelease('gitops-deadlines-app-');
    cleanup.push(sample.appDir);
    const published = sample.run;
    runs.push(published);
    bundle = sample.bundle;

    ({ devops, arm, bare, connectionId, oidcRequestUri } = await startGitOpsEmulators(PROJECT));
  });

  after(async () => {
    await arm?.stop();
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  afterEach(async () => {
    arm.faults.clear();
    arm.admin.clearDenials();
    devops.admin.clearFaults();
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 0, rejectCompletion: null });
  });

  it('fails a wrong service principal secret (AADSTS7000215) as an input error before anything is written, asking Entra once', async () => {
    const failures = arm.identity.failures.length;
    const run = await nothingWritten(() => promote({ azureSubscription: 'spn' }, { endpoints: spn('not-the-secret') }));
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(
      run.resultMessage ?? '',
      /^Input "azureSubscription": Microsoft Entra refused the Azure service connection "spn": AADSTS7000215: Invalid client secret provided/,
    );
    assert.match(
      run.resultMessage ?? '',
      /the service principal's client secret is wrong: put the secret's value \(not its id\) into the service connection; nothing was pushed$/,
    );
    assert.deepEqual(
      arm.identity.failures.slice(failures).map((f) => [f.code, f.error]),
      [[7000215, 'invalid_client']],
      'an authentication error is not retried',
    );
  });

  it('fails a missing cluster and a missing Flux configuration as input errors before anything is written', async () => {
    const cluster = await nothingWritten(() => promote({ clusters: 'arc-nonprod\nno-such-cluster' }));
    assert.equal(cluster.result, 'Failed', cluster.stdout);
    assert.match(
      cluster.resultMessage ?? '',
      /^Input "clusters": cluster not found: [^/]+\/no-such-cluster \(connectedClusters\): HTTP 404 ResourceNotFound: /,
    );
    const config = await nothingWritten(() => promote({ fluxConfiguration: 'no-such-config' }));
    assert.equal(config.result, 'Failed', config.stdout);
    assert.match(
      config.resultMessage ?? '',
      /^Input "fluxConfiguration": Flux configuration "no-such-config" not found on [^/]+\/arc-nonprod \(connectedClusters\): HTTP 404 /,
    );
  });

  it('fails a connection without the read role as an input error naming the role, before anything is written', async () => {
    arm.admin.deny({ action: 'read' });
    const run = await nothingWritten(() => promote({}));
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(
      run.resultMessage ?? '',
      /^Input "azureSubscription": the Azure service connection "[^"]+" may not read the Flux configuration "cluster-config" on [^/]+\/arc-nonprod .*HTTP 403 AuthorizationFailed/,
    );
    assert.match(run.resultMessage ?? '', /grant it a role with Microsoft\.KubernetesConfiguration\/fluxConfigurations\/read/);
  });

  it('ends by the preflight budget when the token endpoint never answers, with nothing written', async () => {
    arm.faults.add({ route: 'token', hang: true, count: 100 });
    const started = Date.now();
    const run = await nothingWritten(() => promote({ reconcileTimeoutMinutes: SHORT_MINUTES }));
    const took = Date.now() - started;
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(
      run.resultMessage ?? '',
      /^No access token for Azure Resource Manager from the Azure service connection "[^"]+" within 6 s \(.*\); nothing was pushed$/,
    );
    assert.ok(took < SHORT_MS + SLACK_MS, `took ${took} ms`);
  });

  it('ends the Flux wait by its deadline when a fluxConfigurations read never answers after the merge, naming the cluster', async () => {
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 1 });
    devops.admin.identity('Release Approver', { email: 'approver@contoso.example' });
    const pending = promote({ reconcileTimeoutMinutes: SHORT_MINUTES, variables: 'LOG_LEVEL=hang', reviewers: 'required:approver@contoso.example' });
    const { prId } = await pullRequestAwaitingMerge();
    // the preflight read has answered; every read from now on hangs
    arm.faults.add({ route: 'flux.get', hang: true, count: 1000 });
    await devops.admin.approvePullRequest(PROJECT, 'gitops', prId, { reviewer: 'Release Approver' });
    const approved = Date.now();
    const run = await pending;
    const took = Date.now() - approved;
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(
      run.resultMessage ?? '',
      /^Timed out after 6(\.\d)? s waiting for Flux configuration cluster-config to reconcile [0-9a-f]{12} on 1 of 1 cluster\n {2}- [^/]+\/arc-nonprod \[timed-out\]: /,
    );
    assert.match(run.resultMessage ?? '', /last error: no answer before the deadline \(a request was still in flight\)/);
    assert.ok(took < SHORT_MS + SLACK_MS, `took ${took} ms after the merge`);
  });

  it('ends the merge wait by its deadline when reading the pull request never answers, with the last state seen', async () => {
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 1 });
    const pending = promote({ mergeTimeoutMinutes: SHORT_MINUTES, variables: 'LOG_LEVEL=merge-hang' });
    const { prId } = await pullRequestAwaitingMerge();
    devops.admin.injectFault({ method: 'GET', pathPattern: new RegExp(`/pullRequests/${prId}(\\?|$)`, 'i'), hang: true, count: 1000 });
    const since = Date.now();
    const run = await pending;
    const took = Date.now() - since;
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(
      run.resultMessage ?? '',
      new RegExp(
        `^pull request ${prId} \\(.*\\) was not merged within 6 s; last seen: active, .*; the last read failed: reading pull request ${prId} of Voting/gitops: .*\\(last: no answer within [0-9.]+ m?s\\)$`,
      ),
    );
    assert.ok(took < SHORT_MS + SLACK_MS, `took ${took} ms`);
  });
});
