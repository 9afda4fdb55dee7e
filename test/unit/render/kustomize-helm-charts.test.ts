import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { bundleKustomizeHelmCharts, readHelmCharts } from '../../../shared/render/kustomize-helm-charts';
import { MissingToolError } from '../../../shared/render/tools';
import { HelmRepositoryServer, startHelmRepository } from '../../harness/helm-repository';
import { processTools, toolsBin } from '../../harness/process-tools';

const cacheChart = path.join(process.cwd(), 'test/fixtures/helm/cache');

describe('helmCharts in a kustomization', function () {
  this.timeout(60_000);
  let server: HelmRepositoryServer;
  let repo: string;
  let work: string;
  beforeEach(async () => {
    server = await startHelmRepository({ charts: [cacheChart] });
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-helm-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-helm-work-'));
    fs.mkdirSync(path.join(repo, 'deploy/base'), { recursive: true });
    fs.writeFileSync(
      path.join(repo, 'deploy/base/kustomization.yaml'),
      [
        'namespace: ${NAMESPACE}',
        'resources:',
        '  - config.yaml',
        'helmCharts:',
        '  - name: cache',
        `    repo: ${server.url}`,
        '    version: 1.2.0',
        '    releaseName: session',
        '    valuesInline:',
        '      size: ${CACHE_SIZE}',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(repo, 'deploy/base/config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: "1"\n');
  });
  afterEach(async () => {
    await server.stop();
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const request = (repoRoot: string, bins = [toolsBin()]): RenderRequest => ({
    repoRoot,
    templates: path.join(repoRoot, 'deploy/base'),
    renderer: 'auto',
    environment: 'dev',
    variables: new Map([
      ['NAMESPACE', 'shop'],
      ['CACHE_SIZE', '256Mi'],
    ]),
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'app',
    workDir: fs.mkdtempSync(path.join(work, 'render-')),
    tools: processTools(bins),
  });

  it('reads the charts and the chartHome', () => {
    assert.deepEqual(readHelmCharts(path.join(repo, 'deploy/base')), {
      helmCharts: [{ name: 'cache', version: '1.2.0', repo: server.url }],
      chartHome: 'charts',
    });
    assert.equal(readHelmCharts(path.join(repo, 'deploy')), undefined);
  });

  it('renders the chart with --enable-helm and the resolved helm, substituted values included, leaving the repository as it was', async () => {
    const r = await renderEnvironment(request(repo));
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.namespace, o.name, JSON.stringify(o.body.data)]),
      [
        ['ConfigMap', 'shop', 'app', '{"a":"1"}'],
        ['ConfigMap', 'shop', 'session-cache', '{"size":"256Mi"}'],
      ],
    );
    assert.deepEqual(server.requests, ['/charts/index.yaml', '/charts/cache-1.2.0.tgz']);
    assert.equal(fs.existsSync(path.join(repo, 'deploy/base/charts')), false, 'the pull went into the work copy');
  });

  it('names helm when it is missing', async () => {
    const kubectlOnly = fs.mkdtempSync(path.join(work, 'bin-'));
    fs.symlinkSync(path.join(toolsBin(), 'kubectl'), path.join(kubectlOnly, 'kubectl'));
    await assert.rejects(
      renderEnvironment(request(repo, [kubectlOnly])),
      (err: Error) => err instanceof MissingToolError && err.tool === 'helm' && /helmCharts of the kustomization/.test(err.message),
    );
  });

  it('bundles the chart into chartHome, where the render finds it with the repository stopped', async () => {
    const online = await renderEnvironment(request(repo));
    const charts = await bundleKustomizeHelmCharts(repo, processTools([toolsBin()]));
    assert.deepEqual(charts, [
      { kustomization: 'deploy/base/kustomization.yaml', name: 'cache', version: '1.2.0', repo: server.url, path: 'deploy/base/charts/cache-1.2.0/cache' },
    ]);
    assert.ok(fs.existsSync(path.join(repo, 'deploy/base/charts/cache-1.2.0/cache/Chart.yaml')));
    await server.stop();
    server = await startHelmRepository({ charts: [] }); // afterEach stops this one
    const offline = await renderEnvironment(request(repo));
    assert.deepEqual(offline.findings, []);
    assert.deepEqual(
      offline.objects.map((o) => o.body),
      online.objects.map((o) => o.body),
    );
    assert.deepEqual(await bundleKustomizeHelmCharts(repo, processTools([toolsBin()])), charts, 'a chart already in chartHome is not fetched again');
  });
});
