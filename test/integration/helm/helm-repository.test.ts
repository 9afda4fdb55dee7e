import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleHelmDependencies } from '../../../shared/release/bundle-dependencies';
import type { HelmDependencySettings } from '../../../shared/render/helm-dependencies';
import { lockedApp, renderLockedApp, startHelmRepository, HelmRepositoryServer } from '../../harness/helm-repository';
import { processTools, toolsBin } from '../../harness/process-tools';

const cacheChart = path.join(process.cwd(), 'test/fixtures/helm/cache');
const otherChart = path.join(process.cwd(), 'test/fixtures/repos/helm-deps/deploy/common');

describe('Helm dependencies from an HTTP chart repository (served by the test)', function () {
  this.timeout(60_000);
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function repository(auth?: { username: string; password: string }, charts = [cacheChart]): Promise<HelmRepositoryServer> {
    const server = await startHelmRepository({ charts, auth });
    cleanup.push(() => server.stop());
    return server;
  }

  async function app(url: string, auth?: { username: string; password: string }): Promise<string> {
    const dir = await lockedApp(url, auth);
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  const render = (repoRoot: string, settings: HelmDependencySettings) => renderLockedApp(repoRoot, settings, cleanup);

  it('fetches the locked version from the repository and renders both dependencies', async () => {
    const server = await repository();
    const repoRoot = await app(server.url);
    server.requests.length = 0;
    const { result } = await render(repoRoot, { mode: 'resolve' });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(
      result.objects.map((o) => [o.kind, o.name, o.body.data]),
      [
        ['ConfigMap', 'web-cache', { size: '128Mi' }],
        ['ConfigMap', 'web-common', { greeting: 'hello' }],
        ['Deployment', 'web', undefined],
      ],
    );
    assert.deepEqual(server.requests, ['/charts/index.yaml', '/charts/cache-1.2.0.tgz']);
  });

  it('uses the basic auth credentials of the service connection, never on the command line', async () => {
    const auth = { username: 'reader', password: 'pa55-w0rd-for-charts' };
    const server = await repository(auth);
    const repoRoot = await app(server.url, auth);

    const refused = await render(repoRoot, { mode: 'resolve' });
    assert.equal(refused.result.findings.length, 1);
    assert.equal(refused.result.findings[0].file, 'deploy/chart/Chart.yaml');
    assert.match(refused.result.findings[0].message, new RegExp(`^Helm dependency "cache" 1\\.2\\.0 from ${server.url}: access denied by the repository`));

    const { result, calls } = await render(repoRoot, { mode: 'resolve', credentials: [{ url: server.url, ...auth }] });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(
      result.objects.map((o) => o.name),
      ['web-cache', 'web-common', 'web'],
    );
    for (const call of calls) assert.ok(!call.join(' ').includes(auth.password), `password on a command line: ${call.join(' ')}`);
    assert.ok(!calls.flat().some((a) => a.startsWith(os.homedir() + path.sep)), 'no helm file in the home folder');
  });

  it('names the dependency and repository when the repository is unreachable', async () => {
    const server = await repository();
    const repoRoot = await app(server.url);
    await server.stop();
    cleanup.shift(); // the server's stop, done already (pop took the app folder's removal, leaving it behind)
    const { result } = await render(repoRoot, { mode: 'resolve' });
    assert.equal(result.findings.length, 1);
    assert.match(result.findings[0].message, new RegExp(`^Helm dependency "cache" 1\\.2\\.0 from ${server.url}: repository unreachable: `));
  });

  it('names the dependency when the repository does not have the locked version', async () => {
    const server = await repository();
    const repoRoot = await app(server.url);
    server.republish([otherChart]); // cache 1.2.0 withdrawn
    const { result } = await render(repoRoot, { mode: 'resolve' });
    assert.equal(result.findings.length, 1);
    assert.match(result.findings[0].message, new RegExp(`^Helm dependency "cache" 1\\.2\\.0 from ${server.url}: not found in the repository: `));
  });

  it('bundleHelmDependencies puts the archives into the bundle copy of the chart, and nothing when the repository is unreachable', async () => {
    const server = await repository();
    const repoRoot = await app(server.url);
    // A bundle folder laid out as GitOpsCiPublish stages it: the repository files under source/.
    const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-deps-'));
    cleanup.push(() => fs.rmSync(bundle, { recursive: true, force: true }));
    fs.cpSync(repoRoot, path.join(bundle, 'source'), { recursive: true });
    const work = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-deps-work-'));
      cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      return dir;
    };
    const bundled = await bundleHelmDependencies(bundle, ['deploy/chart', 'deploy/chart'], {
      settings: { mode: 'resolve' },
      tools: processTools([toolsBin()]),
      workDir: work(),
    });
    assert.deepEqual(
      bundled.map((d) => [d.chart, d.name, d.version, d.file, d.sha256.length]),
      [
        ['deploy/chart', 'common', '0.2.0', 'source/deploy/chart/charts/common-0.2.0.tgz', 64],
        ['deploy/chart', 'cache', '1.2.0', 'source/deploy/chart/charts/cache-1.2.0.tgz', 64],
      ],
    );

    fs.rmSync(path.join(bundle, 'source/deploy/chart/charts'), { recursive: true });
    await server.stop();
    cleanup.shift(); // stopped already
    const none = await bundleHelmDependencies(bundle, ['deploy/chart'], { settings: { mode: 'resolve' }, tools: processTools([toolsBin()]), workDir: work() });
    assert.deepEqual(none, []);
    assert.equal(fs.existsSync(path.join(bundle, 'source/deploy/chart/charts')), false, 'nothing half-done in the bundle');
  });
});
