import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectRenderer, findKeyLine, renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { parseValuesFile } from '../../../shared/render/variables';
import { processTools, toolsBin } from '../../harness/process-tools';
import { tempFolders } from '../../harness/temp-folders';

const fixtures = path.join(process.cwd(), 'test/fixtures/repos');

/** Each render's work folder, removed after the file's tests. */
const workDir = tempFolders('render-test-');

function request(repo: string, templates: string, environment: string, extra: Partial<RenderRequest> = {}): RenderRequest {
  const repoRoot = path.join(fixtures, repo);
  const values = parseValuesFile(fs.readFileSync(path.join(repoRoot, 'deploy/environments', `${environment}.yaml`), 'utf8'), 'env');
  return {
    repoRoot,
    templates: path.join(repoRoot, templates),
    renderer: 'auto',
    environment,
    variables: values.variables,
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'web',
    workDir: workDir(),
    tools: processTools([toolsBin()]),
    ...extra,
  };
}

describe('renderEnvironment', () => {
  it('detects the renderer from the folder', () => {
    assert.equal(detectRenderer(path.join(fixtures, 'helm-chart/deploy/chart')), 'helm');
    assert.equal(detectRenderer(path.join(fixtures, 'kustomize-overlays/deploy/overlays/dev')), 'kustomize');
    assert.equal(detectRenderer(path.join(fixtures, 'wrong-type/deploy/manifests')), 'plain');
  });

  describe('plain YAML', () => {
    it('substitutes and keeps exact source lines', async () => {
      const r = await renderEnvironment(request('wrong-type', 'deploy/manifests', 'dev'));
      assert.equal(r.renderer, 'plain');
      assert.deepEqual(r.findings, []);
      assert.deepEqual(
        r.objects.map((o) => [o.kind, o.namespace, o.name]),
        [['Deployment', 'team-a', 'web']],
      );
      assert.deepEqual(r.objects[0].locate(['spec', 'replicas']), { file: 'deploy/manifests/deployment.yaml', line: 7, column: 3 });
    });

    it('reports an undefined variable with file, line and column and renders nothing from that file', async () => {
      const r = await renderEnvironment(request('undefined-variable', 'deploy/manifests', 'dev'));
      assert.deepEqual(r.objects, []);
      assert.deepEqual(
        r.findings.map((f) => [f.rule, f.file, f.line, f.column]),
        [['render/undefined-variable', 'deploy/manifests/configmap.yaml', 8, 21]],
      );
      assert.match(r.findings[0].message, /variable "API_HOST" is not defined and has no default/);
    });

    it('reports malformed YAML with its line', async () => {
      const r = await renderEnvironment(request('malformed-yaml', 'deploy/manifests', 'dev'));
      assert.deepEqual(
        r.findings.map((f) => [f.rule, f.file, f.line]),
        [['yaml/syntax', 'deploy/manifests/configmap.yaml', 8]],
      );
    });

    it('skips the values files of every environment inside the templates folder', async () => {
      const r = await renderEnvironment(request('everything-in-deploy', 'deploy', 'dev', { valuesFiles: ['deploy/environments/{environment}.yaml'] }));
      assert.deepEqual(r.findings, []);
      assert.deepEqual(
        r.objects.map((o) => [o.kind, o.namespace, o.name, o.source.file]),
        [
          ['Deployment', 'web-dev', 'web', 'deploy/deployment.yaml'],
          ['Service', 'web-dev', 'web', 'deploy/service.yaml'],
        ],
      );
      assert.equal(r.files, 2);
    });

    it('skips Helm values files named by an absolute pattern', async () => {
      const repoRoot = path.join(fixtures, 'everything-in-deploy');
      const r = await renderEnvironment(
        request('everything-in-deploy', 'deploy', 'prod', { valuesFiles: ['', path.join(repoRoot, 'deploy/environments/{environment}.yaml')] }),
      );
      assert.deepEqual(
        r.objects.map((o) => [o.kind, o.namespace]),
        [
          ['Deployment', 'web-prod'],
          ['Service', 'web-prod'],
        ],
      );
      assert.deepEqual(r.findings, []);
    });

    it('reads a values file as a template when nothing names it a values file', async () => {
      const r = await renderEnvironment(request('everything-in-deploy', 'deploy', 'dev'));
      assert.deepEqual(
        r.findings.map((f) => [f.rule, f.file, f.line]),
        [
          ['manifest/missing-type', 'deploy/environments/dev.yaml', 1],
          ['manifest/missing-type', 'deploy/environments/prod.yaml', 1],
          ['manifest/missing-type', 'deploy/environments/stage.yaml', 1],
        ],
      );
    });

    it('fails with an error naming the input when the templates folder does not exist', async () => {
      await assert.rejects(renderEnvironment(request('wrong-type', 'deploy/nowhere', 'dev')), {
        name: 'InputError',
        message: 'Input "templates": the templates folder "deploy/nowhere" does not exist (environment "dev")',
      });
    });
  });

  describe('helm', () => {
    it('renders the chart with substituted values and maps objects back to their template lines', async () => {
      const req = request('helm-chart', 'deploy/chart', 'prod', { namespace: 'web-prod', kubernetesVersion: '1.32' });
      const tools = req.tools as ReturnType<typeof processTools>;
      const r = await renderEnvironment(req);
      assert.equal(r.renderer, 'helm');
      assert.deepEqual(r.findings, []);
      assert.deepEqual(
        r.objects.map((o) => [o.kind, o.name]),
        [
          ['ConfigMap', 'web-settings'],
          ['Deployment', 'web'],
        ],
      );
      const deployment = r.objects[1];
      assert.equal((deployment.body.spec as { replicas: number }).replicas, 4);
      assert.deepEqual(deployment.locate(['spec', 'template', 'spec', 'containers', 0, 'resource']), {
        file: 'deploy/chart/templates/deployment.yaml',
        line: 23,
      });
      assert.deepEqual(deployment.locate(['spec', 'replicas']), { file: 'deploy/chart/templates/deployment.yaml', line: 8 });
      const helmCall = tools.calls.find((c) => c[0] === 'helm')!;
      assert.deepEqual(helmCall.slice(0, 2), ['helm', 'template']);
      assert.equal(helmCall[2], 'web');
      assert.deepEqual(helmCall.slice(-4), ['--namespace', 'web-prod', '--kube-version', '1.32']);
    });

    it('reports a helm template error at the template file and line', async () => {
      const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-broken-'));
      fs.cpSync(path.join(fixtures, 'helm-chart'), repo, { recursive: true });
      fs.writeFileSync(
        path.join(repo, 'deploy/chart/templates/broken.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name | nosuchfunc }}\n',
      );
      const req = { ...request('helm-chart', 'deploy/chart', 'dev'), repoRoot: repo, templates: path.join(repo, 'deploy/chart') };
      const r = await renderEnvironment(req);
      assert.equal(r.findings.length, 1);
      assert.equal(r.findings[0].rule, 'render/helm');
      assert.equal(r.findings[0].file, 'deploy/chart/templates/broken.yaml');
      assert.equal(r.findings[0].line, 4);
      assert.match(r.findings[0].message, /function "nosuchfunc" not defined/);
      fs.rmSync(repo, { recursive: true, force: true });
    });

    it('names the installer task when helm is not on PATH', async () => {
      await assert.rejects(renderEnvironment(request('helm-chart', 'deploy/chart', 'dev', { tools: processTools([]) })), {
        name: 'MissingToolError',
        message: '"helm" was not found on PATH; it is needed to render the Helm chart. Add a HelmInstaller@1 step before this task.',
      });
    });
  });

  describe('kustomize', () => {
    it('builds an overlay that refers to ../../base, substituting only the files it uses', async () => {
      const r = await renderEnvironment(request('kustomize-overlays', 'deploy/overlays/prod', 'prod'));
      assert.equal(r.renderer, 'kustomize');
      assert.deepEqual(r.findings, []);
      assert.deepEqual(
        r.objects.map((o) => [o.kind, o.namespace, o.name]),
        [
          ['Service', 'web-prod', 'web-prod-web'],
          ['Deployment', 'web-prod', 'web-prod-web'],
        ],
      );
      const deployment = r.objects[1];
      assert.equal((deployment.body.spec as { replicas: number }).replicas, 3);
      // kustomize's origin annotation led back to the base file; it is removed from the object.
      assert.deepEqual(deployment.source, { file: 'deploy/base/deployment.yaml', line: 1, column: 1 });
      assert.deepEqual(deployment.locate(['spec', 'template', 'spec', 'containers', 0, 'readinessProbe', 'initialDelaySecond']), {
        file: 'deploy/base/deployment.yaml',
        line: 24,
        column: 13,
      });
      assert.deepEqual((deployment.body.metadata as Record<string, unknown>).annotations, undefined);
    });

    it('reports an undefined variable in the overlay and does not run kustomize', async () => {
      const req = request('kustomize-overlays', 'deploy/overlays/dev', 'dev');
      const vars = new Map(req.variables);
      vars.delete('NAMESPACE');
      const tools = processTools([toolsBin()]);
      const r = await renderEnvironment({ ...req, variables: vars, tools });
      assert.deepEqual(
        r.findings.map((f) => [f.rule, f.file, f.line]),
        [
          ['render/undefined-variable', 'deploy/overlays/dev/kustomization.yaml', 3],
          ['render/undefined-variable', 'deploy/overlays/dev/kustomization.yaml', 4],
          ['render/undefined-variable', 'deploy/overlays/dev/kustomization.yaml', 9],
        ],
      );
      assert.deepEqual(tools.calls, []);
    });

    it('names the installer task when neither kustomize nor kubectl is on PATH', async () => {
      await assert.rejects(renderEnvironment(request('kustomize-overlays', 'deploy/overlays/dev', 'dev', { tools: processTools([]) })), {
        name: 'MissingToolError',
        message: /"kustomize" was not found on PATH.*KubectlInstaller@0/,
      });
    });
  });
});

describe('findKeyLine', () => {
  it('finds the line setting a key in a template that is not YAML yet', () => {
    const lines = ['spec:', '  {{- if .Values.x }}', '  replicas: {{ .Values.replicas }}', '  - name: web', '  "quoted": 1'];
    assert.equal(findKeyLine(lines, ['spec', 'replicas']), 3);
    assert.equal(findKeyLine(lines, ['spec', 'containers', 0, 'name']), 4);
    assert.equal(findKeyLine(lines, ['quoted']), 5);
    assert.equal(findKeyLine(lines, ['absent']), undefined);
  });
});
