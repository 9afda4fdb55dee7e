/**
 * Secrets through the built bundles (issue #10, part 5): a secret pipeline variable's value never
 * reaches a file the tasks write (summary tab, JUnit/SARIF results, release bundle), a finding
 * never quotes it (not even cut short) nor a Secret's data, and a `variables` entry holding a
 * secret's value is refused, naming the entry and the secret variable but never the value.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();
const dist = (task: string) => path.join(root, 'dist/tasks', task, 'v1');
const runs: TaskRun[] = [];
const cleanup: string[] = [];

/** Longer than the 40 characters a schema message quotes: it shows there cut short, as `"<first 37>..."`. */
const LONG_SECRET = 'S3cret-Passw0rd-0123456789-abcdefghijklmnopqrstuv';
const SECRETS = { dbPassword: LONG_SECRET };

/** A plain YAML repository: files by repository path. */
function makeRepo(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-secrets-repo-'));
  cleanup.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\ndata:\n  mode: ${MODE}\n';

async function run(task: string, inputs: Record<string, string>, options: Partial<RunTaskOptions> = {}): Promise<TaskRun> {
  const result = await runBuiltTask({
    taskDir: dist(task),
    inputs,
    secrets: SECRETS,
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

/**
 * Everything the run wrote that a reader sees, except task-lib's own debug lines (`name=value` for
 * every input and variable it reads: the agent masks those in its log, as it knows its secrets).
 */
function written(run: TaskRun, files: string[] = []): string {
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('##vso[task.debug]'))
    .join('\n');
  return [stdout, run.stderr, ...run.summaries.map((s) => s.markdown), ...files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''))].join('\n');
}

function assertNoSecret(text: string): void {
  assert.ok(!text.includes(LONG_SECRET), 'the secret is written in clear');
  assert.ok(!text.includes(LONG_SECRET.slice(0, 20)), 'the start of the secret is written');
}

const REFUSED =
  'Input "variables": DB_PASSWORD holds the value of the secret pipeline variable "dbPassword"; a GitOps repository must not hold plaintext secrets. Keep secrets out of the rendered manifests: encrypt them with SOPS or use sealed secrets (or an external secret store).';

describe('secrets in the built tasks', function () {
  this.timeout(120_000);
  after(() => {
    for (const r of runs) fs.rmSync(r.folders.work, { recursive: true, force: true });
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('GitOpsPrValidate@1 refuses a variables entry holding a secret variable, naming it, never the value', async () => {
    const sources = makeRepo({ 'deploy/manifests/configmap.yaml': CONFIGMAP, 'deploy/environments/dev.yaml': 'MODE: fast\n' });
    const r = await run(
      'GitOpsPrValidate',
      { templates: 'deploy/manifests', environments: 'dev', variables: 'MODE=fast\nDB_PASSWORD=$(dbPassword)', dockerfiles: '' },
      { variables: { 'Build.SourcesDirectory': sources } },
    );
    assert.equal(r.result, 'Failed', r.stdout);
    assert.equal(r.resultMessage, REFUSED);
    assertNoSecret(written(r));
  });

  for (const format of ['junit', 'sarif']) {
    it(`GitOpsPrValidate@1 masks a secret value the repository holds in the issues, log, summary and ${format} file, also cut short`, async () => {
      // The password was committed to the values file, and is also the secret variable's value; a schema error quotes it.
      const sources = makeRepo({
        'deploy/manifests/deployment.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team-a\nspec:\n  replicas: ${DB_PASSWORD}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27.3\n',
        'deploy/environments/dev.yaml': `DB_PASSWORD: ${LONG_SECRET}\n`,
      });
      const r = await run(
        'GitOpsPrValidate',
        { templates: 'deploy/manifests', environments: 'dev', testResultsFormat: format, dockerfiles: '' },
        { variables: { 'Build.SourcesDirectory': sources } },
      );
      assert.equal(r.result, 'Failed', r.stdout);
      const typeIssue = r.issues.find((i) => i.code === 'schema/type');
      assert.equal(typeIssue?.message, '[schema/type] spec.replicas: expected integer, got string "***..."');
      assert.match(r.summaries[0].markdown, /spec\.replicas: expected integer, got string "\*\*\*\.\.\."/);
      const results = fs.readFileSync(r.outputs.testResultsFile, 'utf8');
      assert.ok(results.includes('got string'), results);
      assertNoSecret(written(r, [r.outputs.testResultsFile]));
    });
  }

  it("GitOpsPrValidate@1 never quotes a Secret's data in a finding (a values-file password)", async () => {
    const sources = makeRepo({
      'deploy/manifests/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team-a\nstringData:\n  password: ${DB_PASSWORD}\n',
      'deploy/environments/dev.yaml': 'DB_PASSWORD: 73915502\n',
    });
    const r = await run(
      'GitOpsPrValidate',
      { templates: 'deploy/manifests', environments: 'dev', dockerfiles: '' },
      { variables: { 'Build.SourcesDirectory': sources }, secrets: {} },
    );
    assert.equal(r.result, 'Failed', r.stdout);
    assert.deepEqual(
      r.issues.filter((i) => i.code).map((i) => i.message),
      [
        '[secret/plaintext] Secret team-a/db holds plaintext stringData (keys: password); GitOps repositories must not hold plaintext secrets: encrypt it with SOPS or use a SealedSecret / external secret',
        '[schema/type] stringData.password: expected string, got integer',
      ].sort(),
    );
    const text = written(r, [r.outputs.testResultsFile]);
    assert.ok(!text.includes('73915502'), 'the password is written in clear');
  });

  it('GitOpsCiPublish@1 refuses a variables entry holding a secret variable: no release bundle, no value anywhere', async () => {
    const sources = makeRepo({ 'deploy/manifests/configmap.yaml': CONFIGMAP, 'deploy/environments/dev.yaml': 'MODE: fast\n' });
    const r = await run(
      'GitOpsCiPublish',
      { templates: 'deploy/manifests', environments: 'dev', images: '', tagStrategy: 'buildNumber', variables: 'DB_PASSWORD=$(dbPassword)', dockerfiles: '' },
      { variables: buildVariables(sources) },
    );
    assert.equal(r.result, 'Failed', r.stdout);
    assert.equal(r.resultMessage, REFUSED);
    assert.deepEqual(fs.readdirSync(r.folders.staging), []);
    assertNoSecret(written(r));
  });

  it('GitOpsPromote@1 refuses a variables entry holding a secret variable before it opens the bundle', async () => {
    const r = await run('GitOpsPromote', {
      bundle: path.join(os.tmpdir(), 'no-such-bundle'),
      environment: 'dev',
      variables: 'DB_PASSWORD=$(dbPassword)',
      gitopsRepository: 'gitops',
      targetFolder: 'apps/{app}/{environment}',
      waitForReconciliation: 'false',
    });
    assert.equal(r.result, 'Failed', r.stdout);
    assert.equal(r.resultMessage, REFUSED);
    assertNoSecret(written(r));
  });
});
