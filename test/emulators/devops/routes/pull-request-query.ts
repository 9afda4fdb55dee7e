// Git area: Pull Request Query_Get (POST repositories/{repositoryId}/pullrequestquery), which pull
// requests produced (lastMergeCommit) or merged (commit) the given commits. Each query's result is
// a dictionary commit -> pull requests; a commit no pull request matches has no entry.
import { errors } from '../errors';
import { PullRequestStatus, parseEnum } from '../enums';
import type { PullRequest } from '../model';
import { Json } from '../service';
import { asObject, ok, repoOf, Route, RouteDeps, routeTable } from './routing';

/** GitPullRequestQueryType (azure-devops-node-api GitInterfaces). */
const GitPullRequestQueryType = { notSet: 0, lastMergeCommit: 1, commit: 2 } as const;
const TYPE_NAMES = ['notSet', 'lastMergeCommit', 'commit'];

export function pullRequestQueryRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  on('POST', 'repositories/{repositoryId}/pullrequestquery', 'Pull Request Query_Get', async (ctx) => {
    const repo = repoOf(d, ctx);
    const body = asObject(ctx.body, 'queries');
    if (!Array.isArray(body.queries)) throw errors.argumentNull('queries');
    await d.prs.refreshAll(repo);
    const queries: Json[] = [];
    const results: Json[] = [];
    for (const raw of body.queries as unknown[]) {
      const query = asObject(raw, 'queries');
      const type = parseEnum(GitPullRequestQueryType, query.type, 'type') ?? GitPullRequestQueryType.notSet;
      if (type === GitPullRequestQueryType.notSet) throw errors.invalidArgument('type', 'The query type must be lastMergeCommit or commit.');
      const items = Array.isArray(query.items) ? query.items.filter((i): i is string => typeof i === 'string') : [];
      const result: Json = {};
      for (const item of items) {
        const commit = item.toLowerCase();
        const matching: PullRequest[] = [];
        for (const pr of repo.pullRequests.values()) {
          if (type === GitPullRequestQueryType.lastMergeCommit ? pr.lastMergeCommit?.commitId === commit : await mergedCommit(d, pr, commit)) matching.push(pr);
        }
        if (matching.length > 0) result[item] = await Promise.all(matching.sort((a, b) => b.id - a.id).map((pr) => d.prs.json(pr)));
      }
      queries.push({ items, type: TYPE_NAMES[type] });
      results.push(result);
    }
    return ok({ queries, results });
  });
  return routes;
}

/** Whether a completed pull request merged this commit (one of its commits). */
async function mergedCommit(d: RouteDeps, pr: PullRequest, commit: string): Promise<boolean> {
  if (!pr.lastMergeCommit || pr.status !== PullRequestStatus.completed) return false;
  return (await d.prs.commits(pr)).some((c) => c.commitId === commit);
}
