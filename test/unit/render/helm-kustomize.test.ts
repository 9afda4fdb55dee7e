import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { parseValuesFile } from '../../../shared/render/variables';
import { processTools, toolsBin } from '../../harness/process-tools';

const fixture = path.join(process.cwd(), 'test/fixtures/reference-app');
const temporary: string[] = [];

function request(environment: string, extra: Partial<RenderRequest> = {}, repoRoot = fixture): RenderRequest {
  const values = parseValuesFile(fs.readFileSync(path.join(repoRoot, 'environments', `${environment}.yaml`), 'utf8'), 'env');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-kustomize-test-'));
  temporary.push(workDir);
  return {
    repoRoot,
    templates: path.join(repoRoot, 'azure-vote/helm'),
    renderer: 'helm-kustomize',
    kustomization: path.join(repoRoot, 'azure-vote/kustomize/base'),
    environment,
    variables: values.variables,
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'azure-vote',
    workDir,
    tools: processTools([toolsBin()]),
    variableSyntax: 'envsubst',
    ...extra,
  };
}

type Container = { name: string; image: string; env?: { name: string; value: string }[] };
const containers = (o: { body: Record<string, unknown> }) =>
  (o.body as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers;

describe('renderer helm-kustomize (the reference scripts: envsubst, helm template into the base, kustomize build)', () => {
  after(() => {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('renders the chart into the kustomization and builds it: substituted namespace, image tags and title', async () => {
    const r = await renderEnvironment(request('dev'));
    assert.deepEqual(r.findings, []);
    assert.equal(r.renderer, 'helm-kustomize');
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.namespace, o.name]),
      [
        ['Service', 'dev', 'azure-vote-back'],
        ['Service', 'dev', 'azure-vote-front'],
        ['Deployment', 'dev', 'azure-vote-back'],
        ['Deployment', 'dev', 'azure-vote-front'],
      ],
    );
    const front = r.objects.find((o) => o.kind === 'Deployment' && o.name === 'azure-vote-front')!;
    assert.equal(containers(front)[0].image, 'contosoacr.azurecr.io/azvote/azure-vote-front:7f921f6a0c1d');
    assert.deepEqual(
      containers(front)[0].env?.find((e) => e.name === 'TITLE'),
      { name: 'TITLE', value: 'Voting App (dev)' },
    );
    const back = r.objects.find((o) => o.kind === 'Deployment' && o.name === 'azure-vote-back')!;
    assert.equal(containers(back)[0].image, 'contosoacr.azurecr.io/azvote/azure-vote-back:3b1e2c9d8a7f');
    // Chart.yaml, values.yaml, the 4 templates, and the kustomization.
    assert.equal(r.files, 7);
  });

  it('traces objects of the Helm output back to their Helm template and line', async () => {
    const r = await renderEnvironment(request('stage'));
    const front = r.objects.find((o) => o.kind === 'Deployment' && o.name === 'azure-vote-front')!;
    assert.equal(front.source.file, 'azure-vote/helm/templates/az-vote-front-deployment.yaml');
    assert.deepEqual(front.locate(['spec', 'template', 'spec', 'containers', 0, 'image']), {
      file: 'azure-vote/helm/templates/az-vote-front-deployment.yaml',
      line: 20,
    });
    assert.equal(front.namespace, 'stage');
  });

  it('never writes into the checkout', async () => {
    await renderEnvironment(request('dev'));
    assert.equal(fs.existsSync(path.join(fixture, 'azure-vote/kustomize/base/manifests.yaml')), false);
    assert.deepEqual(fs.readdirSync(path.join(fixture, 'azure-vote/kustomize/base')), ['kustomization.yaml']);
  });

  it('with the flux syntax, names every $VAR of both steps at its file and line and renders nothing', async () => {
    const r = await renderEnvironment(request('dev', { variableSyntax: 'flux' }));
    assert.deepEqual(r.objects, []);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.file, f.line, f.column, /"\$([A-Z_]+)"/.exec(f.message)?.[1]]),
      [
        ['render/unbraced-variable', 'azure-vote/helm/values.yaml', 2, 9, 'VOTE_APP_TITLE'],
        ['render/unbraced-variable', 'azure-vote/helm/values.yaml', 4, 12, 'AZURE_VOTE_IMAGE_REPO'],
        ['render/unbraced-variable', 'azure-vote/kustomize/base/kustomization.yaml', 3, 12, 'TARGET_NAMESPACE'],
        ['render/unbraced-variable', 'azure-vote/kustomize/base/kustomization.yaml', 7, 11, 'AZURE_VOTE_IMAGE_REPO'],
        ['render/unbraced-variable', 'azure-vote/kustomize/base/kustomization.yaml', 8, 13, 'FRONTEND_IMAGE'],
        ['render/unbraced-variable', 'azure-vote/kustomize/base/kustomization.yaml', 9, 11, 'AZURE_VOTE_IMAGE_REPO'],
        ['render/unbraced-variable', 'azure-vote/kustomize/base/kustomization.yaml', 10, 13, 'BACKEND_IMAGE'],
      ],
    );
  });

  it('reports an undefined $VAR strictly (the reference blanked it)', async () => {
    const req = request('dev');
    const variables = new Map(req.variables);
    variables.delete('BACKEND_IMAGE');
    const r = await renderEnvironment({ ...req, variables });
    assert.deepEqual(r.objects, []);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.file, f.line]),
      [['render/undefined-variable', 'azure-vote/kustomize/base/kustomization.yaml', 10]],
    );
    assert.match(r.findings[0].message, /variable "BACKEND_IMAGE" is not defined/);
  });

  it('builds an overlay above the base, with helmOutput pointing into the base', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-app-overlay-'));
    temporary.push(repo);
    fs.cpSync(fixture, repo, { recursive: true });
    fs.mkdirSync(path.join(repo, 'azure-vote/kustomize/overlays/dev'), { recursive: true });
    fs.writeFileSync(
      path.join(repo, 'azure-vote/kustomize/overlays/dev/kustomization.yaml'),
      'resources:\n  - ../../base\nnamePrefix: $TARGET_NAMESPACE-\ncommonLabels:\n  env: $TARGET_NAMESPACE\n',
    );
    const r = await renderEnvironment(
      request('dev', { kustomization: path.join(repo, 'azure-vote/kustomize/overlays/dev'), helmOutput: '../../base/manifests.yaml' }, repo),
    );
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.name, o.source.file]),
      [
        ['Service', 'dev-azure-vote-back', 'azure-vote/helm/templates/az-vote-back-service.yaml'],
        ['Service', 'dev-azure-vote-front', 'azure-vote/helm/templates/az-vote-front-service.yaml'],
        ['Deployment', 'dev-azure-vote-back', 'azure-vote/helm/templates/az-vote-back-deployment.yaml'],
        ['Deployment', 'dev-azure-vote-front', 'azure-vote/helm/templates/az-vote-front-deployment.yaml'],
      ],
    );
  });

  it('refuses a helmOutput the kustomization does not list, and a kustomization folder without kustomization.yaml', async () => {
    await assert.rejects(renderEnvironment(request('dev', { helmOutput: 'chart.yaml' })), {
      name: 'InputError',
      message: /helmOutput.*does not list "azure-vote\/kustomize\/base\/chart.yaml"/,
    });
    await assert.rejects(renderEnvironment(request('dev', { kustomization: path.join(fixture, 'azure-vote/helm/templates') })), {
      name: 'InputError',
      message: /kustomization.*"azure-vote\/helm\/templates" is not a folder with a kustomization.yaml/,
    });
  });
});
