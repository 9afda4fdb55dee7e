/**
 * helmRegistryAzureSubscription end to end below the bundle: the input read from an agent, a real
 * @azure/identity client-secret flow against the emulated Microsoft Entra, the token exchanged at
 * the ACR exchange double, and helm pulling the chart from a real registry with the refresh token.
 * The local registry stands in for ACR through readHelmDependencyInputs' test-only overrides.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { readHelmDependencyInputs } from '../../../shared/workflows/helm-dependency-inputs';
import { InputError } from '../../../shared/util/errors';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { decodeJwt } from '../../emulators/arm/jwt';
import { lockedApp, renderLockedApp } from '../../harness/helm-repository';
import { ACR_REFRESH_TOKEN, REGISTRY_USER, requireRegistry, startAcrExchange, startOciRegistry, pushChart } from '../../harness/oci-registry';

const cacheChart = path.join(process.cwd(), 'test/fixtures/helm/cache');

describe('helmRegistryAzureSubscription: ACR credentials from the AzureRM connection (emulated Entra, registry double as ACR)', function () {
  this.timeout(90_000);
  let binary: string;
  let arm: ArmEmulator;
  const cleanup: (() => Promise<void> | void)[] = [];
  before(async function () {
    binary = requireRegistry(this);
    arm = await startArmEmulator({ clusters: [] });
  });
  after(async () => arm?.stop());
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function agent(secret: string): MemoryAgent {
    return new MemoryAgent({
      inputs: { helmRegistryAzureSubscription: 'acr-pull' },
      endpoints: {
        'acr-pull': {
          url: arm.armUrl,
          scheme: 'ServicePrincipal',
          parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId, authenticationType: 'spnKey', serviceprincipalkey: secret },
          data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
        },
      },
    });
  }

  it("pulls the oci:// dependency with the refresh token exchanged for the connection's Entra token; no token reaches the log", async () => {
    const oci = await startOciRegistry(binary, { auth: true });
    cleanup.push(() => oci.stop());
    const url = await pushChart(oci, cacheChart, REGISTRY_USER);
    const repoRoot = await lockedApp(url, REGISTRY_USER);
    cleanup.push(() => fs.rmSync(repoRoot, { recursive: true, force: true }));
    // ACR accepts Entra tokens for Resource Manager of the connection's tenant
    const exchange = await startAcrExchange((token) => {
      const claims = decodeJwt(token)?.payload;
      return claims?.aud === arm.armUrl && claims?.tid === arm.tenantId && claims?.appid === arm.clientId;
    });
    cleanup.push(() => exchange.stop());

    const a = agent(arm.clientSecret);
    const settings = readHelmDependencyInputs(a, {
      isRegistry: (host) => host === oci.host,
      exchangeEndpoint: () => exchange.endpoint,
      tlsOptions: { ca: arm.caCertPem },
    });
    const { result, calls } = await renderLockedApp(repoRoot, settings, cleanup);
    assert.deepEqual(result.findings, []);
    assert.equal(result.objects.length, 3);
    assert.equal(exchange.requests.length, 1);
    assert.equal(exchange.requests[0].get('service'), oci.host);
    assert.equal(exchange.requests[0].get('tenant'), arm.tenantId);
    const aadToken = exchange.requests[0].get('access_token')!;
    for (const secret of [arm.clientSecret, aadToken, ACR_REFRESH_TOKEN]) assert.ok(a.secrets.has(secret), 'registered as a secret');
    const logged = JSON.stringify([a.log, calls, result.findings]);
    assert.deepEqual(
      [arm.clientSecret, aadToken, ACR_REFRESH_TOKEN].filter((s) => logged.includes(s)),
      [],
      'no secret in the log, on a command line or in a finding',
    );
  });

  it('a connection Entra refuses: the finding names the registry and the connection', async () => {
    const oci = await startOciRegistry(binary, { auth: true });
    cleanup.push(() => oci.stop());
    const url = await pushChart(oci, cacheChart, REGISTRY_USER);
    const repoRoot = await lockedApp(url, REGISTRY_USER);
    cleanup.push(() => fs.rmSync(repoRoot, { recursive: true, force: true }));
    const settings = readHelmDependencyInputs(agent('not-the-secret'), { isRegistry: (host) => host === oci.host, tlsOptions: { ca: arm.caCertPem } });
    const { result } = await renderLockedApp(repoRoot, settings, cleanup);
    assert.equal(result.findings.length, 1);
    assert.match(
      result.findings[0].message,
      new RegExp(
        `^Helm dependency "cache" 1\\.2\\.0 from ${url}: Azure Container Registry ${oci.host}: no Microsoft Entra token from the service connection "acr-pull" \\(helmRegistryAzureSubscription\\): `,
      ),
    );
  });

  it('without the input nothing is asked of Azure; an unknown connection is an error naming the input', () => {
    assert.equal(readHelmDependencyInputs(new MemoryAgent({ inputs: {} })).registryCredentials, undefined);
    assert.throws(
      () => readHelmDependencyInputs(new MemoryAgent({ inputs: { helmRegistryAzureSubscription: 'missing' } })),
      (err: unknown) => err instanceof InputError && /helmRegistryAzureSubscription/.test(err.message),
    );
  });
});
