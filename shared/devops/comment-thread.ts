/**
 * One comment thread per purpose on a pull request, created once and then updated in place. The
 * thread is found again by a hidden marker (an HTML comment, invisible in the rendered markdown)
 * in its first comment, so re-runs and later stages edit the same comment instead of adding more.
 */
import { CommentThreadStatus, CommentType, GitPullRequestCommentThread } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsConnection } from './connection';
import { DevOpsError, NotFoundError } from './errors';
import { Repository } from './repository';
import { isTransientFailure } from './transient';

/** Kept well under the service's comment size limit; longer text is cut with a note. */
export const MAX_COMMENT_LENGTH = 60_000;

export type ThreadStatus = 'active' | 'fixed' | 'wontFix' | 'closed' | 'byDesign' | 'pending';

const THREAD_STATUS: Record<ThreadStatus, CommentThreadStatus> = {
  active: CommentThreadStatus.Active,
  fixed: CommentThreadStatus.Fixed,
  wontFix: CommentThreadStatus.WontFix,
  closed: CommentThreadStatus.Closed,
  byDesign: CommentThreadStatus.ByDesign,
  pending: CommentThreadStatus.Pending,
};

/** `<!-- gitops-flow:<key> -->`; the key is limited to a safe alphabet so it cannot end the comment. */
export function markerFor(key: string): string {
  if (!/^[A-Za-z0-9._:/-]{1,100}$/.test(key)) throw new Error(`comment marker "${key}": use 1-100 letters, digits or . _ : / -`);
  return `<!-- gitops-flow:${key} -->`;
}

/** The comment text with its marker on the first line, cut to the size limit. */
export function commentWithMarker(key: string, content: string): string {
  const marker = markerFor(key);
  const body = `${marker}\n${content}`;
  if (body.length <= MAX_COMMENT_LENGTH) return body;
  const note = '\n\n... (truncated; the full text is in the pipeline run)';
  return body.slice(0, MAX_COMMENT_LENGTH - note.length) + note;
}

/** The live thread whose first comment carries the marker (the oldest, if several). */
export function findMarkedThread(threads: readonly GitPullRequestCommentThread[], key: string): GitPullRequestCommentThread | undefined {
  const marker = markerFor(key);
  return threads
    .filter((t) => !t.isDeleted && typeof t.comments?.[0]?.content === 'string' && t.comments[0].content.includes(marker) && !t.comments[0].isDeleted)
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0))[0];
}

export interface UpsertCommentResult {
  outcome: 'created' | 'updated' | 'unchanged';
  threadId: number;
  commentId: number;
}

/** Creates the marked thread, or updates its first comment (and status) when the text changed. */
export async function upsertPullRequestComment(
  conn: DevOpsConnection,
  repo: Repository,
  pullRequestId: number,
  options: { key: string; content: string; status?: ThreadStatus },
): Promise<UpsertCommentResult> {
  const content = commentWithMarker(options.key, options.content);
  const where = `pull request ${pullRequestId} of ${repo.display}`;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const threads = (await conn.idempotent(`reading comment threads of ${where}`, (git) => git.getThreads(repo.id, pullRequestId, repo.project.id))) ?? [];
    const thread = findMarkedThread(threads, options.key);
    if (thread && thread.id !== undefined) {
      const first = thread.comments![0];
      const commentId = first.id ?? 1;
      let outcome: UpsertCommentResult['outcome'] = 'unchanged';
      if (first.content !== content) {
        const action = `updating comment ${options.key} (thread ${thread.id}) on ${where}`;
        const updated = await conn.idempotent(action, (git) => git.updateComment({ content }, repo.id, pullRequestId, thread.id!, commentId, repo.project.id));
        if (!updated) throw new NotFoundError(action, 'the thread or comment no longer exists');
        outcome = 'updated';
      }
      if (options.status && thread.status !== THREAD_STATUS[options.status]) {
        const action = `setting comment thread ${thread.id} on ${where} to ${options.status}`;
        await conn.idempotent(action, (git) =>
          git.updateThread({ status: THREAD_STATUS[options.status!] }, repo.id, pullRequestId, thread.id!, repo.project.id),
        );
        outcome = 'updated';
      }
      return { outcome, threadId: thread.id, commentId };
    }
    const action = `creating comment ${options.key} on ${where}`;
    try {
      const created = await conn.once(action, (git) =>
        git.createThread(
          { comments: [{ parentCommentId: 0, content, commentType: CommentType.Text }], status: THREAD_STATUS[options.status ?? 'active'] },
          repo.id,
          pullRequestId,
          repo.project.id,
        ),
      );
      if (!created || created.id === undefined) throw new NotFoundError(action, 'no such pull request');
      return { outcome: 'created', threadId: created.id, commentId: created.comments?.[0]?.id ?? 1 };
    } catch (error) {
      const cause = error instanceof DevOpsError ? (error.cause ?? error) : error;
      // A create that failed in transit may have landed: read the threads again before retrying.
      if (attempt === 3 || !isTransientFailure(cause)) throw error;
    }
  }
  throw new Error('unreachable');
}
