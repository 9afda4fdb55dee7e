/**
 * Commit a desired folder state (path -> content) to a branch in ONE push that holds only the real
 * changes: adds, edits and deletes of files no longer desired. Blob ids are computed locally and
 * compared with the folder's listing, so no content is downloaded and nothing is pushed when the
 * folder already matches. The push carries the branch head it was computed against (oldObjectId);
 * when another writer moved the branch first (409 GitReferenceStaleException), the folder is read
 * again and the change recomputed, a bounded number of times.
 *
 * A push is never repeated blindly: after a throttled, failed or cut-off push the branch is read
 * again, so a push that did land shows up as "nothing left to change" and is not applied twice.
 */
import { GitPush, ItemContentType, VersionControlChangeType } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { backoffDelay } from '../util/retry';
import { formatDuration, sleep, TimeBudget } from '../util/time-budget';
import { DevOpsConnection } from './connection';
import { ConcurrentUpdateError, DevOpsError, NotFoundError } from './errors';
import { FileContent, isObjectId, ZERO_OBJECT_ID } from './git-blob';
import { diffFolder, encodeContent, FolderChange, prepareDesiredFiles } from './folder-diff';
import { normalizeFolder, toServerPath } from './repo-paths';
import { branchRef, readBranchHead, readFolderTree, Repository } from './repository';
import { isTransientFailure, retryAfterOf, transientReason } from './transient';

export interface CommitFolderRequest {
  /** Branch to commit to ("main", "refs/heads/gitops/promote/dev"). */
  branch: string;
  /** Target folder; every desired path is relative to it. "" or "/" is the repository root. */
  folder: string;
  /** The complete desired content of the folder: path relative to the folder -> text or bytes. */
  files: Readonly<Record<string, FileContent>> | ReadonlyMap<string, FileContent>;
  /**
   * Other folders whose complete desired state goes into the same commit (GitOpsPromote's
   * templatesFolder beside the manifests): one push, so the branch never holds one without the
   * other. Their paths are reported from the repository root ("/templates/dev/app/values.yaml").
   */
  alsoFolders?: readonly { folder: string; files: Readonly<Record<string, FileContent>> | ReadonlyMap<string, FileContent> }[];
  message: string;
  /** When `branch` does not exist: the branch to start it from (e.g. main). Without it, a missing branch is an error. */
  baseBranch?: string;
  author?: { name: string; email: string };
  /** Push attempts including the first, default 10. */
  maxAttempts?: number;
  /** Time for all attempts, default 3 min. */
  budgetMs?: number;
  /** Backoff between attempts (base, max), default 200 ms .. 5 s, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  wait?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

export interface CommitFolderResult {
  /** committed: a new commit holds the change; unchanged: the folder already matched, no push. */
  outcome: 'committed' | 'unchanged';
  /** The commit at which the branch holds the desired folder (the new commit, or the head). */
  commitId: string;
  /** The commit the change was computed against. */
  parentId: string;
  /** True when this call created the branch. */
  branchCreated: boolean;
  added: string[];
  edited: string[];
  deleted: string[];
  /** Pushes tried (0 when nothing differed at the first read). */
  pushes: number;
}

export async function commitFolder(conn: DevOpsConnection, repo: Repository, request: CommitFolderRequest): Promise<CommitFolderResult> {
  // Everything that can be checked offline is checked before the first request.
  const folder = normalizeFolder(request.folder);
  const desired = prepareDesiredFiles(request.files);
  const ref = branchRef(request.branch);
  if (request.message.trim() === '') throw new Error(`committing to ${ref} of ${repo.display}: the commit message is empty`);
  const maxAttempts = request.maxAttempts ?? 10;
  const budget = new TimeBudget(request.budgetMs ?? 180_000, conn.clock);
  const wait = request.wait ?? sleep;
  const also = (request.alsoFolders ?? []).map((f) => ({ folder: normalizeFolder(f.folder), desired: prepareDesiredFiles(f.files) }));
  for (const other of also) {
    const inside = (a: string, b: string) => a === b || b === '' || a.startsWith(`${b}/`);
    if (inside(other.folder, folder) || inside(folder, other.folder))
      throw new Error(`committing /${other.folder} with /${folder} to ${ref} of ${repo.display}: one folder lies inside the other`);
  }
  const where = `/${[folder, ...also.map((f) => f.folder)].join(', /')} on ${ref} of ${repo.display}`;

  let pushes = 0;
  let pushOutcomeUnknown = false;
  let lastFailure: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const head = await readBranchHead(conn, repo, ref);
    let base = head;
    if (base === undefined) {
      if (!request.baseBranch) throw new NotFoundError(`committing to ${where}`, `branch ${ref} does not exist (give a base branch to create it)`);
      base = await readBranchHead(conn, repo, request.baseBranch);
      if (base === undefined) throw new NotFoundError(`committing to ${where}`, `neither ${ref} nor its base ${branchRef(request.baseBranch)} exists`);
    }
    const tree = await readFolderTree(conn, repo, base, folder);
    const own = diffFolder(tree.files, desired);
    const others = await Promise.all(
      also.map(async (other) => ({ folder: other.folder, diff: diffFolder((await readFolderTree(conn, repo, base, other.folder)).files, other.desired) })),
    );
    const fromRoot = (pick: (d: typeof own) => string[]) => others.flatMap((o) => pick(o.diff).map((p) => toServerPath(o.folder, p)));
    const diff = {
      added: [...own.added, ...fromRoot((d) => d.added)],
      edited: [...own.edited, ...fromRoot((d) => d.edited)],
      deleted: [...own.deleted, ...fromRoot((d) => d.deleted)],
      changes: [...own.changes.map((c) => toChange(folder, c)), ...others.flatMap((o) => o.diff.changes.map((c) => toChange(o.folder, c)))],
    };
    if (diff.changes.length === 0) {
      return {
        outcome: pushOutcomeUnknown ? 'committed' : 'unchanged',
        commitId: base,
        parentId: base,
        branchCreated: false,
        added: [],
        edited: [],
        deleted: [],
        pushes,
      };
    }
    const push: GitPush = {
      // A new branch: the ref must not exist yet (40 zeros) and the commit names its parent, so two
      // runs creating the same branch race safely (the loser gets a stale ref and re-reads).
      refUpdates: [{ name: ref, oldObjectId: head ?? ZERO_OBJECT_ID }],
      commits: [
        {
          comment: request.message,
          changes: diff.changes,
          ...(head === undefined ? { parents: [base] } : {}),
          ...(request.author ? { author: request.author, committer: request.author } : {}),
        },
      ],
    };
    const action = `pushing ${describeCounts(diff)} to ${where} (attempt ${attempt}/${maxAttempts})`;
    pushes++;
    try {
      const result = await conn.once(action, (git) => git.createPush(push, repo.id, repo.project.id));
      if (!result) throw new NotFoundError(action, `repository ${repo.display} was not found`);
      const commitId = result.commits?.[result.commits.length - 1]?.commitId ?? result.refUpdates?.[0]?.newObjectId;
      if (!isObjectId(commitId)) throw new DevOpsError(action, 'the server accepted the push but returned no commit id');
      return {
        outcome: 'committed',
        commitId: commitId.toLowerCase(),
        parentId: base,
        branchCreated: head === undefined,
        added: diff.added,
        edited: diff.edited,
        deleted: diff.deleted,
        pushes,
      };
    } catch (error) {
      const cause = error instanceof DevOpsError ? (error.cause ?? error) : error;
      let delay: number;
      if (isStaleRef(error)) {
        delay = backoffDelay(attempt, { baseDelayMs: request.baseDelayMs ?? 200, maxDelayMs: request.maxDelayMs ?? 5_000, random: request.random });
        request.log?.(`${ref} of ${repo.display} moved while we pushed; reading it again`);
      } else if (isTransientFailure(cause)) {
        // The push may or may not have landed: read again before deciding anything.
        pushOutcomeUnknown = true;
        const backoff = backoffDelay(attempt, { baseDelayMs: request.baseDelayMs ?? 200, maxDelayMs: request.maxDelayMs ?? 5_000, random: request.random });
        delay = Math.max(retryAfterOf(cause, conn.clock()) ?? 0, backoff);
        request.log?.(conn.mask(`${transientReason(cause)} while ${action}; reading the branch again in ${formatDuration(delay)}`));
      } else {
        throw error;
      }
      lastFailure = error;
      if (attempt === maxAttempts) break;
      if (delay > budget.remainingMs()) {
        throw new DevOpsError(
          `committing to ${where}`,
          `gave up after ${attempt} push attempts: the next try (in ${formatDuration(delay)}) would exceed the time budget of ${formatDuration(budget.totalMs)} (last: ${(lastFailure as Error).message})`,
          { cause: lastFailure },
        );
      }
      await wait(delay);
    }
  }
  if (isStaleRef(lastFailure)) throw new ConcurrentUpdateError(`committing to ${where}`, maxAttempts, lastFailure);
  throw new DevOpsError(`committing to ${where}`, `gave up after ${maxAttempts} push attempts (last: ${(lastFailure as Error)?.message})`, {
    cause: lastFailure,
  });
}

/** 409 GitReferenceStaleException (TF401028), or a per-ref result saying staleOldObjectId. */
export function isStaleRef(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { statusCode?: number; typeKey?: string; message?: string; result?: { typeKey?: string } };
  const typeKey = e.typeKey ?? e.result?.typeKey;
  if (typeKey === 'GitReferenceStaleException') return true;
  return e.statusCode === 409 && /TF401028|already been updated by another client/i.test(e.message ?? '');
}

function toChange(folder: string, change: FolderChange) {
  const item = { path: toServerPath(folder, change.path) };
  if (change.kind === 'delete') return { changeType: VersionControlChangeType.Delete, item };
  const encoded = encodeContent(change.file.content);
  return {
    changeType: change.kind === 'add' ? VersionControlChangeType.Add : VersionControlChangeType.Edit,
    item,
    newContent: { content: encoded.content, contentType: encoded.contentType === 'rawtext' ? ItemContentType.RawText : ItemContentType.Base64Encoded },
  };
}

function describeCounts(diff: { added: string[]; edited: string[]; deleted: string[] }): string {
  const parts = [
    diff.added.length ? `${diff.added.length} added` : '',
    diff.edited.length ? `${diff.edited.length} edited` : '',
    diff.deleted.length ? `${diff.deleted.length} deleted` : '',
  ].filter(Boolean);
  return `${parts.join(', ')} file${diff.added.length + diff.edited.length + diff.deleted.length === 1 ? '' : 's'}`;
}
