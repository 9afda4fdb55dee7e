// Git area: commit statuses and pull request statuses.
import { text } from '../../common/json';
import { errors } from '../errors';
import type { PullRequest } from '../model';
import { Json } from '../service';
import { asObject, bool, intOr, intParam, latestPerContext, list, ok, prOf, q, repoOf, Route, RouteDeps, routeTable } from './routing';

export function statusRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  const { svc, prs } = d;

  on('POST', 'repositories/{repositoryId}/commits/{commitId}/statuses', 'Statuses_Create', async (ctx) => {
    const repo = repoOf(d, ctx);
    const commitId = ctx.params.commitId.toLowerCase();
    if (!/^[0-9a-f]{40}$/.test(commitId) || (await repo.git.objectType(commitId)) !== 'commit') throw errors.commitNotFound(ctx.params.commitId);
    const status = prs.newStatus(repo, asObject(ctx.body, 'gitCommitStatusToCreate'), ctx.by, false);
    const all = repo.commitStatuses.get(commitId) ?? [];
    all.push(status);
    repo.commitStatuses.set(commitId, all);
    return ok(prs.statusJson(repo, status, `${svc.repoApiUrl(repo)}/commits/${commitId}/statuses/${status.id}`), 201);
  });
  on('GET', 'repositories/{repositoryId}/commits/{commitId}/statuses', 'Statuses_List', (ctx) => {
    const repo = repoOf(d, ctx);
    const commitId = ctx.params.commitId.toLowerCase();
    let statuses = [...(repo.commitStatuses.get(commitId) ?? [])].reverse(); // newest first
    if (bool(q(ctx, 'latestOnly'))) statuses = latestPerContext(statuses);
    const skip = intOr(q(ctx, '$skip', 'skip'), 0);
    const top = intOr(q(ctx, '$top', 'top'), 1000);
    return list(statuses.slice(skip, skip + top).map((s) => prs.statusJson(repo, s, `${svc.repoApiUrl(repo)}/commits/${commitId}/statuses/${s.id}`)));
  });
  // PR statuses
  const prStatusUrl = (pr: PullRequest, id: number) => `${svc.repoApiUrl(pr.repo)}/pullRequests/${pr.id}/statuses/${id}`;
  on('POST', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses', 'Pull Request Statuses_Create', async (ctx) => {
    const pr = await prOf(d, ctx);
    const status = prs.newStatus(pr.repo, asObject(ctx.body, 'status'), ctx.by, true);
    pr.statuses.push(status);
    return ok(prs.statusJson(pr.repo, status, prStatusUrl(pr, status.id)));
  });
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses', 'Pull Request Statuses_List', async (ctx) => {
    const pr = await prOf(d, ctx);
    return list(pr.statuses.map((s) => prs.statusJson(pr.repo, s, prStatusUrl(pr, s.id))));
  });
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses/{statusId}', 'Pull Request Statuses_Get', async (ctx) => {
    const pr = await prOf(d, ctx);
    const id = intParam(ctx.params.statusId, 'statusId');
    const s = pr.statuses.find((x) => x.id === id);
    if (!s) throw errors.statusNotFound(id);
    return ok(prs.statusJson(pr.repo, s, prStatusUrl(pr, s.id)));
  });
  on('DELETE', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses/{statusId}', 'Pull Request Statuses_Delete', async (ctx) => {
    const pr = await prOf(d, ctx);
    const id = intParam(ctx.params.statusId, 'statusId');
    if (!pr.statuses.some((x) => x.id === id)) throw errors.statusNotFound(id);
    pr.statuses = pr.statuses.filter((x) => x.id !== id);
    return { status: 200 };
  });
  on('PATCH', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses', 'Pull Request Statuses_Update', async (ctx) => {
    const pr = await prOf(d, ctx);
    if (!Array.isArray(ctx.body)) throw errors.invalidArgument('patchDocument', 'A JSON patch document is expected.');
    const remove = new Set<number>();
    for (const op of ctx.body as Json[]) {
      if (text(op.op).toLowerCase() !== 'remove') throw errors.invalidArgument('op', 'Only remove operations are supported on statuses.');
      remove.add(intParam(text(op.path).replace(/^\//, ''), 'path'));
    }
    pr.statuses = pr.statuses.filter((s) => !remove.has(s.id));
    return { status: 200 };
  });

  return routes;
}
