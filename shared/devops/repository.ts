/**
 * The GitOps repository: find it, read a branch head, list one folder's files (paths and blob ids,
 * no content) at an exact commit, and read a file when its content is needed. Every read touches
 * only the target folder, so its cost does not grow with the size of the repository.
 */
import { GitObjectType, GitVersionType, VersionControlRecursionType } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection } from './connection';
import { NotFoundError } from './errors';
import { isObjectId } from './git-blob';
import { folderServerPath, normalizeFolder, relativeToFolder } from './repo-paths';
import { parseRepositoryRef, RepositoryRef, withoutCredentials } from './repository-ref';

export interface Repository {
  id: string;
  name: string;
  project: { id: string; name: string };
  /** e.g. refs/heads/main; undefined for an empty repository. */
  defaultBranch?: string;
  /** "project/name", for messages. */
  display: string;
}

/** The repository's web page (and clone URL): <collection>/<project>/_git/<name>. */
export function repositoryWebUrl(conn: Pick<DevOpsConnection, 'collectionUrl'>, repo: Pick<Repository, 'name' | 'project'>): string {
  return `${conn.collectionUrl}/${encodeURIComponent(repo.project.name)}/_git/${encodeURIComponent(repo.name)}`;
}

/** refs/heads/<branch> for "main", "heads/main" or "refs/heads/main". */
export function branchRef(branch: string): string {
  const b = branch.trim();
  if (b === '') throw new Error('branch name is empty');
  if (b.startsWith('refs/')) return b;
  if (b.startsWith('heads/')) return `refs/${b}`;
  return `refs/heads/${b}`;
}

/**
 * Finds a repository by name, "project/name" or clone URL. A URL must point into this
 * connection's organization (use a connection for the other organization otherwise).
 */
export async function resolveRepository(conn: DevOpsConnection, reference: string | RepositoryRef, defaultProject?: string): Promise<Repository> {
  const ref = typeof reference === 'string' ? parseRepositoryRef(reference) : reference;
  const shown = typeof reference === 'string' ? withoutCredentials(reference.trim()) : `${ref.project ?? defaultProject ?? ''}/${ref.name}`;
  if (ref.collectionUrl && ref.collectionUrl.toLowerCase().replace(/\/+$/, '') !== conn.collectionUrl.toLowerCase()) {
    throw new Error(
      `repository "${shown}" is in ${ref.collectionUrl}, but the connection is to ${conn.collectionUrl}; ` +
        'connect to that organization (a personal access token for it) to use this repository',
    );
  }
  const project = ref.project ?? defaultProject;
  if (!project) throw new Error(`repository "${shown}": no project given and no default project (use project/name)`);
  const action = `looking up repository "${project}/${ref.name}" in ${conn.collectionUrl}`;
  const repo = await conn.idempotent(action, (git) => git.getRepository(ref.name, project));
  if (!repo || !repo.id) throw new NotFoundError(action, 'no such repository, or the token may not read it');
  return {
    id: repo.id,
    name: repo.name ?? ref.name,
    project: { id: repo.project?.id ?? project, name: repo.project?.name ?? project },
    defaultBranch: repo.defaultBranch,
    display: `${repo.project?.name ?? project}/${repo.name ?? ref.name}`,
  };
}

/** The commit a branch points to, or undefined when the branch does not exist. */
export async function readBranchHead(conn: DevOpsConnection, repo: Repository, branch: string): Promise<string | undefined> {
  const name = branchRef(branch);
  const refs = await conn.idempotent(`reading ${name} of ${repo.display}`, (git) => git.getRefs(repo.id, repo.project.id, name.slice('refs/'.length)));
  // The filter is a prefix match (heads/main also matches heads/main-2): take the exact name.
  const exact = (refs ?? []).find((r) => r.name === name);
  if (!exact) return undefined;
  if (!isObjectId(exact.objectId)) throw new Error(`reading ${name} of ${repo.display}: the server returned no commit id`);
  return exact.objectId.toLowerCase();
}

export interface FolderTree {
  /** The commit the listing was taken at. */
  commitId: string;
  /** Canonical folder ("" for the repository root). */
  folder: string;
  /** Path relative to the folder -> git blob id, for every file below it. */
  files: Map<string, string>;
}

/**
 * Lists every file under `folder` at `commitId` (items API, scopePath + recursionLevel Full, no
 * content). A folder that does not exist yet is an empty listing.
 */
export async function readFolderTree(conn: DevOpsConnection, repo: Repository, commitId: string, folder: string): Promise<FolderTree> {
  const canonical = normalizeFolder(folder);
  const scopePath = folderServerPath(canonical);
  const action = `listing ${scopePath} of ${repo.display} at ${commitId.slice(0, 12)}`;
  const items = await conn.idempotent(action, (git) =>
    git.getItems(repo.id, repo.project.id, scopePath, VersionControlRecursionType.Full, false, false, false, false, {
      version: commitId,
      versionType: GitVersionType.Commit,
    }),
  );
  const files = new Map<string, string>();
  for (const item of items ?? []) {
    if (!item.path) continue;
    const relative = relativeToFolder(canonical, item.path);
    if (relative === undefined) {
      if (item.path.replace(/^\/+/, '') === canonical && !item.isFolder && item.gitObjectType === GitObjectType.Blob) {
        throw new Error(`${action}: ${scopePath} is a file, not a folder`);
      }
      continue;
    }
    if (item.isFolder || item.gitObjectType === GitObjectType.Tree) continue;
    if (item.gitObjectType === GitObjectType.Commit) {
      throw new Error(`${action}: ${item.path} is a submodule; the target folder must hold only files`);
    }
    if (!isObjectId(item.objectId)) throw new Error(`${action}: the server returned no blob id for ${item.path}`);
    files.set(relative, item.objectId.toLowerCase());
  }
  return { commitId, folder: canonical, files };
}

/** A file's text at a branch or commit, or undefined when it does not exist there. */
export async function readFile(
  conn: DevOpsConnection,
  repo: Repository,
  path: string,
  version: { branch?: string; commitId?: string },
): Promise<string | undefined> {
  const serverPath = `/${path.replace(/^\/+/, '')}`;
  const at = version.commitId ?? branchRef(version.branch ?? repo.defaultBranch ?? 'main');
  const action = `reading ${serverPath} of ${repo.display} at ${at}`;
  const item = await conn.idempotent(action, (git) =>
    git.getItem(
      repo.id,
      serverPath,
      repo.project.id,
      undefined,
      undefined,
      false,
      false,
      false,
      version.commitId
        ? { version: version.commitId, versionType: GitVersionType.Commit }
        : { version: at.replace(/^refs\/heads\//, ''), versionType: GitVersionType.Branch },
      true,
    ),
  );
  if (!item) return undefined;
  if (item.isFolder) throw new Error(`${action}: it is a folder`);
  return item.content ?? '';
}
