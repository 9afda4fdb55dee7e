import type { Agent } from '../agent/agent';
import { azureServiceConnection, pipelineJobContext } from '../agent/endpoints';
import { AzureCredential, createAzureCredential } from '../azure/credential';
import { createFluxConfigurationReader } from '../azure/flux-reader';
import { checkFluxAccess } from '../azure/preflight';
import { ReconciliationResult, waitForReconciliation } from '../azure/wait';
import { isAncestor } from '../devops/commit-ancestry';
import { repositoryWebUrl } from '../devops/repository';
import { InputError } from '../util/errors';
import { formatDuration, TimeBudget } from '../util/time-budget';
import type { PromotionContext } from './promote-context';
import type { PromoteInputs } from './promote-inputs';

/**
 * Waits for Flux on every cluster to reconcile `commitId` (or a later commit holding it), through
 * the Arc/AKS fluxConfigurations API with the AzureRM service connection's credential. Ancestry
 * questions go to the GitOps repository, so merges that land together still count.
 */
export type FluxAccess = AzureCredential & { connectionId: string };

/**
 * The Azure credential from the service connection, made (no request yet) before anything is
 * written, so a missing or unusable connection is an input error and not a half-done promotion.
 */
export function prepareFluxAccess(agent: Agent, flux: NonNullable<PromoteInputs['flux']>): FluxAccess {
  const connection = azureServiceConnection(agent, 'azureSubscription', flux.azureConnection);
  const proxy = agent.proxy();
  let azure: AzureCredential;
  try {
    azure = createAzureCredential(connection, pipelineJobContext(agent), { onSecret: (secret) => agent.setSecret(secret), proxy });
  } catch (err) {
    throw new InputError('azureSubscription', (err as Error).message);
  }
  for (const secret of azure.secrets) agent.setSecret(secret);
  const unscoped = flux.clusters.filter((c) => !c.subscriptionId);
  if (!azure.subscriptionId && unscoped.length > 0) {
    throw new InputError(
      'clusters',
      `the Azure service connection "${flux.azureConnection}" has no subscription: give the clusters as resource ids (/subscriptions/.../${unscoped[0].clusterName})`,
    );
  }
  return { ...azure, connectionId: flux.azureConnection };
}

/** Task progress while Flux is awaited: 60% with none reconciled, 95% with all (100% is the finished promotion). */
export function fluxProgress(reconciled: number, total: number): number {
  return 60 + (35 * reconciled) / Math.max(1, total);
}

/** The check before anything is written takes at most this long (or the Flux timeout, when shorter). */
export const PREFLIGHT_BUDGET_MS = 60_000;

/**
 * Before anything is written: a token for Resource Manager and one read of each cluster's Flux
 * configuration. A wrong secret, a missing role, cluster or configuration is an input error now,
 * not a failed wait after the merge.
 */
export async function preflightFlux(agent: Agent, flux: NonNullable<PromoteInputs['flux']>, azure: FluxAccess): Promise<void> {
  agent.info(
    `Checking that the Azure service connection (${azure.flow}) can read Flux configuration ${flux.fluxConfiguration} on ${flux.clusters.length} cluster(s)`,
  );
  await checkFluxAccess({
    credential: azure.credential,
    scope: azure.cloud.scope,
    read: createFluxConfigurationReader({
      credential: azure.credential,
      subscriptionId: azure.subscriptionId ?? '',
      armUrl: azure.cloud.armUrl,
      proxy: azure.proxy,
    }),
    clusters: flux.clusters,
    fluxConfigurationName: flux.fluxConfiguration,
    connectionName: flux.azureConnection,
    budgetMs: Math.min(PREFLIGHT_BUDGET_MS, flux.timeoutMs),
  });
}

export async function waitForFlux(
  ctx: PromotionContext,
  flux: NonNullable<PromoteInputs['flux']>,
  azure: FluxAccess,
  commitId: string,
): Promise<ReconciliationResult> {
  const { agent, conn, repo } = ctx;
  const subscriptionId = azure.subscriptionId;
  agent.group(`Waiting for Flux (${azure.flow}) on ${flux.clusters.length} cluster(s)`);
  agent.info(`Flux configuration ${flux.fluxConfiguration}, target ${commitId}, timeout ${formatDuration(flux.timeoutMs)}`);
  const seen = new Map<string, string>();
  let reconciledShown = 0;
  agent.progress(fluxProgress(0, flux.clusters.length), `Flux: 0 of ${flux.clusters.length} cluster(s) reconciled`);
  // the ancestry questions (Azure DevOps) end by the wait's deadline too
  const deadline = new TimeBudget(flux.timeoutMs);
  try {
    const result = await waitForReconciliation(
      {
        clusters: flux.clusters,
        fluxConfigurationName: flux.fluxConfiguration,
        kustomizations: flux.kustomizations,
        namespaces: flux.namespaces,
        targetCommit: commitId,
        isAncestor: (ancestor, descendant) => isAncestor(conn, repo, ancestor, descendant, { budgetMs: deadline.remainingMs() }),
        // A configuration syncing another repository or branch would never show our commit: say so at once.
        expectedSource: { url: repositoryWebUrl(conn, repo), branch: ctx.inputs.targetBranch },
        timeoutMs: flux.timeoutMs,
        nonCompliantGraceMs: flux.nonCompliantGraceMs,
        onProgress: (e) => {
          // The count can rise with an event whose line repeats the last one (the phase that
          // reconciled): the log line is deduplicated, the progress is not.
          if (e.reconciled !== reconciledShown) {
            reconciledShown = e.reconciled;
            agent.progress(fluxProgress(e.reconciled, e.total), `Flux: ${e.reconciled} of ${e.total} cluster(s) reconciled`);
          }
          const line = `${e.cluster}: ${e.phase}: ${e.message}`;
          if (seen.get(e.cluster) === line) return;
          seen.set(e.cluster, line);
          agent.info(line);
        },
      },
      { credential: azure.credential, subscriptionId: subscriptionId ?? '', armUrl: azure.cloud.armUrl, proxy: azure.proxy },
    );
    agent.info(result.message);
    return result;
  } finally {
    agent.endGroup();
  }
}
