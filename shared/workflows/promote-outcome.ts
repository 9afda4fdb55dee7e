/** The end of a promotion: commit statuses, the Flux wait, the summary tab, the task's result. */
import type { Agent, TaskResultKind } from '../agent/agent';
import type { ReconciliationResult } from '../azure/wait';
import { postCommitStatus, StatusToPost } from '../devops/statuses';
import { formatDuration } from '../util/time-budget';
import type { PromotionContext } from './promote-context';
import { FluxAccess, waitForFlux } from './promote-flux';
import { promotionMarkdown, PromotionRecord } from './promote-report';

/**
 * Waits for Flux (when asked) on the commit that holds the release, mirroring the wait as commit
 * statuses; without Flux, a succeeded status says the release was promoted (not for an unchanged
 * environment). The reconciliation, or undefined when Flux was not awaited.
 */
export async function reconcile(
  ctx: PromotionContext,
  azure: FluxAccess | undefined,
  delivery: { outcome: string; deployedCommit: string },
): Promise<ReconciliationResult | undefined> {
  const { inputs, names } = ctx;
  const deployed = delivery.deployedCommit;
  const context = { genre: 'gitops-flow', name: `${names.app}/${names.environment}` };
  if (!inputs.flux || !azure) {
    if (inputs.commitStatuses && delivery.outcome !== 'unchanged') {
      await postStatus(ctx, deployed, {
        state: 'succeeded',
        description: `${names.app} ${names.release} promoted to ${names.environment} (Flux not awaited)`,
        context,
      });
    }
    return undefined;
  }
  if (inputs.commitStatuses) {
    await postStatus(ctx, deployed, {
      state: 'pending',
      description: `Waiting for Flux on ${inputs.flux.clusters.length} cluster(s) to reconcile ${names.app} ${names.release}`,
      context,
    });
  }
  const reconciliation = await waitForFlux(ctx, inputs.flux, azure, deployed);
  if (inputs.commitStatuses) {
    await postStatus(ctx, deployed, {
      state: reconciliation.ok ? 'succeeded' : 'failed',
      description: reconciliation.ok
        ? `Flux reconciled ${names.app} ${names.release} on ${reconciliation.outcomes.map((o) => o.label).join(', ')} in ${formatDuration(reconciliation.elapsedMs)}`
        : reconciliation.message.split('\n')[0],
      context,
    });
  }
  return reconciliation;
}

/** A status is a mirror of the outcome, not the outcome: a failure to post it is a warning. */
async function postStatus(ctx: PromotionContext, commitId: string, wanted: Omit<StatusToPost, 'targetUrl'>): Promise<void> {
  try {
    await postCommitStatus(ctx.conn, ctx.repo, commitId, { ...wanted, targetUrl: ctx.runUrl });
  } catch (err) {
    ctx.agent.warning(`Could not post the commit status on ${commitId.slice(0, 12)}: ${(err as Error).message}`);
  }
}

/** The task's result for a promotion that ran to its end; `fluxAwaited` is whether waitForReconciliation was on. */
export function promotionOutcome(record: PromotionRecord, fluxAwaited: boolean): { result: TaskResultKind; message: string } {
  const r = record.reconciliation;
  if (r && !r.ok) return { result: 'Failed', message: r.message };
  const where = `${record.repository} /${record.folder}`;
  switch (record.outcome) {
    case 'pull-request':
      return {
        result: 'Succeeded',
        message: `Pull request ${record.pullRequest?.id} ${record.pullRequest?.created === false ? 'adopted' : 'opened'} for ${record.app} ${record.release} -> ${record.environment} (${where}); not waiting for the merge`,
      };
    case 'unchanged':
      return { result: 'Succeeded', message: `${record.environment} already runs ${record.app} ${record.release} (${where})${r ? `; ${r.message}` : ''}` };
    default:
      return {
        result: 'Succeeded',
        message: `${record.app} ${record.release} promoted to ${record.environment} at ${record.deployedCommit?.slice(0, 12)} (${where})${r ? `; ${r.message}` : fluxAwaited ? '' : '; Flux not awaited'}`,
      };
  }
}

/** The summary tab of the run. */
export function uploadPromotionSummary(agent: Agent, record: PromotionRecord): void {
  agent.uploadSummary(`GitOps promotion: ${record.environment}`, promotionMarkdown(record), `gitops-promote-${record.environment}.md`);
}

/** Sets the reconciled output, uploads the summary and ends the task with the promotion's outcome. */
export function finishPromotion(agent: Agent, record: PromotionRecord, fluxAwaited: boolean): void {
  agent.setOutput('reconciled', String(record.reconciliation?.ok === true));
  uploadPromotionSummary(agent, record);
  const { result, message } = promotionOutcome(record, fluxAwaited);
  if (result === 'Succeeded') agent.progress(100, message.split('\n')[0]);
  agent.setResult(result, message);
}
