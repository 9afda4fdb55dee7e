/**
 * Which cluster a Flux configuration lives on: an Arc connected cluster, an AKS managed cluster or
 * a provisioned cluster, named by resource id, `resourceGroup/clusterName` or `clusterName`.
 */
export type ClusterType = 'connectedClusters' | 'managedClusters' | 'provisionedClusters';

export interface ClusterRef {
  subscriptionId?: string;
  resourceGroup: string;
  clusterType: ClusterType;
  clusterName: string;
}

/** The resource provider of each cluster type (the `clusterRp` of the fluxConfigurations API). */
export const CLUSTER_PROVIDERS: Record<ClusterType, string> = {
  connectedClusters: 'Microsoft.Kubernetes',
  managedClusters: 'Microsoft.ContainerService',
  provisionedClusters: 'Microsoft.HybridContainerService',
};

export function clusterLabel(c: ClusterRef): string {
  return `${c.resourceGroup}/${c.clusterName}`;
}

/**
 * A cluster from text: a resource id (`/subscriptions/../resourceGroups/../providers/Microsoft.Kubernetes/connectedClusters/name`),
 * or `resourceGroup/clusterName` with the default type, or just `clusterName` with the default group.
 */
export function parseClusterRef(text: string, defaults: { resourceGroup?: string; clusterType?: ClusterType; subscriptionId?: string } = {}): ClusterRef {
  const t = text.trim();
  const id = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)\/?$/i.exec(t);
  if (id) {
    const type = (Object.keys(CLUSTER_PROVIDERS) as ClusterType[]).find(
      (k) => k.toLowerCase() === id[4].toLowerCase() && CLUSTER_PROVIDERS[k].toLowerCase() === id[3].toLowerCase(),
    );
    if (!type) throw new Error(`"${t}" is not an Arc connected cluster, AKS managed cluster or provisioned cluster resource id`);
    return { subscriptionId: id[1], resourceGroup: id[2], clusterType: type, clusterName: id[5] };
  }
  const parts = t.split('/').filter(Boolean);
  if (parts.length === 0 || parts.length > 2 || /\s/.test(t))
    throw new Error(`"${text}" is not a cluster: use a resource id, resourceGroup/clusterName or clusterName`);
  const resourceGroup = parts.length === 2 ? parts[0] : defaults.resourceGroup;
  if (!resourceGroup) throw new Error(`cluster "${t}" needs a resource group (resourceGroup/clusterName)`);
  return {
    subscriptionId: defaults.subscriptionId,
    resourceGroup,
    clusterType: defaults.clusterType ?? 'connectedClusters',
    clusterName: parts[parts.length - 1],
  };
}
