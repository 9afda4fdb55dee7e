/**
 * GitOpsPromote@1's cluster inputs as the classic editor fills them: the single-cluster picker
 * (`cluster`, a resource id from the list or anything typed) beside the multi-line `clusters`, and
 * the branch picker's `refs/heads/...` values.
 */
import * as assert from 'node:assert/strict';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { branchName, readClusters, readPromoteInputs } from '../../../shared/workflows/promote-inputs';

const SUB = '00000000-0000-0000-0000-00000000abcd';
const ARC_ID = `/subscriptions/${SUB}/resourceGroups/rg-gitops/providers/Microsoft.Kubernetes/connectedClusters/arc-nonprod`;
const AKS_ID = `/subscriptions/${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod`;

const BASE = {
  bundle: '/tmp/release',
  environment: 'dev',
  gitopsRepository: 'gitops',
  targetFolder: 'apps/{environment}/{app}',
  azureSubscription: 'arm-connection',
  clusterResourceGroup: 'rg-gitops',
};

function clustersOf(inputs: Record<string, string>) {
  return readPromoteInputs(new MemoryAgent({ inputs: { ...BASE, ...inputs } })).flux?.clusters;
}

describe('GitOpsPromote@1 cluster picker and clusters', () => {
  it('waits for the picked cluster alone when clusters is empty, with the type and group of its resource id', () => {
    assert.deepEqual(clustersOf({ cluster: AKS_ID, clusterType: 'connectedClusters' }), [
      { subscriptionId: SUB, resourceGroup: 'rg-aks', clusterType: 'managedClusters', clusterName: 'aks-prod' },
    ]);
  });

  it('waits for the picked cluster first, then the listed ones', () => {
    assert.deepEqual(clustersOf({ cluster: ARC_ID, clusters: 'arc-2\nrg-other/arc-3' }), [
      { subscriptionId: SUB, resourceGroup: 'rg-gitops', clusterType: 'connectedClusters', clusterName: 'arc-nonprod' },
      { subscriptionId: undefined, resourceGroup: 'rg-gitops', clusterType: 'connectedClusters', clusterName: 'arc-2' },
      { subscriptionId: undefined, resourceGroup: 'rg-other', clusterType: 'connectedClusters', clusterName: 'arc-3' },
    ]);
  });

  it('waits once for a cluster both picked and listed (by name, by group/name or by id, any case)', () => {
    for (const listed of ['arc-nonprod', 'RG-GITOPS/Arc-NonProd', ARC_ID.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')]) {
      assert.deepEqual(
        clustersOf({ cluster: ARC_ID, clusters: listed }),
        [{ subscriptionId: SUB, resourceGroup: 'rg-gitops', clusterType: 'connectedClusters', clusterName: 'arc-nonprod' }],
        listed,
      );
    }
  });

  it('keeps a listed cluster of another type with the same name', () => {
    const clusters = clustersOf({ cluster: ARC_ID, clusters: 'arc-nonprod', clusterType: 'managedClusters' });
    assert.deepEqual(
      clusters?.map((c) => c.clusterType),
      ['connectedClusters', 'managedClusters'],
    );
  });

  it('takes a typed name in the picker like a clusters line (the list is editable)', () => {
    assert.deepEqual(clustersOf({ cluster: 'arc-typed', clusterType: 'provisionedClusters' }), [
      { subscriptionId: undefined, resourceGroup: 'rg-gitops', clusterType: 'provisionedClusters', clusterName: 'arc-typed' },
    ]);
  });

  it('needs one of them when waiting for Flux, and names both in the error', () => {
    assert.throws(() => clustersOf({}), /^InputError: Input "clusters": pick a cluster \(cluster\) or list at least one cluster to wait for/);
  });

  it('names the picker in the error for a bad picked value', () => {
    assert.throws(() => clustersOf({ cluster: 'a b' }), /^InputError: Input "cluster": "a b" is not a cluster/);
    assert.throws(
      () =>
        readClusters(new MemoryAgent({ inputs: { cluster: '/subscriptions/x/resourceGroups/g/providers/Microsoft.Web/sites/s' } }), {
          clusterType: 'connectedClusters',
        }),
      /^InputError: Input "cluster": .* is not an Arc connected cluster, AKS managed cluster or provisioned cluster resource id/,
    );
  });

  it('ignores the picker when not waiting for Flux', () => {
    assert.equal(clustersOf({ cluster: ARC_ID, waitForReconciliation: 'false' }), undefined);
  });
});

describe('GitOpsPromote@1 target branch from the branch picker', () => {
  it('takes refs/heads/<name> (the picker value) as <name>, and a typed name as it is', () => {
    assert.equal(branchName('refs/heads/main'), 'main');
    assert.equal(branchName('refs/heads/release/1.2'), 'release/1.2');
    assert.equal(branchName('main'), 'main');
    assert.equal(branchName('heads/main'), 'heads/main');
    assert.equal(readPromoteInputs(new MemoryAgent({ inputs: { ...BASE, cluster: ARC_ID, targetBranch: 'refs/heads/env/prod' } })).targetBranch, 'env/prod');
    assert.equal(readPromoteInputs(new MemoryAgent({ inputs: { ...BASE, cluster: ARC_ID } })).targetBranch, 'main');
  });
});
