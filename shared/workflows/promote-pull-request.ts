/**
 * Delivery through a pull request: compare with the target branch, commit to a promotion branch,
 * open or adopt the pull request, abandon the promotions it supersedes, set auto-complete and wait
 * for the merge.
 */
import { isAncestor } from '../devops/commit-ancestry';
import { upsertPullRequestComment } from '../devops/comment-thread';
import { DevOpsError } from '../devops/errors';
import { listActivePullRequestsInto } from '../devops/pull-request-search';
import { waitForPullRequestMerge } from '../devops/pull-request-wait';
import { abandonPullRequest, enableAutoComplete, findActivePullRequest, findOrCreatePullRequest, PullRequestInfo, Reviewer } from '../devops/pull-requests';
import { readBranchHead } from '../devops/repository';
import { postPullRequestStatus } from '../devops/statuses';
import { requireWorkItems, WorkItemNotFoundError } from '../devops/work-items';
import { InputError } from '../util/errors';
import { formatDuration } from '../util/time-budget';
import { fillPlaceholders } from './placeholders';
import { changesAgainst, commitRendered } from './promote-commit';
import { Delivery, fill, PromotionContext, promotionRecord, PromotionSteps } from './promote-context';
import type { FolderChanges } from './promote-report';
import { pullRequestDescription } from './promote-report';
import { resolvePromotionReviewers } from './promote-reviewers';

/**
 * The pull-request path. Each step's result is stored in `steps` as it returns, so a failure
 * later on still shows in the summary what was done.
 */
export async function deliverByPullRequest(ctx: PromotionContext, steps: PromotionSteps): Promise<Delivery> {
  const { agent, inputs } = ctx;
  const comparison = await compareWithTarget(ctx);
  steps.changes = comparison.changes;
  if (!comparison.changed) return { outcome: 'unchanged', deployedCommit: comparison.targetHead };

  const reviewers = await checkPullRequestInputs(ctx);
  steps.branch = await choosePromotionBranch(ctx, promotionBranchName(fill(ctx, inputs.promotionBranch)), comparison.targetHead);
  steps.commitId = (await commitRendered(ctx, steps.branch, inputs.targetBranch)).recordedCommitId;
  const opened = await openOrAdoptPullRequest(ctx, steps.branch, reviewers, pullRequestDescription(promotionRecord(ctx, inputs.mode, steps), ctx.runUrl));
  steps.pullRequest = { id: opened.pullRequest.id, url: opened.pullRequest.webUrl, created: opened.created };
  if (inputs.commitStatuses) await postValidationStatus(ctx, opened.pullRequest.id);
  if (inputs.pullRequest.supersede && inputs.promotionBranch.includes('{release}')) steps.superseded = await abandonSuperseded(ctx, opened.pullRequest);
  const pr = await setAutoComplete(ctx, opened.pullRequest);
  if (!inputs.pullRequest.waitForMerge) return { outcome: 'pull-request' };
  agent.progress(15, `Waiting for pull request ${pr.id} to be merged`);
  return { outcome: 'merged', deployedCommit: await waitForMerge(ctx, pr.id) };
}

export interface TargetComparison {
  targetHead: string;
  changes: FolderChanges;
  changed: boolean;
}

/** The target branch's head and how its folder differs from the rendered files; sets the `changed` output. */
export async function compareWithTarget(ctx: PromotionContext): Promise<TargetComparison> {
  const { agent, inputs } = ctx;
  const targetHead = await readBranchHead(ctx.conn, ctx.repo, inputs.targetBranch);
  if (!targetHead) throw new InputError('targetBranch', `branch "${inputs.targetBranch}" does not exist in ${ctx.repo.display}`);
  const changes = await changesAgainst(ctx, targetHead);
  const changed = changes.added.length + changes.edited.length + changes.deleted.length > 0;
  agent.setOutput('changed', String(changed));
  if (!changed) agent.info(`/${ctx.folder} on ${inputs.targetBranch} already holds exactly these manifests: nothing to commit`);
  return { targetHead, changes, changed };
}

/** Reviewers resolved and work items checked before anything is written. */
export async function checkPullRequestInputs(ctx: PromotionContext): Promise<Reviewer[]> {
  const { pullRequest } = ctx.inputs;
  const reviewers = await resolvePromotionReviewers(ctx.conn, pullRequest.reviewers);
  if (pullRequest.workItemIds.length > 0) {
    await requireWorkItems(ctx.conn, pullRequest.workItemIds, 'linking to the promotion pull request').catch((err: unknown) => {
      throw err instanceof WorkItemNotFoundError ? new InputError('workItems', err.message) : err;
    });
  }
  return reviewers;
}

/**
 * The promotion branch to commit to: the named one when it is new, carries the active PR being
 * adopted, or already holds the target's head. A leftover from an earlier promotion of this release
 * that the target has moved past (kept after its merge, or its PR abandoned) would make a PR that
 * conflicts or reverts: then the first free "-2", "-3", ... variant is used, never a force push.
 */
export async function choosePromotionBranch(ctx: PromotionContext, base: string, targetHead: string): Promise<string> {
  const { conn, repo } = ctx;
  const targetBranch = ctx.inputs.targetBranch;
  for (let n = 1; n <= 20; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const head = await readBranchHead(conn, repo, candidate);
    if (head === undefined) return candidate;
    if (await findActivePullRequest(conn, repo, candidate, targetBranch)) return candidate;
    if (await isAncestor(conn, repo, targetHead, head)) return candidate;
    ctx.agent.info(`${candidate} is left over from an earlier promotion and behind ${targetBranch}: not reusing it`);
  }
  throw new Error(`${base} and its -2 ... -20 variants are all left over from earlier promotions; delete them in ${repo.display}`);
}

/** Opens the pull request, or adopts the active one from the branch (refreshing its description); sets the pullRequestId/Url outputs. */
export async function openOrAdoptPullRequest(
  ctx: PromotionContext,
  branch: string,
  reviewers: Reviewer[],
  description: string,
): Promise<{ pullRequest: PullRequestInfo; created: boolean }> {
  const { agent, inputs } = ctx;
  const { pullRequest, created } = await findOrCreatePullRequest(ctx.conn, ctx.repo, {
    sourceBranch: branch,
    targetBranch: inputs.targetBranch,
    title: fill(ctx, inputs.commitMessage),
    description,
    reviewers,
    workItemIds: inputs.pullRequest.workItemIds,
  });
  agent.setOutput('pullRequestId', String(pullRequest.id));
  agent.setOutput('pullRequestUrl', pullRequest.webUrl);
  agent.info(`${created ? 'Opened' : 'Adopted'} pull request ${pullRequest.id}: ${pullRequest.webUrl}`);
  return { pullRequest, created };
}

/** The PR status saying the manifests were rendered and validated. */
async function postValidationStatus(ctx: PromotionContext, pullRequestId: number): Promise<void> {
  await postPullRequestStatus(ctx.conn, ctx.repo, pullRequestId, {
    state: 'succeeded',
    description: `${ctx.objects} object(s) rendered and validated for ${ctx.names.environment}`,
    targetUrl: ctx.runUrl,
    context: { genre: 'gitops-flow', name: 'validation' },
  });
}

/**
 * Abandons the other open promotions of this app to this environment (same branch pattern, another
 * release): merged later, they would roll the environment back. Each gets a comment saying why.
 */
export async function abandonSuperseded(ctx: PromotionContext, ours: PullRequestInfo): Promise<number[]> {
  const { conn, repo } = ctx;
  // The branch pattern with {release} left in place: any release of this app and environment.
  const pattern = promotionBranchName(fillPlaceholders(ctx.inputs.promotionBranch, { app: ctx.names.app, environment: ctx.names.environment }));
  const escaped = pattern.split('{release}').map((part) => part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'));
  const matcher = new RegExp(`^refs/heads/${escaped.join('[^/]+')}$`);
  const superseded: number[] = [];
  for (const pr of await listActivePullRequestsInto(conn, repo, ctx.inputs.targetBranch)) {
    if (pr.id === ours.id || !matcher.test(pr.sourceRefName)) continue;
    await upsertPullRequestComment(conn, repo, pr.id, {
      key: 'gitops-flow-superseded',
      content: `Superseded by pull request ${ours.id} ([${ours.title}](${ours.webUrl})): a newer promotion of this application to this environment. Abandoned by GitOpsPromote so that merging it cannot roll the environment back.`,
      status: 'closed',
    });
    await abandonPullRequest(conn, repo, pr.id);
    ctx.agent.info(`Abandoned pull request ${pr.id} (${pr.sourceRefName}): superseded by ${ours.id}`);
    superseded.push(pr.id);
  }
  return superseded;
}

/** Auto-complete with the chosen merge strategy, when asked and the PR is still active; the PR as it now is. */
async function setAutoComplete(ctx: PromotionContext, pr: PullRequestInfo): Promise<PullRequestInfo> {
  const { pullRequest } = ctx.inputs;
  if (!pullRequest.autoComplete || pr.status !== 'active') return pr;
  try {
    return await enableAutoComplete(ctx.conn, ctx.repo, pr, {
      mergeStrategy: pullRequest.mergeStrategy,
      deleteSourceBranch: pullRequest.deleteSourceBranch,
      mergeCommitMessage: `${fill(ctx, ctx.inputs.commitMessage)} (PR ${pr.id})`,
    });
  } catch (err) {
    // Completed or abandoned meanwhile: the merge wait reads its state and says which.
    if (!(err instanceof DevOpsError && err.typeKey === 'GitPullRequestNotEditableException')) throw err;
    ctx.agent.info(`Pull request ${pr.id} can no longer be edited (completed or abandoned meanwhile)`);
    return pr;
  }
}

/** Waits for the merge; the merge commit (also the mergeCommitId output). */
async function waitForMerge(ctx: PromotionContext, id: number): Promise<string> {
  const { agent } = ctx;
  const timeoutMs = ctx.inputs.pullRequest.mergeTimeoutMs;
  agent.info(`Waiting up to ${formatDuration(timeoutMs)} for pull request ${id} to be merged`);
  const merged = await waitForPullRequestMerge(ctx.conn, ctx.repo, id, {
    timeoutMs,
    onProgress: (seen) => agent.info(`Pull request ${seen.id}: ${seen.status}${seen.mergeStatus ? `, merge ${seen.mergeStatus}` : ''}`),
  });
  agent.setOutput('mergeCommitId', merged.commitId);
  agent.info(`Pull request ${id} merged as ${merged.commitId}`);
  return merged.commitId;
}

/** Control characters (U+0000-U+001F, U+007F) as spaces: git refuses both in ref names. */
function controlsAsSpaces(text: string): string {
  return [...text].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join('');
}

/** A valid ref name from the filled pattern: characters git refuses become "-". */
export function promotionBranchName(text: string): string {
  const name = controlsAsSpaces(text)
    .replace(/^refs\/heads\//, '')
    .split('/')
    .map((part) =>
      part
        .replace(/[\s~^:?*[\\]+/g, '-')
        .replace(/\.\.+/g, '.')
        .replace(/^\.+|\.lock$|\.+$/g, '')
        .replace(/@\{/g, '-'),
    )
    .filter((part) => part !== '')
    .join('/');
  if (name === '') throw new InputError('promotionBranch', `"${text}" gives an empty branch name`);
  return name;
}
