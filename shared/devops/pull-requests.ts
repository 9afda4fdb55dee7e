/**
 * Pull requests on the GitOps repository: find-or-create (one active PR per source and target, so
 * a re-run adopts it), description, reviewers (by id, email or name), work item links,
 * auto-complete. Waiting for the merge lives in pull-request-wait.ts.
 */
import { GitPullRequest, GitPullRequestMergeStrategy, PullRequestAsyncStatus, PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection, RetrySettings } from './connection';
import { DevOpsError, NotFoundError } from './errors';
import { resolveIdentity } from './identities';
import { branchRef, Repository } from './repository';
import { isTransientFailure } from './transient';
import { LinkResult, linkWorkItemsToPullRequest, normalizeWorkItemIds, requireWorkItems } from './work-items';

/** Azure DevOps limits (PR description 4000 characters, title 400). */
export const MAX_DESCRIPTION_LENGTH = 4000;
export const MAX_TITLE_LENGTH = 400;

export type MergeStrategy = 'noFastForward' | 'squash' | 'rebase' | 'rebaseMerge';

export interface Reviewer {
  /** Identity id (a GUID: a user, a group or a team). */
  id: string;
  required: boolean;
}

/**
 * A reviewer as a person writes it: an identity id (GUID), an email or unique name, a display name,
 * or a group name, scoped ("[fleet]\Release Approvers") or not when it is unique. Resolved through
 * the Identities API (see identities.ts).
 */
export interface ReviewerByName {
  name: string;
  required: boolean;
}

export type ReviewerRequest = Reviewer | ReviewerByName;

export interface PullRequestInfo {
  id: number;
  /** The PR page, e.g. https://dev.azure.com/org/project/_git/repo/pullrequest/12. */
  webUrl: string;
  status: 'active' | 'completed' | 'abandoned' | 'notSet';
  mergeStatus: 'notSet' | 'queued' | 'conflicts' | 'succeeded' | 'rejectedByPolicy' | 'failure';
  title: string;
  description: string;
  sourceRefName: string;
  targetRefName: string;
  isDraft: boolean;
  createdById?: string;
  autoComplete: boolean;
  lastMergeCommit?: string;
  lastMergeSourceCommit?: string;
  mergeFailureMessage?: string;
  reviewers: { id: string; displayName?: string; vote: number; required: boolean }[];
  /** The client's object, for anything not projected above. */
  raw: GitPullRequest;
}

export interface PullRequestRequest {
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description?: string;
  isDraft?: boolean;
  /** Reviewers by id or by name; every name is resolved before the PR is created or changed. */
  reviewers?: ReviewerRequest[];
  /**
   * Work items to link ("42", "#42" or 42): at creation, and to an adopted PR that lacks them.
   * They must all exist (checked before the PR is created or changed).
   */
  workItemIds?: (number | string)[];
}

export interface FindOrCreateResult {
  pullRequest: PullRequestInfo;
  created: boolean;
  /** The requested work items: linked by this call, or linked already (an adopted PR). */
  workItems: LinkResult;
}

const STATUS_NAMES: Record<number, PullRequestInfo['status']> = {
  [PullRequestStatus.NotSet]: 'notSet',
  [PullRequestStatus.Active]: 'active',
  [PullRequestStatus.Abandoned]: 'abandoned',
  [PullRequestStatus.Completed]: 'completed',
};
const MERGE_STATUS_NAMES: Record<number, PullRequestInfo['mergeStatus']> = {
  [PullRequestAsyncStatus.NotSet]: 'notSet',
  [PullRequestAsyncStatus.Queued]: 'queued',
  [PullRequestAsyncStatus.Conflicts]: 'conflicts',
  [PullRequestAsyncStatus.Succeeded]: 'succeeded',
  [PullRequestAsyncStatus.RejectedByPolicy]: 'rejectedByPolicy',
  [PullRequestAsyncStatus.Failure]: 'failure',
};
const MERGE_STRATEGIES: Record<MergeStrategy, GitPullRequestMergeStrategy> = {
  noFastForward: GitPullRequestMergeStrategy.NoFastForward,
  squash: GitPullRequestMergeStrategy.Squash,
  rebase: GitPullRequestMergeStrategy.Rebase,
  rebaseMerge: GitPullRequestMergeStrategy.RebaseMerge,
};
const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

export function pullRequestWebUrl(conn: DevOpsConnection, repo: Repository, id: number): string {
  return `${conn.collectionUrl}/${encodeURIComponent(repo.project.name)}/_git/${encodeURIComponent(repo.name)}/pullrequest/${id}`;
}

export function toPullRequestInfo(conn: DevOpsConnection, repo: Repository, pr: GitPullRequest): PullRequestInfo {
  const id = pr.pullRequestId ?? 0;
  const autoCompleteId = pr.autoCompleteSetBy?.id;
  return {
    id,
    webUrl: pullRequestWebUrl(conn, repo, id),
    status: STATUS_NAMES[pr.status ?? 0] ?? 'notSet',
    mergeStatus: MERGE_STATUS_NAMES[pr.mergeStatus ?? 0] ?? 'notSet',
    title: pr.title ?? '',
    description: pr.description ?? '',
    sourceRefName: pr.sourceRefName ?? '',
    targetRefName: pr.targetRefName ?? '',
    isDraft: pr.isDraft === true,
    createdById: pr.createdBy?.id,
    autoComplete: !!autoCompleteId && autoCompleteId !== EMPTY_GUID,
    lastMergeCommit: pr.lastMergeCommit?.commitId?.toLowerCase(),
    lastMergeSourceCommit: pr.lastMergeSourceCommit?.commitId?.toLowerCase(),
    mergeFailureMessage: pr.mergeFailureMessage,
    reviewers: (pr.reviewers ?? []).map((r) => ({ id: r.id ?? '', displayName: r.displayName, vote: r.vote ?? 0, required: r.isRequired === true })),
    raw: pr,
  };
}

/** Cuts text to a limit, saying so at the end. */
export function truncateForField(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const note = '\n\n... (truncated)';
  return text.slice(0, Math.max(0, limit - note.length)) + note;
}

/** Reads a pull request; `retry` overrides the connection's retry settings for this read (e.g. a budget). */
export async function getPullRequest(conn: DevOpsConnection, repo: Repository, id: number, retry?: RetrySettings): Promise<PullRequestInfo> {
  const action = `reading pull request ${id} of ${repo.display}`;
  const pr = await conn.idempotent(action, (git) => git.getPullRequest(repo.id, id, repo.project.id), retry);
  if (!pr) throw new NotFoundError(action, 'no such pull request');
  return toPullRequestInfo(conn, repo, pr);
}

/** The active pull request from source to target, if there is one. */
export async function findActivePullRequest(
  conn: DevOpsConnection,
  repo: Repository,
  sourceBranch: string,
  targetBranch: string,
): Promise<PullRequestInfo | undefined> {
  const sourceRefName = branchRef(sourceBranch);
  const targetRefName = branchRef(targetBranch);
  const found = await conn.idempotent(`looking for an active pull request ${sourceRefName} -> ${targetRefName} in ${repo.display}`, (git) =>
    git.getPullRequests(repo.id, { sourceRefName, targetRefName, status: PullRequestStatus.Active }, repo.project.id),
  );
  const match = (found ?? []).find((p) => p.sourceRefName === sourceRefName && p.targetRefName === targetRefName && p.status === PullRequestStatus.Active);
  return match ? toPullRequestInfo(conn, repo, match) : undefined;
}

/**
 * Identity ids for reviewers given by id or by name, in order; a reviewer named twice (or by two
 * names of the same identity) is kept once, required if any mention is. Unknown and ambiguous
 * names are errors naming the reviewer (UnknownIdentityError, AmbiguousIdentityError).
 */
export async function resolveReviewers(conn: DevOpsConnection, reviewers: readonly ReviewerRequest[]): Promise<Reviewer[]> {
  const byId = new Map<string, Reviewer>();
  const looked = new Map<string, string>();
  for (const r of reviewers) {
    let id: string;
    if ('id' in r && typeof r.id === 'string') id = r.id;
    else {
      const name = (r as ReviewerByName).name.trim();
      const key = name.toLowerCase();
      id = looked.get(key) ?? (await resolveIdentity(conn, name, 'reviewer')).id;
      looked.set(key, id);
    }
    const current = byId.get(id.toLowerCase());
    if (current) current.required = current.required || r.required;
    else byId.set(id.toLowerCase(), { id, required: r.required });
  }
  return [...byId.values()];
}

/**
 * Adopts the active pull request from source to target or creates it. Reviewer names are resolved
 * and work items checked first, so an unknown or ambiguous reviewer or a missing work item is an
 * error before anything changes. An adopted PR gets the requested title and description when they
 * differ, any missing reviewer and any missing work item link. Creating is retried only after
 * looking again (a create that timed out may have succeeded; a concurrent run may have created
 * it: 409 GitPullRequestExistsException).
 */
export async function findOrCreatePullRequest(conn: DevOpsConnection, repo: Repository, request: PullRequestRequest): Promise<FindOrCreateResult> {
  const sourceRefName = branchRef(request.sourceBranch);
  const targetRefName = branchRef(request.targetBranch);
  if (sourceRefName === targetRefName) throw new Error(`pull request in ${repo.display}: source and target are both ${sourceRefName}`);
  const title = truncateForField(request.title.trim(), MAX_TITLE_LENGTH);
  if (title === '') throw new Error(`pull request ${sourceRefName} -> ${targetRefName} in ${repo.display}: the title is empty`);
  const description = truncateForField(request.description ?? '', MAX_DESCRIPTION_LENGTH);
  const workItemIds = normalizeWorkItemIds(request.workItemIds ?? []);
  const reviewers = await resolveReviewers(conn, request.reviewers ?? []);
  let workItemsChecked = false;

  for (let attempt = 1; attempt <= 3; attempt++) {
    const existing = await findActivePullRequest(conn, repo, sourceRefName, targetRefName);
    if (existing) {
      let pr = existing;
      // Work items first: a missing one fails the adoption before the PR is changed.
      const workItems = await linkWorkItemsToPullRequest(conn, repo, { id: pr.id, artifactId: pr.raw.artifactId }, workItemIds);
      if (pr.title !== title || pr.description !== description) {
        pr = await updatePullRequestFields(conn, repo, pr.id, { title, description });
      }
      await addMissingReviewers(conn, repo, pr, reviewers);
      return { pullRequest: await getPullRequest(conn, repo, pr.id), created: false, workItems };
    }
    const action = `creating pull request ${sourceRefName} -> ${targetRefName} in ${repo.display}`;
    if (!workItemsChecked && workItemIds.length > 0) {
      // The service ignores work item refs it cannot resolve: check them before creating.
      await requireWorkItems(conn, workItemIds, `${action} with work items`);
      workItemsChecked = true;
    }
    try {
      const created = await conn.once(action, (git) =>
        git.createPullRequest(
          {
            sourceRefName,
            targetRefName,
            title,
            description,
            isDraft: request.isDraft === true,
            reviewers: reviewers.map((r) => ({ id: r.id, isRequired: r.required })),
            workItemRefs: workItemIds.map((id) => ({ id: String(id) })),
          },
          repo.id,
          repo.project.id,
        ),
      );
      if (!created || !created.pullRequestId) throw new NotFoundError(action, `the repository or branch ${sourceRefName} was not found`);
      return { pullRequest: toPullRequestInfo(conn, repo, created), created: true, workItems: { linked: workItemIds, alreadyLinked: [] } };
    } catch (error) {
      const cause = error instanceof DevOpsError ? (error.cause ?? error) : error;
      const exists = error instanceof DevOpsError && error.typeKey === 'GitPullRequestExistsException';
      if (!exists && !isTransientFailure(cause)) throw error;
      if (attempt === 3) throw error;
      // Look again: either it exists now (adopt it) or the create is tried once more.
    }
  }
  throw new Error('unreachable');
}

/** Sets title and/or description (absolute values: safe to repeat). */
export async function updatePullRequestFields(
  conn: DevOpsConnection,
  repo: Repository,
  id: number,
  fields: { title?: string; description?: string },
): Promise<PullRequestInfo> {
  const update: GitPullRequest = {};
  if (fields.title !== undefined) update.title = truncateForField(fields.title, MAX_TITLE_LENGTH);
  if (fields.description !== undefined) update.description = truncateForField(fields.description, MAX_DESCRIPTION_LENGTH);
  const action = `updating ${Object.keys(update).join(' and ')} of pull request ${id} in ${repo.display}`;
  const pr = await conn.idempotent(action, (git) => git.updatePullRequest(update, repo.id, id, repo.project.id));
  if (!pr) throw new NotFoundError(action, 'no such pull request');
  return toPullRequestInfo(conn, repo, pr);
}

export async function updatePullRequestDescription(conn: DevOpsConnection, repo: Repository, id: number, description: string): Promise<PullRequestInfo> {
  return updatePullRequestFields(conn, repo, id, { description });
}

/** Adds each reviewer the PR lacks (PUT per identity: safe to repeat); required flags are set as asked. */
export async function addMissingReviewers(conn: DevOpsConnection, repo: Repository, pr: PullRequestInfo, reviewers: Reviewer[]): Promise<void> {
  for (const reviewer of reviewers) {
    const current = pr.reviewers.find((r) => r.id.toLowerCase() === reviewer.id.toLowerCase());
    if (current && current.required === reviewer.required) continue;
    const action = `adding ${reviewer.required ? 'required' : 'optional'} reviewer ${reviewer.id} to pull request ${pr.id} in ${repo.display}`;
    const result = await conn.idempotent(action, (git) =>
      git.createPullRequestReviewer({ id: reviewer.id, isRequired: reviewer.required, vote: current?.vote ?? 0 }, repo.id, pr.id, reviewer.id, repo.project.id),
    );
    if (!result) throw new NotFoundError(action, 'no such pull request or identity');
  }
}

export interface AutoCompleteOptions {
  mergeStrategy: MergeStrategy;
  deleteSourceBranch: boolean;
  mergeCommitMessage?: string;
  transitionWorkItems?: boolean;
  /** Identity that sets auto-complete; default the PR's creator (the pipeline's identity). */
  setById?: string;
}

/** Turns on auto-complete, so branch policies (reviewers, builds) decide when the merge happens. */
export async function enableAutoComplete(
  conn: DevOpsConnection,
  repo: Repository,
  pr: PullRequestInfo,
  options: AutoCompleteOptions,
): Promise<PullRequestInfo> {
  const setById = options.setById ?? pr.createdById;
  const action = `turning on auto-complete (${options.mergeStrategy}) for pull request ${pr.id} in ${repo.display}`;
  if (!setById) throw new Error(`${action}: no identity to set it (the pull request has no creator; pass setById)`);
  const update: GitPullRequest = {
    autoCompleteSetBy: { id: setById },
    completionOptions: {
      mergeStrategy: MERGE_STRATEGIES[options.mergeStrategy],
      deleteSourceBranch: options.deleteSourceBranch,
      transitionWorkItems: options.transitionWorkItems ?? false,
      ...(options.mergeCommitMessage ? { mergeCommitMessage: options.mergeCommitMessage } : {}),
    },
  };
  const updated = await conn.idempotent(action, (git) => git.updatePullRequest(update, repo.id, pr.id, repo.project.id));
  if (!updated) throw new NotFoundError(action, 'no such pull request');
  return toPullRequestInfo(conn, repo, updated);
}

/** Abandons a pull request (e.g. when a promotion is cancelled). */
export async function abandonPullRequest(conn: DevOpsConnection, repo: Repository, id: number): Promise<PullRequestInfo> {
  const action = `abandoning pull request ${id} in ${repo.display}`;
  const pr = await conn.idempotent(action, (git) => git.updatePullRequest({ status: PullRequestStatus.Abandoned }, repo.id, id, repo.project.id));
  if (!pr) throw new NotFoundError(action, 'no such pull request');
  return toPullRequestInfo(conn, repo, pr);
}
