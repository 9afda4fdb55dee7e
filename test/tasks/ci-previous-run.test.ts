/**
 * GitOpsCiPublish@1 with previousRelease: lastSuccessfulRun, as the agent runs the built bundle
 * against the Azure DevOps emulator's Build API: the first run of the pipeline has no previous
 * release (every tag new), the next run reads release.json of that run's artifact with the job
 * token and does not rebuild the unchanged image; a change to the image's sources makes its tag new.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { toolsBin } from '../harness/process-tools';
import { runBuiltTask, TaskRun } from '../harness/task-runner';

const root = process.cwd();
const PROJECT = 'Voting';
const CI = { id: 12, name: 'voting-app-ci' };
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'CI', GIT_AUTHOR_EMAIL: 'ci@example.com', GIT_COMMITTER_NAME: 'CI', GIT_COMMITTER_EMAIL: 'ci@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();

/** Every file of a folder by its path relative to it ("/" separators), as the agent uploads an artifact. */
function artifactFiles(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full).split(path.sep).join('/')] = fs.readFileSync(full);
    }
  };
  walk(dir);
  return out;
}

describe('GitOpsCiPublish@1 bundle: previousRelease lastSuccessfulRun (Build API, job token)', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let app: string;
  let jobToken: string;
  const runs: TaskRun[] = [];

  async function ciRun(buildId: number): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsCiPublish/v1'),
      inputs: {
        templates: 'deploy/kustomize/overlays/{environment}',
        environments: 'dev,stage,prod',
        valuesFile: 'deploy/environments/{environment}.yaml',
        images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
        tagStrategy: 'content',
        previousRelease: 'lastSuccessfulRun',
        dockerfiles: '',
      },
      variables: {
        'Build.SourcesDirectory': app,
        'Build.BuildId': String(buildId),
        'Build.BuildNumber': `20261206.${buildId}`,
        'Build.SourceVersion': git(app, 'rev-parse', 'HEAD'),
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
        'Build.DefinitionName': CI.name,
        'System.DefinitionId': String(CI.id),
        'System.CollectionUri': `${devops.url}/`,
        'System.TeamProject': PROJECT,
      },
      endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: jobToken } } },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    runs.push(run);
    return run;
  }

  /** What the service keeps of a successful run: its number and the artifact the task uploaded. */
  function recordSuccessfulRun(run: TaskRun, buildNumber: string): void {
    const upload = run.commands.find((c) => c.command === 'artifact.upload');
    assert.ok(upload, 'the task uploads the bundle as an artifact');
    assert.equal(upload.properties.artifactname, 'release');
    devops.admin.recordBuild(PROJECT, { definition: CI, buildNumber, sourceBranch: 'refs/heads/main', artifacts: { release: artifactFiles(upload.message) } });
  }

  before(async () => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-ci-previous-'));
    fs.cpSync(path.join(root, 'examples/app'), app, { recursive: true, filter: (src) => !src.includes('node_modules') });
    git(app, 'init', '-q', '-b', 'main');
    git(app, 'add', '-A');
    git(app, 'commit', '-q', '-m', 'voting app');
    devops = await startDevOpsEmulator({ org: 'contoso' });
    devops.admin.createProject(PROJECT);
    // A CI job references no other repository: the Build API of its own project is what it reads.
    jobToken = devops.admin.mintJobToken(PROJECT, []);
  });

  after(async () => {
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    fs.rmSync(app, { recursive: true, force: true });
  });

  it('counts every tag as new on the first run, then finds that run and keeps the unchanged tag, and sees a changed image as new', async () => {
    const first = await ciRun(501);
    assert.equal(first.result, 'Succeeded', first.stdout);
    assert.match(first.stdout, /No previous release: no successful run of pipeline 12 on refs\/heads\/main yet\. Every image tag counts as new\./);
    assert.equal(first.outputs.WEB_TAG_NEW, 'true');
    assert.equal(first.outputs.newImages, 'WEB');
    recordSuccessfulRun(first, '20261206.501');

    const second = await ciRun(502);
    assert.equal(second.result, 'Succeeded', second.stdout);
    assert.match(second.stdout, /Previous release: release\.json of run 20261206\.501 \(build \d+, artifact "release"\) on refs\/heads\/main, 1 image\(s\)/);
    assert.equal(second.outputs.WEB_TAG, first.outputs.WEB_TAG);
    assert.equal(second.outputs.WEB_TAG_NEW, 'false');
    assert.equal(second.outputs.newImages, '');
    // No download step: nothing partially succeeded, no warning.
    assert.deepEqual(
      second.issues.map((i) => i.type),
      [],
    );
    recordSuccessfulRun(second, '20261206.502');

    fs.appendFileSync(path.join(app, 'src/web/server.js'), '// changed\n');
    git(app, 'commit', '-q', '-am', 'web change');
    const third = await ciRun(503);
    assert.equal(third.result, 'Succeeded', third.stdout);
    assert.match(third.stdout, /Previous release: release\.json of run 20261206\.502 /);
    assert.notEqual(third.outputs.WEB_TAG, first.outputs.WEB_TAG);
    assert.deepEqual([third.outputs.WEB_TAG_NEW, third.outputs.newImages], ['true', 'WEB']);
  });

  it('fails naming previousRelease when the job has no pipeline id (e.g. run outside a pipeline)', async () => {
    const run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsCiPublish/v1'),
      inputs: {
        templates: 'deploy/kustomize/overlays/{environment}',
        environments: 'dev',
        valuesFile: 'deploy/environments/{environment}.yaml',
        images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
        previousRelease: 'lastSuccessfulRun',
        dockerfiles: '',
      },
      variables: {
        'Build.SourcesDirectory': app,
        'Build.BuildId': '504',
        'Build.BuildNumber': '20261206.504',
        'Build.SourceVersion': git(app, 'rev-parse', 'HEAD'),
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
        'System.CollectionUri': `${devops.url}/`,
        'System.TeamProject': PROJECT,
      },
      endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: jobToken } } },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    runs.push(run);
    assert.equal(run.result, 'Failed', run.stdout);
    assert.equal(
      run.resultMessage,
      'Input "previousRelease": lastSuccessfulRun reads the pipeline\'s earlier runs through the Build API, but System.DefinitionId is not available in this job',
    );
  });
});
