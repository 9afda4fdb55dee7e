/**
 * Work items linked to a pull request. The service lists a PR's work items
 * (GET .../pullRequests/{id}/workitems) from the work items' links; a PR gets work items at
 * creation (workItemRefs), and later only through the Work Item Tracking API: an ArtifactLink
 * relation named "Pull Request" to the PR's artifact URI
 * (vstfs:///Git/PullRequestId/{projectId}%2F{repositoryId}%2F{pullRequestId}) added to the work item.
 *
 * Every work item is read before anything is linked, so an id that does not exist is an error
 * naming it and nothing is half done; a work item already linked is left alone, so a re-run adds
 * nothing twice.
 */
import { WorkItemTrackingApi } from 'azure-devops-node-api/WorkItemTrackingApi';
import { WorkItem, WorkItemExpand } from 'azure-devops-node-api/interfaces/WorkItemTrackingInterfaces';
import { DevOpsConnection } from './connection';
import { DevOpsError, NotFoundError } from './errors';
import { Repository } from './repository';
import { backoffDelay } from '../util/retry';
import { sleep } from '../util/time-budget';
import { isTransientFailure, retryAfterOf } from './transient';

/** Location id of wit/workItems (any wit location would do to discover the area). */
const WORK_ITEMS_LOCATION_ID = '72c7ddf8-2cdc-4f60-90cd-ab71c14a399b';
const ARTIFACT_LINK = 'ArtifactLink';
const PULL_REQUEST_LINK_NAME = 'Pull Request';

/** One or more work items do not exist, or the pipeline's identity cannot read them (the service does not say which). */
export class WorkItemNotFoundError extends NotFoundError {
  constructor(
    action: string,
    readonly ids: number[],
  ) {
    super(
      action,
      ids.length === 1
        ? `work item ${ids[0]} does not exist, or the pipeline's identity cannot read it`
        : `work items ${ids.join(', ')} do not exist, or the pipeline's identity cannot read them`,
    );
    this.name = 'WorkItemNotFoundError';
  }
}

const clients = new WeakMap<DevOpsConnection, WorkItemTrackingApi>();

/**
 * The real azure-devops-node-api WorkItemTrackingApi on this connection: same collection URL,
 * same auth handler and request options (the client's own retries off), created once.
 */
export function workItemTrackingApi(conn: DevOpsConnection): WorkItemTrackingApi {
  let api = clients.get(conn);
  if (!api) {
    api = new WorkItemTrackingApi(conn.collectionUrl, conn.git.http.handlers, conn.git.http.requestOptions, conn.git.userAgent);
    clients.set(conn, api);
  }
  return api;
}

/** "42", "#42" or 42 as a work item id; anything else is an error naming the value. */
export function parseWorkItemId(value: number | string): number {
  const text = String(value).trim().replace(/^#/, '');
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) > 2_147_483_647) throw new Error(`"${value}" is not a work item id (a positive number)`);
  return Number(text);
}

/** Ids parsed, duplicates dropped, order kept. */
export function normalizeWorkItemIds(values: readonly (number | string)[]): number[] {
  return [...new Set(values.map(parseWorkItemId))];
}

/** The artifact URI work item links use for a pull request (GitPullRequest.artifactId names the same). */
export function pullRequestArtifactUri(projectId: string, repositoryId: string, pullRequestId: number): string {
  return `vstfs:///Git/PullRequestId/${projectId}%2F${repositoryId}%2F${pullRequestId}`;
}

function sameUri(a: string | undefined, b: string): boolean {
  return (a ?? '').toLowerCase() === b.toLowerCase();
}

/** True when the work item has an ArtifactLink to this artifact URI (case-insensitive, as the service compares). */
export function isLinkedTo(workItem: WorkItem, artifactUri: string): boolean {
  return (workItem.relations ?? []).some((r) => r.rel === ARTIFACT_LINK && sameUri(r.url, artifactUri));
}

/** Ids of the work items linked to the pull request, ascending. */
export async function getPullRequestWorkItemIds(conn: DevOpsConnection, repo: Repository, pullRequestId: number): Promise<number[]> {
  const action = `listing the work items of pull request ${pullRequestId} in ${repo.display}`;
  const refs = await conn.idempotent(action, (git) => git.getPullRequestWorkItemRefs(repo.id, pullRequestId, repo.project.id));
  if (!refs) throw new NotFoundError(action, 'no such pull request');
  return refs
    .map((r) => Number(r.id))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
}

/** Reads work items with their relations; throws WorkItemNotFoundError naming every id that is missing. */
export async function readWorkItems(conn: DevOpsConnection, ids: readonly number[], purpose: string): Promise<Map<number, WorkItem>> {
  const wit = workItemTrackingApi(conn);
  const found = new Map<number, WorkItem>();
  const missing: number[] = [];
  for (const id of ids) {
    const item = await conn.idempotent(`reading work item ${id} (${purpose})`, () => wit.getWorkItem(id, undefined, undefined, WorkItemExpand.Relations));
    if (item && item.id === id) found.set(id, item);
    else missing.push(id);
  }
  if (missing.length > 0) throw new WorkItemNotFoundError(purpose, missing);
  return found;
}

/** Checks that the work items exist (before a pull request is created with them). */
export async function requireWorkItems(conn: DevOpsConnection, ids: readonly (number | string)[], purpose: string): Promise<number[]> {
  const wanted = normalizeWorkItemIds(ids);
  await readWorkItems(conn, wanted, purpose);
  return wanted;
}

export interface LinkResult {
  /** Work items linked by this call, in the order asked. */
  linked: number[];
  /** Work items that were linked already, in the order asked. */
  alreadyLinked: number[];
}

/**
 * Links work items to an existing pull request: the ones the PR lists already are left alone,
 * every other one is read first (all must exist, or nothing is linked), then gets an ArtifactLink
 * "Pull Request" unless it has one. A link whose answer is lost (timeout, 5xx) is checked by
 * reading the work item again before trying once more.
 */
export async function linkWorkItemsToPullRequest(
  conn: DevOpsConnection,
  repo: Repository,
  pullRequest: { id: number; artifactId?: string },
  workItemIds: readonly (number | string)[],
): Promise<LinkResult> {
  const wanted = normalizeWorkItemIds(workItemIds);
  if (wanted.length === 0) return { linked: [], alreadyLinked: [] };
  const prId = pullRequest.id;
  const purpose = `linking work items to pull request ${prId} in ${repo.display}`;
  const listed = new Set(await getPullRequestWorkItemIds(conn, repo, prId));
  const alreadyLinked = wanted.filter((id) => listed.has(id));
  const toCheck = wanted.filter((id) => !listed.has(id));
  if (toCheck.length === 0) return { linked: [], alreadyLinked };
  const artifactUri = pullRequest.artifactId || pullRequestArtifactUri(repo.project.id, repo.id, prId);
  const items = await readWorkItems(conn, toCheck, purpose);
  const linked: number[] = [];
  for (const id of toCheck) {
    if (isLinkedTo(items.get(id)!, artifactUri)) {
      alreadyLinked.push(id);
      continue;
    }
    await addPullRequestLink(conn, id, artifactUri, prId);
    linked.push(id);
  }
  const already = new Set(alreadyLinked);
  return { linked, alreadyLinked: wanted.filter((id) => already.has(id)) };
}

/** PATCH the work item with the ArtifactLink; on a transient failure, re-read and retry only if the link is not there. */
async function addPullRequestLink(conn: DevOpsConnection, workItemId: number, artifactUri: string, prId: number): Promise<void> {
  const wit = workItemTrackingApi(conn);
  const action = `linking work item ${workItemId} to pull request ${prId}`;
  const patch = [{ op: 'add', path: '/relations/-', value: { rel: ARTIFACT_LINK, url: artifactUri, attributes: { name: PULL_REQUEST_LINK_NAME } } }];
  // The locations of the wit area are fetched (and cached) by an idempotent request, so a failure below is the PATCH's own.
  await conn.idempotent(`discovering the Work Item Tracking API at ${conn.collectionUrl}`, () =>
    wit.vsoClient.getVersioningData('7.1', 'wit', WORK_ITEMS_LOCATION_ID, {}),
  );
  for (let attempt = 1; ; attempt++) {
    try {
      const updated = await conn.once(action, () => wit.updateWorkItem(undefined, patch, workItemId));
      if (!updated) throw new WorkItemNotFoundError(action, [workItemId]);
      return;
    } catch (error) {
      const cause = error instanceof DevOpsError ? (error.cause ?? error) : error;
      if (!isTransientFailure(cause) || attempt === 3) throw error;
      conn.options.log?.(conn.mask(`${action} failed (${error instanceof Error ? error.message : String(error)}); checking the work item before trying again`));
      const settings = conn.options.retry ?? {};
      await (settings.wait ?? sleep)(retryAfterOf(cause, conn.clock()) ?? backoffDelay(attempt, settings));
      const current = await conn.idempotent(`reading work item ${workItemId} again (${action})`, () =>
        wit.getWorkItem(workItemId, undefined, undefined, WorkItemExpand.Relations),
      );
      if (!current) throw new WorkItemNotFoundError(action, [workItemId]);
      if (isLinkedTo(current, artifactUri)) return;
    }
  }
}
