/**
 * GitOpsPrValidate@1 as the agent runs it: the built bundle (dist/tasks), inputs as INPUT_*
 * variables, agent folders, and the ##vso commands it prints. Every scenario runs under Node 20;
 * the smoke scenarios also under Node 24 (the Node24 handler).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();
const taskDir = path.join(root, 'dist/tasks/GitOpsPrValidate/v1');
const fixtures = path.join(root, 'test/fixtures/repos');
const runs: TaskRun[] = [];
const cleanup: string[] = [];

async function validate(sources: string, inputs: Record<string, string>, extra: Partial<RunTaskOptions> = {}): Promise<TaskRun> {
  const run = await runBuiltTask({
    taskDir,
    inputs: { dockerfiles: '', ...inputs },
    variables: { 'Build.SourcesDirectory': sources },
    env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    ...extra,
  });
  runs.push(run);
  return run;
}

// Findings carry a rule code; the task result's own message is logged as an issue too, without one.
const issueBrief = (run: TaskRun) => run.issues.filter((i) => i.code).map((i) => `${i.type} ${i.code ?? ''} ${i.sourcepath ?? ''}:${i.linenumber ?? ''}`);

describe('GitOpsPrValidate@1 bundle', function () {
  this.timeout(120_000);
  after(() => {
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  const nodes: [string, string | undefined][] = [
    ['Node 20', undefined],
    ['Node 24', process.env.GITOPS_FLOW_NODE24],
  ];
  for (const [label, nodePath] of nodes) {
    it(`validates the sample app's Helm chart clean (${label})`, async function () {
      if (label === 'Node 24' && !nodePath) this.skip();
      const app = path.join(root, 'examples/app');
      const run = await validate(
        app,
        {
          templates: 'deploy/helm/voting-app',
          helmValuesFiles: 'deploy/helm/values-{environment}.yaml',
          releaseName: 'voting-app',
          dockerfiles: 'src/**/Dockerfile',
        },
        { nodePath },
      );
      assert.equal(run.result, 'Succeeded', run.stdout);
      assert.equal(run.exitCode, 0);
      assert.deepEqual(issueBrief(run), []);
      assert.deepEqual(run.outputs, {
        errorCount: '0',
        warningCount: '0',
        objectCount: '24',
        testResultsFile: path.join(run.folders.temp, 'gitops-validation.xml'),
      });
      const junit = fs.readFileSync(run.outputs.testResultsFile, 'utf8');
      assert.match(junit, /<testsuites name="GitOps Flow" tests="25" failures="0">/);
      assert.match(junit, /<testsuite name="GitOps validation: prod" tests="9" failures="0"/);
      assert.equal(run.summaries.length, 1);
      assert.equal(run.summaries[0].title, 'GitOps validation');
      assert.match(run.summaries[0].markdown, /\| prod \| helm \| 9 \| 0 \| 0 \|/);
      assert.match(run.summaries[0].markdown, /\| src\/web\/Dockerfile \| 0 \| 0 \|/);
      // Progress is reported per environment.
      assert.deepEqual(
        run.commands.filter((c) => c.command === 'task.setprogress').map((c) => c.properties.value),
        ['0', '25', '50', '75', '100'],
      );
    });
  }

  it('passes a clean app with everything under deploy/ on the task.json defaults (values files are no manifests)', async () => {
    // Only Build.SourcesDirectory: templates deploy, valuesFile deploy/environments/{environment}.yaml, environments dev,stage,prod.
    const run = await validate(path.join(fixtures, 'everything-in-deploy'), {});
    assert.deepEqual(issueBrief(run), []);
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.deepEqual([run.outputs.errorCount, run.outputs.warningCount, run.outputs.objectCount], ['0', '0', '6']);
    assert.match(run.summaries[0].markdown, /\| prod \| plain \| 2 \| 0 \| 0 \|/);
  });

  it('tells a template using ${NAME_IMAGE} as the image to write ${NAME_REF}', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-pr-image-'));
    cleanup.push(repo);
    fs.cpSync(path.join(fixtures, 'everything-in-deploy'), repo, { recursive: true });
    const deployment = path.join(repo, 'deploy/deployment.yaml');
    fs.writeFileSync(deployment, fs.readFileSync(deployment, 'utf8').replace('image: nginx:1.27.3', 'image: ${WEB_IMAGE}'));
    const run = await validate(repo, { environments: 'dev', variables: 'WEB_IMAGE=contosoacr.azurecr.io/voting/web' });
    assert.equal(run.result, 'Failed');
    assert.deepEqual(
      run.issues.filter((i) => i.code).map((i) => [i.code, i.sourcepath, i.linenumber, i.message]),
      [
        [
          'policy/image-tag',
          'deploy/deployment.yaml',
          '21',
          '[policy/image-tag] container "web" in Deployment web-dev/web uses image contosoacr.azurecr.io/voting/web without a tag, which pulls :latest; ${WEB_IMAGE} is the repository only: write ${WEB_REF} or ${WEB_IMAGE}:${WEB_TAG}',
        ],
      ],
    );
  });

  it('fails on errors, annotating each with its file and line', async () => {
    const run = await validate(path.join(fixtures, 'unknown-field'), { templates: 'deploy/manifests', environments: 'dev' });
    assert.equal(run.result, 'Failed');
    assert.equal(run.exitCode, 0, 'a failed task still exits 0; the result is the ##vso command');
    assert.deepEqual(
      issueBrief(run).filter((i) => i.startsWith('error schema')),
      [
        'error schema/unknown-field deploy/manifests/deployment.yaml:7',
        'error schema/unknown-field deploy/manifests/deployment.yaml:16',
        'error schema/required deploy/manifests/deployment.yaml:15',
      ],
    );
    assert.equal(run.outputs.errorCount, '3');
    assert.match(run.resultMessage!, /^Validation failed: 1 environment\(s\), 1 object\(s\), 0 Dockerfile\(s\): 3 error\(s\), 0 warning\(s\)$/);
  });

  it('succeeds with issues on warnings, and fails on them with failOn: warning', async () => {
    const repo = path.join(fixtures, 'warnings-only');
    const lenient = await validate(repo, { templates: 'deploy/manifests', environments: 'dev' });
    assert.equal(lenient.result, 'SucceededWithIssues');
    assert.deepEqual(issueBrief(lenient), ['warning policy/probes deploy/manifests/deployment.yaml:20']);
    assert.equal(lenient.outputs.warningCount, '1');
    const strict = await validate(repo, { templates: 'deploy/manifests', environments: 'dev', failOn: 'warning' });
    assert.equal(strict.result, 'Failed');
  });

  it('reports a finding shared by environments once, naming no environment when all have it', async () => {
    const run = await validate(path.join(fixtures, 'kustomize-overlays'), {
      templates: 'deploy/overlays/{environment}',
      environments: 'dev,prod',
      policyResources: 'off',
      policyRunAsRoot: 'off',
      policyProbes: 'off',
    });
    assert.deepEqual(issueBrief(run), ['error schema/unknown-field deploy/base/deployment.yaml:24']);
    assert.doesNotMatch(run.issues[0].message, /\(dev/);
  });

  it('names the installer task when helm is missing and installTools is off (an offline agent)', async () => {
    const run = await validate(
      path.join(fixtures, 'helm-chart'),
      { templates: 'deploy/chart', environments: 'dev', installTools: 'false' },
      { env: { PATH: '/nonexistent' } },
    );
    assert.equal(run.result, 'Failed');
    assert.equal(run.resultMessage, '"helm" was not found on PATH; it is needed to render the Helm chart. Add a HelmInstaller@1 step before this task.');
  });

  it('fails with the input named when the templates folder does not exist', async () => {
    const run = await validate(path.join(fixtures, 'wrong-type'), { templates: 'deploy/missing', environments: 'dev' });
    assert.equal(run.result, 'Failed');
    assert.equal(run.resultMessage, 'Input "templates": the templates folder "deploy/missing" does not exist (environment "dev")');
  });

  it('rejects bad input values with the input named', async () => {
    const badVersion = await validate(path.join(fixtures, 'wrong-type'), { templates: 'deploy/manifests', environments: 'dev', kubernetesVersion: 'latest' });
    assert.equal(badVersion.resultMessage, 'Input "kubernetesVersion": expected a Kubernetes version like 1.32, got "latest"');
    const badChoice = await validate(path.join(fixtures, 'wrong-type'), { templates: 'deploy/manifests', environments: 'dev', renderer: 'jsonnet' });
    assert.equal(badChoice.resultMessage, 'Input "renderer": expected one of auto, helm, kustomize, plain, helm-kustomize, got "jsonnet"');
  });

  it('never lets repository text inject a logging command', async () => {
    const run = await validate(path.join(fixtures, 'vso-injection'), { templates: 'deploy/manifests', environments: 'dev', valuesFile: '' });
    assert.equal(run.outputs.pwned, undefined);
    assert.ok(!run.commands.some((c) => c.command === 'task.setvariable' && c.properties.variable === 'pwned'));
    assert.ok(
      run.issues.some((i) => i.message.includes('##_vso[task.setvariable')),
      run.stdout,
    );
  });

  it('never writes a secret value to the log', async () => {
    const run = await validate(path.join(fixtures, 'plaintext-secret'), { templates: 'deploy/manifests', environments: 'dev' });
    assert.equal(run.result, 'Failed');
    assert.deepEqual(issueBrief(run), ['error secret/plaintext deploy/manifests/secret.yaml:7']);
    assert.ok(!run.stdout.includes('hunter2'));
    assert.ok(!fs.readFileSync(run.outputs.testResultsFile, 'utf8').includes('hunter2'));
  });

  it('writes SARIF when asked', async () => {
    const run = await validate(path.join(fixtures, 'removed-api'), { templates: 'deploy/manifests', environments: 'dev', testResultsFormat: 'sarif' });
    assert.equal(run.outputs.testResultsFile, path.join(run.folders.temp, 'gitops-validation.sarif'));
    // The part of a SARIF 2.1.0 log the test reads.
    interface SarifLog {
      version: string;
      runs: {
        results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[];
      }[];
    }
    const sarif = JSON.parse(fs.readFileSync(run.outputs.testResultsFile, 'utf8')) as SarifLog;
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(
      sarif.runs[0].results.map((r) => [
        r.ruleId,
        r.level,
        r.locations[0].physicalLocation.artifactLocation.uri,
        r.locations[0].physicalLocation.region.startLine,
      ]),
      [['api/removed', 'error', 'deploy/manifests/ingress.yaml', 1]],
    );
  });
});
