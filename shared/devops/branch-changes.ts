/**
 * The files a branch changed since it left another branch: the commit diffs API from the merge
 * base of the two commits to the branch's head (diffCommonCommit), every page. Used to tell whose
 * change a promotion branch carries, and whether the target has touched a folder since.
 */
import { GitVersionType } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection } from './connection';
import { NotFoundError } from './errors';
import { Repository } from './repository';

/** Repository paths (no leading "/") that `headCommit` changed since its merge base with `baseCommit`; `pageSize` changes per request. */
export async function pathsChangedSince(conn: DevOpsConnection, repo: Repository, baseCommit: string, headCommit: string, pageSize = 1000): Promise<string[]> {
  const action = `listing the files ${headCommit.slice(0, 12)} changed since ${baseCommit.slice(0, 12)} in ${repo.display}`;
  const paths: string[] = [];
  for (let skip = 0; ; skip += pageSize) {
    const diffs = await conn.idempotent(action, (git) =>
      git.getCommitDiffs(
        repo.id,
        repo.project.id,
        true,
        pageSize,
        skip,
        { version: baseCommit, versionType: GitVersionType.Commit },
        { version: headCommit, versionType: GitVersionType.Commit },
      ),
    );
    if (!diffs) throw new NotFoundError(action, 'one of the commits does not exist in the repository');
    const changes = diffs.changes ?? [];
    for (const change of changes) {
      const item = change.item;
      if (item?.path && item.isFolder !== true) paths.push(item.path.replace(/^\/+/, ''));
    }
    if (diffs.allChangesIncluded !== false || changes.length === 0) return paths;
  }
}

/** Whether a repository path lies in a folder (normalized, no leading or trailing "/"). */
export function isInFolder(repoPath: string, folder: string): boolean {
  const p = repoPath.replace(/^\/+/, '');
  return folder === '' || p === folder || p.startsWith(`${folder}/`);
}
