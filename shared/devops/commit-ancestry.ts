/**
 * Is one commit an ancestor of (or equal to) another? Asked of the server through the commit
 * diffs API: the merge base of ancestor and descendant is the ancestor itself exactly when it is
 * reachable from the descendant. Used to accept a Flux sync of a later commit that includes ours.
 */
import { GitVersionType } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection, RetrySettings } from './connection';
import { NotFoundError } from './errors';
import { isObjectId } from './git-blob';
import { Repository } from './repository';

export async function isAncestor(
  conn: DevOpsConnection,
  repo: Repository,
  ancestorCommit: string,
  descendantCommit: string,
  retry?: RetrySettings,
): Promise<boolean> {
  const ancestor = ancestorCommit.trim().toLowerCase();
  const descendant = descendantCommit.trim().toLowerCase();
  const invalid = (
    [
      ['ancestor', ancestor],
      ['descendant', descendant],
    ] as const
  ).find(([, id]) => !isObjectId(id));
  if (invalid) throw new Error(`checking ancestry in ${repo.display}: ${invalid[0]} "${invalid[1]}" is not a full commit id`);
  if (ancestor === descendant) return true;
  const action = `checking whether ${ancestor.slice(0, 12)} is an ancestor of ${descendant.slice(0, 12)} in ${repo.display}`;
  const diffs = await conn.idempotent(
    action,
    (git) =>
      git.getCommitDiffs(
        repo.id,
        repo.project.id,
        true,
        1,
        0,
        { version: ancestor, versionType: GitVersionType.Commit },
        { version: descendant, versionType: GitVersionType.Commit },
      ),
    retry,
  );
  if (!diffs) throw new NotFoundError(action, 'one of the commits does not exist in the repository');
  return typeof diffs.commonCommit === 'string' && diffs.commonCommit.toLowerCase() === ancestor;
}
