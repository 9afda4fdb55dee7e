import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { FluxConfiguration, SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration';
import { ArmAccess, ClusterRef, createFluxConfigurationReader, waitForReconciliation, WaitRequest } from '../../../shared/azure/wait';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { createTestRepo, sampleGitOpsFiles, TestRepo } from '../../emulators/flux/test-repo';

const RP = 'Microsoft.Kubernetes';
const CC = 'connectedClusters';

describe('ARM emulator: failed long-running operations and source kinds, through the real SDK and waitForReconciliation', function () {
  this.timeout(60_000);
  let emu: ArmEmulator;
  let repo: TestRepo & { first: string };
  let other: TestRepo & { first: string };
  let client: SourceControlConfigurationClient;
  let access: ArmAccess;
  let arc: ClusterRef;
  let ancestryAsked: string[];

  const body = (
    kustomizations: FluxConfiguration['kustomizations'] = { clusters: { path: './clusters/arc-nonprod', prune: true } },
    extra: Partial<FluxConfiguration> = {},
  ): FluxConfiguration => ({
    scope: 'cluster',
    namespace: 'flux-system',
    sourceKind: 'GitRepository',
    gitRepository: { url: repo.url, repositoryRef: { branch: 'main' } },
    kustomizations,
    ...extra,
  });
  const request = (name: string, extra: Partial<WaitRequest> = {}): WaitRequest => ({
    clusters: [arc],
    fluxConfigurationName: name,
    targetCommit: repo.first,
    isAncestor: async (a, d) => {
      ancestryAsked.push(d);
      return repo.isAncestor(a, d);
    },
    timeoutMs: 10_000,
    poll: { initialMs: 40, maxMs: 200 },
    ...extra,
  });
  const armTraffic = () => emu.requests.filter((r) => r.server === 'arm').map((r) => [r.method, r.route, r.status]);
  const operationId = () =>
    emu.requests
      .find((r) => r.route === 'flux.operation')!
      .path.split('/')
      .at(-1)!;
  const rejectsWith = (p: Promise<unknown>, message: string) =>
    assert.rejects(p, (e: Error) => {
      assert.equal(e.message, message);
      return true;
    });

  before(async () => {
    repo = await createTestRepo(sampleGitOpsFiles());
    other = await createTestRepo(sampleGitOpsFiles());
    emu = await startArmEmulator({
      gitopsRepositoryUrl: repo.url,
      clusters: [
        { name: 'arc-nonprod', type: 'connectedClusters' },
        { name: 'aks-prod', type: 'managedClusters' },
      ],
      kustomizations: { clusters: { path: './clusters/arc-nonprod', prune: true } },
      syncIntervalMs: 3_600_000,
      arm: { lroPolls: 1 },
    });
    const credential = new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, {
      authorityHost: emu.tokenUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caCertPem },
    });
    client = new SourceControlConfigurationClient(credential, emu.subscriptionId, {
      endpoint: emu.armUrl,
      tlsOptions: { ca: emu.caCertPem },
      retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    });
    access = {
      credential,
      subscriptionId: emu.subscriptionId,
      armUrl: emu.armUrl,
      clientOptions: { tlsOptions: { ca: emu.caCertPem }, retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } },
    };
    arc = { resourceGroup: emu.resourceGroup, clusterType: 'connectedClusters', clusterName: 'arc-nonprod' };
    await emu.flux.reconcileNow('arc-nonprod', 'cluster-config');
  });
  after(async () => {
    await emu.stop();
    repo.remove();
    other.remove();
  });
  beforeEach(() => {
    emu.requests.length = 0;
    ancestryAsked = [];
  });

  describe('long-running operations that fail', () => {
    it('create: an explicit failure ends the operation Failed with its error; the SDK rejects with it; the resource stays with provisioningState Failed', async () => {
      const message = "The 'microsoft.flux' extension is not installed on cluster 'arc-nonprod'.";
      emu.admin.setProvisioning('arc-nonprod', { failure: { code: 'ExtensionNotInstalled', message } }, 'no-extension');
      await rejectsWith(
        client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'no-extension', body(), { updateIntervalInMs: 5 }),
        `The long-running operation has failed. ExtensionNotInstalled. ${message}`,
      );
      // polled once InProgress, then Failed; no final GET after a failure
      assert.deepEqual(armTraffic(), [
        ['PUT', 'flux.put', 201],
        ['GET', 'flux.operation', 200],
        ['GET', 'flux.operation', 200],
      ]);
      const id = operationId();
      const op = await client.fluxConfigOperationStatus.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'no-extension', id);
      assert.deepEqual([op.name, op.status, op.error?.code, op.error?.message], [id, 'Failed', 'ExtensionNotInstalled', message]);
      assert.equal(
        op.id,
        `/subscriptions/${emu.subscriptionId}/resourceGroups/${emu.resourceGroup}/providers/Microsoft.Kubernetes/connectedClusters/arc-nonprod/providers/Microsoft.KubernetesConfiguration/fluxConfigurations/no-extension/operations/${id}`,
      );
      const got = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'no-extension');
      assert.deepEqual([got.provisioningState, got.errorMessage, got.complianceState, got.statuses], ['Failed', message, 'Unknown', []]);

      // waitForReconciliation says so at the first read
      const result = await waitForReconciliation(request('no-extension'), access);
      assert.equal(result.outcomes[0].state, 'failed');
      assert.equal(result.outcomes[0].requests, 1);
      assert.equal(result.outcomes[0].last!.phase, 'provisioning-failed');
      assert.equal(
        result.outcomes[0].message,
        `Flux configuration "no-extension" on rg-gitops/arc-nonprod (connectedClusters): provisioningState is Failed: ${message.slice(0, -1)}; it will not reconcile ${repo.first.slice(0, 12)}`,
      );
      assert.equal(result.message.split('\n')[0], `Flux configuration no-extension failed to reconcile ${repo.first.slice(0, 12)} on rg-gitops/arc-nonprod`);

      // cleared: the same PUT is an update that succeeds and clears errorMessage
      emu.admin.setProvisioning('arc-nonprod', { failure: null }, 'no-extension');
      const fixed = await client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'no-extension', body(), {
        updateIntervalInMs: 5,
      });
      assert.deepEqual([fixed.provisioningState, fixed.errorMessage], ['Succeeded', '']);
      assert.ok((await waitForReconciliation(request('no-extension'), access)).ok);
    });

    it('create with waitForReconciliation: a kustomization path that does not exist fails the operation with what Flux reports', async () => {
      const bad = body({ apps: { path: './clusters/nope' } }, { waitForReconciliation: true, reconciliationWaitDuration: 'PT5M' });
      const flux =
        "Flux configuration 'bad-path' failed to reconcile: Kustomization flux-system/bad-path-apps: kustomization path not found: stat /clusters/nope: no such file or directory";
      await rejectsWith(
        client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'bad-path', bad, { updateIntervalInMs: 5 }),
        `The long-running operation has failed. ReconciliationFailed. ${flux}`,
      );
      const got = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'bad-path');
      assert.deepEqual([got.provisioningState, got.errorMessage, got.complianceState, got.waitForReconciliation], ['Failed', flux, 'Non-Compliant', true]);
      const result = await waitForReconciliation(request('bad-path'), access);
      assert.equal(
        result.outcomes[0].message,
        `Flux configuration "bad-path" on rg-gitops/arc-nonprod (connectedClusters): provisioningState is Failed: ${flux}; it will not reconcile ${repo.first.slice(0, 12)}`,
      );
      assert.deepEqual(ancestryAsked, []);

      // fixing the path in place (PATCH) provisions it
      const fixed = await client.fluxConfigurations.beginUpdateAndWait(
        emu.resourceGroup,
        RP,
        CC,
        'arc-nonprod',
        'bad-path',
        { kustomizations: { apps: { path: './clusters/arc-nonprod' } } },
        { updateIntervalInMs: 5 },
      );
      assert.deepEqual([fixed.provisioningState, fixed.errorMessage, fixed.complianceState], ['Succeeded', '', 'Compliant']);

      // without waitForReconciliation the same path provisions; Flux then reports Non-Compliant
      const accepted = await client.fluxConfigurations.beginCreateOrUpdateAndWait(
        emu.resourceGroup,
        RP,
        CC,
        'arc-nonprod',
        'bad-path-2',
        body({ apps: { path: './clusters/nope' } }),
        { updateIntervalInMs: 5 },
      );
      assert.equal(accepted.provisioningState, 'Succeeded');
      // and the scenario can turn the check off even when the configuration asks for it
      emu.admin.setProvisioning('arc-nonprod', { check: 'never' }, 'bad-path-3');
      const unchecked = await client.fluxConfigurations.beginCreateOrUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'bad-path-3', bad, {
        updateIntervalInMs: 5,
      });
      assert.equal(unchecked.provisioningState, 'Succeeded');
    });

    it("check 'always': a source that cannot be fetched fails the create (GitOperationFailed) whatever the configuration says", async () => {
      const missing = path.join(os.tmpdir(), 'gitops-flow-no-such-repository.git');
      emu.admin.setProvisioning('aks-prod', { check: 'always' });
      try {
        const flux =
          `Flux configuration 'no-source' failed to reconcile: GitRepository flux-system/no-source: ` +
          `failed to checkout and determine revision: unable to clone '${missing}': fatal: '${missing}' does not appear to be a git repository`;
        await rejectsWith(
          client.fluxConfigurations.beginCreateOrUpdateAndWait(
            emu.resourceGroup,
            'Microsoft.ContainerService',
            'managedClusters',
            'aks-prod',
            'no-source',
            { ...body(), gitRepository: { url: missing, repositoryRef: { branch: 'main' } } },
            { updateIntervalInMs: 5 },
          ),
          `The long-running operation has failed. GitOperationFailed. ${flux}`,
        );
        const got = await client.fluxConfigurations.get(emu.resourceGroup, 'Microsoft.ContainerService', 'managedClusters', 'aks-prod', 'no-source');
        assert.deepEqual([got.provisioningState, got.errorMessage], ['Failed', flux]);
        // a good configuration passes the same check
        const good = await client.fluxConfigurations.beginCreateOrUpdateAndWait(
          emu.resourceGroup,
          'Microsoft.ContainerService',
          'managedClusters',
          'aks-prod',
          'good-source',
          body(),
          { updateIntervalInMs: 5 },
        );
        assert.deepEqual([good.provisioningState, good.complianceState, good.sourceSyncedCommitId], ['Succeeded', 'Compliant', `main@sha1:${repo.first}`]);
      } finally {
        emu.admin.setProvisioning('aks-prod', { check: 'auto' });
      }
    });

    it('update: a failed PATCH shows the requested spec with provisioningState Failed while Flux keeps the previous one; the retry succeeds', async () => {
      emu.admin.addFluxConfiguration('arc-nonprod', 'patch-fail', body() as Record<string, unknown>);
      await emu.flux.reconcileNow('arc-nonprod', 'patch-fail');
      emu.admin.setProvisioning(
        'arc-nonprod',
        {
          failure: { code: 'FluxConfigurationAgentTimeout', message: 'The flux configuration agent did not answer in time.', operations: ['update'], times: 1 },
        },
        'patch-fail',
      );
      const patch = { kustomizations: { clusters: { path: './apps/dev' } } };
      await rejectsWith(
        client.fluxConfigurations.beginUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'patch-fail', patch, { updateIntervalInMs: 5 }),
        'The long-running operation has failed. FluxConfigurationAgentTimeout. The flux configuration agent did not answer in time.',
      );
      assert.deepEqual(armTraffic()[0], ['PATCH', 'flux.patch', 202]);
      const got = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'patch-fail');
      assert.deepEqual(
        [got.provisioningState, got.errorMessage, got.kustomizations!.clusters!.path],
        ['Failed', 'The flux configuration agent did not answer in time.', './apps/dev'],
      );
      // Flux still runs the old path (its nested Kustomization voting-app-dev is still there)
      assert.ok((await emu.flux.reconcileNow('arc-nonprod', 'patch-fail')).statuses.some((s) => s.name === 'voting-app-dev'));
      const retried = await client.fluxConfigurations.beginUpdateAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'patch-fail', patch, {
        updateIntervalInMs: 5,
      });
      assert.deepEqual([retried.provisioningState, retried.errorMessage], ['Succeeded', '']);
      assert.ok(!(await emu.flux.reconcileNow('arc-nonprod', 'patch-fail')).statuses.some((s) => s.name === 'voting-app-dev'));
    });

    it('delete: a failed DELETE leaves the configuration with provisioningState Failed; forceDelete=true removes it', async () => {
      emu.admin.addFluxConfiguration('arc-nonprod', 'delete-fail', body() as Record<string, unknown>);
      const message = 'Deletion of the flux configuration timed out on the cluster: the agent is not connected.';
      emu.admin.setProvisioning('arc-nonprod', { failure: { code: 'FluxConfigurationDeleteFailed', message, operations: ['delete'] } }, 'delete-fail');
      await rejectsWith(
        client.fluxConfigurations.beginDeleteAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-fail', { updateIntervalInMs: 5 }),
        `The long-running operation has failed. FluxConfigurationDeleteFailed. ${message}`,
      );
      assert.deepEqual(armTraffic(), [
        ['DELETE', 'flux.delete', 202],
        ['GET', 'flux.operation', 200],
        ['GET', 'flux.operation', 200],
      ]);
      const got = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-fail');
      assert.deepEqual([got.provisioningState, got.errorMessage], ['Failed', message]);
      emu.requests.length = 0;
      await client.fluxConfigurations.beginDeleteAndWait(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-fail', { forceDelete: true, updateIntervalInMs: 5 });
      assert.equal(emu.requests[0].query.forceDelete, 'true');
      await assert.rejects(
        client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'delete-fail'),
        (e: { statusCode?: number }) => e.statusCode === 404,
      );
    });
  });

  describe('sources that can never show the commit', () => {
    it('Bucket and AzureBlob: created (PUT) or seeded, synced as a digest; the wait fails at the first read naming cluster, configuration and sourceKind', async () => {
      // the body of the source kind is required (ARM's own message)
      await assert.rejects(
        client.fluxConfigurations.beginCreateOrUpdateAndWait(
          emu.resourceGroup,
          RP,
          CC,
          'arc-nonprod',
          'no-body',
          { ...body(), sourceKind: 'Bucket', gitRepository: undefined },
          { updateIntervalInMs: 5 },
        ),
        (e: { statusCode?: number; code?: string; message?: string }) =>
          e.statusCode === 400 &&
          e.code === 'ValidationFailed' &&
          e.message === "Invalid source kind match. Config with specified source kind 'Bucket' must contain corresponding body specified in the properties.",
      );
      const blob = await client.fluxConfigurations.beginCreateOrUpdateAndWait(
        emu.resourceGroup,
        RP,
        CC,
        'arc-nonprod',
        'blob-config',
        {
          scope: 'cluster',
          namespace: 'flux-system',
          sourceKind: 'AzureBlob',
          azureBlob: {
            url: 'https://contoso.blob.core.windows.net',
            containerName: 'gitops',
            accountKey: 'c2VjcmV0LWtleQ==',
            servicePrincipal: { clientId: 'app', tenantId: 'tenant', clientSecret: 'sp-secret' },
          },
          kustomizations: { apps: { path: './apps' } },
        },
        { updateIntervalInMs: 5 },
      );
      assert.equal(blob.provisioningState, 'Succeeded');
      // accountKey and the service principal's secret are never returned (x-ms-secret)
      assert.deepEqual(blob.azureBlob, {
        url: 'https://contoso.blob.core.windows.net',
        containerName: 'gitops',
        timeoutInSeconds: 600,
        syncIntervalInSeconds: 600,
        servicePrincipal: { clientId: 'app', tenantId: 'tenant', clientCertificateSendChain: false },
      });
      emu.admin.addFluxConfiguration('arc-nonprod', 'bucket-config', {
        namespace: 'flux-system',
        sourceKind: 'Bucket',
        bucket: { url: 'https://minio.contoso.local', bucketName: 'flux' },
        kustomizations: { apps: { path: './apps' } },
      });
      emu.flux.setScenario('arc-nonprod', { revisionFormat: 'legacy' }, 'bucket-config'); // older Flux: a bare digest, sha-like
      const bucketReport = await emu.flux.reconcileNow('arc-nonprod', 'bucket-config');
      assert.match(bucketReport.sourceSyncedCommitId!, /^[0-9a-f]{64}$/);
      assert.match((await emu.flux.reconcileNow('arc-nonprod', 'blob-config')).sourceSyncedCommitId!, /^sha256:[0-9a-f]{64}$/);
      const bucket = await client.fluxConfigurations.get(emu.resourceGroup, RP, CC, 'arc-nonprod', 'bucket-config');
      assert.deepEqual(
        [bucket.sourceKind, bucket.complianceState, bucket.statuses!.map((s) => `${s!.kind}/${s!.name}`)],
        ['Bucket', 'Compliant', ['Bucket/bucket-config', 'Kustomization/bucket-config-apps']],
      );

      const sha = repo.first.slice(0, 12);
      const needsGit = `what it syncs is an artifact, not a commit of the GitOps repository, so it cannot show that ${sha} is deployed; promotion through Azure Repos needs a GitRepository source`;
      const forBucket = await waitForReconciliation(request('bucket-config'), access);
      assert.equal(forBucket.outcomes[0].requests, 1);
      assert.equal(forBucket.outcomes[0].last!.phase, 'unsupported-source');
      assert.equal(
        forBucket.outcomes[0].message,
        `Flux configuration "bucket-config" on rg-gitops/arc-nonprod (connectedClusters): sourceKind is Bucket (bucket "flux" at https://minio.contoso.local), not GitRepository: ${needsGit}`,
      );
      const forBlob = await waitForReconciliation(request('blob-config'), access);
      assert.equal(
        forBlob.outcomes[0].message,
        `Flux configuration "blob-config" on rg-gitops/arc-nonprod (connectedClusters): sourceKind is AzureBlob (container "gitops" at https://contoso.blob.core.windows.net), not GitRepository: ${needsGit}`,
      );
      // the digest was never taken for a commit
      assert.deepEqual(ancestryAsked, []);
    });

    it('expectedSource: a configuration on another repository or branch fails at once; the same repository in another URL form waits as usual', async () => {
      const sha = repo.first.slice(0, 12);
      emu.admin.addFluxConfiguration('arc-nonprod', 'other-repo', {
        namespace: 'flux-system',
        gitRepository: { url: other.url, repositoryRef: { branch: 'main' } },
        kustomizations: { clusters: { path: './clusters/arc-nonprod' } },
      });
      emu.admin.addFluxConfiguration('arc-nonprod', 'other-branch', {
        namespace: 'flux-system',
        gitRepository: { url: repo.url, repositoryRef: { branch: 'release' } },
        kustomizations: { clusters: { path: './clusters/arc-nonprod' } },
      });
      const expectedSource = { url: `file://${repo.url}/`, branch: 'refs/heads/main' };
      const otherRepo = await waitForReconciliation(request('other-repo', { expectedSource }), access);
      assert.equal(otherRepo.outcomes[0].requests, 1);
      assert.equal(otherRepo.outcomes[0].last!.phase, 'source-mismatch');
      assert.equal(
        otherRepo.outcomes[0].message,
        `Flux configuration "other-repo" on rg-gitops/arc-nonprod (connectedClusters): syncs ${other.url}, not file://${repo.url}/ where ${sha} was committed: it will never show that commit`,
      );
      const otherBranch = await waitForReconciliation(request('other-branch', { expectedSource }), access);
      assert.equal(
        otherBranch.outcomes[0].message,
        `Flux configuration "other-branch" on rg-gitops/arc-nonprod (connectedClusters): syncs branch "release" of ${repo.url}, not branch "main" where ${sha} was committed: it will never show that commit`,
      );
      const ours = await waitForReconciliation(request('cluster-config', { expectedSource }), access);
      assert.equal(ours.ok, true, ours.message);

      // Azure Repos URLs: seeded without syncing (no network), compared by organization/project/repository
      for (const [name, url] of [
        ['fleet-other', 'https://dev.azure.com/contoso/fleet/_git/other'],
        ['fleet-same', 'https://contoso.visualstudio.com/DefaultCollection/Fleet/_git/GitOps.git'],
      ]) {
        emu.flux.setScenario('aks-prod', { stalled: true }, name);
        emu.admin.addFluxConfiguration('aks-prod', name, {
          namespace: 'flux-system',
          gitRepository: { url, repositoryRef: { branch: 'main' } },
          kustomizations: { clusters: { path: './clusters/aks-prod' } },
        });
      }
      const aks: ClusterRef = { resourceGroup: emu.resourceGroup, clusterType: 'managedClusters', clusterName: 'aks-prod' };
      const azureRepos = { url: 'https://contoso@dev.azure.com/contoso/fleet/_git/gitops', branch: 'main' };
      const fleetOther = await waitForReconciliation(request('fleet-other', { clusters: [aks], expectedSource: azureRepos }), access);
      assert.equal(
        fleetOther.outcomes[0].message,
        `Flux configuration "fleet-other" on rg-gitops/aks-prod (managedClusters): syncs https://dev.azure.com/contoso/fleet/_git/other, not https://dev.azure.com/contoso/fleet/_git/gitops where ${sha} was committed: it will never show that commit`,
      );
      // Its deadline passes once the first read has answered (a real 300 ms could pass before it on a loaded machine).
      const read = createFluxConfigurationReader(access);
      let skewMs = 0;
      const fleetSame = await waitForReconciliation(
        request('fleet-same', { clusters: [aks], expectedSource: azureRepos, now: () => Date.now() + skewMs }),
        (cluster, name, options) => read(cluster, name, options).finally(() => (skewMs = 10_000)),
      );
      assert.equal(fleetSame.outcomes[0].state, 'timed-out');
      assert.equal(fleetSame.outcomes[0].requests, 1);
      assert.equal(fleetSame.outcomes[0].last!.phase, 'waiting-for-source');
    });
  });
});
