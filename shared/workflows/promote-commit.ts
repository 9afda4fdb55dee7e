import { commitFolder, CommitFolderResult } from '../devops/commit-folder';
import { diffFolder, prepareDesiredFiles } from '../devops/folder-diff';
import { toServerPath } from '../devops/repo-paths';
import { readFolderTree } from '../devops/repository';
import { withPromotionTrailers } from '../devops/promotion-history';
import { commitMessageOf, PromotionContext, trailersOf } from './promote-context';
import type { FolderChanges } from './promote-report';

/** A commit of the environment folder; `recordedCommitId` is the commit to report (and the commitId output), when there is one. */
export interface FolderCommit {
  result: CommitFolderResult;
  recordedCommitId?: string;
}

/** How the folder at `commitId` differs from the rendered files. */
export async function changesAgainst(ctx: PromotionContext, commitId: string): Promise<FolderChanges> {
  const tree = await readFolderTree(ctx.conn, ctx.repo, commitId, ctx.folder);
  const diff = diffFolder(tree.files, prepareDesiredFiles(ctx.files));
  const changes = { added: diff.added, edited: diff.edited, deleted: diff.deleted, unchanged: diff.unchanged };
  if (!ctx.templates) return changes;
  // The templates folder's changes, by their repository path (they lie outside the environment folder).
  const templates = ctx.templates;
  const templateTree = await readFolderTree(ctx.conn, ctx.repo, commitId, templates.folder);
  const t = diffFolder(templateTree.files, prepareDesiredFiles(templates.files));
  const full = (paths: string[]) => paths.map((p) => toServerPath(templates.folder, p));
  return {
    added: [...changes.added, ...full(t.added)],
    edited: [...changes.edited, ...full(t.edited)],
    deleted: [...changes.deleted, ...full(t.deleted)],
    unchanged: changes.unchanged + t.unchanged,
  };
}

/** Commits the rendered folder (and the substituted templates, in the same commit) to `branch` (created from `baseBranch` when given and missing). */
export async function commitRendered(ctx: PromotionContext, branch: string, baseBranch: string | undefined): Promise<FolderCommit> {
  const { agent } = ctx;
  const result = await commitFolder(ctx.conn, ctx.repo, {
    branch,
    baseBranch,
    folder: ctx.folder,
    files: ctx.files,
    // One commit: the branch never holds the templates without the manifests they rendered, nor the reverse.
    ...(ctx.templates ? { alsoFolders: [{ folder: ctx.templates.folder, files: ctx.templates.files }] } : {}),
    message: withPromotionTrailers(commitMessageOf(ctx), trailersOf(ctx)),
    log: (line) => agent.info(line),
  });
  // On a promotion branch the head holds the change even when an earlier run committed it.
  const recordedCommitId = result.outcome === 'committed' || baseBranch !== undefined ? result.commitId : undefined;
  if (recordedCommitId) agent.setOutput('commitId', recordedCommitId);
  agent.info(
    result.outcome === 'committed'
      ? `Committed ${result.commitId.slice(0, 12)} to ${branch}: ${result.added.length} added, ${result.edited.length} edited, ${result.deleted.length} deleted`
      : `${branch} already holds these manifests at ${result.commitId.slice(0, 12)}`,
  );
  return { result, recordedCommitId };
}

export interface PushResult {
  commit: FolderCommit;
  changes: FolderChanges;
  delivery: { outcome: 'pushed' | 'unchanged'; deployedCommit: string };
}

/** Commits straight to the target branch (commitFolder compares with it itself). */
export async function deliverByPush(ctx: PromotionContext): Promise<PushResult> {
  const commit = await commitRendered(ctx, ctx.inputs.targetBranch, undefined);
  const { result } = commit;
  ctx.agent.setOutput('changed', String(result.outcome === 'committed'));
  return {
    commit,
    changes: {
      added: result.added,
      edited: result.edited,
      deleted: result.deleted,
      unchanged: ctx.files.size + (ctx.templates?.files.size ?? 0) - result.added.length - result.edited.length,
    },
    delivery: { outcome: result.outcome === 'committed' ? 'pushed' : 'unchanged', deployedCommit: result.commitId },
  };
}
