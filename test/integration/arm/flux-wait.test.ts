import * as assert from 'node:assert/strict';
import { createAzureCredential } from '../../../shared/azure/credential';
import { sourceScheduleOf } from '../../../shared/azure/poll-schedule';
import {
  ArmAccess,
  ClusterRef,
  createFluxConfigurationReader,
  FluxConfigurationReader,
  ProgressEvent,
  waitForReconciliation,
  WaitRequest,
} from '../../../shared/azure/wait';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { createTestRepo, sampleGitOpsFiles, TestRepo } from '../../emulators/flux/test-repo';

describe('waitForReconciliation against the ARM emulator and the Flux simulation (real ARM client)', function () {
  this.timeout(60_000);
  let emu: ArmEmulator;
  let repo: TestRepo & { first: string };
  let access: ArmAccess;
  let arc: ClusterRef;
  let aks: ClusterRef;
  let tag = 1;

  const request = (target: string, extra: Partial<WaitRequest> = {}): WaitRequest => ({
    clusters: [arc],
    fluxConfigurationName: 'cluster-config',
    targetCommit: target,
    isAncestor: (ancestor, descendant) => repo.isAncestor(ancestor, descendant),
    timeoutMs: 10_000,
    nonCompliantGraceMs: 300,
    poll: { initialMs: 40, maxMs: 200 },
    ...extra,
  });
  /** A promotion: a new image tag in apps/dev, merged to main. */
  const promote = () =>
    repo.commit({ 'apps/dev/web/deployment.yaml': sampleGitOpsFiles('arc-nonprod', `1.0.${++tag}`)['apps/dev/web/deployment.yaml'] }, `promote ${tag}`);
  /**
   * A wait whose deadline passes once its `reads`-th read has answered: the timeout comes after a known number of
   * reads however slow the machine is (a real 600 ms budget could end before a loaded machine's first answer).
   */
  const timingOutAfter = (reads: number, target: string) => {
    const read = createFluxConfigurationReader(access);
    let count = 0;
    let skewMs = 0;
    const timeoutMs = 30_000;
    const counted: FluxConfigurationReader = (cluster, name, options) =>
      read(cluster, name, options).finally(() => {
        if (++count === reads) skewMs = timeoutMs;
      });
    return waitForReconciliation(request(target, { timeoutMs, now: () => Date.now() + skewMs }), counted);
  };
  const syncSoon = (cluster = 'arc-nonprod', ms = 150) => {
    const t = setTimeout(() => void emu.flux.reconcileNow(cluster, 'cluster-config').catch(() => undefined), ms);
    return t;
  };

  before(async () => {
    repo = await createTestRepo(sampleGitOpsFiles());
    emu = await startArmEmulator({
      gitopsRepositoryUrl: repo.url,
      clusters: [
        { name: 'arc-nonprod', type: 'connectedClusters' },
        { name: 'aks-prod', type: 'managedClusters' },
      ],
      // both clusters run the same folder; syncs happen only when a test says so
      kustomizations: { clusters: { path: './clusters/arc-nonprod', prune: true } },
      syncIntervalMs: 3_600_000,
    });
    const sc = emu.identity.addServiceConnection({ clientId: emu.clientId });
    const job = emu.identity.addJob();
    const c = createAzureCredential(
      {
        id: sc.id,
        scheme: 'WorkloadIdentityFederation',
        parameters: { tenantid: emu.tenantId, serviceprincipalid: emu.clientId },
        data: { subscriptionId: emu.subscriptionId, activeDirectoryAuthority: emu.tokenUrl },
        url: emu.armUrl,
      },
      { oidcRequestUri: job.oidcRequestUri, accessToken: job.accessToken },
      { tlsOptions: { ca: emu.caCertPem } },
    );
    access = {
      credential: c.credential,
      subscriptionId: c.subscriptionId!,
      armUrl: c.cloud.armUrl,
      clientOptions: { tlsOptions: { ca: emu.caCertPem }, retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 } },
    };
    arc = { resourceGroup: emu.resourceGroup, clusterType: 'connectedClusters', clusterName: 'arc-nonprod' };
    aks = { resourceGroup: emu.resourceGroup, clusterType: 'managedClusters', clusterName: 'aks-prod' };
    await emu.flux.reconcileNow('arc-nonprod', 'cluster-config');
    await emu.flux.reconcileNow('aks-prod', 'cluster-config');
  });
  after(async () => {
    await emu.stop();
    repo.remove();
  });
  afterEach(() => {
    for (const c of ['arc-nonprod', 'aks-prod'])
      emu.flux.setScenario(c, { stalled: false, relayLagMs: 0, syncDelayMs: 0, revisionFormat: 'sha1', syncIntervalMs: 3_600_000 });
    emu.flux.clearFailures();
    emu.faults.clear();
  });

  it('returns once Flux has synced the merge commit and the objects are Compliant at it', async () => {
    const target = await promote();
    const events: ProgressEvent[] = [];
    // Flux syncs once the wait has seen the old state (however long the first read takes on a busy machine)
    const onProgress = (e: ProgressEvent) => {
      events.push(e);
      if (events.length === 1) syncSoon('arc-nonprod', 0);
    };
    const result = await waitForReconciliation(request(target, { onProgress }), access);
    assert.equal(result.ok, true, result.message);
    assert.equal(result.outcomes[0].state, 'reconciled');
    assert.equal(result.outcomes[0].last!.syncedSha, target);
    assert.deepEqual(
      result.outcomes[0].last!.kustomizations.map((k) => k.name),
      ['cluster-config-clusters', 'voting-app-dev'],
    );
    assert.deepEqual(
      events.map((e) => e.phase),
      ['waiting-for-source', 'reconciled', 'reconciled'],
    );
    assert.match(result.message, /reconciled [0-9a-f]{12} on 1 cluster/);
    const applied = emu.flux.clusterObjects('arc-nonprod').get('Deployment/voting-dev/web')!;
    assert.match(JSON.stringify(applied.object), new RegExp(`1\\.0\\.${tag}`));
  });

  it('several merges land between two syncs: the later commit counts (ancestry), the intermediate ones are never synced', async () => {
    const ours = await promote();
    const second = await promote();
    const third = await promote();
    syncSoon();
    const result = await waitForReconciliation(request(ours), access);
    assert.equal(result.ok, true, result.message);
    assert.equal(result.outcomes[0].last!.syncedSha, third);
    const seen = emu.flux.events.filter((e) => e.cluster === 'arc-nonprod').map((e) => e.sha);
    assert.ok(!seen.includes(ours) && !seen.includes(second));
  });

  it('a commit on another branch that is not an ancestor keeps it waiting until the timeout, which says what was seen', async () => {
    const unrelated = await repo.commit({ 'other.txt': 'x' }, 'side', 'side-branch');
    const result = await timingOutAfter(3, unrelated);
    assert.equal(result.ok, false);
    assert.equal(result.outcomes[0].state, 'timed-out');
    assert.equal(result.outcomes[0].requests, 3);
    assert.match(result.message, /Timed out after .* waiting for Flux configuration cluster-config to reconcile [0-9a-f]{12} on 1 of 1 cluster/);
    assert.match(result.message, /arc-nonprod \[timed-out\]: source synced [0-9a-f]{12}, waiting for/);
    assert.match(result.message, /last seen: synced main@sha1:[0-9a-f]{40}, Compliant/);
    assert.match(result.message, /Deployment voting-dev\/web: Compliant/);
  });

  it('an object that fails at our revision fails fast (after the grace), naming the object and the message', async () => {
    const target = await promote();
    emu.flux.failObject({
      cluster: 'arc-nonprod',
      kind: 'Deployment',
      name: 'web',
      namespace: 'voting-dev',
      message: 'ImagePullBackOff: registry.example/web not found',
    });
    syncSoon();
    const started = Date.now();
    const result = await waitForReconciliation(request(target, { timeoutMs: 20_000 }), access);
    assert.equal(result.ok, false);
    assert.equal(result.outcomes[0].state, 'failed');
    assert.ok(Date.now() - started < 10_000);
    assert.match(result.message, /failed to reconcile [0-9a-f]{12} on rg-gitops\/arc-nonprod/);
    assert.match(
      result.message,
      /Kustomization flux-system\/voting-app-dev: Non-Compliant \(Health check failed after 30s: timeout waiting for: \[Deployment\/voting-dev\/web status: 'Failed'\]\)/,
    );
    assert.match(result.message, /Deployment voting-dev\/web: Non-Compliant \(ImagePullBackOff: registry.example\/web not found\)/);
  });

  it('a Non-Compliant state from an older revision is not our failure: the wait continues until ours is applied', async () => {
    emu.flux.failObject({ cluster: 'arc-nonprod', kind: 'Deployment', name: 'web', message: 'CrashLoopBackOff', mode: 'apply' });
    await promote();
    await emu.flux.reconcileNow('arc-nonprod', 'cluster-config'); // the cluster is now Non-Compliant at that commit
    emu.flux.clearFailures();
    const target = await promote();
    syncSoon('arc-nonprod', 500);
    const result = await waitForReconciliation(request(target, { nonCompliantGraceMs: 100 }), access);
    assert.equal(result.ok, true, result.message);
  });

  it('a stalled configuration times out with the last status of each object', async () => {
    emu.flux.setScenario('arc-nonprod', { stalled: true, syncIntervalMs: 100 });
    const target = await promote();
    const result = await timingOutAfter(3, target);
    assert.equal(result.outcomes[0].state, 'timed-out');
    assert.match(result.message, /source synced [0-9a-f]{12}, waiting for [0-9a-f]{12}/);
    assert.equal(result.outcomes[0].requests, 3);
  });

  it('status relay lag: the source fields arrive first, the wait returns only once the statuses follow', async () => {
    emu.flux.setScenario('arc-nonprod', { relayLagMs: 700 });
    const target = await promote();
    const events: ProgressEvent[] = [];
    syncSoon();
    const result = await waitForReconciliation(request(target, { onProgress: (e) => events.push(e) }), access);
    assert.equal(result.ok, true, result.message);
    assert.ok(
      events.some((e) => e.phase === 'waiting-for-objects' && /waiting for Kustomization/.test(e.message)),
      JSON.stringify(events),
    );
    const statusAt = emu.flux.events.filter((e) => e.sha === target && e.phase === 'status').at(-1)!.at;
    const sourceAt = emu.flux.events.filter((e) => e.sha === target && e.phase === 'source').at(-1)!.at;
    assert.ok(statusAt - sourceAt >= 650);
  });

  it('a suspended configuration fails at once', async () => {
    const target = await promote();
    emu.admin.addFluxConfiguration('aks-prod', 'suspended-config', {
      namespace: 'flux-system',
      suspend: true,
      gitRepository: { url: repo.url, repositoryRef: { branch: 'main' } },
      kustomizations: { clusters: { path: './clusters/arc-nonprod' } },
    });
    const result = await waitForReconciliation(request(target, { clusters: [aks], fluxConfigurationName: 'suspended-config' }), access);
    assert.equal(result.outcomes[0].state, 'failed');
    assert.equal(result.outcomes[0].requests, 1);
    assert.match(result.message, /suspended; it will not reconcile/);
  });

  it('the older revision format main/<sha> is understood', async () => {
    emu.flux.setScenario('arc-nonprod', { revisionFormat: 'legacy' });
    const target = await promote();
    syncSoon();
    const result = await waitForReconciliation(request(target), access);
    assert.equal(result.ok, true, result.message);
    assert.equal(result.outcomes[0].last!.syncedRevision, `main/${target}`);
  });

  it('a fleet (Arc and AKS) with kustomization and namespace filters; prune removes a deleted file from the cluster', async () => {
    const target = await repo.commit({ 'apps/dev/web/service.yaml': null }, 'drop the service');
    syncSoon('arc-nonprod', 100);
    syncSoon('aks-prod', 300);
    const result = await waitForReconciliation(
      request(target, { clusters: [arc, aks], kustomizations: ['voting-app-dev'], namespaces: ['voting-dev'], concurrency: 1 }),
      access,
    );
    assert.equal(result.ok, true, result.message);
    assert.deepEqual(
      result.outcomes.map((o) => o.state),
      ['reconciled', 'reconciled'],
    );
    for (const o of result.outcomes) {
      assert.deepEqual(
        o.last!.kustomizations.map((k) => k.name),
        ['voting-app-dev'],
      );
      assert.deepEqual(
        o.last!.objects.map((x) => `${x.kind}/${x.name}`),
        ['Deployment/web'],
      );
    }
    assert.equal(emu.flux.clusterObjects('aks-prod').has('Service/voting-dev/web'), false);
    assert.equal(emu.flux.clusterObjects('aks-prod').has('Deployment/voting-dev/web'), true);
    await repo.commit({ 'apps/dev/web/service.yaml': sampleGitOpsFiles()['apps/dev/web/service.yaml'] }, 'restore the service');
  });

  it('throttling and server errors while waiting: retried, reported as progress, and the wait still returns', async () => {
    const target = await promote();
    emu.faults.add({ route: 'flux.get', cluster: 'arc-nonprod', count: 1, status: 429 });
    emu.faults.add({ route: 'flux.get', cluster: 'arc-nonprod', count: 4, status: 500 });
    emu.faults.add({ route: 'flux.get', cluster: 'arc-nonprod', count: 1, status: 429, retryAfterSeconds: 1 });
    const events: ProgressEvent[] = [];
    syncSoon('arc-nonprod', 50);
    const result = await waitForReconciliation(request(target, { onProgress: (e) => events.push(e) }), access);
    assert.equal(result.ok, true, result.message);
    assert.ok(events.filter((e) => e.phase === 'error').length >= 1);
    const statuses = emu.admin
      .armRequests('arc-nonprod')
      .filter((r) => r.at >= Date.now() - 20_000)
      .map((r) => r.status);
    assert.ok(statuses.includes(429) && statuses.includes(500));
  });

  it('a configuration syncing on its own interval: the resource read through the SDK gives the schedule, and the wait sees the sync untriggered', async () => {
    emu.flux.setScenario('arc-nonprod', { syncIntervalMs: 2000 });
    const target = await promote();
    const read = createFluxConfigurationReader(access);
    const key = emu.clusters.find((c) => c.name === 'arc-nonprod')!.resourceId.toLowerCase();
    const stamp = () => {
      const report = emu.flux.report(key, 'cluster-config')!;
      return Math.max(Date.parse(report.statusUpdatedAt!), Date.parse(report.sourceUpdatedAt!));
    };
    // the interval the simulation runs (2 s), and the last sync as the agent stamped it (a Date from the SDK);
    // read again if a sync published while the read was in flight
    for (let attempt = 1; ; attempt++) {
      const before = stamp();
      const { status } = await read(arc, 'cluster-config');
      if (stamp() !== before && attempt < 3) continue;
      assert.deepEqual(sourceScheduleOf(status), { intervalMs: 2000, lastSyncAt: before });
      break;
    }
    const result = await waitForReconciliation(request(target, { poll: { initialMs: 40, maxMs: 200, idleMs: 5000, windowStepMs: 100 } }), access);
    assert.equal(result.ok, true, result.message);
  });

  it('a missing configuration or a denied read fails with a clear message', async () => {
    const target = await promote();
    const missing = await waitForReconciliation(request(target, { fluxConfigurationName: 'nope' }), access);
    assert.match(missing.message, /Flux configuration "nope" or cluster rg-gitops\/arc-nonprod \(connectedClusters\) not found/);
    emu.admin.deny({ scope: '/arc-nonprod/' });
    try {
      const denied = await waitForReconciliation(request(target), access);
      assert.match(denied.message, /refused the read \(HTTP 403 AuthorizationFailed/);
    } finally {
      emu.admin.clearDenials();
    }
  });
});
