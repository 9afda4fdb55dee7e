/**
 * GitOpsPrValidate@1 (the built bundle) on what the Kubernetes OpenAPI documents add to the types: duplicate keys
 * in map and set lists, int32 ranges, base64 and enums (from the Go API types), each an error at its file and line, and
 * no Secret value in the log.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();

describe('GitOpsPrValidate@1 bundle: OpenAPI formats and list types', function () {
  this.timeout(120_000);
  let run: TaskRun | undefined;
  after(() => {
    if (run) fs.rmSync(run.folders.work, { recursive: true, force: true });
  });

  it('fails the pull request on duplicate env vars, ports and finalizers, an int32 overflow, bad base64 and an enum value, at the field', async () => {
    run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsPrValidate/v1'),
      inputs: { dockerfiles: '', templates: 'deploy/manifests', environments: 'dev', kubernetesVersion: '1.33' },
      variables: { 'Build.SourcesDirectory': path.join(root, 'test/fixtures/repos/schema-formats') },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    assert.equal(run.result, 'Failed', run.stdout);
    const issues = run.issues
      .filter((i) => i.code && /^(k8s|schema)\//.test(i.code))
      .map((i) => `${i.type} ${i.code} ${i.sourcepath}:${i.linenumber}:${i.columnnumber}`);
    assert.deepEqual(issues, [
      'error schema/duplicate-key deploy/manifests/web.yaml:8:7',
      'error schema/format deploy/manifests/web.yaml:10:3',
      'error schema/duplicate-key deploy/manifests/web.yaml:25:15',
      'error schema/duplicate-key deploy/manifests/web.yaml:30:15',
      'error schema/format deploy/manifests/web.yaml:39:3',
      'error k8s/enum deploy/manifests/web.yaml:48:3',
    ]);
    const volumeMode = run.issues.find((i) => i.code === 'k8s/enum');
    assert.equal(volumeMode?.message, '[k8s/enum] spec.volumeMode: Unsupported value: "Blockish": supported values: "Block", "Filesystem"');
    assert.ok(!run.stdout.includes('hunter2'), 'the Secret value stays out of the log');
  });
});
