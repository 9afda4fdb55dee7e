/**
 * GitOpsPromote@1 `action: rollback` (issue #12) when the promotions' pull requests were completed
 * by a reviewer, not by the task's auto-complete: r1 merged (no fast-forward) and r2 squashed, both
 * with the service's default merge message, so no merge commit on main carries the task's trailers.
 * The history is traced through the pull requests to the promotion commits, and the rollback gives
 * the folder r1's bytes back. The built bundle against the Azure DevOps emulator.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { GitPullRequestMergeStrategy, PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import type { ArmEmulator } from '../emulators/arm';
import type { DevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { promoteRunOptions, publishSampleRelease, startGitOpsEmulators } from '../harness/sample-release';
import { connectWithJobToken } from '../../shared/devops/connection';
import { resolveRepository } from '../../shared/devops/repository';

const PROJECT = 'RollbackManual';
const FOLDER = 'apps/dev/voting-app';
const RELEASES = [
  { name: '20261202.1', tag: '1.0.0' },
  { name: '20261202.2', tag: '2.0.0' },
];
const runs: TaskRun[] = [];
const cleanup: string[] = [];

describe('GitOpsPromote@1 bundle: rollback after promotions completed by hand (no auto-complete, default merge messages)', function () {
  this.timeout(240_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let bare: string;
  let connectionId: string;
  let oidcRequestUri: string;
  const bundles: string[] = [];

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const head = () => git('rev-parse', 'refs/heads/main');
  const folderTree = (commit = 'refs/heads/main') => git('rev-parse', `${commit}:${FOLDER}`);

  async function run(inputs: Record<string, string>, bundle: string): Promise<TaskRun> {
    const done = await runBuiltTask(promoteRunOptions({ devops, arm, connectionId, oidcRequestUri }, PROJECT, bundle, inputs));
    runs.push(done);
    return done;
  }
  /** The task opens the pull request and leaves it to a reviewer. */
  async function openPromotion(i: number): Promise<number> {
    const opened = await run({ autoComplete: 'false', waitForMerge: 'false', waitForReconciliation: 'false' }, bundles[i]);
    assert.equal(opened.result, 'Succeeded', opened.stdout);
    assert.match(opened.resultMessage ?? '', new RegExp(`^Pull request \\d+ opened for voting-app ${RELEASES[i].name.replace('.', '\\.')} -> dev`));
    return Number(opened.outputs.pullRequestId);
  }

  before(async () => {
    ({ devops, arm, bare, connectionId, oidcRequestUri } = await startGitOpsEmulators(PROJECT));
    for (const r of RELEASES) {
      const sample = await publishSampleRelease('gitops-rollback-manual-', { tag: r.tag, buildNumber: r.name });
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

  it('r1 merged and r2 squashed by a reviewer with default messages; action rollback restores r1’s bytes', async () => {
    // r1: the reviewer approves and completes (no fast-forward, the default message).
    const pr1 = await openPromotion(0);
    const done1 = await devops.admin.completePullRequest(PROJECT, 'gitops', pr1, { reviewer: 'Carol' });
    assert.equal(done1.lastMergeCommit, head());
    assert.match(git('log', '-1', '--format=%s', head()), new RegExp(`^Merged PR ${pr1}: `));
    assert.doesNotMatch(git('log', '-1', '--format=%B', head()), /GitOps-Flow-/);
    const r1Tree = folderTree();

    // r2: the reviewer squashes through the REST API, again with the default message.
    const pr2 = await openPromotion(1);
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    const active = await conn.git.getPullRequest(repo.id, pr2, PROJECT);
    await conn.git.updatePullRequest(
      {
        status: PullRequestStatus.Completed,
        lastMergeSourceCommit: active.lastMergeSourceCommit,
        completionOptions: { mergeStrategy: GitPullRequestMergeStrategy.Squash },
      },
      repo.id,
      pr2,
      PROJECT,
    );
    const squashed = head();
    assert.equal(git('rev-list', '--parents', '-n', '1', squashed).split(' ').length, 2, 'squash: one parent');
    assert.match(git('log', '-1', '--format=%s', squashed), new RegExp(`^Merged PR ${pr2}: `));
    assert.doesNotMatch(git('log', '-1', '--format=%B', squashed), /GitOps-Flow-/);
    assert.notEqual(folderTree(), r1Tree);

    const back = await run({ action: 'rollback', app: 'voting-app', bundle: '', waitForReconciliation: 'false' }, '');
    assert.equal(back.result, 'Succeeded', back.stdout);
    assert.match(
      back.stdout,
      new RegExp(`^Rolling back voting-app on dev from 20261202\\.2 \\(${squashed.slice(0, 12)}\\) to 20261202\\.1: /${FOLDER} as of [0-9a-f]{12}$`, 'm'),
    );
    assert.equal(folderTree(), r1Tree, 'the folder holds r1’s bytes again');
    assert.equal(back.outputs.mergeCommitId, head());
    const message = git('log', '-1', '--format=%B', head());
    assert.match(message, /^GitOps-Flow-Action: rollback\nGitOps-Flow-App: voting-app\nGitOps-Flow-Environment: dev\nGitOps-Flow-Release: 20261202\.1\n/m);
    assert.match(message, /^GitOps-Flow-Rolled-Back-From: 20261202\.2$/m);
  });
});
