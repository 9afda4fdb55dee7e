import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ClientSecretCredential } from '@azure/identity';
import { FluxConfiguration, SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { createTestRepo, sampleGitOpsFiles, TestRepo } from '../../emulators/flux/test-repo';

const RP = 'Microsoft.Kubernetes';
const CC = 'connectedClusters';

describe('ARM emulator: fluxConfigurations through the real @azure/arm-kubernetesconfiguration client', function () {
  this.timeout(60_000);
  let emu: ArmEmulator;
  let repo: TestRepo & { first: string };
  let client: SourceControlConfigurationClient;
  let credential: ClientSecretCredential;
  const clientFor = (options: Record<string, unknown> = {}) =>
    new SourceControlConfigurationClient(credential, emu.subscriptionId, {
      endpoint: emu.armUrl,
      tlsOptions: { ca: emu.caCertPem },
      retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
      ...options,
    });
  const body = (branch = 'main'): FluxConfiguration => ({
    scope: 'cluster',
    namespace: 'flux-system',
    sourceKind: 'GitRepository',
    gitRepository: { url: repo.url, repositoryRef: { branch }, syncIntervalInSeconds: 600 },
    kustomizations: { clusters: { path: './clusters/arc-nonprod', prune: true } },
    configurationProtectedSettings: { httpsKey: Buffer.from('secret-pat').toString('base64') },
  });

  before(async () => {
    repo = await createTestRepo(sampleGitOpsFiles());
    emu = await startArmEmulator({
      gitopsRepositoryUrl: repo.url,
      clusters: [
        { name: 'arc-nonprod', type: 'connectedClusters' },
        { name: 'aks-prod', type: 'managedClusters' },
      ],
      arm: { pageSize: 2, lroPolls: 1 },
    });
    credential = new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, {
      authorityHost: emu.tokenUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caCertPem },
    });
    client = clientFor();
  });
  after(async () => {
    await emu.stop();
    repo.remove();
  });
  beforeEach(() => {
    emu.faults.clear();
    emu.admin.clearDenials();
    emu.requests.length = 0;
  });

  it('seeds cluster-config on both cluster types and reports the synced commit the way Flux on Arc does', async () => {
    await emu.flux.reconcileNow('arc-nonprod', 'cluster-config');
    await emu.flux.reconcileNow('aks-prod', 'cluster-config');
    const arc = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config');
    const aks = await client.fluxConfigurations.get(emu.resourceGroup, 'Microsoft.ContainerService', 'managedClusters', 'aks-prod', 'cluster-config');
    assert.equal(arc.sourceSyncedCommitId, `main@sha1:${repo.first}`);
    assert.equal(arc.complianceState, 'Compliant');
    assert.equal(arc.provisioningState, 'Succeeded');
    assert.ok(arc.sourceUpdatedAt instanceof Date && arc.statusUpdatedAt instanceof Date);
    assert.deepEqual(
      arc.statuses!.map((s) => [s!.kind, s!.namespace, s!.name, s!.complianceState, s!.appliedBy?.name ?? null]),
      [
        ['GitRepository', 'flux-system', 'cluster-config', 'Compliant', null],
        ['Kustomization', 'flux-system', 'cluster-config-clusters', 'Compliant', null],
        ['Namespace', '', 'voting-dev', 'Compliant', 'cluster-config-clusters'],
        ['Kustomization', 'flux-system', 'voting-app-dev', 'Compliant', 'cluster-config-clusters'],
        ['Deployment', 'voting-dev', 'web', 'Compliant', 'voting-app-dev'],
        ['Service', 'voting-dev', 'web', 'Compliant', 'voting-app-dev'],
      ],
    );
    const ready = arc.statuses!.find((s) => s!.name === 'voting-app-dev')!.statusConditions![0];
    assert.deepEqual(
      [ready.type, ready.status, ready.reason, ready.message],
      ['Ready', 'True', 'ReconciliationSucceeded', arc.sourceSyncedCommitId && `Applied revision: ${arc.sourceSyncedCommitId}`],
    );
    // AKS: the path of the seeded config is its own cluster folder, absent from this repository
    assert.equal(aks.complianceState, 'Non-Compliant');
    assert.match(aks.statuses!.find((s) => s!.kind === 'Kustomization')!.statusConditions![0].message!, /kustomization path not found/);
    // ARM's read budget header on every GET
    assert.ok(emu.requests.every((r) => r.route !== 'flux.get' || r.status === 200));
  });

  it('start contract: info is the JSON-safe set of fields npm run emulators prints', () => {
    // What `npm run emulators` prints: the info object through JSON.
    interface PrintedCluster {
      name: string;
      type: string;
      fluxConfigurations: string[];
      resourceId: string;
    }
    interface PrintedInfo {
      armUrl: string;
      tokenUrl: string;
      armAdminUrl: string;
      caCertFile: string;
      subscriptionId: string;
      resourceGroup: string;
      clusters: PrintedCluster[];
    }
    const info = JSON.parse(JSON.stringify(emu.info)) as PrintedInfo;
    assert.deepEqual(Object.keys(info).sort(), [
      'appsUrl',
      'armAdminUrl',
      'armUrl',
      'caCertFile',
      'clientId',
      'clientSecret',
      'clusters',
      'imdsUrl',
      'resourceGroup',
      'subscriptionId',
      'tenantId',
      'tokenUrl',
    ]);
    assert.match(info.armUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.tokenUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.armAdminUrl, /^http:\/\/127\.0\.0\.1:\d+\/_admin$/);
    assert.match((JSON.parse(JSON.stringify(emu.info)) as { appsUrl: string }).appsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(fs.readFileSync(info.caCertFile, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    assert.deepEqual(
      info.clusters.map((c) => [c.name, c.type, c.fluxConfigurations]),
      [
        ['arc-nonprod', 'connectedClusters', ['cluster-config']],
        ['aks-prod', 'managedClusters', ['cluster-config']],
      ],
    );
    assert.equal(
      info.clusters[1].resourceId,
      `/subscriptions/${info.subscriptionId}/resourceGroups/${info.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    );
  });

  it('PUT creates (201 + Azure-AsyncOperation, polled to Succeeded), GET never returns configurationProtectedSettings', async () => {
    const created = await client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'app-config', body(), {
      updateIntervalInMs: 5,
    });
    assert.equal(created.provisioningState, 'Succeeded');
    assert.equal(created.configurationProtectedSettings, undefined);
    assert.deepEqual(
      emu.requests.filter((r) => r.server === 'arm').map((r) => [r.method, r.route, r.status]),
      [
        ['PUT', 'flux.put', 201],
        ['GET', 'flux.operation', 200],
        ['GET', 'flux.operation', 200],
        ['GET', 'flux.get', 200],
      ],
    );
    const got = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'app-config');
    assert.equal(got.configurationProtectedSettings, undefined);
    assert.equal(got.kustomizations!.clusters!.name, 'clusters');
    assert.equal(got.kustomizations!.clusters!.wait, true);
    assert.equal(got.gitRepository!.timeoutInSeconds, 600);
    // the same PUT again is an update: 200
    emu.requests.length = 0;
    await client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'app-config', body(), { updateIntervalInMs: 5 });
    assert.equal(emu.requests[0].status, 200);
  });

  it('list follows nextLink across pages', async () => {
    for (const name of ['list-a', 'list-b', 'list-c']) emu.admin.addFluxConfiguration('arc-nonprod', name, body() as Record<string, unknown>);
    const names: string[] = [];
    for await (const c of client.fluxConfigurations.list(emu.resourceGroup, RP, CC, 'arc-nonprod')) names.push(c.name!);
    assert.deepEqual(names, [...names].sort());
    for (const n of ['cluster-config', 'list-a', 'list-b', 'list-c']) assert.ok(names.includes(n), n);
    const pages = emu.requests.filter((r) => r.route === 'flux.list');
    assert.equal(pages.length, Math.ceil(names.length / 2));
    assert.equal(pages[1].query.$skipToken, '2');
  });

  it('PATCH (202) merges, a kustomization set to null is removed; suspend shows as Suspended', async () => {
    emu.admin.addFluxConfiguration('arc-nonprod', 'patch-me', { ...body(), kustomizations: { a: { path: './apps/dev' }, b: { path: './apps/dev' } } });
    const patched = await client.fluxConfigurations.beginUpdateAndWait(
      emu.resourceGroup,
      RP,
      CC,
      'arc-nonprod',
      'patch-me',
      { suspend: true, kustomizations: { b: null as never, a: { prune: true } } },
      { updateIntervalInMs: 5 },
    );
    assert.equal(emu.requests.find((r) => r.route === 'flux.patch')!.status, 202);
    assert.deepEqual(Object.keys(patched.kustomizations!), ['a']);
    assert.equal(patched.kustomizations!.a!.prune, true);
    assert.equal(patched.kustomizations!.a!.path, './apps/dev');
    assert.equal(patched.suspend, true);
    assert.equal(patched.complianceState, 'Suspended');
  });

  it('DELETE: 202 with an operation, then 404; deleting again is 204', async () => {
    emu.admin.addFluxConfiguration('arc-nonprod', 'delete-me', body() as Record<string, unknown>);
    await client.fluxConfigurations.beginDeleteAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-me', { updateIntervalInMs: 5 });
    assert.deepEqual(
      emu.requests.filter((r) => r.server === 'arm').map((r) => r.status),
      [202, 200, 200],
    );
    await assert.rejects(
      client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-me'),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 404 && e.code === 'ResourceNotFound',
    );
    emu.requests.length = 0;
    await client.fluxConfigurations.beginDeleteAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-me', { updateIntervalInMs: 5 });
    assert.deepEqual(
      emu.requests.map((r) => r.status),
      [204],
    );
  });

  it('api-version 2025-04-01 is served; others are 400 NoRegisteredProviderFound', async () => {
    const newer = clientFor({ apiVersion: '2025-04-01' });
    const got = await newer.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config');
    assert.equal(got.name, 'cluster-config');
    assert.equal(emu.requests.at(-1)!.query['api-version'], '2025-04-01');
    await assert.rejects(
      clientFor({ apiVersion: '2020-01-01' }).fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config'),
      (e: { statusCode?: number; code?: string }) => e.statusCode === 400 && e.code === 'NoRegisteredProviderFound',
    );
  });

  it('ARM error bodies: 404 for cluster, group and subscription; 400 on a bad body; 401 without a valid token; 403 when denied', async () => {
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'ok';
      } catch (e) {
        return `${(e as { statusCode?: number }).statusCode} ${(e as { code?: string }).code}`;
      }
    };
    assert.equal(await code(client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'nope', 'cluster-config')), '404 ResourceNotFound');
    assert.equal(await code(client.fluxConfigurations.get('rg-nope', RP, CC, 'arc-nonprod', 'cluster-config')), '404 ResourceGroupNotFound');
    assert.equal(
      await code(clientFor().fluxConfigurations.get(emu.resourceGroup, 'Microsoft.ContainerService', 'managedClusters', 'arc-nonprod', 'cluster-config')),
      '404 ResourceNotFound',
    );
    const otherSub = new SourceControlConfigurationClient(credential, '11111111-1111-1111-1111-111111111111', {
      endpoint: emu.armUrl,
      tlsOptions: { ca: emu.caCertPem },
    });
    assert.equal(await code(otherSub.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config')), '404 SubscriptionNotFound');
    const bad = { ...body(), gitRepository: { repositoryRef: { branch: 'main' } } };
    assert.equal(
      await code(client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'bad', bad, { updateIntervalInMs: 5 })),
      '400 BadRequest',
    );
    const noToken = new SourceControlConfigurationClient(
      { getToken: () => Promise.resolve({ token: 'forged.token.value', expiresOnTimestamp: Date.now() + 3600_000 }) },
      emu.subscriptionId,
      { endpoint: emu.armUrl, tlsOptions: { ca: emu.caCertPem } },
    );
    assert.equal(await code(noToken.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config')), '401 InvalidAuthenticationToken');
    emu.admin.deny({ clientId: emu.clientId, scope: '/connectedClusters/arc-nonprod/', action: 'read' });
    assert.equal(await code(client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config')), '403 AuthorizationFailed');
  });

  it('throttling header and faults: 429 with Retry-After and 503/500 are retried by the SDK; 429 without Retry-After is not; resets are retried', async () => {
    await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config', {
      onResponse: (r) => assert.match(r.headers.get('x-ms-ratelimit-remaining-subscription-reads') ?? '', /^\d+$/),
    });
    const get = () => client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config');
    emu.requests.length = 0;
    emu.faults.add({ route: 'flux.get', cluster: 'arc-nonprod', count: 1, status: 429, retryAfterSeconds: 0 });
    emu.faults.add({ route: 'flux.get', count: 1, status: 503 });
    emu.faults.add({ route: 'flux.get', count: 1, status: 500 });
    await get();
    assert.deepEqual(
      emu.requests.map((r) => r.status),
      [429, 503, 500, 200],
    );

    emu.requests.length = 0;
    emu.faults.add({ route: 'flux.get', count: 1, status: 429 });
    await assert.rejects(get(), (e: { statusCode?: number }) => e.statusCode === 429);
    assert.equal(emu.requests.length, 1);

    emu.requests.length = 0;
    emu.faults.add({ route: 'flux.get', count: 2, reset: true });
    await get();
    assert.deepEqual(
      emu.requests.map((r) => r.fault ?? r.status),
      ['reset', 'reset', 200],
    );

    emu.requests.length = 0;
    emu.faults.add({ route: 'flux.get', count: 1, delayMs: 150 });
    const t = Date.now();
    await get();
    assert.ok(Date.now() - t >= 150);
  });

  it('the read bucket runs out: 429 SubscriptionRequestsThrottled with Retry-After, remaining reads counting down', async () => {
    emu.arm.setRateLimit('read', { capacity: 3, refillPerSecond: 0.5 });
    const noRetry = clientFor({ retryOptions: { maxRetries: 0 } });
    const remaining: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        await noRetry.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config', {
          onResponse: (r) => remaining.push(r.headers.get('x-ms-ratelimit-remaining-subscription-reads')!),
        });
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      await assert.rejects(
        noRetry.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config'),
        (e: { statusCode?: number; code?: string; response?: { headers: { get(n: string): string | undefined } } }) =>
          e.statusCode === 429 && e.code === 'SubscriptionRequestsThrottled' && Number(e.response!.headers.get('retry-after')) >= 1,
      );
    } finally {
      emu.arm.setRateLimit('read', { capacity: 250, refillPerSecond: 25 });
    }
  });
});
