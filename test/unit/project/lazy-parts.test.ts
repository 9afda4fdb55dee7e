/**
 * What a run may not need stays out of each task's index.js (scripts/lib/lazy-parts.mjs): the Azure
 * SDK (only a Flux wait needs it), the Dockerfile linter, task-lib (only matching files and running
 * tools need it) and the YAML parser and Git client (needed after the inputs are read) are files of
 * their own in the task folder, loaded at their first use. Checked on the built task folders: what index.js holds
 * (esbuild's metafile) and which files a run of the bundle actually loads (require.cache at exit).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DevOpsEmulator, startDevOpsEmulator } from '../../emulators/devops';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../../harness/task-runner';

const root = process.cwd();
const taskDir = (task: string) => path.join(root, 'dist/tasks', task, 'v1');
const AZURE_SDK = ['@azure/identity', '@azure/msal-node', '@azure/arm-kubernetesconfiguration', '@azure/core-rest-pipeline', '@azure/core-client'];
const DOCKERFILE_LINT = ['dockerfile-ast', 'dockerfile-utils', 'vscode-languageserver-types'];
const NTLM = ['underscore', 'des.js', 'js-md4', 'node_modules/typed-rest-client/handlers/ntlm.js'];
const TASK_LIB = ['azure-pipelines-task-lib', 'minimatch', 'shelljs', 'q', 'semver'];
const YAML = ['yaml'];
const DEVOPS_GIT = ['node_modules/azure-devops-node-api/GitApi.js', 'typed-rest-client'];
const WORK_ITEMS = ['node_modules/azure-devops-node-api/WorkItemTrackingApi.js', 'node_modules/azure-devops-node-api/interfaces/WorkItemTrackingInterfaces.js'];

/** The packages (and project sources) esbuild put into one file of a task folder. */
function contents(task: string, file: string): Set<string> {
  const meta = JSON.parse(fs.readFileSync(path.join(root, 'build/meta', `${task}-v1.json`), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const output = meta.outputs[`dist/tasks/${task}/v1/${file}`];
  assert.ok(output, `${task}/v1/${file} is not an output of the build`);
  const inputs = Object.keys(output.inputs);
  return new Set([...inputs, ...inputs.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? f)]);
}

describe('lazily loaded parts of the task folders', function () {
  this.timeout(120_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lazy-parts-'));
  const runs: TaskRun[] = [];
  // Preloaded into every run: writes the files the process loaded (index.js, parts, data) when it exits.
  const hook = path.join(work, 'loaded-files-hook.js');
  fs.writeFileSync(hook, "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_FILES_OUT, JSON.stringify(Object.keys(require.cache))));\n");

  /** Runs a built task; returns the run and the files of its task folder it loaded, by name. */
  async function run(task: string, options: Omit<RunTaskOptions, 'taskDir'>): Promise<{ run: TaskRun; loaded: string[] }> {
    const out = path.join(work, `loaded-${runs.length}.json`);
    const result = await runBuiltTask({
      taskDir: taskDir(task),
      ...options,
      env: { ...options.env, NODE_OPTIONS: `--require ${hook}`, LOADED_FILES_OUT: out },
    });
    runs.push(result);
    const loaded = (JSON.parse(fs.readFileSync(out, 'utf8')) as string[]).filter((f) => path.dirname(f) === taskDir(task)).map((f) => path.basename(f));
    return { run: result, loaded: loaded.sort() };
  }

  /** A repository with one plain-YAML object and its values file; a Dockerfile when asked. */
  function repo(dockerfile?: string): string {
    const dir = fs.mkdtempSync(path.join(work, 'repo-'));
    fs.mkdirSync(path.join(dir, 'deploy/manifests'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'deploy/environments'));
    fs.writeFileSync(path.join(dir, 'deploy/environments/dev.yaml'), 'NAMESPACE: web\n');
    fs.writeFileSync(
      path.join(dir, 'deploy/manifests/config.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: ${NAMESPACE}\ndata:\n  A: b\n',
    );
    if (dockerfile !== undefined) fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    return dir;
  }
  const PLAIN = { templates: 'deploy/manifests', renderer: 'plain', environments: 'dev' };

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
    for (const r of runs) fs.rmSync(r.folders.work, { recursive: true, force: true }); // each run's agent folders
  });

  it('keep the Azure SDK, the work item client, NTLM and the Dockerfile linter out of index.js, each in its part', () => {
    for (const task of ['GitOpsPrValidate', 'GitOpsCiPublish', 'GitOpsPromote']) {
      const main = contents(task, 'index.js');
      assert.deepEqual(
        [...AZURE_SDK, ...DOCKERFILE_LINT, 'shared/validate/dockerfile/index.ts'].filter((p) => main.has(p)),
        [],
        `${task}/v1/index.js`,
      );
      const lint = contents(task, 'lazy-dockerfile-lint.js');
      assert.deepEqual(
        [...DOCKERFILE_LINT, 'shared/validate/dockerfile/index.ts'].filter((p) => !lint.has(p)),
        [],
        `${task}/v1/lazy-dockerfile-lint.js`,
      );
    }
    const promote = contents('GitOpsPromote', 'index.js');
    assert.deepEqual(
      [...NTLM, ...WORK_ITEMS].filter((p) => promote.has(p)),
      [],
      'GitOpsPromote/v1/index.js',
    );
    const ntlm = contents('GitOpsPromote', 'lazy-ntlm.js');
    assert.deepEqual(
      NTLM.filter((p) => !ntlm.has(p)),
      [],
      'GitOpsPromote/v1/lazy-ntlm.js',
    );
    const workItems = contents('GitOpsPromote', 'lazy-devops-work-items.js');
    assert.deepEqual(
      WORK_ITEMS.filter((p) => !workItems.has(p)),
      [],
      'GitOpsPromote/v1/lazy-devops-work-items.js',
    );
    const azure = contents('GitOpsPromote', 'lazy-azure-sdk.js');
    assert.deepEqual(
      AZURE_SDK.filter((p) => !azure.has(p)),
      [],
      'GitOpsPromote/v1/lazy-azure-sdk.js',
    );
    // The agent speaks the agent's protocol itself: task-lib only matches files and runs tools.
    for (const task of ['GitOpsPrValidate', 'GitOpsCiPublish', 'GitOpsPromote']) {
      const main = contents(task, 'index.js');
      assert.deepEqual(
        [...TASK_LIB, ...YAML].filter((p) => main.has(p)),
        [],
        `${task}/v1/index.js`,
      );
      assert.ok(contents(task, 'lazy-task-lib.js').has('azure-pipelines-task-lib'), `${task}/v1/lazy-task-lib.js`);
      assert.ok(contents(task, 'lazy-yaml.js').has('yaml'), `${task}/v1/lazy-yaml.js`);
    }
    assert.deepEqual(
      DEVOPS_GIT.filter((p) => promote.has(p)),
      [],
      'GitOpsPromote/v1/index.js',
    );
    const git = contents('GitOpsPromote', 'lazy-devops-git.js');
    assert.deepEqual(
      DEVOPS_GIT.filter((p) => !git.has(p)),
      [],
      'GitOpsPromote/v1/lazy-devops-git.js',
    );
    // The gate and CI carry the Azure SDK part too, for helmRegistryAzureSubscription (ACR); the runs below show it does not load without that input.
    for (const task of ['GitOpsPrValidate', 'GitOpsCiPublish']) {
      const sdk = contents(task, 'lazy-azure-sdk.js');
      assert.deepEqual(
        ['@azure/identity', '@azure/msal-node'].filter((p) => !sdk.has(p)),
        [],
        `${task}/v1/lazy-azure-sdk.js`,
      );
    }
  });

  it("hold each task's inputs and agent in index.js and its workflow in a part, which uses index.js's copy of the modules both need", () => {
    const workflows = { GitOpsPrValidate: 'pr-validate', GitOpsCiPublish: 'ci-publish', GitOpsPromote: 'promote' };
    for (const [task, name] of Object.entries(workflows)) {
      const main = contents(task, 'index.js');
      const part = contents(task, `lazy-${name}.js`);
      // What a run needs only after its inputs are read: the workflow, rendering, validation, the YAML serializer.
      assert.deepEqual(
        [`shared/workflows/${name}.ts`, 'shared/workflows/render-and-validate.ts', 'shared/validate/schema.ts', 'js-yaml'].filter((p) => main.has(p)),
        [],
        `${task}/v1/index.js`,
      );
      assert.deepEqual(
        [`shared/workflows/${name}.ts`, 'shared/workflows/render-and-validate.ts', 'js-yaml'].filter((p) => !part.has(p)),
        [],
        `${task}/v1/lazy-${name}.js`,
      );
      // One copy of a class per run: the part takes InputError (runTask's instanceof) and the agent's helpers from index.js.
      for (const source of ['shared/util/errors.ts', 'shared/agent/inputs.ts']) {
        assert.ok(main.has(source), `${task}/v1/index.js holds ${source}`);
        assert.ok(!part.has(source) && part.has(`lazy-host:${source}#host`), `${task}/v1/lazy-${name}.js takes ${source} from index.js`);
      }
    }
  });

  it('GitOpsPrValidate on plain YAML without Dockerfiles loads index.js, its workflow part, the YAML parser and the schema data only (no task-lib)', async () => {
    const { run: r, loaded } = await run('GitOpsPrValidate', { inputs: { ...PLAIN, dockerfiles: '' }, variables: { 'Build.SourcesDirectory': repo() } });
    assert.equal(r.result, 'Succeeded', r.stdout);
    assert.deepEqual(loaded, ['index.js', 'lazy-pr-validate.js', 'lazy-yaml.js', 'schema-flux.json', 'schema-kubernetes.json', 'task.json']);
  });

  it('GitOpsPrValidate loads the Dockerfile linter when there is a Dockerfile (task-lib to match it), and it reports its findings', async () => {
    const { run: r, loaded } = await run('GitOpsPrValidate', {
      inputs: { ...PLAIN, dockerfiles: 'Dockerfile' },
      variables: { 'Build.SourcesDirectory': repo('FROM registry.example.com/base:1.0\nRUN echo hi\n') },
    });
    assert.equal(r.result, 'SucceededWithIssues', r.stdout);
    assert.deepEqual(
      r.issues.filter((i) => i.code).map((i) => `${i.type} ${i.code} ${i.sourcepath}:${i.linenumber}`),
      ['warning GF1001 Dockerfile:1'],
    );
    assert.deepEqual(loaded, [
      'index.js',
      'lazy-dockerfile-lint.js',
      'lazy-pr-validate.js',
      'lazy-task-lib.js',
      'lazy-yaml.js',
      'schema-flux.json',
      'schema-kubernetes.json',
      'task.json',
    ]);
  });

  it('GitOpsPrValidate loads the Azure SDK part only with helmRegistryAzureSubscription (the ACR credential), and masks its secret', async () => {
    const key = 'spn-secret-for-the-lazy-parts-test';
    const { run: r, loaded } = await run('GitOpsPrValidate', {
      inputs: { ...PLAIN, dockerfiles: '', helmRegistryAzureSubscription: 'acr' },
      variables: { 'Build.SourcesDirectory': repo() },
      endpoints: {
        acr: {
          url: 'https://management.azure.com/',
          scheme: 'ServicePrincipal',
          parameters: { tenantid: 'tenant-1', serviceprincipalid: 'client-1', authenticationType: 'spnKey', serviceprincipalkey: key },
          data: { environment: 'AzureCloud', subscriptionId: 'sub-1' },
        },
      },
    });
    assert.equal(r.result, 'Succeeded', r.stdout);
    assert.ok(r.stdout.includes(`##vso[task.setsecret]${key}`), 'the key is registered as a secret');
    assert.deepEqual(loaded, [
      'index.js',
      'lazy-azure-sdk.js',
      'lazy-pr-validate.js',
      'lazy-yaml.js',
      'schema-flux.json',
      'schema-kubernetes.json',
      'task.json',
    ]);
  });

  describe('GitOpsPromote', () => {
    let devops: DevOpsEmulator;
    let bundle: string;
    before(async () => {
      const published = await run('GitOpsCiPublish', {
        inputs: { ...PLAIN, images: '', dockerfiles: '', publishArtifact: 'false', appName: 'web' },
        variables: {
          'Build.SourcesDirectory': repo(),
          'Build.BuildId': '42',
          'Build.BuildNumber': '20261206.1',
          'Build.SourceVersion': 'a'.repeat(40),
          'Build.SourceBranch': 'refs/heads/main',
          'Build.Repository.Name': 'web',
        },
      });
      assert.equal(published.run.result, 'Succeeded', published.run.stdout);
      assert.deepEqual(published.loaded, ['index.js', 'lazy-ci-publish.js', 'lazy-yaml.js', 'schema-flux.json', 'schema-kubernetes.json', 'task.json']);
      bundle = published.run.outputs.bundlePath;
      devops = await startDevOpsEmulator({ org: 'lazy', dataDir: work });
      devops.admin.createProject('Lazy');
      await devops.admin.createRepository('Lazy', 'gitops', { defaultBranch: 'main' });
      await devops.admin.seedFiles('Lazy', 'gitops', 'main', { 'README.md': 'GitOps\n' });
    });
    after(async () => devops?.stop());

    const promote = (inputs: Record<string, string>) =>
      run('GitOpsPromote', {
        inputs: { bundle, environment: 'dev', gitopsRepository: 'gitops', waitForReconciliation: 'false', ...inputs },
        variables: { 'System.CollectionUri': `${devops.url}/`, 'System.TeamProject': 'Lazy' },
        endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } },
      });

    it('without a Flux wait nor work items loads none of its parts but the workflow, the Git client and the YAML parser', async () => {
      const { run: r, loaded } = await promote({ deliveryMode: 'push' });
      assert.equal(r.result, 'Succeeded', r.stdout);
      assert.equal(r.outputs.changed, 'true');
      assert.deepEqual(loaded, [
        'index.js',
        'lazy-devops-git.js',
        'lazy-promote.js',
        'lazy-yaml.js',
        'schema-flux.json',
        'schema-kubernetes.json',
        'task.json',
      ]);
    });

    it('loads the work item client to check the work items to link', async () => {
      const { run: r, loaded } = await promote({ deliveryMode: 'pullRequest', targetFolder: 'apps/review/{app}', workItems: '#999999' });
      assert.equal(r.result, 'Failed', r.stdout);
      assert.match(r.resultMessage ?? '', /^Input "workItems": .*999999/);
      assert.deepEqual(loaded, [
        'index.js',
        'lazy-devops-git.js',
        'lazy-devops-work-items.js',
        'lazy-promote.js',
        'lazy-yaml.js',
        'schema-flux.json',
        'schema-kubernetes.json',
        'task.json',
      ]);
    });
  });
});
