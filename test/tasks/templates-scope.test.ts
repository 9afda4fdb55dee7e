/**
 * The gate validates what it was asked to (issue #10, part 6), through the built bundles: a
 * templates folder outside the repository is an input error in every task, and an environment
 * that renders no objects is an error naming the environment and the templates folder.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();
const runs: TaskRun[] = [];
const cleanup: string[] = [];

const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\ndata:\n  mode: fast\n';

/** A temporary folder holding `repo/` (the checkout) and `outside/` (valid templates beside it). */
function makeWorkspace(): { repo: string; outside: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-scope-'));
  cleanup.push(dir);
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write('repo/deploy/manifests/configmap.yaml', CONFIGMAP);
  write('repo/deploy/empty/notes.yaml', '# nothing rendered here yet\n');
  write('outside/configmap.yaml', CONFIGMAP);
  return { repo: path.join(dir, 'repo'), outside: path.join(dir, 'outside') };
}

async function run(task: string, inputs: Record<string, string>, options: Partial<RunTaskOptions>): Promise<TaskRun> {
  const result = await runBuiltTask({
    taskDir: path.join(root, 'dist/tasks', task, 'v1'),
    inputs: { environments: 'dev', valuesFile: '', dockerfiles: '', ...inputs },
    env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    ...options,
  });
  runs.push(result);
  return result;
}

function buildVariables(sources: string): Record<string, string> {
  return {
    'Build.SourcesDirectory': sources,
    'Build.BuildId': '7',
    'Build.BuildNumber': '20261206.1',
    'Build.SourceVersion': '0123456789abcdef0123456789abcdef01234567',
    'Build.SourceBranch': 'refs/heads/main',
    'Build.Repository.Name': 'app',
  };
}

const outsideMessage = (value: string, repo: string) =>
  `Input "templates": "${value}" is outside the repository (${repo}); the tasks render and validate the repository's files only`;

describe('templates scope in the built tasks', function () {
  this.timeout(120_000);
  after(() => {
    for (const r of runs) fs.rmSync(r.folders.work, { recursive: true, force: true });
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('GitOpsPrValidate@1 refuses a templates folder outside the repository, relative or absolute', async () => {
    const { repo, outside } = makeWorkspace();
    for (const value of ['../outside', outside]) {
      const r = await run('GitOpsPrValidate', { templates: value }, { variables: { 'Build.SourcesDirectory': repo } });
      assert.equal(r.result, 'Failed', r.stdout);
      // templates is a filePath input: the agent gives the task the path rooted in the sources folder.
      assert.equal(r.resultMessage, outsideMessage(outside, repo));
      assert.deepEqual(r.summaries, []);
    }
  });

  it('GitOpsCiPublish@1 refuses it with the same check', async () => {
    const { repo, outside } = makeWorkspace();
    const r = await run('GitOpsCiPublish', { templates: '../outside', images: '', tagStrategy: 'buildNumber' }, { variables: buildVariables(repo) });
    assert.equal(r.result, 'Failed', r.stdout);
    assert.equal(r.resultMessage, outsideMessage(outside, repo));
  });

  it('GitOpsPrValidate@1 fails an environment that renders no objects, naming it and the templates folder', async () => {
    const { repo } = makeWorkspace();
    const r = await run('GitOpsPrValidate', { templates: 'deploy/empty', environments: 'dev,prod' }, { variables: { 'Build.SourcesDirectory': repo } });
    assert.equal(r.result, 'Failed', r.stdout);
    assert.deepEqual(
      r.issues.filter((i) => i.code).map((i) => `${i.type} ${i.code} ${i.message}`),
      [
        'error render/no-objects [render/no-objects] Environment "dev" renders no objects from the templates folder "deploy/empty": nothing was validated (check templates, renderer and the values that select what is rendered) (dev)',
        'error render/no-objects [render/no-objects] Environment "prod" renders no objects from the templates folder "deploy/empty": nothing was validated (check templates, renderer and the values that select what is rendered) (prod)',
      ],
    );
    assert.equal(r.outputs.objectCount, '0');
    assert.equal(r.outputs.errorCount, '2');
  });

  it('GitOpsPrValidate@1 passes an environment that renders no objects with allowEmpty: true', async () => {
    const { repo } = makeWorkspace();
    const r = await run('GitOpsPrValidate', { templates: 'deploy/empty', allowEmpty: 'true' }, { variables: { 'Build.SourcesDirectory': repo } });
    assert.equal(r.result, 'Succeeded', r.stdout);
    assert.equal(r.outputs.objectCount, '0');
    assert.deepEqual(r.issues, []);
  });

  it('GitOpsCiPublish@1 publishes no bundle for an environment that renders no objects', async () => {
    const { repo } = makeWorkspace();
    const r = await run('GitOpsCiPublish', { templates: 'deploy/empty', images: '', tagStrategy: 'buildNumber' }, { variables: buildVariables(repo) });
    assert.equal(r.result, 'Failed', r.stdout);
    assert.match(
      r.resultMessage ?? '',
      /^Validation failed, no release bundle written: 1 environment\(s\), 0 object\(s\), 0 Dockerfile\(s\): 1 error\(s\), 0 warning\(s\)$/,
    );
    assert.ok(r.issues.some((i) => i.code === 'render/no-objects' && i.message.includes('Environment "dev" renders no objects')));
    assert.deepEqual(fs.readdirSync(r.folders.staging), []);
  });

  it('still validates a templates folder inside the repository given as an absolute path', async () => {
    const { repo } = makeWorkspace();
    const r = await run('GitOpsPrValidate', { templates: path.join(repo, 'deploy/manifests') }, { variables: { 'Build.SourcesDirectory': repo } });
    assert.equal(r.result, 'Succeeded', r.stdout);
    assert.equal(r.outputs.objectCount, '1');
  });
});
