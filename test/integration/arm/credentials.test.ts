import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AzurePipelinesCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
import { SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration';
import { createAzureCredential, requestOidcToken } from '../../../shared/azure/credential';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { decodeJwt } from '../../emulators/arm/jwt';

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe('credential flows against the emulated Microsoft Entra, Azure DevOps OIDC and IMDS endpoints', function () {
  this.timeout(60_000);
  let emu: ArmEmulator;
  let tls: { ca: string };
  let common: { authorityHost: string; disableInstanceDiscovery: true; tlsOptions: { ca: string } };
  let scope: string;

  before(async () => {
    emu = await startArmEmulator({ clusters: [{ name: 'arc-a', type: 'connectedClusters' }] });
    tls = { ca: emu.caCertPem };
    common = { authorityHost: emu.tokenUrl, disableInstanceDiscovery: true, tlsOptions: tls };
    scope = `${emu.armUrl}/.default`;
  });
  after(() => emu.stop());
  beforeEach(() => {
    emu.requests.length = 0;
    emu.identity.issued.length = 0;
    emu.identity.failures.length = 0;
  });

  /** An ARM call with the credential: the emulator checks the token's signature, expiry and audience. */
  async function listWith(credential: import('@azure/core-auth').TokenCredential): Promise<number> {
    const client = new SourceControlConfigurationClient(credential, emu.subscriptionId, { endpoint: emu.armUrl, tlsOptions: tls });
    let n = 0;
    for await (const _ of client.fluxConfigurations.list(emu.resourceGroup, 'Microsoft.Kubernetes', 'connectedClusters', 'arc-a')) n++;
    return n;
  }

  it('client secret: token for the ARM scope, accepted by ARM; only the openid metadata and token endpoints are asked', async () => {
    const credential = new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, common);
    const token = await credential.getToken(scope);
    const claims = decodeJwt(token.token)!.payload;
    assert.equal(claims.aud, emu.armUrl);
    assert.equal(claims.appid, emu.clientId);
    assert.equal(claims.tid, emu.tenantId);
    assert.ok(token.expiresOnTimestamp > Date.now() + 3000_000);
    assert.equal(await listWith(credential), 0);
    // @azure/identity keeps one MSAL client without and one with CAE (the ARM pipeline asks with enableCae): each reads the metadata once
    assert.deepEqual(
      emu.requests.filter((r) => r.server === 'login').map((r) => [r.route, r.status]),
      [
        ['openid-configuration', 200],
        ['token', 200],
        ['openid-configuration', 200],
        ['token', 200],
      ],
    );
    assert.deepEqual(
      emu.identity.issued.map((i) => i.via),
      ['client_secret', 'client_secret'],
    );
    await credential.getToken(scope);
    assert.equal(emu.identity.issued.length, 2, 'the token is cached');
  });

  it('client secret: a wrong secret is AADSTS7000215 and nothing reaches ARM', async () => {
    const credential = new ClientSecretCredential(emu.tenantId, emu.clientId, 'not-the-secret', common);
    await assert.rejects(credential.getToken(scope), /AADSTS7000215/);
    assert.equal(emu.requests.filter((r) => r.server === 'arm').length, 0);
  });

  it('an unknown tenant is AADSTS90002, an unknown app AADSTS700016', async () => {
    // MSAL reads the tenant's metadata first: Entra answers 400 AADSTS90002 there, MSAL reports endpoints_resolution_error
    await assert.rejects(
      new ClientSecretCredential('00000000-0000-0000-0000-000000000001', emu.clientId, emu.clientSecret, common).getToken(scope),
      /endpoints_resolution_error/,
    );
    assert.deepEqual(
      emu.requests.map((r) => [r.route, r.status]),
      [['openid-configuration', 400]],
    );
    await assert.rejects(
      new ClientSecretCredential(emu.tenantId, '00000000-0000-0000-0000-000000000002', emu.clientSecret, common).getToken(scope),
      /AADSTS700016/,
    );
  });

  it("client certificate: the assertion is signed with the registered certificate's key (verified by the emulator)", async () => {
    const cert = emu.identity.addCertificate(emu.clientId);
    const credential = new ClientCertificateCredential(emu.tenantId, emu.clientId, { certificate: cert.certPem + cert.keyPem }, common);
    assert.equal(await listWith(credential), 0);
    assert.deepEqual(
      emu.identity.issued.map((i) => i.via),
      ['client_certificate'],
    );
  });

  it('client certificate: a certificate the app does not have is AADSTS700027', async () => {
    const other = emu.identity.addCertificate(emu.clientId);
    const app = emu.identity.applications.get(emu.clientId.toLowerCase())!;
    app.certificates = app.certificates.filter((c) => c.thumbprintSha256 !== other.thumbprintSha256);
    const credential = new ClientCertificateCredential(emu.tenantId, emu.clientId, { certificate: other.certPem + other.keyPem }, common);
    await assert.rejects(credential.getToken(scope), /AADSTS700027/);
  });

  it('client certificate: a certificate registered on the app but a key that does not match fails the signature check', async () => {
    const registered = emu.identity.addCertificate(emu.clientId);
    const impostor = emu.identity.addCertificate(emu.clientId);
    // the registered certificate with another key: the thumbprint matches, the signature does not
    const credential = new ClientCertificateCredential(emu.tenantId, emu.clientId, { certificate: registered.certPem + impostor.keyPem }, common);
    await assert.rejects(credential.getToken(scope), /AADSTS700027: Client assertion failed signature validation/);
  });

  it('workload identity federation: AzurePipelinesCredential asks System.OidcRequestUri with System.AccessToken', async () => {
    const connection = emu.identity.addServiceConnection({ clientId: emu.clientId, name: 'azure-wif' });
    const job = emu.identity.addJob();
    await withEnv({ SYSTEM_OIDCREQUESTURI: job.oidcRequestUri }, async () => {
      const credential = new AzurePipelinesCredential(emu.tenantId, emu.clientId, connection.id, job.accessToken, common);
      assert.equal(await listWith(credential), 0);
    });
    // the assertion callback runs before MSAL reads the metadata and again for the token request
    const routes = emu.requests.filter((r) => r.server === 'login').map((r) => r.route);
    assert.deepEqual([...new Set(routes)].sort(), ['oidc', 'openid-configuration', 'token']);
    assert.equal(routes.at(-1), 'token');
    assert.ok(emu.requests.every((r) => r.status === 200));
    const oidc = emu.requests.find((r) => r.route === 'oidc')!;
    assert.equal(oidc.query['api-version'], '7.1');
    assert.equal(oidc.query.serviceConnectionId, connection.id);
    assert.deepEqual(
      emu.identity.issued.map((i) => i.via),
      ['federated'],
    );
  });

  it('workload identity federation: a wrong job token is 401 from the OIDC endpoint, a connection without a federated credential AADSTS70021', async () => {
    const connection = emu.identity.addServiceConnection({ clientId: emu.clientId, name: 'azure-wif-2' });
    const job = emu.identity.addJob();
    await assert.rejects(requestOidcToken(job.oidcRequestUri, 'wrong', connection.id, { tlsOptions: tls }), /HTTP 401.*TF400813/);
    const app = emu.identity.applications.get(emu.clientId.toLowerCase())!;
    const saved = app.federatedCredentials;
    app.federatedCredentials = [];
    try {
      const credential = new ClientAssertionCredential(
        emu.tenantId,
        emu.clientId,
        () => requestOidcToken(job.oidcRequestUri, job.accessToken, connection.id, { tlsOptions: tls }),
        common,
      );
      await assert.rejects(credential.getToken(scope), /AADSTS70021/);
    } finally {
      app.federatedCredentials = saved;
    }
  });

  it("workload identity federation with the Azure DevOps emulator's job token: addJob({ accessToken }) makes the OIDC endpoint honour that token", async () => {
    // a 52-character token as the Azure DevOps emulator hands out for System.AccessToken
    const devopsToken = 'ab2cd3ef4gh5ij6kl7mn2op3qr4st5uv6wx7yz2ab3cd4ef5gh6i';
    assert.equal(devopsToken.length, 52);
    const connection = emu.identity.addServiceConnection({ clientId: emu.clientId, name: 'azure-wif-devops', organization: 'contoso', projectName: 'fleet' });
    const job = emu.identity.addJob({ accessToken: devopsToken, organization: 'contoso', projectName: 'fleet' });
    assert.equal(job.accessToken, devopsToken);
    assert.equal(
      job.oidcRequestUri,
      `${emu.tokenUrl}/contoso/${job.projectId}/_apis/distributedtask/hubs/build/plans/${job.planId}/jobs/${job.jobId}/oidctoken`,
    );

    const oidcToken = await requestOidcToken(job.oidcRequestUri, devopsToken, connection.id, { tlsOptions: tls });
    const claims = decodeJwt(oidcToken)!.payload;
    assert.deepEqual([claims.sub, claims.aud, claims.iss], ['sc://contoso/fleet/azure-wif-devops', 'api://AzureADTokenExchange', emu.identity.devopsIssuer]);
    const oidc = emu.requests.filter((r) => r.route === 'oidc');
    assert.deepEqual(
      oidc.map((r) => [r.method, r.status, r.query['api-version'], r.query.serviceConnectionId]),
      [['POST', 200, '7.1', connection.id]],
    );

    // the token works end to end: createAzureCredential exchanges the OIDC token, ARM accepts the access token
    const c = createAzureCredential(
      {
        id: connection.id,
        scheme: 'WorkloadIdentityFederation',
        parameters: { tenantid: emu.tenantId, serviceprincipalid: emu.clientId },
        data: { subscriptionId: emu.subscriptionId, activeDirectoryAuthority: emu.tokenUrl },
        url: emu.armUrl,
      },
      { oidcRequestUri: job.oidcRequestUri, accessToken: devopsToken },
      { tlsOptions: tls },
    );
    assert.equal(await listWith(c.credential), 0);
    assert.deepEqual(
      emu.identity.issued.map((i) => i.via),
      ['federated'],
    );

    // any other bearer is refused; the token of another job does not open this job's endpoint
    await assert.rejects(requestOidcToken(job.oidcRequestUri, `${devopsToken}x`, connection.id, { tlsOptions: tls }), (e: Error) => {
      assert.equal(
        e.message,
        `Azure DevOps did not issue an OIDC token for service connection ${connection.id} (HTTP 401: TF400813: The user is not authorized to access this resource.)`,
      );
      return true;
    });
    const other = emu.identity.addJob({ organization: 'contoso', projectName: 'fleet' });
    await assert.rejects(requestOidcToken(job.oidcRequestUri, other.accessToken, connection.id, { tlsOptions: tls }), (e: Error) => {
      assert.equal(
        e.message,
        `Azure DevOps did not issue an OIDC token for service connection ${connection.id} (HTTP 404: Job ${job.jobId} of plan ${job.planId} was not found.)`,
      );
      return true;
    });
  });

  it('managed identity: IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST) for the system-assigned and a user-assigned identity', async () => {
    emu.identity.addManagedIdentity({ systemAssigned: true });
    const user = emu.identity.addManagedIdentity({});
    await withEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: emu.imdsUrl }, async () => {
      assert.equal(await listWith(new ManagedIdentityCredential()), 0);
      assert.equal(await listWith(new ManagedIdentityCredential({ clientId: user.clientId })), 0);
    });
    assert.deepEqual(
      emu.identity.issued.map((i) => i.via),
      ['managed_identity', 'managed_identity'],
    );
    assert.equal(emu.identity.issued[1].clientId, user.clientId);
    const imds = emu.requests.filter((r) => r.server === 'imds' && r.status === 200);
    assert.equal(imds.length, 2);
    assert.equal(imds[1].query.client_id, user.clientId);
  });

  describe('createAzureCredential (shared/azure) by authorization scheme', () => {
    const connectionFor = (scheme: string, parameters: Record<string, string>, data: Record<string, string> = {}) => ({
      id: '',
      scheme,
      parameters,
      data: { subscriptionId: emu.subscriptionId, environment: 'AzureCloud', activeDirectoryAuthority: `${emu.tokenUrl}/`, ...data },
      url: `${emu.armUrl}/`,
    });

    it('WorkloadIdentityFederation: a fresh OIDC token per token request, each reported for masking', async () => {
      const sc = emu.identity.addServiceConnection({ clientId: emu.clientId, name: 'azure-wif-3' });
      const job = emu.identity.addJob();
      const masked: string[] = [];
      const c = createAzureCredential(
        { ...connectionFor('WorkloadIdentityFederation', { tenantid: emu.tenantId, serviceprincipalid: emu.clientId }), id: sc.id },
        { oidcRequestUri: job.oidcRequestUri, accessToken: job.accessToken },
        { tlsOptions: tls, onSecret: (s) => masked.push(s) },
      );
      assert.equal(c.flow, 'WorkloadIdentityFederation');
      assert.equal(c.cloud.armUrl, emu.armUrl);
      assert.equal(c.cloud.scope, `${emu.armUrl}/.default`);
      assert.equal(c.subscriptionId, emu.subscriptionId);
      const first = await c.credential.getToken(c.cloud.scope);
      const second = await c.credential.getToken(c.cloud.scope, { claims: undefined });
      assert.ok(first?.token && second?.token);
      // every OIDC token fetched was handed over for masking
      assert.equal(masked.length, emu.requests.filter((r) => r.route === 'oidc').length);
      assert.ok(masked.length >= 1);
      assert.equal(decodeJwt(masked[0])!.payload.aud, 'api://AzureADTokenExchange');
    });

    it('ServicePrincipal spnKey and spnCertificate: secrets to mask are the key and every private-key line', async () => {
      const secret = createAzureCredential(
        connectionFor('ServicePrincipal', {
          tenantid: emu.tenantId,
          serviceprincipalid: emu.clientId,
          authenticationType: 'spnKey',
          serviceprincipalkey: emu.clientSecret,
        }),
        {},
        { tlsOptions: tls },
      );
      assert.deepEqual(secret.secrets, [emu.clientSecret]);
      assert.equal(await listWith(secret.credential), 0);
      const cert = emu.identity.addCertificate(emu.clientId);
      const pem = cert.certPem + cert.keyPem;
      const byCert = createAzureCredential(
        connectionFor('serviceprincipal', {
          TENANTID: emu.tenantId,
          SERVICEPRINCIPALID: emu.clientId,
          AUTHENTICATIONTYPE: 'spnCertificate',
          SERVICEPRINCIPALCERTIFICATE: pem,
        }),
        {},
        { tlsOptions: tls },
      );
      assert.equal(byCert.flow, 'ServicePrincipalCertificate');
      assert.equal(byCert.secrets[0], pem);
      const keyLines = cert.keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
      for (const line of keyLines.filter((l) => l.length >= 16)) assert.ok(byCert.secrets.includes(line));
      assert.equal(await listWith(byCert.credential), 0);
      assert.deepEqual(
        emu.identity.issued.map((i) => i.via),
        ['client_secret', 'client_certificate'],
      );
    });

    it('ManagedServiceIdentity with msiclientId', async () => {
      const user = emu.identity.addManagedIdentity({});
      const c = createAzureCredential(
        connectionFor('ManagedServiceIdentity', { tenantid: emu.tenantId }, { msiclientId: user.clientId }),
        {},
        { tlsOptions: tls },
      );
      assert.equal(c.flow, 'ManagedIdentity');
      await withEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: emu.imdsUrl }, async () => assert.equal(await listWith(c.credential), 0));
      assert.equal(emu.identity.issued.at(-1)!.clientId, user.clientId);
    });
  });

  it('a child process trusts the emulator through NODE_EXTRA_CA_CERTS alone (no tlsOptions)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-child-'));
    const script = path.join(dir, 'child.js');
    fs.writeFileSync(
      script,
      `const { ClientSecretCredential } = require(${JSON.stringify(require.resolve('@azure/identity'))});
       const { SourceControlConfigurationClient } = require(${JSON.stringify(require.resolve('@azure/arm-kubernetesconfiguration'))});
       (async () => {
         const e = JSON.parse(process.env.EMU);
         const cred = new ClientSecretCredential(e.tenantId, e.clientId, e.clientSecret, { authorityHost: e.tokenUrl, disableInstanceDiscovery: true });
         const client = new SourceControlConfigurationClient(cred, e.subscriptionId, { endpoint: e.armUrl });
         let n = 0;
         for await (const _ of client.fluxConfigurations.list(e.resourceGroup, 'Microsoft.Kubernetes', 'connectedClusters', 'arc-a')) n++;
         console.log('listed', n);
       })().catch((err) => { console.error(err.message); process.exit(1); });`,
    );
    try {
      const run = (extraCa: boolean) =>
        new Promise<{ code: number; out: string }>((resolve) => {
          const env: NodeJS.ProcessEnv = { ...process.env, EMU: JSON.stringify(emu.info) };
          if (extraCa) env.NODE_EXTRA_CA_CERTS = emu.caCertFile;
          else delete env.NODE_EXTRA_CA_CERTS;
          execFile(process.execPath, [script], { env, timeout: 30_000 }, (error, stdout, stderr) =>
            resolve({ code: error ? 1 : 0, out: String(stdout) + String(stderr) }),
          );
        });
      const trusted = await run(true);
      assert.equal(trusted.code, 0, trusted.out);
      assert.match(trusted.out, /listed 0/);
      // without the CA the TLS handshake fails: MSAL reports endpoints_resolution_error, no HTTP request arrives
      const before = emu.requests.length;
      const untrusted = await run(false);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.out, /endpoints_resolution_error|certificate/i);
      assert.equal(emu.requests.length, before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
