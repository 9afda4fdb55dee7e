import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../../shared/util/errors';
import { renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { hasKustomizeRemotes, isRemoteFile, parseGitRemote, remoteCredentials, vendorKustomizeRemotes } from '../../../shared/render/kustomize-vendor';
import { GitRemoteServer, startGitRemote } from '../../harness/git-remote';
import { processTools, toolsBin } from '../../harness/process-tools';

const platform = path.join(process.cwd(), 'test/fixtures/kustomize-remote/platform');

describe('Kustomize remote references, split as kustomize splits them', () => {
  it('finds the repository, the folder and the ref', () => {
    assert.deepEqual(parseGitRemote('https://host.example/org/repo.git//deploy/base?ref=v1'), {
      repository: 'https://host.example/org/repo.git',
      path: 'deploy/base',
      ref: 'v1',
    });
    assert.deepEqual(parseGitRemote('git::https://host.example/org/repo.git//base?ref=abc&timeout=90s'), {
      repository: 'https://host.example/org/repo.git',
      path: 'base',
      ref: 'abc',
    });
    assert.deepEqual(parseGitRemote('https://host.example/org/repo.git/base/x?ref=v2'), {
      repository: 'https://host.example/org/repo.git',
      path: 'base/x',
      ref: 'v2',
    });
    assert.deepEqual(parseGitRemote('github.com/org/platform/deploy/base?ref=v1.2.3'), {
      repository: 'https://github.com/org/platform',
      path: 'deploy/base',
      ref: 'v1.2.3',
    });
    assert.deepEqual(parseGitRemote('https://dev.azure.com/org/project/_git/platform/base?ref=v1'), {
      repository: 'https://dev.azure.com/org/project/_git/platform',
      path: 'base',
      ref: 'v1',
    });
    assert.deepEqual(parseGitRemote('https://host.example/org/repo.git'), { repository: 'https://host.example/org/repo.git', path: '' });
  });

  it('tells a single remote YAML file from a git base', () => {
    assert.equal(isRemoteFile('https://raw.example.com/org/repo/main/deploy.yaml'), true);
    assert.equal(isRemoteFile('https://raw.example.com/org/repo/main/deploy.yml?x=1'), true);
    assert.equal(isRemoteFile('https://host.example/org/repo.git//deploy.yaml'), false);
    assert.equal(isRemoteFile('git::https://host.example/deploy.yaml'), false);
    assert.equal(isRemoteFile('https://host.example/org/repo//base?ref=v1'), false);
  });
});

describe('Kustomize remote parts fetched into the bundle (vendorKustomizeRemotes)', function () {
  this.timeout(60_000);
  let server: GitRemoteServer;
  let repo: string;
  let work: string;
  let v1: string;
  beforeEach(async () => {
    server = await startGitRemote();
    v1 = server.publish('platform', platform, 'v1.0.0');
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-vendor-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-vendor-work-'));
  });
  afterEach(async () => {
    await server.stop();
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const tools = () => processTools([toolsBin(), ...(process.env.PATH ?? '').split(path.delimiter)]);
  const request = (repoRoot: string): RenderRequest => ({
    repoRoot,
    templates: path.join(repoRoot, 'deploy/prod'),
    renderer: 'auto',
    environment: 'prod',
    variables: new Map(),
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'app',
    workDir: fs.mkdtempSync(path.join(work, 'render-')),
    tools: tools(),
  });
  const writeApp = (resources: string[]) => {
    fs.mkdirSync(path.join(repo, 'deploy/prod'), { recursive: true });
    fs.writeFileSync(
      path.join(repo, 'deploy/prod/kustomization.yaml'),
      ['# the prod overlay', 'namespace: prod', 'resources:', ...resources.map((r) => `  - ${r}`), ''].join('\n'),
    );
  };
  const summary = (objects: { kind: string; name: string; namespace?: string }[]) => objects.map((o) => `${o.kind}/${o.namespace ?? ''}/${o.name}`).sort();

  it('fetches a git base at its tag and a remote file, points the kustomization at them, and renders the same objects with the server stopped', async () => {
    const file = server.serveFile('config.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-config\ndata:\n  a: "1"\n');
    const base = `git::${server.repositoryUrl('platform')}//base?ref=v1.0.0`;
    writeApp([base, file]);
    const online = await renderEnvironment(request(repo));
    assert.deepEqual(online.findings, []);
    assert.deepEqual(summary(online.objects), ['ConfigMap/prod/shared-config', 'Deployment/prod/platform-agent', 'ServiceAccount/prod/platform-agent']);

    const vendored = await vendorKustomizeRemotes(repo, { tools: tools(), workDir: path.join(work, 'vendor') });
    assert.deepEqual(vendored, [
      {
        kustomization: 'deploy/prod/kustomization.yaml',
        reference: base,
        kind: 'git',
        url: server.repositoryUrl('platform'),
        ref: 'v1.0.0',
        commit: v1,
        path: `_kustomize-remote/platform-${v1.slice(0, 12)}/base`,
      },
      {
        kustomization: 'deploy/prod/kustomization.yaml',
        reference: file,
        kind: 'file',
        url: file,
        path: vendored[1].path,
      },
    ]);
    assert.match(vendored[1].path, /^_kustomize-remote\/files\/[0-9a-f]{12}-config$/);
    assert.equal(
      fs.readFileSync(path.join(repo, 'deploy/prod/kustomization.yaml'), 'utf8'),
      `# the prod overlay\nnamespace: prod\nresources:\n  - ../../_kustomize-remote/platform-${v1.slice(0, 12)}/base\n  - ../../${vendored[1].path}\n`,
    );
    assert.equal(hasKustomizeRemotes(repo), false);
    assert.equal(fs.existsSync(path.join(repo, `_kustomize-remote/platform-${v1.slice(0, 12)}/.git`)), false);

    await server.stop();
    server = await startGitRemote(); // afterEach stops this one; the platform repository is gone
    const offline = await renderEnvironment(request(repo));
    assert.deepEqual(offline.findings, []);
    assert.deepEqual(
      offline.objects.map((o) => o.body),
      online.objects.map((o) => o.body),
    );
    assert.deepEqual(server.requests, []);
  });

  it('fetches a base pinned to a commit id after the branch moved on, and records that commit', async () => {
    const changed = fs.mkdtempSync(path.join(work, 'platform-v2-'));
    fs.cpSync(platform, changed, { recursive: true });
    fs.writeFileSync(path.join(changed, 'base/deployment.yaml'), fs.readFileSync(path.join(changed, 'base/deployment.yaml'), 'utf8').replace('1.0.0', '2.0.0'));
    server.publish('platform', changed, 'v2');
    writeApp([`${server.repositoryUrl('platform')}//base?ref=${v1}`]);
    const vendored = await vendorKustomizeRemotes(repo, { tools: tools(), workDir: path.join(work, 'vendor') });
    assert.deepEqual(
      vendored.map((v) => [v.ref, v.commit]),
      [[v1, v1]],
    );
    const r = await renderEnvironment(request(repo));
    assert.deepEqual(
      r.objects.filter((o) => o.kind === 'Deployment').map((o) => JSON.stringify(o.body).match(/platform-agent:[0-9.]+/)?.[0]),
      ['platform-agent:1.0.0'],
    );
  });

  it('names the kustomization, the reference and the repository when a ref does not exist, and changes nothing', async () => {
    writeApp([`${server.repositoryUrl('platform')}//base?ref=v9`]);
    const before = fs.readFileSync(path.join(repo, 'deploy/prod/kustomization.yaml'), 'utf8');
    await assert.rejects(
      vendorKustomizeRemotes(repo, { tools: tools(), workDir: path.join(work, 'vendor') }),
      (err: Error) =>
        err instanceof InputError &&
        err.message.includes(`deploy/prod/kustomization.yaml: the remote base "${server.repositoryUrl('platform')}//base?ref=v9" could not be fetched from `) &&
        /couldn't find remote ref v9/.test(err.message),
    );
    assert.equal(fs.readFileSync(path.join(repo, 'deploy/prod/kustomization.yaml'), 'utf8'), before);
  });

  it('lists the credentials written into remote URLs (to be masked) and keeps them out of what it records', async () => {
    const url = server.repositoryUrl('platform').replace('http://', 'http://reader:Tok3n-s3cret@');
    writeApp([`${url}//base?ref=v1.0.0`, '../base']);
    assert.deepEqual(remoteCredentials(repo), ['reader:Tok3n-s3cret', 'Tok3n-s3cret']);
    const vendored = await vendorKustomizeRemotes(repo, { tools: tools(), workDir: path.join(work, 'vendor') });
    assert.equal(vendored[0].url, server.repositoryUrl('platform'));
    assert.equal(vendored[0].reference, `${server.repositoryUrl('platform')}//base?ref=v1.0.0`);
    assert.doesNotMatch(JSON.stringify(vendored), /Tok3n/);
  });

  it('names a folder the repository does not have', async () => {
    writeApp([`${server.repositoryUrl('platform')}//nothing-here?ref=v1.0.0`]);
    await assert.rejects(
      vendorKustomizeRemotes(repo, { tools: tools(), workDir: path.join(work, 'vendor') }),
      (err: Error) => err instanceof InputError && err.message.includes(`the repository has no "nothing-here" at ${v1}`),
    );
  });
});
