/**
 * The GitOps repository as the record of what each environment runs and ran. Every commit
 * GitOpsPromote makes (folder commits and its pull requests' merge commits) ends with git trailers
 * naming the app, environment, release, source commit and build; this module writes those
 * trailers and reads them back from the commits that touched an environment folder (commits API,
 * itemPath, newest first), so no other store is needed to know which release to roll back to.
 */
import { GitPullRequest, GitPullRequestQueryType, GitVersionType } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection } from './connection';
import { NotFoundError } from './errors';
import { folderServerPath, normalizeFolder } from './repo-paths';
import { branchRef, Repository } from './repository';

/** What a GitOpsPromote commit says about itself. */
export interface PromotionTrailers {
  action: 'promote' | 'rollback';
  app: string;
  environment: string;
  /** The release the folder holds after this commit. */
  release: string;
  /** The application commit the release was built from. */
  sourceCommit?: string;
  /** The pipeline run that made the commit. */
  buildUrl?: string;
  /** A rollback: the release it replaced. */
  rolledBackFrom?: string;
}

const KEYS: { key: string; field: keyof PromotionTrailers }[] = [
  { key: 'GitOps-Flow-Action', field: 'action' },
  { key: 'GitOps-Flow-App', field: 'app' },
  { key: 'GitOps-Flow-Environment', field: 'environment' },
  { key: 'GitOps-Flow-Release', field: 'release' },
  { key: 'GitOps-Flow-Source-Commit', field: 'sourceCommit' },
  { key: 'GitOps-Flow-Build', field: 'buildUrl' },
  { key: 'GitOps-Flow-Rolled-Back-From', field: 'rolledBackFrom' },
];

/** One line, no control characters: a value can neither end its trailer nor forge another. */
function oneLine(value: string): string {
  return [...value]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c))
    .join('')
    .trim();
}

/** The trailer block ("GitOps-Flow-App: web" lines), in a fixed order; empty values are left out. */
export function formatPromotionTrailers(trailers: PromotionTrailers): string {
  return KEYS.flatMap(({ key, field }) => {
    const value = trailers[field];
    return value === undefined || oneLine(value) === '' ? [] : [`${key}: ${oneLine(value)}`];
  }).join('\n');
}

/** The message with the trailers as its last paragraph (where git looks for trailers). */
export function withPromotionTrailers(message: string, trailers: PromotionTrailers): string {
  return `${message.replace(/\s+$/, '')}\n\n${formatPromotionTrailers(trailers)}`;
}

/**
 * The trailers of a commit message's last paragraph; undefined when it has no complete set (a
 * commit not made by GitOpsPromote, or one edited by hand). Keys are case-insensitive as in git.
 */
export function parsePromotionTrailers(message: string): PromotionTrailers | undefined {
  const paragraphs = message
    .replace(/\r\n/g, '\n')
    .trim()
    .split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const found: Partial<Record<keyof PromotionTrailers, string>> = {};
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const known = KEYS.find((k) => k.key.toLowerCase() === m[1].toLowerCase());
    if (known && m[2] !== '') found[known.field] = m[2].trim();
  }
  if (!found.app || !found.environment || !found.release) return undefined;
  const action = found.action === 'rollback' ? 'rollback' : found.action === 'promote' || found.action === undefined ? 'promote' : undefined;
  if (!action) return undefined;
  return {
    action,
    app: found.app,
    environment: found.environment,
    release: found.release,
    ...(found.sourceCommit ? { sourceCommit: found.sourceCommit } : {}),
    ...(found.buildUrl ? { buildUrl: found.buildUrl } : {}),
    ...(found.rolledBackFrom ? { rolledBackFrom: found.rolledBackFrom } : {}),
  };
}

/** One commit that changed the environment folder. */
export interface FolderHistoryEntry {
  commitId: string;
  /** The committer's date (when the commit reached the branch), ISO. */
  date?: string;
  /** The message's first line. */
  subject: string;
  /** Undefined for a commit that is not a GitOpsPromote commit (a hand edit, a seed). */
  trailers?: PromotionTrailers;
  /** The trailers were read from this pull request's source commit (a merge without them, completed by hand). */
  viaPullRequest?: number;
}

export interface HistoryQuery {
  /** The branch whose history is read (e.g. main). */
  branch: string;
  /** The environment folder. */
  folder: string;
  /** At most this many commits, default 100. */
  top?: number;
  /** At most this many trailer-less commits are traced to the pull request that made them, default 10. */
  traceTop?: number;
}

/**
 * The commits of `branch` that changed `folder`, newest first, with their trailers. The commits
 * API may cut long messages in lists (commentTruncated): those commits are read one by one.
 */
export async function readFolderHistory(conn: DevOpsConnection, repo: Repository, query: HistoryQuery): Promise<FolderHistoryEntry[]> {
  const folder = normalizeFolder(query.folder);
  const ref = branchRef(query.branch);
  const action = `reading the history of ${folderServerPath(folder)} on ${ref} of ${repo.display}`;
  const commits = await conn.idempotent(action, (git) =>
    git.getCommits(
      repo.id,
      {
        itemPath: folderServerPath(folder),
        itemVersion: { version: ref.slice('refs/heads/'.length), versionType: GitVersionType.Branch },
        $top: query.top ?? 100,
      },
      repo.project.id,
    ),
  );
  if (!commits) throw new NotFoundError(action, `repository ${repo.display} or branch ${ref} was not found`);
  const entries: FolderHistoryEntry[] = [];
  for (const c of commits) {
    if (!c.commitId) continue;
    let comment = c.comment ?? '';
    if (c.commentTruncated) {
      const full = await conn.idempotent(`reading commit ${c.commitId.slice(0, 12)} of ${repo.display}`, (git) =>
        git.getCommit(c.commitId!, repo.id, repo.project.id),
      );
      comment = full?.comment ?? comment;
    }
    const date = c.committer?.date ?? c.author?.date;
    entries.push({
      commitId: c.commitId.toLowerCase(),
      date: date ? new Date(date).toISOString() : undefined,
      subject: comment.split('\n')[0],
      trailers: parsePromotionTrailers(comment),
    });
  }
  return traceMergeCommits(conn, repo, entries, query.traceTop ?? DEFAULT_TRACE_TOP);
}

/** How many trailer-less commits (newest first) are traced to their pull request by default. */
export const DEFAULT_TRACE_TOP = 10;

/**
 * A pull request completed by hand (no auto-complete, so not with the task's merge message) leaves
 * a merge or squash commit without trailers. Such commits, the `limit` newest of them, are traced
 * to the pull request whose merge commit they are (one Pull Request Query for all of them), and get
 * the trailers of that pull request's source commit, the commit GitOpsPromote made with trailers.
 * REST calls: none when every commit has trailers, else 1 + one per traced pull request.
 */
async function traceMergeCommits(conn: DevOpsConnection, repo: Repository, entries: FolderHistoryEntry[], limit: number): Promise<FolderHistoryEntry[]> {
  const untraced = entries.filter((e) => !e.trailers).slice(0, Math.max(0, limit));
  if (untraced.length === 0) return entries;
  const answer = await conn.idempotent(`finding the pull requests that made ${untraced.length} commit(s) of ${repo.display}`, (git) =>
    git.getPullRequestQuery({ queries: [{ type: GitPullRequestQueryType.LastMergeCommit, items: untraced.map((e) => e.commitId) }] }, repo.id, repo.project.id),
  );
  const byCommit = new Map<string, GitPullRequest[]>();
  for (const [commit, prs] of Object.entries(answer?.results?.[0] ?? {})) byCommit.set(commit.toLowerCase(), prs);
  const traced = new Map<string, { trailers: PromotionTrailers; viaPullRequest: number }>();
  for (const e of untraced) {
    const pr = byCommit.get(e.commitId)?.find((p) => p.lastMergeCommit?.commitId?.toLowerCase() === e.commitId && p.lastMergeSourceCommit?.commitId);
    if (!pr) continue;
    const sourceId = pr.lastMergeSourceCommit!.commitId!;
    const source = await conn.idempotent(`reading commit ${sourceId.slice(0, 12)} (source of pull request ${pr.pullRequestId}) of ${repo.display}`, (git) =>
      git.getCommit(sourceId, repo.id, repo.project.id),
    );
    const trailers = parsePromotionTrailers(source?.comment ?? '');
    if (trailers) traced.set(e.commitId, { trailers, viaPullRequest: pr.pullRequestId! });
  }
  return entries.map((e) => ({ ...e, ...traced.get(e.commitId) }));
}

/** The promotions (and rollbacks) of one app to one environment in a folder's history, newest first. */
export function promotionsOf(history: readonly FolderHistoryEntry[], app: string, environment: string): FolderHistoryEntry[] {
  return history.filter((e) => e.trailers?.app === app && e.trailers.environment === environment);
}
