import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vendorHelmDependencies } from '../../../shared/render/helm-dependencies';
import { renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { processTools, toolsBin } from '../../harness/process-tools';

const fixture = path.join(process.cwd(), 'test/fixtures/repos/helm-deps');

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** A copy of the helm-deps fixture repository the test may change. */
function copyFixture(): string {
  const dir = tempDir('helm-deps-');
  fs.cpSync(fixture, dir, { recursive: true });
  return dir;
}

function request(repoRoot: string, extra: Partial<RenderRequest> = {}): RenderRequest & { tools: ReturnType<typeof processTools> } {
  return {
    repoRoot,
    templates: path.join(repoRoot, 'deploy/chart'),
    renderer: 'auto',
    environment: 'dev',
    variables: new Map([['REPLICAS', '2']]),
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'web',
    workDir: tempDir('render-deps-'),
    tools: processTools([toolsBin()]),
    ...extra,
  } as RenderRequest & { tools: ReturnType<typeof processTools> };
}

describe('Helm chart dependencies (file:// with Chart.lock)', () => {
  it('builds the file:// dependency in the temporary copy and renders its objects at their source files', async () => {
    const req = request(fixture);
    const r = await renderEnvironment(req);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.name, o.source.file]),
      [
        ['ConfigMap', 'web-common', 'deploy/common/templates/configmap.yaml'],
        ['Deployment', 'web', 'deploy/chart/templates/deployment.yaml'],
      ],
    );
    assert.equal(r.objects[0].body.data && (r.objects[0].body.data as Record<string, string>).greeting, 'hello');
    assert.deepEqual(
      req.tools.calls.map((c) => c.slice(0, 3)),
      [
        ['helm', 'dependency', 'build'],
        ['helm', 'template', 'web'],
      ],
    );
    assert.equal(fs.existsSync(path.join(fixture, 'deploy/chart/charts')), false, 'the repository is never changed');
    const homeFlags = req.tools.calls[0].filter((a) => a.startsWith('--'));
    assert.deepEqual(homeFlags, ['--repository-config', '--repository-cache', '--registry-config']);
  });

  it('in bundled mode (GitOpsPromote) names the missing dependency and never runs helm dependency', async () => {
    const req = request(fixture, { helmDependencies: { mode: 'bundled' } });
    const r = await renderEnvironment(req);
    assert.deepEqual(r.objects, []);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.file]),
      [['render/helm-dependency', 'deploy/chart/Chart.yaml']],
    );
    assert.match(r.findings[0].message, /^Helm dependency "common" 0\.2\.0 \(repository file:\/\/\.\.\/common\) is not in charts\/ of the release bundle/);
    assert.deepEqual(req.tools.calls, []);
  });

  it('renders in bundled mode when charts/ holds the archive', async () => {
    const repo = copyFixture();
    const first = request(repo);
    // Build once into the copy's charts/ as GitOpsCiPublish does for the bundle.
    const vendored = await vendorHelmDependencies(path.join(repo, 'deploy/chart'), {
      repoRoot: repo,
      settings: { mode: 'resolve' },
      tools: first.tools,
      helm: path.join(toolsBin(), 'helm'),
      workDir: first.workDir,
    });
    assert.deepEqual(vendored.findings, []);
    assert.deepEqual(vendored.archives, [{ name: 'common', version: '0.2.0', repository: 'file://../common', file: 'charts/common-0.2.0.tgz' }]);
    const req = request(repo, { helmDependencies: { mode: 'bundled' } });
    const r = await renderEnvironment(req);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.objects.map((o) => o.name),
      ['web-common', 'web'],
    );
    assert.deepEqual(
      req.tools.calls.map((c) => c[1]),
      ['template'],
    );
  });

  it('names the dependency whose version Chart.lock does not pin', async () => {
    const repo = copyFixture();
    const chartYaml = path.join(repo, 'deploy/chart/Chart.yaml');
    fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, 'utf8').replace('version: 0.2.0', 'version: 0.3.0'));
    const r = await renderEnvironment(request(repo));
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.file]),
      [['render/helm-dependency', 'deploy/chart/Chart.yaml']],
    );
    assert.match(
      r.findings[0].message,
      /^Chart\.lock does not match the dependencies of Chart\.yaml \("common" asks for 0\.3\.0 \(repository file:\/\/\.\.\/common\), Chart\.lock pins 0\.2\.0\)/,
    );
  });

  it('names a dependency missing from Chart.lock, with its repository', async () => {
    const repo = copyFixture();
    const chartYaml = path.join(repo, 'deploy/chart/Chart.yaml');
    fs.appendFileSync(chartYaml, '  - name: redis\n    version: 19.0.0\n    repository: https://charts.example.com/stable\n');
    const req = request(repo);
    const r = await renderEnvironment(req);
    assert.equal(r.findings.length, 1);
    assert.equal(
      r.findings[0].message,
      'Helm dependency "redis" 19.0.0 (repository https://charts.example.com/stable) is not in Chart.lock: run `helm dependency update` and commit Chart.lock',
    );
    assert.deepEqual(req.tools.calls, [], 'nothing is fetched for an inconsistent lock');
  });

  it('without Chart.lock refuses unless helmDependencyUpdate allows `helm dependency update`', async () => {
    const repo = copyFixture();
    fs.rmSync(path.join(repo, 'deploy/chart/Chart.lock'));
    const refused = await renderEnvironment(request(repo));
    assert.equal(refused.findings.length, 1);
    assert.match(
      refused.findings[0].message,
      /declares dependencies \("common" from file:\/\/\.\.\/common\) but has no Chart\.lock: .*set helmDependencyUpdate to true/,
    );
    const req = request(repo, { helmDependencies: { mode: 'resolve', allowUpdate: true } });
    const updated = await renderEnvironment(req);
    assert.deepEqual(updated.findings, []);
    assert.deepEqual(
      req.tools.calls.map((c) => c.slice(1, 3)),
      [
        ['dependency', 'update'],
        ['template', 'web'],
      ],
    );
    assert.equal(fs.existsSync(path.join(repo, 'deploy/chart/Chart.lock')), false, 'the update happens in the copy only');
  });

  it('names a file:// dependency whose folder does not exist', async () => {
    const repo = copyFixture();
    fs.rmSync(path.join(repo, 'deploy/common'), { recursive: true });
    const r = await renderEnvironment(request(repo));
    assert.deepEqual(
      r.findings.map((f) => f.message),
      ['Helm dependency "common" (repository file://../common): no chart at deploy/common'],
    );
  });
});
