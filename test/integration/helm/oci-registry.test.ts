import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HelmDependencySettings } from '../../../shared/render/helm-dependencies';
import { ACR_TOKEN_USERNAME, acrCredentialSource, exchangeAcrRefreshToken } from '../../../shared/render/registry-auth';
import { lockedApp, renderLockedApp } from '../../harness/helm-repository';
import { ACR_REFRESH_TOKEN, REGISTRY_USER, requireRegistry, startAcrExchange, startOciRegistry, pushChart, OciRegistry } from '../../harness/oci-registry';

const cacheChart = path.join(process.cwd(), 'test/fixtures/helm/cache');

describe('Helm dependencies from an OCI registry (docker-registry started by the test)', function () {
  this.timeout(90_000);
  let binary: string;
  const cleanup: (() => Promise<void> | void)[] = [];
  before(function () {
    binary = requireRegistry(this);
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function registry(auth: boolean): Promise<OciRegistry> {
    const started = await startOciRegistry(binary, { auth });
    cleanup.push(() => started.stop());
    return started;
  }

  async function app(url: string, auth?: { username: string; password: string }): Promise<string> {
    const dir = await lockedApp(url, auth);
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  const render = (repoRoot: string, settings: HelmDependencySettings) => renderLockedApp(repoRoot, settings, cleanup);

  it('pulls an oci:// dependency from a registry without authentication', async () => {
    const oci = await registry(false);
    const url = await pushChart(oci, cacheChart);
    const repoRoot = await app(url);
    const { result, calls } = await render(repoRoot, { mode: 'resolve' });
    assert.deepEqual(result.findings, []);
    assert.deepEqual(
      result.objects.map((o) => [o.kind, o.name]),
      [
        ['ConfigMap', 'web-cache'],
        ['ConfigMap', 'web-common'],
        ['Deployment', 'web'],
      ],
    );
    assert.ok(calls[0].includes('--plain-http'), 'a loopback registry is spoken to over plain HTTP');
  });

  it('logs in with the connection credentials through a temporary registry config, and names the dependency when refused', async () => {
    const oci = await registry(true);
    const url = await pushChart(oci, cacheChart, REGISTRY_USER);
    const repoRoot = await app(url, REGISTRY_USER);

    const refused = await render(repoRoot, { mode: 'resolve' });
    assert.equal(refused.result.findings.length, 1);
    assert.match(refused.result.findings[0].message, new RegExp(`^Helm dependency "cache" 1\\.2\\.0 from ${url}: access denied by the repository`));

    const { result, calls } = await render(repoRoot, { mode: 'resolve', credentials: [{ url: `oci://${oci.host}`, ...REGISTRY_USER }] });
    assert.deepEqual(result.findings, []);
    assert.equal(result.objects.length, 3);
    assert.ok(!calls.flat().some((a) => a.includes(REGISTRY_USER.password)), 'the password is never on a command line');
  });

  it('names the dependency and registry when the registry is unreachable', async () => {
    const oci = await registry(false);
    const url = await pushChart(oci, cacheChart);
    const repoRoot = await app(url);
    await oci.stop(); // idempotent: the cleanup stops it again
    const { result } = await render(repoRoot, { mode: 'resolve' });
    assert.equal(result.findings.length, 1);
    assert.match(result.findings[0].message, new RegExp(`^Helm dependency "cache" 1\\.2\\.0 from ${url}: repository unreachable: `));
  });

  it('authenticates to an ACR-style registry with the refresh token from the AAD token exchange (test double)', async () => {
    const oci = await registry(true);
    const url = await pushChart(oci, cacheChart, REGISTRY_USER);
    const repoRoot = await app(url, REGISTRY_USER);
    const exchange = await startAcrExchange('aad-access-token');
    cleanup.push(() => exchange.stop());

    const credential = await exchangeAcrRefreshToken({
      registry: oci.host,
      aadAccessToken: 'aad-access-token',
      tenantId: 'tenant-1',
      endpoint: exchange.endpoint,
    });
    assert.equal(credential.username, ACR_TOKEN_USERNAME);
    assert.deepEqual(
      exchange.requests.map((r) => Object.fromEntries(r)),
      [{ grant_type: 'access_token', service: oci.host, access_token: 'aad-access-token', tenant: 'tenant-1' }],
    );
    const { result } = await render(repoRoot, { mode: 'resolve', credentials: [credential] });
    assert.deepEqual(result.findings, []);
    assert.equal(result.objects.length, 3);

    await assert.rejects(
      exchangeAcrRefreshToken({ registry: oci.host, aadAccessToken: 'someone-else', endpoint: exchange.endpoint }),
      new RegExp(
        `^Error: Azure Container Registry ${oci.host}: the token exchange was refused with HTTP 401 \\(give the service connection's principal the AcrPull role on the registry\\)$`,
      ),
    );
  });

  describe('with the AzureRM connection (helmRegistryAzureSubscription: the local registry mapped as ACR, tests only)', () => {
    async function acrSetup(aadToken: string) {
      const oci = await registry(true);
      const url = await pushChart(oci, cacheChart, REGISTRY_USER);
      const repoRoot = await app(url, REGISTRY_USER);
      const exchange = await startAcrExchange('aad-access-token');
      cleanup.push(() => exchange.stop());
      const secrets: string[] = [];
      let aadRequests = 0;
      const source = acrCredentialSource({
        connection: 'acr-connection',
        tenantId: 'tenant-1',
        accessToken: () => {
          aadRequests++;
          return Promise.resolve(aadToken);
        },
        onSecret: (secret) => secrets.push(secret),
        isRegistry: (host) => host === oci.host,
        exchangeEndpoint: () => exchange.endpoint,
      });
      return { oci, url, repoRoot, exchange, secrets, source, aadRequests: () => aadRequests };
    }

    it('fetches the oci:// dependency with the exchanged refresh token, registered as a secret and never on a command line', async () => {
      const { oci, repoRoot, exchange, secrets, source, aadRequests } = await acrSetup('aad-access-token');
      const { result, calls } = await render(repoRoot, { mode: 'resolve', registryCredentials: source });
      assert.deepEqual(result.findings, []);
      assert.equal(result.objects.length, 3);
      assert.deepEqual(
        exchange.requests.map((r) => Object.fromEntries(r)),
        [{ grant_type: 'access_token', service: oci.host, access_token: 'aad-access-token', tenant: 'tenant-1' }],
      );
      assert.deepEqual(secrets, ['aad-access-token', ACR_REFRESH_TOKEN]);
      const text = JSON.stringify({ calls, result });
      assert.ok(!text.includes(ACR_REFRESH_TOKEN) && !text.includes('aad-access-token'), 'no token on a command line or in the findings');

      // A second render of the run reuses the exchanged token.
      const again = await render(repoRoot, { mode: 'resolve', registryCredentials: source });
      assert.deepEqual(again.result.findings, []);
      assert.equal(exchange.requests.length, 1);
      assert.equal(aadRequests(), 1);
    });

    it('a refused exchange names the dependency, the registry, the connection and the AcrPull role', async () => {
      const { oci, url, repoRoot, source } = await acrSetup('token-of-a-principal-without-access');
      const { result, calls } = await render(repoRoot, { mode: 'resolve', registryCredentials: source });
      assert.deepEqual(
        result.findings.map((f) => [f.severity, f.file, f.message]),
        [
          [
            'error',
            'deploy/chart/Chart.yaml',
            `Helm dependency "cache" 1.2.0 from ${url}: Azure Container Registry ${oci.host}: the token exchange was refused with HTTP 401 (give the principal of the service connection "acr-connection" the AcrPull role on the registry)`,
          ],
        ],
      );
      assert.deepEqual(calls, [], 'helm is not run without the credential');
    });

    it('a connection that gives no Entra token names the registry and the connection', async () => {
      const oci = await registry(false);
      const url = await pushChart(oci, cacheChart);
      const repoRoot = await app(url);
      const source = acrCredentialSource({
        connection: 'acr-connection',
        accessToken: () => Promise.reject(new Error('AADSTS700016: application not found')),
        onSecret: () => undefined,
        isRegistry: (host) => host === oci.host,
      });
      const { result } = await render(repoRoot, { mode: 'resolve', registryCredentials: source });
      assert.deepEqual(
        result.findings.map((f) => f.message),
        [
          `Helm dependency "cache" 1.2.0 from ${url}: Azure Container Registry ${oci.host}: no Microsoft Entra token from the service connection "acr-connection" (helmRegistryAzureSubscription): AADSTS700016: application not found`,
        ],
      );
    });

    it('leaves registries that are not ACR to the other credentials (nothing exchanged)', async () => {
      const oci = await registry(false);
      const url = await pushChart(oci, cacheChart);
      const repoRoot = await app(url);
      let asked = 0;
      const source = acrCredentialSource({
        connection: 'acr-connection',
        accessToken: () => {
          asked++;
          return Promise.resolve('unused');
        },
        onSecret: () => undefined,
      });
      const { result } = await render(repoRoot, { mode: 'resolve', registryCredentials: source });
      assert.deepEqual(result.findings, []);
      assert.equal(asked, 0);
    });
  });
});
