/**
 * GitOpsPrValidate@1 (the built bundle) on the table of issue #16: every row is an error at its file and line,
 * and `enabled: yes` / `country: NO` in a plain ConfigMap are not.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();

describe('GitOpsPrValidate@1 bundle: API server rules', function () {
  this.timeout(120_000);
  let run: TaskRun | undefined;
  after(() => {
    if (run) fs.rmSync(run.folders.work, { recursive: true, force: true });
  });

  it('fails the pull request on each row of the table, at the field, and not on YAML 1.1 booleans', async () => {
    run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsPrValidate/v1'),
      inputs: { dockerfiles: '', templates: 'deploy/manifests', environments: 'dev', kubernetesVersion: '1.32' },
      variables: { 'Build.SourcesDirectory': path.join(root, 'test/fixtures/repos/api-server-rules') },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    assert.equal(run.result, 'Failed', run.stdout);
    const apiIssues = run.issues
      .filter((i) => i.code && /^(k8s|schema)\//.test(i.code))
      .map((i) => `${i.type} ${i.code} ${i.sourcepath}:${i.linenumber}:${i.columnnumber}`);
    // The enums come with the schema check (its data carries the Kubernetes API types' enums), before the API rules.
    assert.deepEqual(apiIssues, [
      'error k8s/enum deploy/manifests/web.yaml:19:11',
      'error k8s/enum deploy/manifests/web.yaml:22:15',
      'error k8s/enum deploy/manifests/web.yaml:33:3',
      'error schema/pattern deploy/manifests/apps.yaml:7:3',
      'error k8s/name deploy/manifests/settings.yaml:4:3',
      'error k8s/label deploy/manifests/web.yaml:14:9',
      'error k8s/port deploy/manifests/web.yaml:21:15',
      'error k8s/quantity deploy/manifests/web.yaml:25:15',
      'error k8s/selector deploy/manifests/web.yaml:12:7',
    ]);
    assert.ok(!run.issues.some((i) => i.code === 'schema/type'), run.stdout);
  });
});
