/**
 * The Resource Manager client through the agent's proxy: createFluxConfigurationReader with the
 * agent's proxy reads a Flux configuration from the ARM emulator addressed as
 * https://management.contoso.test, which only the test's CONNECT proxy can reach (it terminates TLS
 * for that name with a test CA's certificate and forwards to the emulator). In a child process that
 * trusts the test CA through NODE_EXTRA_CA_CERTS, as a task behind a TLS-inspecting proxy would.
 * With the name in the agent's bypass list the client goes direct (and finds no such host).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createAzureCredential } from '../../../shared/azure/credential';
import { createFluxConfigurationReader } from '../../../shared/azure/flux-reader';
import type { ProxyConfiguration } from '../../../shared/util/proxy-settings';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { azurecrCertificates, ConnectProxy, startConnectProxy } from '../../harness/connect-proxy';

const fluxReader = path.join(__dirname, '../../../shared/azure/flux-reader.js');
const ARM_HOST = 'management.contoso.test';
const PROXY_USER = { username: 'build-agent', password: 'Arm-Pr0xy-secret' };

describe('Azure SDK (Resource Manager client) through the agent proxy', function () {
  this.timeout(60_000);
  let emu: ArmEmulator;
  let proxy: ConnectProxy;
  let dir: string;
  let token: string;

  before(async () => {
    emu = await startArmEmulator({ clusters: [{ name: 'arc-nonprod', type: 'connectedClusters' }] });
    emu.admin.addFluxConfiguration('arc-nonprod', 'cluster-config', {
      namespace: 'flux-system',
      sourceKind: 'GitRepository',
      gitRepository: { url: 'https://dev.azure.com/contoso/gitops/_git/gitops', repositoryRef: { branch: 'main' } },
      kustomizations: { apps: { path: './apps' } },
    });
    const azure = createAzureCredential(
      {
        id: 'arm',
        scheme: 'ServicePrincipal',
        parameters: { tenantid: emu.tenantId, serviceprincipalid: emu.clientId, authenticationType: 'spnKey', serviceprincipalkey: emu.clientSecret },
        data: { subscriptionId: emu.subscriptionId, activeDirectoryAuthority: emu.tokenUrl },
        url: emu.armUrl,
      },
      {},
      { tlsOptions: { ca: emu.caCertPem } },
    );
    token = (await azure.credential.getToken(azure.cloud.scope))!.token;
    const certs = azurecrCertificates([ARM_HOST]);
    proxy = await startConnectProxy({
      auth: PROXY_USER,
      intercept: { hosts: (h) => h === ARM_HOST, certPem: certs.certPem, keyPem: certs.keyPem, route: () => emu.armUrl, upstreamCa: emu.caCertPem },
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-proxy-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), certs.caPem);
  });
  after(async () => {
    await proxy?.stop();
    await emu?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function readInChild(agentProxy: ProxyConfiguration): Promise<{ complianceState?: string; error?: string }> {
    const script = `
const { createFluxConfigurationReader } = require(${JSON.stringify(fluxReader)});
const credential = { getToken: async () => ({ token: ${JSON.stringify(token)}, expiresOnTimestamp: Date.now() + 3600000 }) };
const read = createFluxConfigurationReader({ credential, subscriptionId: ${JSON.stringify(emu.subscriptionId)}, armUrl: 'https://${ARM_HOST}', proxy: ${JSON.stringify(agentProxy)}, clientOptions: { retryOptions: { maxRetries: 0 } } });
read({ resourceGroup: ${JSON.stringify(emu.resourceGroup)}, clusterType: 'connectedClusters', clusterName: 'arc-nonprod' }, 'cluster-config')
  .then((r) => process.stdout.write(JSON.stringify({ complianceState: r.status.complianceState })), (e) => process.stdout.write(JSON.stringify({ error: e.message })));`;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no|all)_proxy$/i.test(k)));
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...clean, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') } });
    return JSON.parse(stdout) as { complianceState?: string; error?: string };
  }

  it("reads the Flux configuration through one CONNECT with the agent's proxy credentials, the bearer token passed on", async () => {
    proxy.connects.length = 0;
    proxy.requests.length = 0;
    const result = await readInChild({ url: proxy.url, ...PROXY_USER, bypass: ['dev\\.azure\\.com'] });
    // What the same client reads from the emulator directly.
    const direct = await createFluxConfigurationReader({
      credential: { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) },
      subscriptionId: emu.subscriptionId,
      armUrl: emu.armUrl,
      clientOptions: { tlsOptions: { ca: emu.caCertPem } },
    })({ resourceGroup: emu.resourceGroup, clusterType: 'connectedClusters', clusterName: 'arc-nonprod' }, 'cluster-config');
    assert.deepEqual(result, { complianceState: direct.status.complianceState });
    assert.equal(typeof direct.status.complianceState, 'string');
    assert.deepEqual(proxy.connects, [{ target: `${ARM_HOST}:443`, authorized: true }]);
    const path = `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroup}/providers/Microsoft.Kubernetes/connectedClusters/arc-nonprod/providers/Microsoft.KubernetesConfiguration/fluxConfigurations/cluster-config`;
    assert.deepEqual(
      proxy.requests.map((r) => [r.method, r.host, r.path.split('?')[0], r.status, r.authorization === `Bearer ${token}`]),
      [['GET', ARM_HOST, path, 200, true]],
    );
  });

  it("goes direct for a host in the agent's bypass list (here: no such host, and nothing at the proxy)", async () => {
    proxy.connects.length = 0;
    const result = await readInChild({ url: proxy.url, ...PROXY_USER, bypass: ['management\\.contoso\\.test'] });
    assert.equal(result.complianceState, undefined);
    assert.match(result.error ?? '', /ENOTFOUND|getaddrinfo|EAI_AGAIN/);
    assert.deepEqual(proxy.connects, []);
  });
});
