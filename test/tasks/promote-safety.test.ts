/**
 * GitOpsPromote@1's safety when promotions meet (issue #10), as the agent runs the built bundle
 * against the Azure DevOps emulator and the ARM emulator's Flux simulation: a promotion adopts only
 * its own pull request, rebuilds a conflicted one, reports progress to the end, and says what
 * holds a pull request that is not merged in time.
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
const BRANCH = 'gitops-flow/voting-app/dev/20261127.1';
const runs: TaskRun[] = [];
const cleanup: string[] = [];

describe('GitOpsPromote@1 bundle: promotions that meet (adoption, conflicts, progress, merge timeout)', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let bundle: string;
  let bare: string;
  let connectionId: string;
  let oidcRequestUri: string;

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const head = (branch = 'main') => git('rev-parse', `refs/heads/${branch}`);
  const changedFolders = (commit: string) => [
    ...new Set(
      git('diff', '--name-only', `${commit}^1`, commit)
        .split('\n')
        .map((f) => f.split('/').slice(0, 3).join('/')),
    ),
  ];

  async function promote(inputs: Record<string, string>, extra: Partial<RunTaskOptions> = {}): Promise<TaskRun> {
    const run = await runBuiltTask({
      ...promoteRunOptions({ devops, arm, connectionId, oidcRequestUri }, PROJECT, bundle, inputs),
      ...extra,
    });
    runs.push(run);
    return run;
  }

  /** Without Flux, for the tests about the repository only. */
  const promoteNoFlux = (inputs: Record<string, string>) => promote({ waitForReconciliation: 'false', ...inputs });

  async function pullRequests() {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    const all = await conn.git.getPullRequests(repo.id, { status: PullRequestStatus.All }, PROJECT, undefined, 0, 1000);
    return { conn, repo, all: all.sort((a, b) => a.pullRequestId! - b.pullRequestId!) };
  }

  /** The task's progress reports, in order: [percent, operation]. */
  const progress = (run: TaskRun) =>
    [...run.stdout.matchAll(/^##vso\[task\.setprogress value=(\d+);\](.*)$/gm)].map((m) => [Number(m[1]), m[2]] as [number, string]);

  before(async () => {
    const sample = await publishSampleRelease('gitops-safety-app-');
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
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 0 });
    // Each test starts without open pull requests or promotion branches.
    const { conn, repo, all } = await pullRequests();
    for (const pr of all.filter((p) => p.status === PullRequestStatus.Active)) {
      await conn.git.updatePullRequest({ status: PullRequestStatus.Abandoned }, repo.id, pr.pullRequestId!, PROJECT);
    }
    for (const ref of git('for-each-ref', '--format=%(refname)', 'refs/heads/gitops-flow').split('\n').filter(Boolean)) git('update-ref', '-d', ref);
  });

  it('refuses a promotionBranch without {environment}: stage’s manual pull request can never be merged by a dev promotion', async () => {
    const before = head();
    for (const environment of ['stage', 'dev']) {
      const run = await promoteNoFlux({ environment, promotionBranch: 'rel/{app}/{release}', autoComplete: 'false', waitForMerge: 'false' });
      assert.equal(run.result, 'Failed', run.stdout);
      assert.equal(
        run.resultMessage,
        'Input "promotionBranch": "rel/{app}/{release}" lacks {environment}: each application and environment needs its own promotion branch, or one environment\'s promotion would adopt another\'s pull request',
      );
    }
    assert.equal(head(), before);
    assert.deepEqual((await pullRequests()).all, []);
  });

  it('does not adopt (and merge) the open pull request of another folder on the same branch name', async () => {
    const first = await promoteNoFlux({ variables: 'LOG_LEVEL=first', autoComplete: 'false', waitForMerge: 'false' });
    assert.equal(first.result, 'Succeeded', first.stdout);
    const theirs = first.outputs.pullRequestId;
    const second = await promoteNoFlux({ targetFolder: 'extra/{environment}/{app}' });
    assert.equal(second.result, 'Succeeded', second.stdout);
    assert.notEqual(second.outputs.pullRequestId, theirs);
    assert.match(
      second.stdout,
      new RegExp(
        `^${BRANCH.replace(/\./g, '\\.')} carries another promotion \\(it changes /apps/dev/voting-app/.*, outside /extra/dev/voting-app\\): not adopting it$`,
        'm',
      ),
    );
    assert.deepEqual(changedFolders(second.outputs.mergeCommitId), ['extra/dev/voting-app'], 'only the promoted folder is merged');
    const { all } = await pullRequests();
    assert.equal(all.find((p) => String(p.pullRequestId) === theirs)?.status, PullRequestStatus.Active, 'the other promotion is left for its approver');
  });

  it('rebuilds a pull request that conflicts after a concurrent promotion, instead of failing every later run', async () => {
    const loser = await promoteNoFlux({ variables: 'LOG_LEVEL=loser', autoComplete: 'false', waitForMerge: 'false' });
    assert.equal(loser.result, 'Succeeded', loser.stdout);
    const stale = loser.outputs.pullRequestId;
    const winner = await promoteNoFlux({ variables: 'LOG_LEVEL=winner', deliveryMode: 'push' });
    assert.equal(winner.result, 'Succeeded', winner.stdout);

    const later = await promoteNoFlux({ variables: 'LOG_LEVEL=later' });
    assert.equal(later.result, 'Succeeded', later.stdout);
    assert.match(
      later.stdout,
      new RegExp(`^Abandoned pull request ${stale} \\(refs/heads/${BRANCH.replace(/\./g, '\\.')}\\): it has merge conflicts with main; `, 'm'),
    );
    assert.match(later.stdout, new RegExp(`^Committed [0-9a-f]{12} to ${BRANCH.replace(/\./g, '\\.')}-2: `, 'm'));
    assert.equal(later.outputs.mergeCommitId, head());
    assert.match(git('grep', '-h', 'LOG_LEVEL', 'refs/heads/main', '--', 'apps/dev/voting-app'), /LOG_LEVEL: later/);
    const { conn, repo, all } = await pullRequests();
    assert.equal(all.find((p) => String(p.pullRequestId) === stale)?.status, PullRequestStatus.Abandoned);
    const threads = await conn.git.getThreads(repo.id, Number(stale), PROJECT);
    assert.ok(
      threads.some((t) => t.comments?.[0]?.content?.includes('This pull request has merge conflicts with main. GitOpsPromote abandoned it')),
      JSON.stringify(threads),
    );
    assert.match(later.summaries[0].markdown, new RegExp(`Abandoned the stale pull request\\(s\\) ${stale} of this promotion`));
  });

  it('reports progress through every stage to 100% after Flux reconciles, and says adopted on a re-run', async () => {
    const run = await promote({ variables: 'LOG_LEVEL=progress' });
    assert.equal(run.result, 'Succeeded', run.stdout);
    const id = run.outputs.pullRequestId;
    const seen = progress(run);
    assert.deepEqual(seen.slice(0, 6), [
      [0, 'Rendering voting-app 20261127.1 for dev'],
      [10, 'Committing to gitops'],
      [20, `Opened pull request ${id}`],
      [30, `Waiting for pull request ${id} to be merged`],
      [50, `Pull request ${id} merged`],
      [60, 'Flux: 0 of 1 cluster(s) reconciled'],
    ]);
    assert.deepEqual(seen.slice(6, -1), [[95, 'Flux: 1 of 1 cluster(s) reconciled']]);
    assert.equal(seen.at(-1)![0], 100);
    assert.match(seen.at(-1)![1], /^voting-app 20261127\.1 promoted to dev at [0-9a-f]{12}/);

    const opened = await promoteNoFlux({ variables: 'LOG_LEVEL=again', autoComplete: 'false', waitForMerge: 'false' });
    const adopted = await promoteNoFlux({ variables: 'LOG_LEVEL=again', autoComplete: 'false', waitForMerge: 'false' });
    assert.equal(adopted.outputs.pullRequestId, opened.outputs.pullRequestId);
    assert.match(opened.resultMessage ?? '', /^Pull request \d+ opened for voting-app 20261127\.1 -> dev/);
    assert.match(adopted.resultMessage ?? '', /^Pull request \d+ adopted for voting-app 20261127\.1 -> dev/);
    assert.deepEqual(progress(adopted)[2], [20, `Adopted pull request ${adopted.outputs.pullRequestId}`]);
    assert.equal(progress(adopted).at(-1)![0], 100);
  });

  it('names what holds a pull request that is not merged in time: the required reviewer who has not approved, and the unmet policy', async () => {
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 1 });
    devops.admin.identity('Release Approver', { email: 'approver@contoso.example' });
    const run = await promoteNoFlux({ variables: 'LOG_LEVEL=held', reviewers: 'required:approver@contoso.example', mergeTimeoutMinutes: '0.05' });
    assert.equal(run.result, 'Failed', run.stdout);
    // The last read has only what is left of the 3 s (a tenth at most), a real-time bound a loaded machine can miss;
    // the message then says so as well. Without that suffix: test/integration/devops/pull-requests.test.ts.
    assert.match(
      run.resultMessage ?? '',
      /was not merged within [\d.]+ s; last seen: active, merge status succeeded, auto-complete on, waiting for 1 of 1 required reviewer\(s\) to approve; held by: required reviewer\(s\) Release Approver not yet approved; policy "Minimum number of reviewers" rejected(; the last read failed: reading pull request \d+ of Voting\/gitops: gave up after 1 attempt in [\d.]+ m?s: .*\(last: no answer within [\d.]+ m?s\))?$/,
    );
  });
});
