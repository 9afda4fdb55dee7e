import * as assert from 'node:assert/strict';
import { FluxStatus } from '../../../shared/azure/flux-status';
import { ClusterRef, FluxRead, FluxReadError, parseClusterRef, ProgressEvent, waitForReconciliation, WaitRequest } from '../../../shared/azure/wait';
import { DevOpsError } from '../../../shared/devops/errors';
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
function fakeTime(start = 0) {
  let t = start;
  const waits: number[] = [];
  return {
    now: () => t,
    wait: (ms: number) => {
      waits.push(ms);
      t += ms;
      return Promise.resolve();
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
    isAncestor: (a, d) => Promise.resolve(a === d),
    timeoutMs: 600_000,
    now: time.now,
    wait: time.wait,
    random: () => 0.5,
    ...extra,
  };
}

describe('waitForReconciliation (polling policy, with a fake reader and clock)', () => {
  it('without a schedule in the resource: polls fast first and backs off (with jitter) to the ceiling', async () => {
    const time = fakeTime();
    let reads = 0;
    const reader = (): Promise<FluxRead> => {
      reads++;
      return Promise.resolve({ status: time.now() >= 120_000 ? reconciled(T) : reconciled(OLD) });
    };
    const result = await waitForReconciliation(req(time), reader);
    assert.equal(result.ok, true);
    // util/retry's equal jitter with random 0.5: three quarters of 2 s * 1.5^n, up to 20 s
    assert.deepEqual(time.waits.slice(0, 7), [1500, 2250, 3375, 5063, 7594, 11391, 15000]);
    assert.ok(time.waits.slice(7).every((w) => w === 15_000));
    assert.equal(result.requests, reads);
    assert.equal(reads, 13);
    assert.ok(result.outcomes[0].reconciledAfterMs! - 120_000 <= 15_000);
  });

  it('starts again from the first interval when the phase moves (the objects follow the source within seconds)', async () => {
    const time = fakeTime();
    const syncedNotApplied: FluxStatus = { ...reconciled(OLD), sourceSyncedCommitId: `main@sha1:${T}` };
    const reader = (): Promise<FluxRead> => {
      if (time.now() < 60_000) return Promise.resolve({ status: reconciled(OLD) });
      if (time.now() < 70_000) return Promise.resolve({ status: syncedNotApplied });
      return Promise.resolve({ status: reconciled(T) });
    };
    const events: ProgressEvent[] = [];
    const result = await waitForReconciliation(req(time, { onProgress: (e) => events.push(e) }), reader);
    assert.equal(result.ok, true, result.message);
    assert.deepEqual(
      events.map((e) => `${e.elapsedMs} ${e.phase}`),
      ['0 waiting-for-source', '61173 waiting-for-objects', '73361 reconciled', '73361 reconciled'],
    );
    // waiting for the source: 1.5, 2.25, .. 15 s; the source moved at 61.2 s: 1.5 s again, and growing
    assert.deepEqual(time.waits, [1500, 2250, 3375, 5063, 7594, 11391, 15000, 15000, 1500, 2250, 3375, 5063]);
  });

  it('reads when the source can have synced: just after the next sync of syncIntervalInSeconds, not on a blind curve', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const time = fakeTime(t0);
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const git = { url: 'https://dev.azure.com/contoso/fleet/_git/gitops', syncIntervalInSeconds: 120, repositoryRef: { branch: 'main' } };
    // synced 30 s before the wait; the next sync (without our commit) shows at 92 s, the one after (with it) at 212.5 s
    const reader = (): Promise<FluxRead> => {
      const s = (time.now() - t0) / 1000;
      if (s < 92) return Promise.resolve({ status: { ...reconciled(OLD), gitRepository: git, statusUpdatedAt: at(-30), sourceUpdatedAt: at(-600) } });
      if (s < 212.5) return Promise.resolve({ status: { ...reconciled(OLD), gitRepository: git, statusUpdatedAt: at(91.8), sourceUpdatedAt: at(-600) } });
      return Promise.resolve({ status: { ...reconciled(T), gitRepository: git, statusUpdatedAt: at(212.5), sourceUpdatedAt: at(212) } });
    };
    const result = await waitForReconciliation(req(time), reader);
    assert.equal(result.ok, true, result.message);
    // idle reads every 30 s; 1 s after the predicted sync (90 s); every 3 s until it shows (94 s);
    // then idle until 1 s after the next (211.8 s + 1 s)
    assert.deepEqual(time.waits, [30_000, 30_000, 30_000, 1000, 3000, 30_000, 30_000, 30_000, 28_800]);
    assert.equal(result.outcomes[0].reconciledAfterMs, 212_800);
    assert.equal(result.requests, 10);
  });

  it('never sleeps past the deadline, whatever the schedule says', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const time = fakeTime(t0);
    const status: FluxStatus = {
      ...reconciled(OLD),
      gitRepository: { syncIntervalInSeconds: 600 },
      statusUpdatedAt: new Date(t0 - 10_000).toISOString(),
    };
    const result = await waitForReconciliation(req(time, { timeoutMs: 45_000 }), () => Promise.resolve({ status }));
    assert.equal(result.outcomes[0].state, 'timed-out');
    assert.deepEqual(time.waits, [30_000, 15_000]);
    assert.equal(time.now() - t0, 45_000);
    assert.equal(result.elapsedMs, 45_000);
  });

  it('a read or an ancestry check still in flight at the deadline does not hold the wait past it', async function () {
    this.timeout(10_000);
    // real time: the deadline signal is a timer
    let aborted: unknown;
    const started = Date.now();
    const stuckRead = await waitForReconciliation(
      { ...req(fakeTime(), { timeoutMs: 300 }), now: undefined, wait: undefined },
      (_cluster, _name, options) =>
        new Promise<FluxRead>((_resolve, reject) => {
          options?.abortSignal?.addEventListener('abort', () => {
            aborted = options.abortSignal?.reason;
            reject(new FluxReadError('The operation was aborted.', undefined, 'RequestAborted', undefined));
          });
        }),
    );
    assert.ok(Date.now() - started < 3000, String(Date.now() - started));
    assert.ok(aborted !== undefined, 'the read was given the deadline as an abort signal');
    assert.equal(stuckRead.outcomes[0].state, 'timed-out');
    assert.equal(stuckRead.outcomes[0].message, 'no answer before the deadline (a request was still in flight)');

    const started2 = Date.now();
    const stuckAncestry = await waitForReconciliation(
      { ...req(fakeTime(), { timeoutMs: 300, isAncestor: () => new Promise<boolean>(() => undefined) }), now: undefined, wait: undefined },
      () => Promise.resolve({ status: reconciled('b'.repeat(40)) }),
    );
    assert.ok(Date.now() - started2 < 3000, String(Date.now() - started2));
    assert.equal(stuckAncestry.outcomes[0].state, 'timed-out');
  });

  it('honours Retry-After of a throttled read and slows every cluster when remaining reads run low', async () => {
    const time = fakeTime();
    let n = 0;
    const reader = (): Promise<FluxRead> => {
      n++;
      if (n === 1) return Promise.reject(new FluxReadError('throttled', 429, 'SubscriptionRequestsThrottled', 45_000));
      if (n === 2) return Promise.resolve({ status: reconciled(OLD), remainingReads: 50 });
      if (n === 3) return Promise.resolve({ status: reconciled(OLD), remainingReads: 3 });
      return Promise.resolve({ status: reconciled(T), remainingReads: 200 });
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
    const failed = await waitForReconciliation(req(time, { nonCompliantGraceMs: 10_000 }), () => Promise.resolve({ status: nonCompliant }));
    assert.equal(failed.outcomes[0].state, 'failed');
    assert.equal(time.now(), 10_000);
    assert.match(
      failed.message,
      /failed to reconcile a{12} on rg\/c1\n {2}- rg\/c1 \[failed\]: Non-Compliant at a{12}: Kustomization flux-system\/cc-apps: Non-Compliant \(Health check failed\)/,
    );

    const time2 = fakeTime();
    let n = 0;
    const ok = await waitForReconciliation(req(time2, { nonCompliantGraceMs: 10_000 }), () =>
      Promise.resolve({ status: ++n < 3 ? nonCompliant : reconciled(T) }),
    );
    assert.equal(ok.ok, true);
  });

  it('times out with what each cluster showed, and fails fast across the fleet', async () => {
    const time = fakeTime();
    const result = await waitForReconciliation(req(time, { timeoutMs: 60_000, clusters: [cluster('c1'), cluster('c2')] }), (c) => {
      if (c.clusterName === 'c2') return Promise.resolve({ status: reconciled(T) });
      return Promise.resolve({ status: reconciled(OLD) });
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
    const stopped = await waitForReconciliation(req(time2, { clusters: [cluster('c1'), cluster('c2')] }), (c) => {
      if (c.clusterName === 'c2') return Promise.reject(new FluxReadError('denied', 403, 'AuthorizationFailed', undefined));
      return Promise.resolve({ status: reconciled(OLD) });
    });
    assert.deepEqual(
      stopped.outcomes.map((o) => o.state),
      ['cancelled', 'failed'],
    );
  });

  it('transient errors back off exponentially up to the ceiling; 404 ends at once', async () => {
    const time = fakeTime();
    let n = 0;
    const result = await waitForReconciliation(req(time), () => {
      if (++n <= 4) return Promise.reject(new FluxReadError('boom', 500, 'InternalServerError', undefined));
      return Promise.resolve({ status: reconciled(T) });
    });
    assert.equal(result.ok, true);
    // util/retry's backoff from twice the first interval (4 s, 8 s, ..., ceiling 20 s), equal jitter with random 0.5
    assert.deepEqual(time.waits, [3000, 6000, 12000, 15000]);
    const missing = await waitForReconciliation(req(fakeTime()), () => {
      return Promise.reject(new FluxReadError('not found', 404, 'ResourceNotFound', undefined));
    });
    assert.equal(missing.outcomes[0].requests, 1);
    assert.match(missing.message, /Flux configuration "cc" or cluster rg\/c1 \(connectedClusters\) not found/);
  });

  describe('the ancestry check (Azure DevOps) failing during the wait', () => {
    const synced = 'b'.repeat(40);
    const waitWith = (isAncestor: WaitRequest['isAncestor'], time = fakeTime(), extra: Partial<WaitRequest> = {}) =>
      waitForReconciliation(req(time, { isAncestor, ...extra }), () => Promise.resolve({ status: reconciled(synced) }));
    const devopsError = (statusCode: number | undefined, detail: string) =>
      new DevOpsError(`checking whether ${T.slice(0, 12)} is an ancestor of ${synced.slice(0, 12)} in fleet/gitops`, detail, { statusCode });

    it('401 or 403: fails at once naming Azure DevOps and the job token, not Azure Resource Manager', async () => {
      for (const status of [401, 403]) {
        const result = await waitWith(() => {
          return Promise.reject(devopsError(status, `HTTP ${status}: TF400813: The user is not authorized to access this resource.`));
        });
        const o = result.outcomes[0];
        assert.equal(o.state, 'failed');
        assert.equal(o.requests, 1);
        assert.equal(
          o.message,
          `Azure DevOps refused the ancestry check of bbbbbbbbbbbb (synced by Flux on rg/c1) against aaaaaaaaaaaa (checking whether aaaaaaaaaaaa is an ancestor of bbbbbbbbbbbb in fleet/gitops: HTTP ${status}: TF400813: The user is not authorized to access this resource.): ` +
            `the pipeline's job token (the project's build service identity) needs Read on the GitOps repository; ` +
            `with "Limit job authorization scope to current project" on, a repository in another project is out of its reach`,
        );
        assert.match(o.lastError!, /^Azure DevOps: checking whether/);
        assert.doesNotMatch(result.message, /Azure Resource Manager|service connection's role/);
      }
    });

    it('404: fails at once saying the commit or repository is not in Azure DevOps, not that the Flux configuration is missing', async () => {
      const result = await waitWith(() => {
        return Promise.reject(devopsError(404, 'one of the commits does not exist in the repository'));
      });
      const o = result.outcomes[0];
      assert.equal(o.state, 'failed');
      assert.equal(
        o.message,
        'Azure DevOps did not find commit bbbbbbbbbbbb (synced by Flux on rg/c1) or aaaaaaaaaaaa in the GitOps repository ' +
          '(HTTP 404: checking whether aaaaaaaaaaaa is an ancestor of bbbbbbbbbbbb in fleet/gitops: one of the commits does not exist in the repository): ' +
          'the configuration "cc" may sync another repository than the one promoted to (compare its gitRepository.url), or the repository was removed',
      );
      assert.doesNotMatch(result.message, /Flux configuration "cc" or cluster|Azure Resource Manager/);
    });

    it('5xx or a network failure: retried within the deadline (progress names Azure DevOps), then the answer counts', async () => {
      const time = fakeTime();
      const events: ProgressEvent[] = [];
      let n = 0;
      const result = await waitWith(
        () => {
          n++;
          if (n === 1) return Promise.reject(devopsError(503, 'HTTP 503: Service Unavailable'));
          if (n === 2) return Promise.reject(devopsError(undefined, 'ECONNRESET: socket hang up'));
          return Promise.resolve(true);
        },
        time,
        { onProgress: (e) => events.push(e) },
      );
      assert.equal(result.ok, true, result.message);
      assert.equal(n, 3);
      assert.equal(result.requests, 3);
      assert.deepEqual(
        events.filter((e) => e.phase === 'error').map((e) => e.message),
        [
          'Azure DevOps: checking whether aaaaaaaaaaaa is an ancestor of bbbbbbbbbbbb in fleet/gitops: HTTP 503: Service Unavailable; retrying',
          'Azure DevOps: checking whether aaaaaaaaaaaa is an ancestor of bbbbbbbbbbbb in fleet/gitops: ECONNRESET: socket hang up; retrying',
        ],
      );
      assert.deepEqual(time.waits, [3000, 6000]);
    });

    it('5xx until the deadline: times out with the Azure DevOps failure as the last error', async () => {
      const result = await waitWith(
        () => {
          return Promise.reject(devopsError(500, 'HTTP 500: Internal Server Error'));
        },
        fakeTime(),
        { timeoutMs: 60_000 },
      );
      const o = result.outcomes[0];
      assert.equal(o.state, 'timed-out');
      assert.equal(o.lastError, 'Azure DevOps: checking whether aaaaaaaaaaaa is an ancestor of bbbbbbbbbbbb in fleet/gitops: HTTP 500: Internal Server Error');
      assert.match(result.message, /last error: Azure DevOps: checking whether/);
    });
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
        isAncestor: (a, d) => {
          ancestry.push(d);
          return Promise.resolve(true);
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
    const bucket = await waitForReconciliation(req(fakeTime()), () =>
      Promise.resolve({
        status: { ...reconciled('c'.repeat(40)), sourceKind: 'Bucket', bucket: { url: 'https://minio.contoso.local', bucketName: 'flux' } },
      }),
    );
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
    const other = await waitForReconciliation(req(fakeTime(), { expectedSource }), () =>
      Promise.resolve({
        status: git('https://dev.azure.com/contoso/fleet/_git/gitops-old', 'main'),
      }),
    );
    assert.equal(other.outcomes[0].requests, 1);
    assert.equal(
      other.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): syncs https://dev.azure.com/contoso/fleet/_git/gitops-old, not https://dev.azure.com/contoso/fleet/_git/gitops where aaaaaaaaaaaa was committed: it will never show that commit',
    );
    const branch = await waitForReconciliation(req(fakeTime(), { expectedSource }), () =>
      Promise.resolve({
        status: git('https://contoso.visualstudio.com/fleet/_git/gitops', 'release'),
      }),
    );
    assert.equal(
      branch.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): syncs branch "release" of https://contoso.visualstudio.com/fleet/_git/gitops, not branch "main" where aaaaaaaaaaaa was committed: it will never show that commit',
    );
    // the same repository in another form and the same branch: waits and reconciles as usual
    let n = 0;
    const same = await waitForReconciliation(req(fakeTime(), { expectedSource }), () =>
      Promise.resolve({
        status: { ...git('https://contoso@dev.azure.com/contoso/fleet/_git/GitOps.git', 'main'), ...(++n < 3 ? {} : reconciled(T)) },
      }),
    );
    assert.equal(same.ok, true, same.message);
    assert.equal(same.requests, 3);
  });

  it('provisioningState Failed ends the wait at once with the errorMessage', async () => {
    const result = await waitForReconciliation(req(fakeTime()), () =>
      Promise.resolve({
        status: { ...reconciled(OLD), provisioningState: 'Failed', errorMessage: 'Flux extension is not installed' },
      }),
    );
    assert.equal(result.outcomes[0].requests, 1);
    assert.equal(
      result.outcomes[0].message,
      'Flux configuration "cc" on rg/c1 (connectedClusters): provisioningState is Failed: Flux extension is not installed; it will not reconcile aaaaaaaaaaaa',
    );
  });

  it('rejects a short or missing target commit and an empty fleet', async () => {
    await assert.rejects(
      waitForReconciliation({ ...req(fakeTime()), targetCommit: 'abc123' }, () => Promise.resolve({ status: {} })),
      /not a full commit id/,
    );
    await assert.rejects(
      waitForReconciliation({ ...req(fakeTime()), clusters: [] }, () => Promise.resolve({ status: {} })),
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
