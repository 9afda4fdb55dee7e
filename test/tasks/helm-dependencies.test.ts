/**
 * Helm chart dependencies end to end, with the built tasks: GitOpsCiPublish@1 fetches a chart's two
 * dependencies (file://../common and cache from an HTTP chart repository with basic auth, served by
 * the test) into the release bundle; the repository is then stopped and GitOpsPromote@1 renders the
 * bundle offline: the committed files are the objects the gate rendered with the repository up.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256 } from '../../shared/release/bundle';
import type { ReleaseManifest } from '../../shared/release/release-manifest';
import { renderEnvironment } from '../../shared/render/render';
import { lockedApp, startHelmRepository, HelmRepositoryServer } from '../harness/helm-repository';
import { processTools, toolsBin } from '../harness/process-tools';
import { promoteBundleOffline } from '../harness/sample-release';
import { runBuiltTask } from '../harness/task-runner';

const root = process.cwd();
const PROJECT = 'helmdeps';
const auth = { username: 'ci-reader', password: 'Chart-Repo-Secret-77' };

describe('Helm dependencies: GitOpsCiPublish@1 bundles them, GitOpsPromote@1 renders them offline', function () {
  this.timeout(240_000);
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('publishes the archives with their digests and promotes byte for byte what CI validated with the repository stopped', async () => {
    const server: HelmRepositoryServer = await startHelmRepository({ charts: [path.join(root, 'test/fixtures/helm/cache')], auth });
    let serverUp = true;
    cleanup.push(() => (serverUp ? server.stop() : undefined));
    const appDir = await lockedApp(server.url, auth);
    cleanup.push(() => fs.rmSync(appDir, { recursive: true, force: true }));

    server.requests.length = 0;
    const publish = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsCiPublish/v1'),
      inputs: {
        templates: 'deploy/chart',
        environments: 'dev',
        valuesFile: 'deploy/environments/{environment}.yaml',
        images: '',
        tagStrategy: 'fixed',
        tag: '1.0.0',
        appName: 'voting-app',
        dockerfiles: '',
        publishArtifact: 'false',
        helmRepositoryConnection: 'charts',
      },
      variables: {
        'Build.SourcesDirectory': appDir,
        'Build.BuildId': '51',
        'Build.BuildNumber': '20261206.1',
        'Build.SourceVersion': 'b'.repeat(40),
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
      },
      endpoints: { charts: { url: server.url, scheme: 'UsernamePassword', parameters: { username: auth.username, password: auth.password } } },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    cleanup.push(() => fs.rmSync(publish.folders.work, { recursive: true, force: true }));
    assert.equal(publish.result, 'Succeeded', publish.stdout);
    const logged = [...publish.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]')), publish.stderr];
    assert.ok(publish.stdout.includes(`##vso[task.setsecret]${auth.password}`), 'the password is registered as a secret');
    assert.deepEqual(
      logged.filter((l) => l.includes(auth.password)),
      [],
      'the repository password is never logged',
    );
    assert.deepEqual(server.requests, ['/charts/index.yaml', '/charts/cache-1.2.0.tgz'], 'CI fetched once');

    const bundle = publish.outputs.bundlePath;
    const release = JSON.parse(fs.readFileSync(path.join(bundle, 'release.json'), 'utf8')) as ReleaseManifest;
    const archives = ['source/deploy/chart/charts/cache-1.2.0.tgz', 'source/deploy/chart/charts/common-0.2.0.tgz'];
    assert.deepEqual(
      release.helmDependencies?.map((d) => [d.chart, d.name, d.version, d.repository, d.file]),
      [
        ['deploy/chart', 'common', '0.2.0', 'file://../common', archives[1]],
        ['deploy/chart', 'cache', '1.2.0', server.url, archives[0]],
      ],
    );
    for (const d of release.helmDependencies ?? []) {
      assert.equal(d.sha256, sha256(fs.readFileSync(path.join(bundle, d.file))));
      assert.equal(release.files[d.file], d.sha256);
    }
    const bundleCharts = fs.readdirSync(path.join(bundle, 'source/deploy/chart/charts')).sort();
    assert.deepEqual(bundleCharts, ['cache-1.2.0.tgz', 'common-0.2.0.tgz']);
    assert.ok(!fs.readFileSync(path.join(bundle, 'release.json'), 'utf8').includes(auth.password));

    // What the gate validates from the repository, with the chart repository up.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helmdeps-gate-'));
    cleanup.push(() => fs.rmSync(workDir, { recursive: true, force: true }));
    const gate = await renderEnvironment({
      repoRoot: appDir,
      templates: path.join(appDir, 'deploy/chart'),
      renderer: 'auto',
      environment: 'dev',
      variables: new Map([['REPLICAS', '2']]),
      helmValuesFiles: [],
      valuesFiles: [],
      releaseName: 'chart',
      workDir,
      tools: processTools([toolsBin()]),
      helmDependencies: { mode: 'resolve', credentials: [{ url: server.url, ...auth }] },
    });
    assert.deepEqual(gate.findings, []);

    await server.stop();
    serverUp = false;
    server.requests.length = 0;

    const { run: promote, objects: promoted } = await promoteBundleOffline(PROJECT, bundle, cleanup);
    assert.equal(promote.result, 'Succeeded', promote.stdout);
    assert.ok(!/helm.* dependency /.test(promote.stdout), 'Promote never runs helm dependency');
    assert.deepEqual(server.requests, [], 'nothing reached the chart repository');

    const byName = (list: unknown[]) => [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    assert.deepEqual(byName(promoted), byName(gate.objects.map((o) => o.body)));
    assert.deepEqual(
      gate.objects.map((o) => [o.kind, o.name]),
      [
        ['ConfigMap', 'chart-cache'],
        ['ConfigMap', 'chart-common'],
        ['Deployment', 'chart'],
      ],
    );
  });
});
