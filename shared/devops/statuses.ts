/**
 * Commit statuses and pull request statuses, posted only when they change: the latest status with
 * the same context (genre + name) is read first and an identical one is not posted again, so a
 * re-run, or a poll loop reporting the same state, does not flood the commit's status list.
 */
import { GitStatus, GitStatusState } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection } from './connection';
import { DevOpsError, NotFoundError } from './errors';
import { Repository } from './repository';
import { isTransientFailure } from './transient';

export type StatusState = 'notSet' | 'pending' | 'succeeded' | 'failed' | 'error' | 'notApplicable' | 'partiallySucceeded';

export interface StatusToPost {
  state: StatusState;
  description: string;
  targetUrl?: string;
  /** genre groups statuses (e.g. "gitops-flow"); name is unique within it (e.g. "dev/reconciled"). */
  context: { genre: string; name: string };
}

const STATE_VALUES: Record<StatusState, GitStatusState> = {
  notSet: GitStatusState.NotSet,
  pending: GitStatusState.Pending,
  succeeded: GitStatusState.Succeeded,
  failed: GitStatusState.Failed,
  error: GitStatusState.Error,
  notApplicable: GitStatusState.NotApplicable,
  partiallySucceeded: GitStatusState.PartiallySucceeded,
};

/** The most recent status of the same context (highest id; newest creationDate when ids are missing). */
export function latestStatusFor(statuses: readonly GitStatus[], context: StatusToPost['context']): GitStatus | undefined {
  const same = statuses.filter((s) => (s.context?.genre ?? '') === context.genre && (s.context?.name ?? '') === context.name);
  return same.sort((a, b) => (b.id ?? 0) - (a.id ?? 0) || time(b.creationDate) - time(a.creationDate))[0];
}

/** Same state, description and target URL (the context is already the same). */
export function isSameStatus(existing: GitStatus | undefined, wanted: StatusToPost): boolean {
  if (!existing) return false;
  return (
    existing.state === STATE_VALUES[wanted.state] &&
    (existing.description ?? '') === wanted.description &&
    (existing.targetUrl ?? '') === (wanted.targetUrl ?? '')
  );
}

export interface PostStatusResult {
  posted: boolean;
  status: GitStatus;
}

/** Posts a commit status unless the latest one of its context is identical. */
export async function postCommitStatus(conn: DevOpsConnection, repo: Repository, commitId: string, status: StatusToPost): Promise<PostStatusResult> {
  const what = `status ${status.context.genre}/${status.context.name}=${status.state} on commit ${commitId.slice(0, 12)} of ${repo.display}`;
  return postUnlessSame(
    what,
    () =>
      conn.idempotent(`reading statuses of commit ${commitId.slice(0, 12)} in ${repo.display}`, (git) =>
        git.getStatuses(commitId, repo.id, repo.project.id, 1000, 0, false),
      ),
    () => conn.once(`posting ${what}`, (git) => git.createCommitStatus(toGitStatus(status), commitId, repo.id, repo.project.id)),
    status,
  );
}

/** Posts a pull request status unless the latest one of its context is identical. */
export async function postPullRequestStatus(conn: DevOpsConnection, repo: Repository, pullRequestId: number, status: StatusToPost): Promise<PostStatusResult> {
  const what = `status ${status.context.genre}/${status.context.name}=${status.state} on pull request ${pullRequestId} of ${repo.display}`;
  return postUnlessSame(
    what,
    () =>
      conn.idempotent(`reading statuses of pull request ${pullRequestId} in ${repo.display}`, (git) =>
        git.getPullRequestStatuses(repo.id, pullRequestId, repo.project.id),
      ),
    () => conn.once(`posting ${what}`, (git) => git.createPullRequestStatus(toGitStatus(status), repo.id, pullRequestId, repo.project.id)),
    status,
  );
}

async function postUnlessSame(
  what: string,
  list: () => Promise<GitStatus[] | null>,
  create: () => Promise<GitStatus | null>,
  status: StatusToPost,
): Promise<PostStatusResult> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const existing = (await list()) ?? [];
    const latest = latestStatusFor(existing, status.context);
    if (latest && isSameStatus(latest, status)) return { posted: false, status: latest };
    try {
      const created = await create();
      if (!created) throw new NotFoundError(`posting ${what}`, 'the commit, pull request or repository was not found');
      return { posted: true, status: created };
    } catch (error) {
      const cause = error instanceof DevOpsError ? (error.cause ?? error) : error;
      // A status POST that failed in transit may have landed: the next round reads before posting.
      if (attempt === 3 || !isTransientFailure(cause)) throw error;
    }
  }
  throw new Error('unreachable');
}

function toGitStatus(status: StatusToPost): GitStatus {
  return {
    state: STATE_VALUES[status.state],
    description: status.description,
    ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
    context: { genre: status.context.genre, name: status.context.name },
  };
}

function time(d: Date | string | undefined): number {
  if (!d) return 0;
  const t = new Date(d).getTime();
  return Number.isNaN(t) ? 0 : t;
}
