/**
 * Rollback: the environment folder is given back the content it had just before the most recent
 * promotion of the app to the environment, found from the trailers in the folder's history. It is
 * folder state, not a git revert: the earlier tree is read through the API and committed as the
 * new state through the same delivery path as a promotion (pull request or push), so later commits
 * to other folders stay and nothing can conflict. A re-run when the folder already holds it
 * changes nothing.
 */
import type { DevOpsConnection } from '../devops/connection';
import { gitBlobId } from '../devops/git-blob';
import { FolderHistoryEntry, readFolderHistory } from '../devops/promotion-history';
import { readFilesAt } from '../devops/read-files';
import { toServerPath } from '../devops/repo-paths';
import { readFolderTree, Repository } from '../devops/repository';
import { parseManifests } from '../manifests/parse';
import { InputError } from '../util/errors';
import type { PromotionSubject, RollbackOf } from './promote-context';

/** What a rollback restores. */
export interface RollbackPlan extends RollbackOf {
  /** The release the restored folder holds. */
  toRelease: string;
  /** The application commit of that release, when its promotion recorded it. */
  toSourceCommit?: string;
  /** The most recent entry is already a rollback: the folder is restored as that rollback left it. */
  alreadyRolledBack: boolean;
}

/**
 * From a folder's history (newest first): the state to restore. The most recent promotion of the
 * app to the environment is undone by restoring the folder as of the commit before it in the
 * folder's history; there must be an earlier promotion (else: input error, nothing is written).
 * When the most recent entry is itself a rollback, that rollback's state is restored again (a
 * re-run is a no-op); to go back further, promote the older release.
 */
export function planRollback(history: readonly FolderHistoryEntry[], app: string, environment: string, where: string): RollbackPlan {
  const ours = (e: FolderHistoryEntry) => e.trailers?.app === app && e.trailers.environment === environment;
  const latestAt = history.findIndex(ours);
  if (latestAt < 0) {
    throw new InputError('action', `the history of ${where} holds no promotion of ${app} to ${environment}: there is nothing to roll back`);
  }
  const latest = history[latestAt];
  const t = latest.trailers!;
  if (t.action === 'rollback') {
    return {
      fromRelease: t.rolledBackFrom ?? 'an unknown release',
      fromCommit: latest.commitId,
      restoredFrom: latest.commitId,
      toRelease: t.release,
      toSourceCommit: t.sourceCommit,
      alreadyRolledBack: true,
    };
  }
  const earlier = history.slice(latestAt + 1).find(ours);
  if (!earlier) {
    throw new InputError(
      'action',
      `${app} ${t.release} (commit ${latest.commitId.slice(0, 12)}) is the first promotion to ${environment} in the history of ${where}: there is no earlier release to roll back to`,
    );
  }
  return {
    fromRelease: t.release,
    fromCommit: latest.commitId,
    restoredFrom: history[latestAt + 1].commitId,
    toRelease: earlier.trailers!.release,
    toSourceCommit: earlier.trailers!.sourceCommit,
    alreadyRolledBack: false,
  };
}

/**
 * The folder's files at `commitId`, byte for byte: each text read is checked against the blob id
 * the tree lists, so a file the items API cannot give back exactly (binary) stops the rollback.
 */
export async function readFolderFiles(conn: DevOpsConnection, repo: Repository, commitId: string, folder: string): Promise<Map<string, string>> {
  const tree = await readFolderTree(conn, repo, commitId, folder);
  const relative = [...tree.files.keys()].sort();
  const texts = await readFilesAt(
    conn,
    repo,
    commitId,
    relative.map((r) => toServerPath(folder, r).slice(1)),
  );
  const files = new Map<string, string>();
  for (const r of relative) {
    const path = toServerPath(folder, r).slice(1);
    const text = texts.get(path);
    if (text === undefined || gitBlobId(text) !== tree.files.get(r)) {
      throw new Error(`/${path} at ${commitId.slice(0, 12)} could not be read back exactly as text; a rollback restores text files only`);
    }
    files.set(r, text);
  }
  return files;
}

/** Kubernetes objects in the restored files (for the summary). */
function countObjects(files: ReadonlyMap<string, string>): number {
  let n = 0;
  for (const [file, text] of files) if (/\.ya?ml$/i.test(file)) n += parseManifests(text, file).objects.length;
  return n;
}

/**
 * The rollback as a promotion subject: the app and environment, the restored release and files.
 * With `templatesFolder` (the substituted templates written beside the manifests), that folder is
 * restored from the same commit: a promotion wrote both in one commit, so both go back together.
 */
export async function rollbackSubject(
  conn: DevOpsConnection,
  repo: Repository,
  request: { app: string; environment: string; folder: string; templatesFolder?: string; branch: string; version: string; log: (line: string) => void },
): Promise<PromotionSubject & { plan: RollbackPlan }> {
  const { app, environment, folder, branch, templatesFolder } = request;
  const history = await readFolderHistory(conn, repo, { branch, folder });
  const where = `/${folder} on ${branch} of ${repo.display}`;
  const plan = planRollback(history, app, environment, where);
  request.log(
    plan.alreadyRolledBack
      ? `The most recent change of ${app} on ${environment} is already a rollback from ${plan.fromRelease} to ${plan.toRelease} (${plan.fromCommit.slice(0, 12)})`
      : `Rolling back ${app} on ${environment} from ${plan.fromRelease} (${plan.fromCommit.slice(0, 12)}) to ${plan.toRelease}: /${folder} as of ${plan.restoredFrom.slice(0, 12)}`,
  );
  const files = await readFolderFiles(conn, repo, plan.restoredFrom, folder);
  if (files.size === 0) throw new Error(`/${folder} was empty at ${plan.restoredFrom.slice(0, 12)}: refusing to empty the environment folder`);
  // Empty when that promotion wrote no templates: restoring the state then removes the later ones.
  const templates =
    templatesFolder === undefined ? undefined : { folder: templatesFolder, files: await readFolderFiles(conn, repo, plan.restoredFrom, templatesFolder) };
  return {
    names: { app, environment, release: plan.toRelease },
    sourceCommit: plan.toSourceCommit ?? '',
    folder,
    files,
    ...(templates ? { templates } : {}),
    objects: countObjects(files),
    version: request.version,
    rollback: { fromRelease: plan.fromRelease, fromCommit: plan.fromCommit, restoredFrom: plan.restoredFrom },
    plan,
  };
}
