/**
 * GitOpsPrValidate@1 (the built bundle) on Flux objects that break their CRDs' CEL rules: the evaluator loads
 * from its lazy part (lazy-cel.js) and each broken rule is an error at the field it is attached to.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();

describe('GitOpsPrValidate@1 bundle: Flux CRD validation rules (CEL)', function () {
  this.timeout(120_000);
  let run: TaskRun | undefined;
  after(() => {
    if (run) fs.rmSync(run.folders.work, { recursive: true, force: true });
  });

  it('fails the pull request on each broken rule, at the field, with the CRD message', async () => {
    run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsPrValidate/v1'),
      inputs: { dockerfiles: '', templates: 'deploy/manifests', environments: 'dev', kubernetesVersion: '1.32' },
      variables: { 'Build.SourcesDirectory': path.join(root, 'test/fixtures/repos/flux-cel-rules') },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    assert.equal(run.result, 'Failed', run.stdout);
    const cel = run.issues.filter((i) => i.code === 'schema/cel').map((i) => `${i.type} ${i.sourcepath}:${i.linenumber}:${i.columnnumber}`);
    assert.deepEqual(cel, ['error deploy/manifests/release.yaml:11:3', 'error deploy/manifests/sources.yaml:7:1']);
    assert.match(
      run.stdout,
      /spec\.kubeConfig: Invalid value: "object": exactly one of spec\.kubeConfig\.configMapRef or spec\.kubeConfig\.secretRef must be specified/,
    );
    assert.match(run.stdout, /spec: Invalid value: "object": ServiceAccountName is not supported for the 'generic' Bucket provider/);
    assert.ok(!run.issues.some((i) => i.sourcepath === 'deploy/manifests/sources.yaml' && Number(i.linenumber) > 12 && i.type === 'error'), run.stdout);
  });
});
