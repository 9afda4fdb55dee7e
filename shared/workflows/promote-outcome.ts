/** The end of a promotion: commit statuses, the Flux wait, the summary tab, the task's result. */
import type { Agent, TaskResultKind } from '../agent/agent';
import type { ReconciliationResult } from '../azure/wait';
import { postCommitStatus, StatusToPost } from '../devops/statuses';
import { formatDuration } from '../util/time-budget';
import type { PromotionContext } from './promote-context';
import { FluxAccess, waitForFlux } from './promote-flux';
import { healthNotAssessed, healthNotAssessedWarning, promotionMarkdown, PromotionRecord } from './promote-report';
import { postSourceStatus } from './promote-source-status';
import { parseVerifyUrls, runVerification, urlSecrets, VerificationResult } from './promote-verify';

/** What the commit status and summary call the release on the environment. */
function deployedWhat(ctx: PromotionContext): string {
  const { names, rollback } = ctx;
  return rollback ? `${names.app} rolled back from ${rollback.fromRelease} to ${names.release}` : `${names.app} ${names.release}`;
}

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
        description: `${deployedWhat(ctx)} ${ctx.rollback ? 'on' : 'promoted to'} ${names.environment} (Flux not awaited)`,
        context,
      });
      await postSourceStatus(ctx, { state: 'succeeded', description: `${deployedWhat(ctx)} promoted to ${names.environment} (Flux not awaited)` });
    }
    return undefined;
  }
  if (inputs.commitStatuses) {
    await postStatus(ctx, deployed, {
      state: 'pending',
      description: `Waiting for Flux on ${inputs.flux.clusters.length} cluster(s) to reconcile ${deployedWhat(ctx)}`,
      context,
    });
    await postSourceStatus(ctx, { state: 'pending', description: `Deploying to ${names.environment}: waiting for Flux to reconcile ${deployedWhat(ctx)}` });
  }
  const reconciliation = await waitForFlux(ctx, inputs.flux, azure, deployed);
  // What Arc lets us see: ObjectStatusDefinition.statusConditions are "the Kubernetes object status
  // conditions present on the cluster" (fluxConfigurations 2023-05-01/2025-04-01), so Flux's
  // `Healthy` condition (set only with wait: true or healthChecks) is the signal. The service's own
  // example (CreateFluxConfiguration, a wait: true kustomization) relays Ready alone, so a cluster
  // whose agent forwards only Ready makes this warning show for wait: true as well (README).
  const unassessed = reconciliation.ok ? healthNotAssessed(reconciliation) : [];
  if (unassessed.length > 0) ctx.agent.warning(healthNotAssessedWarning(unassessed));
  if (inputs.commitStatuses) {
    await postStatus(ctx, deployed, {
      state: reconciliation.ok ? 'succeeded' : 'failed',
      description: reconciliation.ok
        ? `Flux reconciled ${deployedWhat(ctx)} on ${reconciliation.outcomes.map((o) => o.label).join(', ')} in ${formatDuration(reconciliation.elapsedMs)}`
        : reconciliation.message.split('\n')[0],
      context,
    });
    await postSourceStatus(ctx, {
      state: reconciliation.ok ? 'succeeded' : 'failed',
      description: reconciliation.ok
        ? `Deployed to ${names.environment} (Flux reconciled ${deployedCommitShort(deployed)})`
        : reconciliation.message.split('\n')[0],
    });
  }
  return reconciliation;
}

/**
 * The verifyUrls smoke checks on the deployed commit, when any are given: the status
 * gitops-flow/<app>/<env> turns failed with the reason when they fail. Undefined when none.
 */
export async function verifyDeployment(
  ctx: PromotionContext,
  deployedCommit: string,
  options: { wait?: (ms: number) => Promise<void> } = {},
): Promise<VerificationResult | undefined> {
  const { agent, inputs, names } = ctx;
  if (inputs.verify.urls.length === 0) return undefined;
  const checks = parseVerifyUrls(inputs.verify.urls);
  for (const check of checks) for (const secret of urlSecrets(new URL(check.url))) agent.setSecret(secret);
  agent.group(`Verifying ${checks.length} URL(s) for ${names.app} on ${names.environment}`);
  let result: VerificationResult;
  try {
    result = await runVerification(checks, { timeoutMs: inputs.verify.timeoutMs, log: (line) => agent.info(line), wait: options.wait });
    agent.info(result.message);
  } finally {
    agent.endGroup();
  }
  if (inputs.commitStatuses && !result.ok) {
    await postStatus(ctx, deployedCommit, {
      state: 'failed',
      description: result.message,
      context: { genre: 'gitops-flow', name: `${names.app}/${names.environment}` },
    });
  }
  if (!result.ok) await postSourceStatus(ctx, { state: 'failed', description: result.message });
  return result;
}

/** After onFailure: rollback, the failed promotion's status says where the environment is now. */
export async function markRolledBack(ctx: PromotionContext, failedCommit: string, reason: string, rolledBack: PromotionRecord): Promise<void> {
  if (!ctx.inputs.commitStatuses) return;
  const back = rolledBack.error
    ? `the rollback failed: ${rolledBack.error.split('\n')[0]}`
    : `rolled back: ${ctx.names.environment} is back on ${rolledBack.app} ${rolledBack.release} at ${rolledBack.deployedCommit?.slice(0, 12)}`;
  await postStatus(ctx, failedCommit, {
    state: 'failed',
    description: `${reason.split('\n')[0]}; ${back}`,
    context: { genre: 'gitops-flow', name: `${ctx.names.app}/${ctx.names.environment}` },
  });
  await postSourceStatus(ctx, { state: 'failed', description: `${reason.split('\n')[0]}; ${back}` });
}

/** What failed after the delivery (Flux, then the smoke checks); undefined when nothing did. */
export function deploymentFailure(record: Pick<PromotionRecord, 'reconciliation' | 'verification'>): string | undefined {
  if (record.reconciliation && !record.reconciliation.ok) return record.reconciliation.message;
  if (record.verification && !record.verification.ok) return record.verification.message;
  return undefined;
}

function deployedCommitShort(commitId: string): string {
  return commitId.slice(0, 12);
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
  const failure = deploymentFailure(record);
  if (failure !== undefined) {
    const back = record.rolledBack;
    if (!back) return { result: 'Failed', message: failure };
    const after = back.error
      ? `The rollback failed too: ${back.error}`
      : `Rolled back: ${record.environment} is back on ${back.app} ${back.release} (commit ${back.deployedCommit?.slice(0, 12)}${back.reconciliation?.ok ? ', Flux reconciled' : ''})`;
    return { result: 'Failed', message: `${record.app} ${record.release} on ${record.environment} failed: ${failure}\n${after}` };
  }
  const where = `${record.repository} /${record.folder}`;
  const verified = record.verification ? `; ${record.verification.message}` : '';
  if (record.rollback && (record.outcome === 'unchanged' || record.outcome === 'pushed' || record.outcome === 'merged')) {
    const rb = record.rollback;
    return {
      result: 'Succeeded',
      message:
        record.outcome === 'unchanged'
          ? `${record.environment} already holds ${record.app} ${record.release}, as the rollback from ${rb.fromRelease} left it (${where}): nothing to roll back${r ? `; ${r.message}` : ''}${verified}`
          : `${record.app} on ${record.environment} rolled back from ${rb.fromRelease} to ${record.release} at ${record.deployedCommit?.slice(0, 12)} (${where})${r ? `; ${r.message}` : ''}${verified}`,
    };
  }
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
        message: `${record.app} ${record.release} promoted to ${record.environment} at ${record.deployedCommit?.slice(0, 12)} (${where})${r ? `; ${r.message}` : fluxAwaited ? '' : '; Flux not awaited'}${verified}`,
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
  agent.setOutput('verified', record.verification ? String(record.verification.ok) : 'skipped');
  uploadPromotionSummary(agent, record);
  const { result, message } = promotionOutcome(record, fluxAwaited);
  if (result === 'Succeeded') agent.progress(100, message.split('\n')[0]);
  agent.setResult(result, message);
}
