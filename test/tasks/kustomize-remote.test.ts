/**
 * Kustomize remote parts end to end, with the built tasks: the dev overlay lists a git base at a
 * tag, a git base following a branch and a single YAML file over HTTP, all served by the test.
 * GitOpsCiPublish@1 fetches them into the release bundle (recording ref and commit); the server is
 * then stopped and GitOpsPromote@1 renders the bundle offline: the committed files are the objects
 * the gate rendered with the server up.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { sha256 } from '../../shared/release/bundle';
import type { ReleaseManifest } from '../../shared/release/release-manifest';
import { renderEnvironment } from '../../shared/render/render';
import { GitRemoteServer, startGitRemote } from '../harness/git-remote';
import { HelmRepositoryServer, startHelmRepository } from '../harness/helm-repository';
import { processTools, toolsBin } from '../harness/process-tools';
import { promoteRunOptions, startGitOpsEmulators } from '../harness/sample-release';
import { runBuiltTask } from '../harness/task-runner';

const root = process.cwd();
const fixture = path.join(root, 'test/fixtures/kustomize-remote');
const PROJECT = 'kustomizeremote';

describe('Kustomize remote parts: GitOpsCiPublish@1 bundles them, GitOpsPromote@1 renders them offline', function () {
  this.timeout(240_000);
  const cleanup: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** GitOpsCiPublish@1 of the app's dev overlay (no images, tag 1.0.0), as build `buildId`. */
  async function publishOverlay(appDir: string, buildId: string, buildNumber: string, sourceVersion: string) {
    const publish = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsCiPublish/v1'),
      inputs: {
        templates: 'deploy/overlays/{environment}',
        environments: 'dev',
        valuesFile: 'deploy/environments/{environment}.yaml',
        images: '',
        tagStrategy: 'fixed',
        tag: '1.0.0',
        appName: 'voting-app',
        dockerfiles: '',
        publishArtifact: 'false',
      },
      variables: {
        'Build.SourcesDirectory': appDir,
        'Build.BuildId': buildId,
        'Build.BuildNumber': buildNumber,
        'Build.SourceVersion': sourceVersion,
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
      },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    cleanup.push(() => fs.rmSync(publish.folders.work, { recursive: true, force: true }));
    return publish;
  }

  /** GitOpsPromote@1 of `bundle` to dev by push in fresh emulators; the objects it committed for voting-app. */
  async function promoteAndRead(project: string, bundle: string): Promise<unknown[]> {
    const world = await startGitOpsEmulators(project);
    cleanup.push(async () => {
      await world.arm.stop();
      await world.devops.stop();
    });
    const promote = await runBuiltTask(promoteRunOptions(world, project, bundle, { deliveryMode: 'push', waitForReconciliation: 'false' }));
    cleanup.push(() => fs.rmSync(promote.folders.work, { recursive: true, force: true }));
    assert.equal(promote.result, 'Succeeded', promote.stdout);
    const git = (...args: string[]) => execFileSync('git', ['--git-dir', world.bare, ...args], { encoding: 'utf8' }).trim();
    const files = git('ls-tree', '-r', '--name-only', 'refs/heads/main', '--', 'apps/dev/voting-app').split('\n');
    return files.filter((f) => f.endsWith('.yaml') && !f.endsWith('/kustomization.yaml')).map((f) => parse(git('show', `refs/heads/main:${f}`)) as unknown);
  }

  it('publishes the fetched bases and file with their commits and promotes what CI validated with the server stopped', async () => {
    const server: GitRemoteServer = await startGitRemote();
    let serverUp = true;
    cleanup.push(() => (serverUp ? server.stop() : undefined));
    const commit = server.publish('platform', path.join(fixture, 'platform'), 'v1.0.0');
    const fileUrl = server.serveFile('network-policy.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-network\ndata:\n  mode: strict\n');
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-remote-app-'));
    cleanup.push(() => fs.rmSync(appDir, { recursive: true, force: true }));
    fs.cpSync(path.join(fixture, 'app'), appDir, { recursive: true });
    const overlay = path.join(appDir, 'deploy/overlays/dev/kustomization.yaml');
    fs.writeFileSync(overlay, fs.readFileSync(overlay, 'utf8').replaceAll('REMOTE_FILE', fileUrl).replaceAll('REMOTE', `${server.origin}/git`));

    // What the gate validates from the repository, with the server up.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-remote-gate-'));
    cleanup.push(() => fs.rmSync(workDir, { recursive: true, force: true }));
    const gate = await renderEnvironment({
      repoRoot: appDir,
      templates: path.join(appDir, 'deploy/overlays/dev'),
      renderer: 'auto',
      environment: 'dev',
      variables: new Map([['GREETING', 'hello']]),
      helmValuesFiles: [],
      valuesFiles: [],
      releaseName: 'voting-app',
      workDir,
      tools: processTools([toolsBin(), ...(process.env.PATH ?? '').split(path.delimiter)]),
    });
    assert.deepEqual(
      gate.findings.map((f) => [f.rule, f.file, f.line]),
      [['render/unpinned-remote', 'deploy/overlays/dev/kustomization.yaml', 5]],
    );
    assert.deepEqual(gate.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`).sort(), [
      'ConfigMap/voting/platform-settings',
      'ConfigMap/voting/shared-network',
      'ConfigMap/voting/voting-app',
      'Deployment/voting/platform-agent',
      'ServiceAccount/voting/platform-agent',
    ]);

    server.requests.length = 0;
    const publish = await publishOverlay(appDir, '52', '20261206.2', 'c'.repeat(40));
    assert.equal(publish.result, 'SucceededWithIssues', publish.stdout);
    assert.match(
      publish.stdout,
      /##vso\[task\.logissue type=warning;code=render\/unpinned-remote;sourcepath=deploy\/overlays\/dev\/kustomization\.yaml;linenumber=5;\]\[render\/unpinned-remote\] Remote base ".*\/\/extras\?ref=main" follows the branch or name "main"/,
    );
    assert.ok(
      server.requests.some((r) => r.endsWith('/git-upload-pack')) && server.requests.includes('/raw/network-policy.yaml'),
      'CI fetched from the server',
    );

    const bundle = publish.outputs.bundlePath;
    const release = JSON.parse(fs.readFileSync(path.join(bundle, 'release.json'), 'utf8')) as ReleaseManifest;
    const folder = `_kustomize-remote/platform-${commit.slice(0, 12)}`;
    assert.deepEqual(
      release.kustomizeRemotes?.map((r) => [r.kustomization, r.kind, r.url, r.ref, r.commit, r.path]),
      [
        ['deploy/overlays/dev/kustomization.yaml', 'git', server.repositoryUrl('platform'), 'v1.0.0', commit, `${folder}/base`],
        ['deploy/overlays/dev/kustomization.yaml', 'git', server.repositoryUrl('platform'), 'main', commit, `${folder}/extras`],
        ['deploy/overlays/dev/kustomization.yaml', 'file', fileUrl, undefined, undefined, release.kustomizeRemotes?.[2].path],
      ],
    );
    assert.equal(
      release.files[`source/${folder}/base/deployment.yaml`],
      sha256(fs.readFileSync(path.join(fixture, 'platform/base/deployment.yaml'))),
      'the fetched files are files of the release',
    );
    assert.doesNotMatch(fs.readFileSync(path.join(bundle, 'source/deploy/overlays/dev/kustomization.yaml'), 'utf8'), /http:/);

    await server.stop();
    serverUp = false;

    const promoted = await promoteAndRead(PROJECT, bundle);
    const sorted = (list: unknown[]) => [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    assert.deepEqual(sorted(promoted), sorted(gate.objects.map((o) => o.body)));
  });
  it('bundles the charts of helmCharts in chartHome and promotes what CI validated with the chart repository stopped', async () => {
    const server: HelmRepositoryServer = await startHelmRepository({ charts: [path.join(root, 'test/fixtures/helm/cache')] });
    let serverUp = true;
    cleanup.push(() => (serverUp ? server.stop() : undefined));
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-helm-app-'));
    cleanup.push(() => fs.rmSync(appDir, { recursive: true, force: true }));
    fs.cpSync(path.join(fixture, 'helm-app'), appDir, { recursive: true });
    const overlay = path.join(appDir, 'deploy/overlays/dev/kustomization.yaml');
    fs.writeFileSync(overlay, fs.readFileSync(overlay, 'utf8').replace('CHART_REPOSITORY', server.url));

    const publish = await publishOverlay(appDir, '53', '20261206.3', 'd'.repeat(40));
    assert.equal(publish.result, 'Succeeded', publish.stdout);
    // CI pulled the chart (the gate's render and the bundling may each read the index and the archive).
    assert.ok(server.requests.includes('/charts/cache-1.2.0.tgz'), `CI pulled the chart: ${server.requests.join(', ')}`);
    assert.deepEqual(
      server.requests,
      ['/charts/index.yaml', '/charts/cache-1.2.0.tgz', '/charts/index.yaml', '/charts/cache-1.2.0.tgz'].slice(0, server.requests.length),
    );
    const bundle = publish.outputs.bundlePath;
    const release = JSON.parse(fs.readFileSync(path.join(bundle, 'release.json'), 'utf8')) as ReleaseManifest;
    assert.deepEqual(release.kustomizeHelmCharts, [
      {
        kustomization: 'deploy/overlays/dev/kustomization.yaml',
        name: 'cache',
        version: '1.2.0',
        repo: server.url,
        path: 'deploy/overlays/dev/charts/cache-1.2.0/cache',
      },
    ]);
    assert.equal(
      release.files['source/deploy/overlays/dev/charts/cache-1.2.0/cache/templates/configmap.yaml'],
      sha256(fs.readFileSync(path.join(root, 'test/fixtures/helm/cache/templates/configmap.yaml'))),
    );

    await server.stop();
    serverUp = false;
    const promoted = await promoteAndRead('kustomizehelm', bundle);
    const byName = (list: unknown[]) => [...list].sort((a, b) => ((a as Obj).metadata.name < (b as Obj).metadata.name ? -1 : 1));
    assert.deepEqual(
      byName(promoted),
      byName([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'session-cache', namespace: 'voting' }, data: { size: '256Mi' } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'voting-app', namespace: 'voting' }, data: { greeting: 'hello' } },
      ]),
    );
  });
});

type Obj = { metadata: { name: string } };
