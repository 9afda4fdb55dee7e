/**
 * Delivery through a pull request: compare with the target branch, commit to a promotion branch,
 * open or adopt the pull request, abandon the promotions it supersedes, set auto-complete and wait
 * for the merge.
 */
import { isInFolder, pathsChangedSince } from '../devops/branch-changes';
import { isAncestor } from '../devops/commit-ancestry';
import { upsertPullRequestComment } from '../devops/comment-thread';
import { DevOpsError } from '../devops/errors';
import { listActivePullRequestsInto } from '../devops/pull-request-search';
import { PullRequestConflictError, waitForPullRequestMerge } from '../devops/pull-request-wait';
import {
  abandonPullRequest,
  enableAutoComplete,
  findActivePullRequest,
  findOrCreatePullRequest,
  getPullRequest,
  PullRequestInfo,
  Reviewer,
} from '../devops/pull-requests';
import { readBranchHead } from '../devops/repository';
import { postPullRequestStatus } from '../devops/statuses';
import { requireWorkItems, WorkItemNotFoundError } from '../devops/work-items';
import { InputError } from '../util/errors';
import { formatDuration, TimeBudget } from '../util/time-budget';
import { fillPlaceholders } from './placeholders';
import { changesAgainst, commitRendered } from './promote-commit';
import { withPromotionTrailers } from '../devops/promotion-history';
import { commitMessageOf, Delivery, fill, PromotionContext, promotionRecord, PromotionSteps, trailersOf } from './promote-context';
import type { FolderChanges } from './promote-report';
import { pullRequestDescription } from './promote-report';
import { describePromotion, PromotionIdentity, promotionMarker, readPromotionMarker, samePromotion } from './promote-marker';
import { resolvePromotionReviewers } from './promote-reviewers';

/** How many times a promotion rebuilds its change on the current target when its pull request conflicts. */
export const MAX_REBUILDS = 2;

/**
 * The pull-request path. Each step's result is stored in `steps` as it returns, so a failure
 * later on still shows in the summary what was done. When the pull request gets merge conflicts
 * while the merge is awaited (the target moved under it), it is abandoned with a comment and the
 * change is made again on the current target, at most MAX_REBUILDS times, within one merge budget.
 */
export async function deliverByPullRequest(ctx: PromotionContext, steps: PromotionSteps): Promise<Delivery> {
  const { agent, inputs } = ctx;
  // Starts with the first wait: it covers every rebuild's wait too.
  let mergeBudget: TimeBudget | undefined;
  let reviewers: Reviewer[] | undefined;
  for (let attempt = 0; ; attempt++) {
    const comparison = await compareWithTarget(ctx);
    steps.changes = comparison.changes;
    if (!comparison.changed) return { outcome: 'unchanged', deployedCommit: comparison.targetHead };

    reviewers ??= await checkPullRequestInputs(ctx);
    const chosen = await choosePromotionBranch(ctx, promotionBranchName(fill(ctx, inputs.promotionBranch)), comparison.targetHead);
    if (chosen.abandoned.length > 0) steps.rebuilt = [...(steps.rebuilt ?? []), ...chosen.abandoned];
    steps.branch = chosen.branch;
    steps.commitId = (await commitRendered(ctx, steps.branch, inputs.targetBranch)).recordedCommitId;
    const opened = await openOrAdoptPullRequest(ctx, steps.branch, reviewers, pullRequestDescription(promotionRecord(ctx, inputs.mode, steps), ctx.runUrl));
    steps.pullRequest = { id: opened.pullRequest.id, url: opened.pullRequest.webUrl, created: opened.created };
    agent.progress(20, `${opened.created ? 'Opened' : 'Adopted'} pull request ${opened.pullRequest.id}`);
    if (inputs.commitStatuses) await postValidationStatus(ctx, opened.pullRequest.id);
    if (inputs.pullRequest.supersede && inputs.promotionBranch.includes('{release}')) steps.superseded = await abandonSuperseded(ctx, opened.pullRequest);
    const pr = await setAutoComplete(ctx, opened.pullRequest);
    if (!inputs.pullRequest.waitForMerge) return { outcome: 'pull-request' };
    agent.progress(30, `Waiting for pull request ${pr.id} to be merged`);
    mergeBudget ??= new TimeBudget(inputs.pullRequest.mergeTimeoutMs, ctx.conn.clock);
    try {
      const merged = await waitForMerge(ctx, pr, mergeBudget);
      agent.progress(50, `Pull request ${pr.id} merged`);
      return { outcome: 'merged', deployedCommit: merged };
    } catch (err) {
      if (!(err instanceof PullRequestConflictError) || attempt >= MAX_REBUILDS || mergeBudget.expired()) throw err;
      agent.warning(`${err.message}. Rebuilding the change on the current ${inputs.targetBranch} (${attempt + 1} of ${MAX_REBUILDS})`);
      await abandonStalePullRequest(ctx, err.pullRequest, `has merge conflicts with ${inputs.targetBranch}`);
      steps.rebuilt = [...(steps.rebuilt ?? []), err.pullRequest.id];
    }
  }
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

/** This promotion as its pull request's marker names it. */
export function promotionIdentity(ctx: PromotionContext): PromotionIdentity {
  return { app: ctx.names.app, environment: ctx.names.environment, folder: ctx.folder };
}

/** What an existing promotion branch is to this promotion. */
export type BranchVerdict =
  | { kind: 'reuse'; pullRequest?: PullRequestInfo }
  /** Another promotion's change (another folder touched, or its PR's marker names another promotion): left alone. */
  | { kind: 'foreign'; reason: string }
  /** Ours, but its active PR conflicts or the target changed our folder since: the PR is abandoned and the change rebuilt. */
  | { kind: 'stale'; pullRequest: PullRequestInfo; reason: string }
  /** Ours, without an active PR, and behind the target: a leftover. */
  | { kind: 'leftover' };

/**
 * Judges an existing branch: only a branch whose own changes all lie in this promotion's folder,
 * and whose active PR (if any) carries this promotion's marker (or none, from an older version),
 * may be adopted; and only while its PR merges cleanly and the target has not changed the folder
 * since the branch left it.
 */
export async function judgePromotionBranch(ctx: PromotionContext, branch: string, head: string, targetHead: string): Promise<BranchVerdict> {
  const { conn, repo, folder } = ctx;
  const target = ctx.inputs.targetBranch;
  const outside = (await pathsChangedSince(conn, repo, targetHead, head)).filter((p) => !isInFolder(p, folder));
  if (outside.length > 0) return { kind: 'foreign', reason: `it changes /${outside[0]}, outside /${folder}` };
  const found = await findActivePullRequest(conn, repo, branch, target);
  if (!found) return (await isAncestor(conn, repo, targetHead, head)) ? { kind: 'reuse' } : { kind: 'leftover' };
  const marker = readPromotionMarker(found.description);
  if (marker && !samePromotion(marker, promotionIdentity(ctx))) {
    return { kind: 'foreign', reason: `its pull request ${found.id} promotes ${describePromotion(marker)}` };
  }
  // Read on its own: the merge status is fresh there.
  const pr = await getPullRequest(conn, repo, found.id);
  if (pr.mergeStatus === 'conflicts') return { kind: 'stale', pullRequest: pr, reason: `has merge conflicts with ${target}` };
  if (!(await isAncestor(conn, repo, targetHead, head))) {
    const moved = (await pathsChangedSince(conn, repo, head, targetHead)).filter((p) => isInFolder(p, folder));
    if (moved.length > 0) return { kind: 'stale', pullRequest: pr, reason: `is behind ${target}, which changed /${moved[0]} since the branch was made` };
  }
  return { kind: 'reuse', pullRequest: pr };
}

/**
 * The promotion branch to commit to: the named one when it is new, or holds this promotion's
 * change and can still be merged as it is (see judgePromotionBranch). Otherwise the first usable
 * "-2", "-3", ... variant, never a force push: another promotion's branch is left alone, a
 * leftover is skipped, and a stale PR of ours is abandoned with a comment (its id in `abandoned`).
 */
export async function choosePromotionBranch(ctx: PromotionContext, base: string, targetHead: string): Promise<{ branch: string; abandoned: number[] }> {
  const { conn, repo } = ctx;
  const targetBranch = ctx.inputs.targetBranch;
  const abandoned: number[] = [];
  for (let n = 1; n <= 20; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const head = await readBranchHead(conn, repo, candidate);
    if (head === undefined) return { branch: candidate, abandoned };
    const verdict = await judgePromotionBranch(ctx, candidate, head, targetHead);
    switch (verdict.kind) {
      case 'reuse':
        return { branch: candidate, abandoned };
      case 'foreign':
        ctx.agent.info(`${candidate} carries another promotion (${verdict.reason}): not adopting it`);
        break;
      case 'stale':
        await abandonStalePullRequest(ctx, verdict.pullRequest, verdict.reason);
        abandoned.push(verdict.pullRequest.id);
        break;
      case 'leftover':
        ctx.agent.info(`${candidate} is left over from an earlier promotion and behind ${targetBranch}: not reusing it`);
        break;
    }
  }
  throw new Error(`${base} and its -2 ... -20 variants are all taken by other or earlier promotions; delete the stale ones in ${repo.display}`);
}

/** Abandons a pull request of this promotion that can no longer merge as it is, with a comment saying why. */
export async function abandonStalePullRequest(ctx: PromotionContext, pr: PullRequestInfo, reason: string): Promise<void> {
  const target = ctx.inputs.targetBranch;
  await upsertPullRequestComment(ctx.conn, ctx.repo, pr.id, {
    key: 'gitops-flow-rebuilt',
    content: `This pull request ${reason}. GitOpsPromote abandoned it and made the change again on the current ${target}, in a new pull request from a new branch (never a force push).`,
    status: 'closed',
  });
  await abandonPullRequest(ctx.conn, ctx.repo, pr.id);
  ctx.agent.info(`Abandoned pull request ${pr.id} (${pr.sourceRefName}): it ${reason}; rebuilding the change on the current ${target}`);
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
    title: commitMessageOf(ctx),
    // The marker first: a description cut to the service's limit keeps it.
    description: `${promotionMarker(promotionIdentity(ctx))}\n${description}`,
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
  const identity = promotionIdentity(ctx);
  const superseded: number[] = [];
  for (const pr of await listActivePullRequestsInto(conn, repo, ctx.inputs.targetBranch)) {
    if (pr.id === ours.id || !matcher.test(pr.sourceRefName)) continue;
    // Same branch pattern, another folder (another pipeline's promotion): not ours to abandon.
    const marker = readPromotionMarker(pr.description);
    if (marker && !samePromotion(marker, identity)) continue;
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
      // The merge commit on the target branch is the one the history reader finds: it carries the trailers too.
      mergeCommitMessage: withPromotionTrailers(`${commitMessageOf(ctx)} (PR ${pr.id})`, trailersOf(ctx)),
    });
  } catch (err) {
    // Completed or abandoned meanwhile: the merge wait reads its state and says which.
    if (!(err instanceof DevOpsError && err.typeKey === 'GitPullRequestNotEditableException')) throw err;
    ctx.agent.info(`Pull request ${pr.id} can no longer be edited (completed or abandoned meanwhile)`);
    return pr;
  }
}

/** Waits for the merge within what is left of the budget; the merge commit (also the mergeCommitId output). */
async function waitForMerge(ctx: PromotionContext, pr: PullRequestInfo, budget: TimeBudget): Promise<string> {
  const { agent } = ctx;
  const { id } = pr;
  const timeoutMs = budget.remainingMs();
  agent.info(`Waiting up to ${formatDuration(timeoutMs)} for pull request ${id} to be merged`);
  const merged = await waitForPullRequestMerge(ctx.conn, ctx.repo, id, {
    timeoutMs,
    explainPolicies: true,
    lastKnown: pr,
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
