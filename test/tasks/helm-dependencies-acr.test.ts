/**
 * helmRegistryAzureSubscription end to end with the built tasks, as on an agent behind a corporate
 * proxy and without any test-only override: the chart depends on oci://contoso.azurecr.io/charts;
 * the agent's proxy (Agent.ProxyUrl, ProxyUsername, the secret ProxyPassword) is the test's
 * CONNECT proxy, which terminates TLS for *.azurecr.io with a test CA's certificate and forwards
 * /oauth2/* to the ACR exchange double and /v2/* to a real registry (docker-registry, htpasswd
 * authentication: only ACR's token user with the exchanged refresh token may pull). The task trusts
 * the CA through NODE_EXTRA_CA_CERTS, helm (Go) through SSL_CERT_FILE; the AzureRM connection is a
 * client secret against the emulated Microsoft Entra. GitOpsPrValidate@1 and GitOpsCiPublish@1 fetch
 * the dependency; the proxy, registry and exchange are then stopped and GitOpsPromote@1 renders the
 * bundle offline: the committed objects are those the gate rendered.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256 } from '../../shared/release/bundle';
import type { ReleaseManifest } from '../../shared/release/release-manifest';
import { ACR_TOKEN_USERNAME } from '../../shared/render/registry-auth';
import { renderEnvironment } from '../../shared/render/render';
import { ArmEmulator, startArmEmulator } from '../emulators/arm';
import { decodeJwt } from '../emulators/arm/jwt';
import { azurecrCertificates, ConnectProxy, startConnectProxy } from '../harness/connect-proxy';
import { lockedApp } from '../harness/helm-repository';
import {
  ACR_REFRESH_TOKEN,
  AcrExchangeDouble,
  OciRegistry,
  pushChart,
  REGISTRY_USER,
  requireRegistry,
  startAcrExchange,
  startOciRegistry,
} from '../harness/oci-registry';
import { processTools, toolsBin } from '../harness/process-tools';
import { promoteBundleOffline } from '../harness/sample-release';
import { runBuiltTask, TaskRun } from '../harness/task-runner';

const root = process.cwd();
const PROJECT = 'helmacr';
const REGISTRY = 'contoso.azurecr.io';
const CHARTS = `oci://${REGISTRY}/charts`;
const PROXY_USER = { username: 'build-agent', password: 'Corp-Pr0xy p@ss' };
const ACR_AUTHORIZATION = `Basic ${Buffer.from(`${ACR_TOKEN_USERNAME}:${ACR_REFRESH_TOKEN}`).toString('base64')}`;

describe('Helm dependencies from Azure Container Registry (helmRegistryAzureSubscription) through the agent proxy: built tasks, no overrides', function () {
  this.timeout(300_000);
  const cleanup: (() => Promise<void> | void)[] = [];
  let arm: ArmEmulator;
  let oci: OciRegistry;
  let exchange: AcrExchangeDouble;
  let proxy: ConnectProxy;
  let dir: string;
  let appDir: string;
  let stopped = false;

  before(async function () {
    const binary = requireRegistry(this);
    arm = await startArmEmulator({ clusters: [] });
    cleanup.push(() => arm.stop());
    oci = await startOciRegistry(binary, { auth: true });
    cleanup.push(() => (stopped ? undefined : oci.stop()));
    await pushChart(oci, path.join(root, 'test/fixtures/helm/cache'), REGISTRY_USER);
    // ACR takes an Entra token for Resource Manager, of the connection's principal and tenant.
    exchange = await startAcrExchange((token) => {
      const claims = decodeJwt(token)?.payload;
      return claims?.aud === arm.armUrl && claims?.tid === arm.tenantId && claims?.appid === arm.clientId;
    });
    cleanup.push(() => (stopped ? undefined : exchange.stop()));
    const certs = azurecrCertificates();
    const exchangeOrigin = new URL(exchange.endpoint).origin;
    proxy = await startConnectProxy({
      auth: PROXY_USER,
      intercept: {
        hosts: (host) => host === REGISTRY,
        certPem: certs.certPem,
        keyPem: certs.keyPem,
        route: (p) => (p.startsWith('/oauth2/') ? exchangeOrigin : p.startsWith('/v2/') ? `http://${oci.host}` : undefined),
      },
    });
    cleanup.push(() => (stopped ? undefined : proxy.stop()));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-acr-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'test-ca.pem'), certs.caPem);
    fs.writeFileSync(path.join(dir, 'node-ca.pem'), `${certs.caPem}${arm.caCertPem}`);
    // The developer's Chart.lock, made through the proxy with the pusher's credentials.
    appDir = await lockedApp(CHARTS, REGISTRY_USER, helmThroughProxy());
    cleanup.push(() => fs.rmSync(appDir, { recursive: true, force: true }));
  });
  after(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** What helm needs to reach contoso.azurecr.io in the test itself (the tasks get the proxy from the agent variables). */
  function helmThroughProxy(): Record<string, string> {
    const url = new URL(proxy.url);
    url.username = encodeURIComponent(PROXY_USER.username);
    url.password = encodeURIComponent(PROXY_USER.password);
    return { HTTPS_PROXY: url.toString(), SSL_CERT_FILE: path.join(dir, 'test-ca.pem') };
  }

  function reset(): void {
    proxy.connects.length = 0;
    proxy.requests.length = 0;
    exchange.requests.length = 0;
  }

  async function runTask(task: 'GitOpsCiPublish' | 'GitOpsPrValidate', inputs: Record<string, string>): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir: path.join(root, `dist/tasks/${task}/v1`),
      inputs: {
        templates: 'deploy/chart',
        environments: 'dev',
        valuesFile: 'deploy/environments/{environment}.yaml',
        dockerfiles: '',
        helmRegistryAzureSubscription: 'acr-pull',
        ...inputs,
      },
      variables: {
        'Build.SourcesDirectory': appDir,
        'Build.BuildId': '61',
        'Build.BuildNumber': '20261206.2',
        'Build.SourceVersion': 'c'.repeat(40),
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
        'Agent.ProxyUrl': proxy.url,
        'Agent.ProxyUsername': PROXY_USER.username,
        'Agent.ProxyBypassList': JSON.stringify(['dev\\.azure\\.com']),
      },
      secrets: { 'Agent.ProxyPassword': PROXY_USER.password },
      endpoints: {
        'acr-pull': {
          url: arm.armUrl,
          scheme: 'ServicePrincipal',
          parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId, authenticationType: 'spnKey', serviceprincipalkey: arm.clientSecret },
          data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
        },
      },
      env: {
        PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}`,
        NODE_EXTRA_CA_CERTS: path.join(dir, 'node-ca.pem'),
        SSL_CERT_FILE: path.join(dir, 'test-ca.pem'),
        // Only the agent's proxy variables: this machine's own would hide the path users have.
        HTTPS_PROXY: undefined,
        https_proxy: undefined,
        HTTP_PROXY: undefined,
        http_proxy: undefined,
        NO_PROXY: undefined,
        no_proxy: undefined,
      },
    });
    cleanup.push(() => fs.rmSync(run.folders.work, { recursive: true, force: true }));
    return run;
  }

  /** Proxy, exchange and registry saw exactly one exchange of the connection's Entra token and pulls with the ACR token; no secret in the task's log. */
  function assertThroughProxy(run: TaskRun): void {
    assert.deepEqual(
      exchange.requests.map((r) => [r.get('grant_type'), r.get('service'), r.get('tenant')]),
      [['access_token', REGISTRY, arm.tenantId]],
    );
    const aadToken = exchange.requests[0].get('access_token')!;
    const claims = decodeJwt(aadToken)?.payload;
    assert.deepEqual([claims?.aud, claims?.tid, claims?.appid], [arm.armUrl, arm.tenantId, arm.clientId]);
    // Every tunnel was to the registry, with the agent's proxy credentials (Entra is on loopback: direct, as the agent bypasses it).
    assert.ok(proxy.connects.length >= 2, JSON.stringify(proxy.connects));
    assert.deepEqual([...new Set(proxy.connects.map((c) => `${c.target} ${c.authorized}`))], [`${REGISTRY}:443 true`]);
    assert.deepEqual(
      proxy.requests.filter((r) => r.path.startsWith('/oauth2/')).map((r) => [r.method, r.host, r.path, r.status]),
      [['POST', REGISTRY, '/oauth2/exchange', 200]],
    );
    // helm asks for the tag without a token (401: authentication is on), again with ACR's token user and
    // the refresh token, then pulls the manifest and its two blobs (config, chart) by digest with it.
    const pulls = proxy.requests
      .filter((r) => r.path.startsWith('/v2/'))
      .map((r) => [
        r.method,
        r.path.replace(/sha256:[0-9a-f]{64}/, 'sha256:<digest>'),
        r.status,
        r.authorization === undefined ? 'none' : r.authorization === ACR_AUTHORIZATION ? 'ACR token' : r.authorization,
      ]);
    assert.deepEqual(pulls.slice(0, 3), [
      ['HEAD', '/v2/charts/cache/manifests/1.2.0', 401, 'none'],
      ['HEAD', '/v2/charts/cache/manifests/1.2.0', 200, 'ACR token'],
      ['GET', '/v2/charts/cache/manifests/sha256:<digest>', 200, 'ACR token'],
    ]);
    assert.deepEqual(pulls.slice(3), [
      ['GET', '/v2/charts/cache/blobs/sha256:<digest>', 200, 'ACR token'],
      ['GET', '/v2/charts/cache/blobs/sha256:<digest>', 200, 'ACR token'],
    ]);
    const secrets = [arm.clientSecret, aadToken, ACR_REFRESH_TOKEN, PROXY_USER.password, encodeURIComponent(PROXY_USER.password)];
    // task-lib, loaded at the start because the agent has a proxy (azure-devops-node-api reads it from
    // task-lib), writes the secret variable in its own debug line as it writes every secret variable it
    // reads, for the agent to mask (the agent knows Agent.ProxyPassword as secret). That line alone.
    const taskLibDebug = `##vso[task.debug]Agent.ProxyPassword=${PROXY_USER.password}`;
    const logged = [...run.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]') && l !== taskLibDebug), run.stderr].join('\n');
    assert.deepEqual(
      secrets.filter((s) => logged.includes(s)),
      [],
      'no client secret, Entra token, refresh token or proxy password in the log',
    );
    for (const secret of [arm.clientSecret, aadToken, ACR_REFRESH_TOKEN, PROXY_USER.password])
      assert.ok(run.stdout.includes(`##vso[task.setsecret]${secret.replace(/%/g, '%AZP25')}`), 'registered as a secret');
  }

  it('GitOpsPrValidate@1 builds the ACR dependency through the proxy with the exchanged token', async () => {
    reset();
    const run = await runTask('GitOpsPrValidate', {});
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.match(run.stdout, /##\[command\]\S*helm dependency build /);
    assertThroughProxy(run);
  });

  it('GitOpsCiPublish@1 bundles the ACR dependency with its digest; GitOpsPromote@1 renders it offline, as the gate rendered it', async () => {
    reset();
    const publish = await runTask('GitOpsCiPublish', {
      images: '',
      tagStrategy: 'fixed',
      tag: '1.0.0',
      appName: 'voting-app',
      publishArtifact: 'false',
    });
    assert.equal(publish.result, 'Succeeded', publish.stdout);
    assertThroughProxy(publish);

    const bundle = publish.outputs.bundlePath;
    const releaseText = fs.readFileSync(path.join(bundle, 'release.json'), 'utf8');
    const release = JSON.parse(releaseText) as ReleaseManifest;
    const archives = ['source/deploy/chart/charts/cache-1.2.0.tgz', 'source/deploy/chart/charts/common-0.2.0.tgz'];
    assert.deepEqual(
      release.helmDependencies?.map((d) => [d.chart, d.name, d.version, d.repository, d.file]),
      [
        ['deploy/chart', 'common', '0.2.0', 'file://../common', archives[1]],
        ['deploy/chart', 'cache', '1.2.0', CHARTS, archives[0]],
      ],
    );
    for (const d of release.helmDependencies ?? []) {
      assert.equal(d.sha256, sha256(fs.readFileSync(path.join(bundle, d.file))));
      assert.equal(release.files[d.file], d.sha256);
    }
    assert.deepEqual(
      [arm.clientSecret, ACR_REFRESH_TOKEN, PROXY_USER.password].filter((s) => releaseText.includes(s)),
      [],
    );

    // What the gate validates, rendered here through the proxy with the pusher's credentials.
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-acr-gate-'));
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
      tools: processTools([toolsBin()], helmThroughProxy()),
      helmDependencies: { mode: 'resolve', credentials: [{ url: `oci://${REGISTRY}`, ...REGISTRY_USER }] },
    });
    assert.deepEqual(gate.findings, []);

    // Proxy, exchange and registry are down: a Promote that reached for the dependency would fail.
    stopped = true;
    await proxy.stop();
    await exchange.stop();
    await oci.stop();
    const { run: promote, objects } = await promoteBundleOffline(PROJECT, bundle, cleanup);
    assert.equal(promote.result, 'Succeeded', promote.stdout);
    assert.ok(!/helm.* dependency /.test(promote.stdout), 'Promote never runs helm dependency');
    const byName = (list: unknown[]) => [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    assert.deepEqual(byName(objects), byName(gate.objects.map((o) => o.body)));
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
