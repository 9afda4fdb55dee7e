/**
 * Issue #10 below the bundles: the shared input readers refuse secrets in `variables` and templates
 * outside the repository, renderAndValidate fails an environment that renders nothing, and the
 * validation report writes no secret into the results file or the summary.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import type { Finding } from '../../../shared/manifests/finding';
import { readRenderAndValidateInputs } from '../../../shared/workflows/pr-validate-inputs';
import { maskReport, reportValidation } from '../../../shared/workflows/pr-validate-report';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';
import { allFindings, renderAndValidate, RenderAndValidateOptions, ValidationReport } from '../../../shared/workflows/render-and-validate';
import { repositoryRelative } from '../../../shared/workflows/repository-path';
import { readVariablesInput } from '../../../shared/workflows/variables-input';
import { processTools, toolsBin } from '../../harness/process-tools';

const POLICY_OFF = { imageTag: 'off', resources: 'off', privileged: 'off', runAsRoot: 'off', hostPath: 'off', probes: 'off' } as const;
const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-a\ndata:\n  mode: fast\n';
const temps: string[] = [];

function tmp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A repository with deploy/manifests (one ConfigMap), deploy/empty (nothing to render) and deploy/dev (for `{environment}`). */
function makeRepo(): string {
  const repo = tmp('gitops-safety-repo-');
  for (const [rel, text] of Object.entries({
    'deploy/manifests/configmap.yaml': CONFIGMAP,
    'deploy/empty/notes.yaml': '# nothing yet\n',
    'deploy/dev/configmap.yaml': CONFIGMAP,
  })) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), text);
  }
  return repo;
}

function options(repoRoot: string, overrides: Partial<RenderAndValidateOptions> = {}): RenderAndValidateOptions {
  return {
    repoRoot,
    templates: 'deploy/manifests',
    renderer: 'auto',
    environments: ['dev'],
    valuesFile: '',
    variables: new Map(),
    helmValuesFiles: [],
    kubernetesVersion: '1.32',
    policy: POLICY_OFF,
    dockerfiles: [],
    tools: processTools([toolsBin()]),
    workDir: tmp('gitops-safety-work-'),
    ...overrides,
  };
}

const SECRET = 'S3cret-Passw0rd-0123456789-abcdefghijklmnopqrstuv';

describe('validation safety (issue #10)', () => {
  after(() => {
    for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('the variables input', () => {
    it('reads NAME=value lines, refusing one that holds a secret variable (in every task that reads it)', () => {
      const inputs = { variables: 'MODE=fast\nDB_PASSWORD=S3cret-Passw0rd' };
      const secrets = { dbPassword: 'S3cret-Passw0rd' };
      assert.deepEqual(
        [...readVariablesInput(new MemoryAgent({ inputs }))],
        [
          ['MODE', 'fast'],
          ['DB_PASSWORD', 'S3cret-Passw0rd'],
        ],
      );
      const refused = /^InputError: Input "variables": DB_PASSWORD holds the value of the secret pipeline variable "dbPassword"; /;
      assert.throws(() => readVariablesInput(new MemoryAgent({ inputs, secrets })), refused);
      assert.throws(() => readRenderAndValidateInputs(new MemoryAgent({ inputs: { ...inputs, templates: 'deploy' }, secrets }), makeRepo()), refused);
      assert.throws(() => readPromoteInputs(new MemoryAgent({ inputs, secrets })), refused);
    });

    it('still names the line of a malformed entry', () => {
      assert.throws(
        () => readVariablesInput(new MemoryAgent({ inputs: { variables: 'OK=1\nnot a pair' } })),
        /^InputError: Input "variables": line 2: expected NAME=value, got "not a pair"$/,
      );
    });
  });

  describe('templates inside the repository', () => {
    it('repositoryRelative: repository-relative with forward slashes; outside is an InputError naming the input', () => {
      const repo = makeRepo();
      assert.equal(repositoryRelative(path.join(repo, 'deploy', 'manifests'), repo, 'templates'), 'deploy/manifests');
      assert.equal(repositoryRelative('deploy/./manifests/', repo, 'templates'), 'deploy/manifests');
      assert.equal(repositoryRelative(repo, repo, 'templates'), '.');
      assert.equal(repositoryRelative('', repo, 'valuesFile'), '');
      for (const value of ['/etc', '../../..', 'deploy/../../x']) {
        assert.throws(
          () => repositoryRelative(value, repo, 'templates'),
          new RegExp(`^InputError: Input "templates": "${value.replace(/\./g, '\\.')}" is outside the repository \\(`),
        );
      }
    });

    it('the PrValidate/CiPublish inputs refuse templates outside the repository before anything is rendered', () => {
      const repo = makeRepo();
      assert.throws(
        () => readRenderAndValidateInputs(new MemoryAgent({ inputs: { templates: '/etc' } }), repo),
        /^InputError: Input "templates": "\/etc" is outside the repository/,
      );
      assert.equal(readRenderAndValidateInputs(new MemoryAgent({ inputs: { templates: path.join(repo, 'deploy') } }), repo).templates, 'deploy');
    });

    it('renderAndValidate refuses a templates folder an environment name takes outside the repository', async () => {
      const repo = makeRepo();
      await assert.rejects(
        renderAndValidate(options(repo, { templates: 'deploy/{environment}', environments: ['dev', '../../..'] })),
        /^InputError: Input "templates": "deploy\/\.\.\/\.\.\/\.\." is outside the repository/,
      );
    });
  });

  describe('an environment that renders nothing', () => {
    it('is an error naming the environment and the templates folder', async () => {
      const repo = makeRepo();
      const report = await renderAndValidate(options(repo, { templates: 'deploy/empty', environments: ['dev'] }));
      assert.equal(report.environments[0].objects, 0);
      assert.deepEqual(allFindings(report), [
        {
          rule: 'render/no-objects',
          severity: 'error',
          message:
            'Environment "dev" renders no objects from the templates folder "deploy/empty": nothing was validated (check templates, renderer and the values that select what is rendered)',
        },
      ]);
    });

    it('passes when allowed, and is not added on top of a rendering error', async () => {
      const repo = makeRepo();
      assert.deepEqual(allFindings(await renderAndValidate(options(repo, { templates: 'deploy/empty', allowEmpty: true }))), []);
      fs.writeFileSync(path.join(repo, 'deploy/empty/broken.yaml'), 'a: [\n');
      const findings = allFindings(await renderAndValidate(options(repo, { templates: 'deploy/empty' })));
      assert.deepEqual(
        findings.map((f) => f.rule),
        ['yaml/syntax'],
      );
    });
  });

  describe('reportValidation', () => {
    const finding = (message: string): Finding => ({ rule: 'schema/type', severity: 'error', message, file: 'deploy/a.yaml', line: 7 });
    const report = (): ValidationReport => ({
      environments: [
        {
          environment: 'dev',
          renderer: 'plain',
          objects: 1,
          files: 1,
          objectRefs: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'settings' }],
          findings: [finding(`spec.replicas: expected integer, got string "${SECRET.slice(0, 37)}..."`), finding(`quoted "${SECRET}" & <${SECRET}>`)],
          timings: {},
        },
      ],
      dockerfiles: [{ file: 'Dockerfile', findings: [finding(`ARG ${SECRET}`)] }],
    });

    it('maskReport masks every finding message and keeps the rest', () => {
      const masked = maskReport(report(), (t) => t.split(SECRET).join('***'));
      assert.deepEqual(
        [...masked.environments[0].findings, ...masked.dockerfiles[0].findings].map((f) => f.message),
        [`spec.replicas: expected integer, got string "${SECRET.slice(0, 37)}..."`, 'quoted "***" & <***>', 'ARG ***'],
      );
      assert.equal(masked.environments[0].objects, 1);
    });

    for (const format of ['junit', 'sarif'] as const) {
      it(`writes no secret into the issues, the summary tab or the ${format} file`, () => {
        const agent = new MemoryAgent({ secrets: { dbPassword: SECRET } });
        const resultsFile = path.join(tmp('gitops-safety-results-'), `results.${format}`);
        const outcome = reportValidation(agent, report(), ['dev'], { failOn: 'error', resultsFormat: format, resultsFile }, '1.0.0', {
          title: 'GitOps validation',
          fileName: 'summary.md',
        });
        assert.equal(outcome.errors, 3);
        const results = fs.readFileSync(resultsFile, 'utf8');
        const everything = [results, agent.summaries[0].markdown, ...agent.issues.map((i) => i.message), ...agent.log.map((l) => l.text)].join('\n');
        assert.ok(!everything.includes(SECRET.slice(0, 12)), everything);
        assert.deepEqual(
          agent.issues.map((i) => i.message),
          ['[schema/type] spec.replicas: expected integer, got string "***..."', '[schema/type] quoted "***" & <***>', '[schema/type] ARG ***'],
        );
        assert.ok(results.includes('***'));
      });
    }
  });
});
