import * as agent from '../agent/agent';
import { createAzureCredential } from '../azure/credential';
import { ReconciliationResult, waitForReconciliation } from '../azure/wait';
import { isAncestor } from '../devops/commit-ancestry';
import type { DevOpsConnection } from '../devops/connection';
import type { Repository } from '../devops/repository';
import { formatDuration } from '../util/time-budget';
import type { PromoteInputs } from './promote-inputs';

/**
 * Waits for Flux on every cluster to reconcile `commitId` (or a later commit holding it), through
 * the Arc/AKS fluxConfigurations API with the AzureRM service connection's credential. Ancestry
 * questions go to the GitOps repository, so merges that land together still count.
 */
export async function waitForFlux(flux: NonNullable<PromoteInputs['flux']>, commitId: string, conn: DevOpsConnection, repo: Repository, targetBranch: string): Promise<ReconciliationResult> {
  const connection = agent.azureServiceConnection('azureSubscription', flux.azureConnection);
  const azure = createAzureCredential(connection, agent.pipelineJobContext(), { onSecret: agent.setSecret });
  for (const secret of azure.secrets) agent.setSecret(secret);
  const subscriptionId = azure.subscriptionId;
  const unscoped = flux.clusters.filter((c) => !c.subscriptionId);
  if (!subscriptionId && unscoped.length > 0) {
    throw new Error(`The Azure service connection "${flux.azureConnection}" has no subscription: give the clusters as resource ids (/subscriptions/.../${unscoped[0].clusterName})`);
  }
  agent.group(`Waiting for Flux (${azure.flow}) on ${flux.clusters.length} cluster(s)`);
  agent.info(`Flux configuration ${flux.fluxConfiguration}, target ${commitId}, timeout ${formatDuration(flux.timeoutMs)}`);
  const seen = new Map<string, string>();
  try {
    const result = await waitForReconciliation(
      {
        clusters: flux.clusters,
        fluxConfigurationName: flux.fluxConfiguration,
        kustomizations: flux.kustomizations,
        namespaces: flux.namespaces,
        targetCommit: commitId,
        isAncestor: (ancestor, descendant) => isAncestor(conn, repo, ancestor, descendant),
        // A configuration syncing another repository or branch would never show our commit: say so at once.
        expectedSource: { url: `${conn.collectionUrl}/${encodeURIComponent(repo.project.name)}/_git/${encodeURIComponent(repo.name)}`, branch: targetBranch },
        timeoutMs: flux.timeoutMs,
        nonCompliantGraceMs: flux.nonCompliantGraceMs,
        onProgress: (e) => {
          const line = `${e.cluster}: ${e.phase}: ${e.message}`;
          if (seen.get(e.cluster) === line) return;
          seen.set(e.cluster, line);
          agent.info(line);
          agent.progress(20 + (80 * e.reconciled) / e.total, `Flux: ${e.reconciled} of ${e.total} cluster(s) reconciled`);
        },
      },
      { credential: azure.credential, subscriptionId: subscriptionId ?? '', armUrl: azure.cloud.armUrl },
    );
    agent.info(result.message);
    return result;
  } finally {
    agent.endGroup();
  }
}
