// Git area: pull request threads and their comments.
import { errors } from '../errors';
import { asObject, Ctx, intParam, list, ok, prOf, Route, RouteDeps, routeTable } from './routing';

export function threadRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  const { prs } = d;

  // Threads and comments
  on('POST', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads', 'Pull Request Threads_Create', async (ctx) => {
    const pr = await prOf(d, ctx);
    return ok(prs.threadJson(pr, prs.createThread(pr, asObject(ctx.body, 'commentThread'), ctx.by)));
  });
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads', 'Pull Request Threads_List', async (ctx) => {
    const pr = await prOf(d, ctx);
    return list([...pr.threads.values()].map((t) => prs.threadJson(pr, t)));
  });
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}', 'Pull Request Threads_Get', async (ctx) => {
    const pr = await prOf(d, ctx);
    return ok(prs.threadJson(pr, prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'))));
  });
  on('PATCH', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}', 'Pull Request Threads_Update', async (ctx) => {
    const pr = await prOf(d, ctx);
    const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
    prs.updateThread(thread, asObject(ctx.body, 'commentThread'));
    return ok(prs.threadJson(pr, thread));
  });
  on('POST', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments', 'Pull Request Thread Comments_Create', async (ctx) => {
    const pr = await prOf(d, ctx);
    const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
    const comment = prs.newComment(thread, asObject(ctx.body, 'comment'), ctx.by);
    thread.comments.push(comment);
    return ok(prs.commentJson(pr, thread, comment));
  });
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments', 'Pull Request Thread Comments_List', async (ctx) => {
    const pr = await prOf(d, ctx);
    const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
    return list(thread.comments.map((c) => prs.commentJson(pr, thread, c)));
  });
  const findComment = async (ctx: Ctx) => {
    const pr = await prOf(d, ctx);
    const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
    const id = intParam(ctx.params.commentId, 'commentId');
    const comment = thread.comments.find((c) => c.id === id);
    if (!comment) throw errors.commentNotFound(id);
    return { pr, thread, comment };
  };
  on(
    'GET',
    'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}',
    'Pull Request Thread Comments_Get',
    async (ctx) => {
      const { pr, thread, comment } = await findComment(ctx);
      return ok(prs.commentJson(pr, thread, comment));
    },
  );
  on(
    'PATCH',
    'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}',
    'Pull Request Thread Comments_Update',
    async (ctx) => {
      const { pr, thread, comment } = await findComment(ctx);
      const body = asObject(ctx.body, 'comment');
      const now = new Date().toISOString();
      if (typeof body.content === 'string' && body.content !== comment.content) {
        comment.content = body.content;
        comment.lastContentUpdatedDate = now;
      }
      comment.lastUpdatedDate = now;
      thread.lastUpdatedDate = now;
      return ok(prs.commentJson(pr, thread, comment));
    },
  );
  on(
    'DELETE',
    'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}',
    'Pull Request Thread Comments_Delete',
    async (ctx) => {
      const { comment } = await findComment(ctx);
      comment.isDeleted = true;
      return { status: 200 };
    },
  );

  return routes;
}
