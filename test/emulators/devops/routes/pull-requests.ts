// Git area: pull requests (create, get, list, update, by id), their commits, work items, reviewers and properties.
import { errors } from '../errors';
import { PullRequestStatus, parseEnum } from '../enums';
import type { Repository } from '../model';
import { Json } from '../service';
import { asObject, bool, Ctx, intOr, intParam, list, ok, prOf, q, repoOf, Route, RouteDeps, routeTable, visibleRepositories } from './routing';

export function pullRequestRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  const { prs } = d;

  // Pull requests
  on('POST', 'repositories/{repositoryId}/pullrequests', 'Pull Requests_Create', async (ctx) => {
    const body = asObject(ctx.body, 'gitPullRequestToCreate');
    const pr = await prs.create(repoOf(d, ctx), body, ctx.by);
    return ok(await prs.json(pr, { includeWorkItemRefs: Array.isArray(body.workItemRefs) && body.workItemRefs.length > 0 }), 201);
  });
  on('GET', 'repositories/{repositoryId}/pullrequests', 'Pull Requests_Get Pull Requests', async (ctx) => {
    const repo = repoOf(d, ctx);
    await prs.refreshAll(repo);
    return list(await searchPullRequests(d, ctx, [repo]));
  });
  on('GET', 'repositories/{repositoryId}/pullrequests/{pullRequestId}', 'Pull Requests_Get Pull Request', async (ctx) => {
    const pr = await prOf(d, ctx);
    return ok(await prs.json(pr, { includeCommits: bool(q(ctx, 'includeCommits')), includeWorkItemRefs: bool(q(ctx, 'includeWorkItemRefs')) }));
  });
  on('PATCH', 'repositories/{repositoryId}/pullrequests/{pullRequestId}', 'Pull Requests_Update', async (ctx) =>
    ok(await prs.update(await prOf(d, ctx), asObject(ctx.body, 'gitPullRequestToUpdate'), ctx.by)),
  );
  on('GET', 'pullrequests', 'Pull Requests_Get Pull Requests By Project', async (ctx) => {
    const repos = visibleRepositories(d, ctx);
    for (const r of repos) await prs.refreshAll(r);
    return list(await searchPullRequests(d, ctx, repos));
  });
  on('GET', 'pullrequests/{pullRequestId}', 'Pull Requests_Get Pull Request By Id', async (ctx) => {
    const id = intParam(ctx.params.pullRequestId, 'pullRequestId');
    for (const repo of visibleRepositories(d, ctx)) {
      const pr = repo.pullRequests.get(id);
      if (pr) {
        await repo.lock.run(async () => {
          await prs.refreshMerge(pr);
          await prs.evaluateAutoComplete(pr);
        });
        return ok(await prs.json(pr));
      }
    }
    throw errors.pullRequestNotFound(id);
  });
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/commits', 'Pull Request Commits_Get Pull Request Commits', async (ctx) =>
    list(await prs.commits(await prOf(d, ctx))),
  );
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/workitems', 'Pull Request Work Items_List', async (ctx) => {
    const pr = await prOf(d, ctx);
    return list(d.workItems.linkedTo(pr).map((w) => d.workItems.ref(w)));
  });

  // Reviewers
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/reviewers', 'Pull Request Reviewers_List', async (ctx) => {
    const pr = await prOf(d, ctx);
    return list(((await prs.json(pr)).reviewers as unknown[]) ?? []);
  });
  on(
    'PUT',
    'repositories/{repositoryId}/pullRequests/{pullRequestId}/reviewers/{reviewerId}',
    'Pull Request Reviewers_Create Pull Request Reviewer',
    async (ctx) => {
      const pr = await prOf(d, ctx);
      const body = asObject(ctx.body, 'reviewer');
      const reviewer = prs.identity(pr.repo, ctx.params.reviewerId);
      await prs.vote(
        pr,
        reviewer,
        Number(body.vote ?? pr.reviewers.find((r) => r.identity.id === reviewer.id)?.vote ?? 0),
        body.isRequired === undefined ? undefined : body.isRequired === true,
      );
      const json = (await prs.json(pr)).reviewers as Json[];
      return ok(json.find((r) => r.id === reviewer.id));
    },
  );
  on('DELETE', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/reviewers/{reviewerId}', 'Pull Request Reviewers_Delete', async (ctx) => {
    const pr = await prOf(d, ctx);
    pr.reviewers = pr.reviewers.filter((r) => r.identity.id !== ctx.params.reviewerId.toLowerCase());
    return { status: 200 };
  });

  // PR properties
  on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/properties', 'Pull Request Properties_List', async (ctx) =>
    ok(prs.propertiesJson(await prOf(d, ctx))),
  );
  on('PATCH', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/properties', 'Pull Request Properties_Update', async (ctx) => {
    const pr = await prOf(d, ctx);
    prs.patchProperties(pr, ctx.body);
    return ok(prs.propertiesJson(pr));
  });
  return routes;
}

async function searchPullRequests(d: RouteDeps, ctx: Ctx, repos: Repository[]): Promise<Json[]> {
  const c = (name: string) => q(ctx, `searchCriteria.${name}`);
  const status = parseEnum(PullRequestStatus, c('status'), 'searchCriteria.status') ?? PullRequestStatus.active;
  const source = c('sourceRefName');
  const target = c('targetRefName');
  const creator = c('creatorId')?.toLowerCase();
  const reviewer = c('reviewerId')?.toLowerCase();
  const repositoryId = c('repositoryId')?.toLowerCase();
  const sourceRepositoryId = c('sourceRepositoryId')?.toLowerCase();
  const skip = intOr(q(ctx, '$skip'), 0);
  const top = intOr(q(ctx, '$top'), 101);
  const all = repos
    .flatMap((r) => [...r.pullRequests.values()])
    .filter((pr) => status === PullRequestStatus.all || pr.status === status)
    .filter((pr) => !source || pr.sourceRefName === source)
    .filter((pr) => !target || pr.targetRefName === target)
    .filter((pr) => !creator || pr.createdBy.id === creator)
    .filter((pr) => !reviewer || pr.reviewers.some((r) => r.identity.id === reviewer))
    .filter((pr) => !repositoryId || pr.repo.id === repositoryId)
    .filter((pr) => !sourceRepositoryId || pr.repo.id === sourceRepositoryId)
    .sort((a, b) => b.id - a.id);
  const page = all.slice(skip, skip + top);
  const out: Json[] = [];
  for (const pr of page) {
    const j = await d.prs.json(pr);
    const max = intOr(q(ctx, 'maxCommentLength'), -1);
    if (max >= 0 && typeof j.description === 'string') j.description = j.description.slice(0, max);
    delete j._links;
    out.push(j);
  }
  return out;
}
