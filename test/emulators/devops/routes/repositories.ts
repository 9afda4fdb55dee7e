// Git area: repositories, refs (with statuses), pushes.
import { text } from '../../common/json';
import { errors } from '../errors';
import type { Repository } from '../model';
import { asObject, bool, intOr, intParam, latestPerContext, list, ok, q, repoOf, Route, RouteDeps, routeTable, visibleRepositories } from './routing';

export function repositoryRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  const { svc, prs } = d;
  const afterChange = (repo: Repository, refs: string[]) => prs.afterRefChange(repo, refs);

  // Repositories
  on('GET', 'repositories', 'Repositories_List', async (ctx) => list(await Promise.all(visibleRepositories(d, ctx).map((r) => svc.repositoryJson(r)))));
  on('GET', 'repositories/{repositoryId}', 'Repositories_Get Repository', async (ctx) => ok(await svc.repositoryJson(repoOf(d, ctx))));

  // Refs
  on('GET', 'repositories/{repositoryId}/refs/{*filter}', 'Refs_List', async (ctx) => {
    const repo = repoOf(d, ctx);
    const filter = q(ctx, 'filter') ?? (ctx.rest.length ? ctx.rest.join('/') : undefined);
    let refs = await svc.listRefs(repo, filter, q(ctx, 'filterContains'), bool(q(ctx, 'peelTags')));
    if (bool(q(ctx, 'includeStatuses'))) {
      const latestOnly = bool(q(ctx, 'latestStatusesOnly'));
      refs = refs.map((r) => {
        let statuses = repo.commitStatuses.get(String(r.objectId)) ?? [];
        statuses = [...statuses].reverse();
        if (latestOnly) statuses = latestPerContext(statuses);
        return { ...r, statuses: statuses.map((s) => prs.statusJson(repo, s, `${svc.repoApiUrl(repo)}/commits/${text(r.objectId)}/statuses/${s.id}`)) };
      });
    }
    const top = intOr(q(ctx, '$top'), 0);
    if (top > 0) {
      const start = intOr(q(ctx, 'continuationToken'), 0);
      const page = refs.slice(start, start + top);
      return list(page, start + top < refs.length ? { 'x-ms-continuationtoken': String(start + top) } : undefined);
    }
    return list(refs);
  });
  on('POST', 'repositories/{repositoryId}/refs', 'Refs_Update Refs', async (ctx) => list(await svc.updateRefs(repoOf(d, ctx), ctx.body, ctx.by, afterChange)));

  // Pushes
  on('POST', 'repositories/{repositoryId}/pushes', 'Pushes_Create', async (ctx) =>
    ok(await svc.createPush(repoOf(d, ctx), asObject(ctx.body, 'push'), ctx.by, afterChange), 201),
  );
  on('GET', 'repositories/{repositoryId}/pushes', 'Pushes_List', async (ctx) => {
    const repo = repoOf(d, ctx);
    const skip = intOr(q(ctx, '$skip'), 0);
    const top = intOr(q(ctx, '$top'), 100);
    const refName = q(ctx, 'searchCriteria.refName', 'refName');
    const pushes = [...repo.pushes].reverse().filter((p) => !refName || p.refUpdates.some((r) => r.name === refName));
    const page = pushes.slice(skip, skip + top);
    return list(
      await Promise.all(
        page.map(async (p) => {
          const j = await svc.pushJson(repo, p, []);
          delete j.commits;
          if (!bool(q(ctx, 'searchCriteria.includeRefUpdates', 'includeRefUpdates'))) delete j.refUpdates;
          return j;
        }),
      ),
    );
  });
  on('GET', 'repositories/{repositoryId}/pushes/{pushId}', 'Pushes_Get', async (ctx) => {
    const repo = repoOf(d, ctx);
    const id = intParam(ctx.params.pushId, 'pushId');
    const push = repo.pushes.find((p) => p.pushId === id);
    if (!push) throw errors.pushNotFound(id);
    return ok(await svc.pushJson(repo, push));
  });

  return routes;
}
