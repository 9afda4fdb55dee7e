import * as assert from 'node:assert/strict';
import { FluxStatus } from '../../../shared/azure/flux-status';
import { ClusterRef, FluxRead, FluxReadError, parseClusterRef, ProgressEvent, waitForReconciliation, WaitRequest } from '../../../shared/azure/wait';
import { createLimiter } from '../../../shared/util/concurrency';

const T = 'a'.repeat(40);
const OLD = '0'.repeat(40);

function reconciled(sha: string): FluxStatus {
  return {
    sourceSyncedCommitId: `main@sha1:${sha}`,
    complianceState: 'Compliant',
    statuses: [
      {
        kind: 'Kustomization',
        name: 'cc-apps',
        namespace: 'flux-system',
        complianceState: 'Compliant',
        statusConditions: [{ type: 'Ready', status: 'True', message: `Applied revision: main@sha1:${sha}` }],
      },
    ],
  };
}

/** A fake clock: wait() advances time instantly, and records every wait. */
function fakeTime() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    wait: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
    advance: (ms: number) => (t += ms),
  };
}

const cluster = (name: string): ClusterRef => ({ resourceGroup: 'rg', clusterType: 'connectedClusters', clusterName: name, subscriptionId: 's' });

function req(time: ReturnType<typeof fakeTime>, extra: Partial<WaitRequest> = {}): WaitRequest {
  return {
    clusters: [cluster('c1')],
    fluxConfigurationName: 'cc',
    targetCommit: T,
    isAncestor: async (a, d) => a === d,
    timeoutMs: 600_000,
    now: time.now,
    wait: time.wait,
    ...extra,
  };
}

describe('waitForReconciliation (polling policy, with a fake reader and clock)', () => {
  it('polls fast first and backs off to the ceiling; fast again when the phase moves', async () => {
    const time = fakeTime();
    let reads = 0;
    const reader = async (): Promise<FluxRead> => {
      reads++;
      return { status: time.now() >= 120_000 ? reconciled(T) : reconciled(OLD) };
    };
    const result = await waitForReconciliation(req(time), reader);
    assert.equal(result.ok, true);
    assert.deepEqual(time.waits.slice(0, 7), [2000, 3000, 4500, 6750, 10125, 15187.5, 20000]);
    assert.ok(time.waits.slice(7).every((w) => w === 20_000));
    assert.equal(result.requests, reads);
    // 2 minutes at most 1 + 6 ramp-up + (120 - 59.5) / 20 polls
    assert.ok(reads <= 12, String(reads));
    assert.ok(result.outcomes[0].reconciledAfterMs! - 120_000 <= 20_000);
  });

  it('honours Retry-After of a throttled read and slows every cluster when remaining reads run low', async () => {
    const time = fakeTime();
    let n = 0;
    const reader = async (): Promise<FluxRead> => {
      n++;
      if (n === 1) throw new FluxReadError('throttled', 429, 'SubscriptionRequestsThrottled', 45_000);
      if (n === 2) return { status: reconciled(OLD), remainingReads: 50 };
      if (n === 3) return { status: reconciled(OLD), remainingReads: 3 };
      return { status: reconciled(T), remainingReads: 200 };
    };
    const events: ProgressEvent[] = [];
    const result = await waitForReconciliation(req(time, { onProgress: (e) => events.push(e) }), reader);
    assert.equal(result.ok, true);
    assert.deepEqual(time.waits, [45_000, 20_000, 60_000]);
    assert.match(events[0].message, /HTTP 429 SubscriptionRequestsThrottled: throttled; retrying/);
  });

  it('Non-Compliant at our revision fails only after the grace; a recovery within the grace keeps waiting', async () => {
    const nonCompliant: FluxStatus = {
      ...reconciled(T),
      complianceState: 'Non-Compliant',
      statuses: [
        {
          kind: 'Kustomization',
          name: 'cc-apps',
          namespace: 'flux-system',
          complianceState: 'Non-Compliant',
          statusConditions: [{ type: 'Ready', status: 'False', message: 'Health check failed' }],
        },
      ],
    };
    const time = fakeTime();
    const failed = await waitForReconciliation(req(time, { nonCompliantGraceMs: 10_000 }), async () => ({ status: nonCompliant }));
    assert.equal(failed.outcomes[0].state, 'failed');
    assert.equal(time.now(), 10_000);
    assert.match(
      failed.message,
      /failed to reconcile a{12} on rg\/c1\n {2}- rg\/c1 \[failed\]: Non-Compliant at a{12}: Kustomization flux-system\/cc-apps: Non-Compliant \(Health check failed\)/,
    );

    const time2 = fakeTime();
    let n = 0;
    const ok = await waitForReconciliation(req(time2, { nonCompliantGraceMs: 10_000 }), async () => ({ status: ++n < 3 ? nonCompliant : reconciled(T) }));
    assert.equal(ok.ok, true);
  });

  it('times out with what each cluster showed, and fails fast across the fleet', async () => {
    const time = fakeTime();
    const result = await waitForReconciliation(req(time, { timeoutMs: 60_000, clusters: [cluster('c1'), cluster('c2')] }), async (c) => {
      if (c.clusterName === 'c2') return { status: reconciled(T) };
      return { status: reconciled(OLD) };
    });
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.outcomes.map((o) => o.state),
      ['timed-out', 'reconciled'],
    );
    assert.match(
      result.message,
      /^Timed out after 1 min waiting for Flux configuration cc to reconcile a{12} on 1 of 2 clusters\n {2}- rg\/c1 \[timed-out\]: source synced 000000000000, waiting for a{12}\n {4}last seen: synced main@sha1:0{40}, Compliant\n {6}Kustomization flux-system\/cc-apps: Compliant \(Applied revision: main@sha1:0{40}\)$/,
    );

    const time2 = fakeTime();
    const stopped = await waitForReconciliation(req(time2, { clusters: [cluster('c1'), cluster('c2')] }), async (c) => {
      if (c.clusterName === 'c2') throw new FluxReadError('denied', 403, 'AuthorizationFailed', undefined);
      return { status: reconciled(OLD) };
    });
    assert.deepEqual(
      stopped.outcomes.map((o) => o.state),
      ['cancelled', 'failed'],
    );
  });

  it('transient errors back off exponentially up to the ceiling; 404 ends at once', async () => {
    const time = fakeTime();
    let n = 0;
    const result = await waitForReconciliation(req(time), async () => {
      if (++n <= 4) throw new FluxReadError('boom', 500, 'InternalServerError', undefined);
      return { status: reconciled(T) };
    });
    assert.equal(result.ok, true);
    assert.deepEqual(time.waits, [4000, 8000, 16000, 20000]);
    const missing = await waitForReconciliation(req(fakeTime()), async () => {
      throw new FluxReadError('not found', 404, 'ResourceNotFound', undefined);
    });
    assert.equal(missing.outcomes[0].requests, 1);
    assert.match(missing.message, /Flux configuration "cc" or cluster rg\/c1 \(connectedClusters\) not found/);
  });

  it('limits requests in flight across the fleet and caches ancestry answers', async () => {
    let inFlight = 0;
    let peak = 0;
    const ancestry: string[] = [];
    const time = fakeTime();
    const clusters = Array.from({ length: 20 }, (_, i) => cluster(`c${i}`));
    const result = await waitForReconciliation(
      req(time, {
        clusters,
        concurrency: 3,
        isAncestor: async (a, d) => {
          ancestry.push(d);
          return true;
        },
      }),
      async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return { status: reconciled('b'.repeat(40)) };
      },
    );
    assert.equal(result.ok, true);
    assert.equal(peak, 3);
    assert.deepEqual(ancestry, ['b'.repeat(40)]);
  });

  it('a configuration that can never show the commit fails at the first read, naming cluster, configuration and the cause', async () => {
    const bucket = await waitForReconciliation(req(fakeTime()), async () => ({
      status: { ...reconciled('c'.repeat(40)), sourceKind: 'Bucket', bucket: { url: 'https://minio.contoso.local', bucketName: 'flux' } },
    }));
    assert.equal(bucket.outcomes[0].state, 'failed');
    assert.equal(bucket.outcomes[0].requests, 1);
    assert.equal(bucket.outcomes[0].last!.phase, 'unsupported-source');
    assert.equal(
      bucket.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): sourceKind is Bucket (bucket "flux" at https://minio.contoso.local), not GitRepository: ' +
        'what it syncs is an artifact, not a commit of the GitOps repository, so it cannot show that aaaaaaaaaaaa is deployed; promotion through Azure Repos needs a GitRepository source',
    );
    assert.match(
      bucket.message,
      /^Flux configuration cc failed to reconcile a{12} on rg\/c1\n {2}- rg\/c1 \[failed\]: Flux configuration "cc" on rg\/c1 \(connectedClusters\): sourceKind is Bucket/,
    );

    const git = (url: string, branch: string): FluxStatus => ({
      ...reconciled(OLD),
      sourceKind: 'GitRepository',
      gitRepository: { url, repositoryRef: { branch } },
    });
    const expectedSource = { url: 'https://dev.azure.com/contoso/fleet/_git/gitops', branch: 'main' };
    const other = await waitForReconciliation(req(fakeTime(), { expectedSource }), async () => ({
      status: git('https://dev.azure.com/contoso/fleet/_git/gitops-old', 'main'),
    }));
    assert.equal(other.outcomes[0].requests, 1);
    assert.equal(
      other.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): syncs https://dev.azure.com/contoso/fleet/_git/gitops-old, not https://dev.azure.com/contoso/fleet/_git/gitops where aaaaaaaaaaaa was committed: it will never show that commit',
    );
    const branch = await waitForReconciliation(req(fakeTime(), { expectedSource }), async () => ({
      status: git('https://contoso.visualstudio.com/fleet/_git/gitops', 'release'),
    }));
    assert.equal(
      branch.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): syncs branch "release" of https://contoso.visualstudio.com/fleet/_git/gitops, not branch "main" where aaaaaaaaaaaa was committed: it will never show that commit',
    );
    // the same repository in another form and the same branch: waits and reconciles as usual
    let n = 0;
    const same = await waitForReconciliation(req(fakeTime(), { expectedSource }), async () => ({
      status: { ...git('https://contoso@dev.azure.com/contoso/fleet/_git/GitOps.git', 'main'), ...(++n < 3 ? {} : reconciled(T)) },
    }));
    assert.equal(same.ok, true, same.message);
    assert.equal(same.requests, 3);
  });

  it('provisioningState Failed ends the wait at once with the errorMessage', async () => {
    const result = await waitForReconciliation(req(fakeTime()), async () => ({
      status: { ...reconciled(OLD), provisioningState: 'Failed', errorMessage: 'Flux extension is not installed' },
    }));
    assert.equal(result.outcomes[0].requests, 1);
    assert.equal(
      result.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): provisioningState is Failed: Flux extension is not installed; it will not reconcile aaaaaaaaaaaa',
    );
  });

  it('rejects a short or missing target commit and an empty fleet', async () => {
    await assert.rejects(
      waitForReconciliation({ ...req(fakeTime()), targetCommit: 'abc123' }, async () => ({ status: {} })),
      /not a full commit id/,
    );
    await assert.rejects(
      waitForReconciliation({ ...req(fakeTime()), clusters: [] }, async () => ({ status: {} })),
      /no cluster/,
    );
  });

  it('parses cluster references', () => {
    assert.deepEqual(parseClusterRef('/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/aks1'), {
      subscriptionId: 's1',
      resourceGroup: 'rg1',
      clusterType: 'managedClusters',
      clusterName: 'aks1',
    });
    assert.deepEqual(parseClusterRef('rg2/arc2'), { subscriptionId: undefined, resourceGroup: 'rg2', clusterType: 'connectedClusters', clusterName: 'arc2' });
    assert.deepEqual(parseClusterRef('arc3', { resourceGroup: 'rg3', clusterType: 'managedClusters' }).resourceGroup, 'rg3');
    assert.throws(() => parseClusterRef('arc3'), /needs a resource group/);
    assert.throws(() => parseClusterRef('/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v'), /not an Arc connected cluster/);
  });
});

describe('createLimiter', () => {
  it('runs at most n tasks at once, in order, and passes failures through', async () => {
    const limit = createLimiter(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    const task = (i: number) =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 1));
        active--;
        if (i === 3) throw new Error('three');
        return i;
      });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(task));
    assert.equal(peak, 2);
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
    assert.equal(results[2].status, 'rejected');
    assert.throws(() => createLimiter(0), /positive integer/);
  });
});
