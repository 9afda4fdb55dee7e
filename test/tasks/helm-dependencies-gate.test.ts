/** GitOpsPrValidate@1 (built bundle) on a chart with a file:// dependency: Chart.lock, and the helmDependencyUpdate input. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toolsBin } from '../harness/process-tools';
import { runBuiltTask, TaskRun } from '../harness/task-runner';

const root = process.cwd();

describe('GitOpsPrValidate@1 bundle on a chart with dependencies', function () {
  this.timeout(120_000);
  const cleanup: string[] = [];
  after(() => {
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  function repo(withLock: boolean): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-helm-deps-'));
    cleanup.push(dir);
    fs.cpSync(path.join(root, 'test/fixtures/repos/helm-deps'), dir, { recursive: true });
    if (!withLock) fs.rmSync(path.join(dir, 'deploy/chart/Chart.lock'));
    return dir;
  }

  async function validate(sources: string, inputs: Record<string, string> = {}): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsPrValidate/v1'),
      inputs: { templates: 'deploy/chart', environments: 'dev', valuesFile: 'deploy/environments/{environment}.yaml', dockerfiles: '', ...inputs },
      variables: { 'Build.SourcesDirectory': sources },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    cleanup.push(run.folders.work);
    return run;
  }

  const dependencyIssues = (run: TaskRun) =>
    run.issues
      .filter((i) => i.code === 'render/helm-dependency')
      .map((i) => [i.type, i.sourcepath, i.message.replace(/^[^:]*render\/helm-dependency[^:]*: /, '')]);

  it('builds the dependency from Chart.lock and leaves the checkout as it was', async () => {
    const sources = repo(true);
    const run = await validate(sources);
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.match(run.stdout, /##\[command\]\S*helm dependency build /);
    assert.equal(fs.existsSync(path.join(sources, 'deploy/chart/charts')), false);
  });

  it('without Chart.lock fails on Chart.yaml, and runs helm dependency update when helmDependencyUpdate is true', async () => {
    const sources = repo(false);
    const refused = await validate(sources);
    assert.equal(refused.result, 'Failed', refused.stdout);
    assert.deepEqual(
      dependencyIssues(refused).map(([type, file]) => [type, file]),
      [['error', 'deploy/chart/Chart.yaml']],
    );
    assert.match(refused.stdout, /has no Chart\.lock: run `helm dependency update` and commit Chart\.lock, or set helmDependencyUpdate to true/);

    const updated = await validate(sources, { helmDependencyUpdate: 'true' });
    assert.equal(updated.result, 'Succeeded', updated.stdout);
    assert.match(updated.stdout, /##\[command\]\S*helm dependency update /);
  });
});
