/**
 * GitOpsPromote@1 and Flux's health assessment (issue #12), end to end: the built bundle against the
 * Azure DevOps emulator and the Flux simulation. The environment's Kustomization (voting-app-dev,
 * from examples/gitops) first without `wait: true` or `healthChecks`: Flux's Ready then only means
 * "applied", no Healthy condition reaches the fluxConfiguration's statuses, and the task warns
 * "Reconciled, health not assessed" in the log and the summary, even while the new image never
 * starts. Then with `wait: true`: Ready with a Healthy condition, no warning.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArmEmulator } from '../emulators/arm';
import type { DevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { promoteRunOptions, publishSampleRelease, startGitOpsEmulators } from '../harness/sample-release';

const PROJECT = 'RollbackHealth';
const KUSTOMIZATION = 'clusters/arc-nonprod/voting-app-dev.yaml';
const RELEASES = [
  { name: '20261203.1', tag: '1.0.0' },
  { name: '20261203.2', tag: '2.0.0' },
  { name: '20261203.3', tag: '3.0.0' },
];
const runs: TaskRun[] = [];
const cleanup: string[] = [];

describe('GitOpsPromote@1 bundle: "reconciled, health not assessed" follows the Kustomization’s health assessment', function () {
  this.timeout(240_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let connectionId: string;
  let oidcRequestUri: string;
  const bundles: string[] = [];
  const original = fs.readFileSync(path.join(process.cwd(), 'examples/gitops', KUSTOMIZATION), 'utf8');
  const notAssessed = (run: TaskRun) => run.issues.filter((i) => /health not assessed/i.test(i.message));

  async function promote(i: number): Promise<TaskRun> {
    const done = await runBuiltTask(promoteRunOptions({ devops, arm, connectionId, oidcRequestUri }, PROJECT, bundles[i], {}));
    runs.push(done);
    return done;
  }

  before(async () => {
    ({ devops, arm, connectionId, oidcRequestUri } = await startGitOpsEmulators(PROJECT));
    for (const r of RELEASES) {
      const sample = await publishSampleRelease('gitops-rollback-health-', { tag: r.tag, buildNumber: r.name });
      cleanup.push(sample.appDir);
      runs.push(sample.run);
      bundles.push(sample.bundle);
    }
  });

  after(async () => {
    arm?.flux.clearImageFailures();
    await arm?.stop();
    await devops?.stop();
    for (const r of runs) fs.rmSync(r.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  it('without wait: true or healthChecks, an image that never starts still reconciles: the task succeeds with the warning in the log and the summary', async () => {
    assert.match(original, /^ {2}wait: true\n/m);
    await devops.admin.seedFiles(
      PROJECT,
      'gitops',
      'main',
      { [KUSTOMIZATION]: original.replace(/^ {2}wait: true\n/m, '') },
      'voting-app-dev: no health assessment',
    );
    arm.flux.failImages(/voting\/web:1\.0\.0$/);
    const run = await promote(0);
    arm.flux.clearImageFailures();
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.equal(run.outputs.reconciled, 'true');
    const warnings = notAssessed(run);
    assert.equal(warnings.length, 1, run.stdout);
    assert.equal(warnings[0].type, 'warning');
    assert.match(
      warnings[0].message,
      /^Reconciled, health not assessed: Kustomization flux-system\/voting-app-dev on rg-gitops\/arc-nonprod has neither wait: true nor healthChecks, so "reconciled" means its objects were applied, not that they are healthy$/,
    );
    const summary = run.summaries.map((s) => s.markdown).join('\n');
    assert.ok(summary.includes(`⚠ ${warnings[0].message}.`), summary);
  });

  it('with wait: true the Kustomization is Ready with its health assessed: no warning', async () => {
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', { [KUSTOMIZATION]: original }, 'voting-app-dev: wait for health');
    const run = await promote(1);
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.equal(run.outputs.reconciled, 'true');
    assert.deepEqual(notAssessed(run), []);
    const summary = run.summaries.map((s) => s.markdown).join('\n');
    assert.doesNotMatch(summary, /health not assessed/i);
  });

  it('healthChecks naming the web Deployment (no wait): its image never starting fails the promotion, no "not assessed" warning', async () => {
    const healthChecks = original.replace(
      /^ {2}wait: true\n/m,
      '  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: voting-app-web\n      namespace: voting-dev\n',
    );
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', { [KUSTOMIZATION]: healthChecks }, 'voting-app-dev: health of the web Deployment');
    arm.flux.failImages(/voting\/web:3\.0\.0$/);
    try {
      const run = await promote(2);
      assert.equal(run.result, 'Failed', run.stdout);
      assert.equal(run.outputs.reconciled, 'false');
      assert.match(run.resultMessage!, /voting\/web:3\.0\.0: Back-off restarting failed container/);
      assert.deepEqual(notAssessed(run), []);
    } finally {
      arm.flux.clearImageFailures();
    }
  });
});
