// Policy area: evaluations of the branch policies the emulator models, for one pull request
// (Evaluations_List). A branch's requiredReviewers is the "Minimum number of reviewers" policy; its
// rejectCompletion is a "Build" policy that is queued until a completion is refused, then rejected.
import { randomUUID } from 'node:crypto';
import { errors } from '../errors';
import type { Project, PullRequest } from '../model';
import { PullRequestStatus } from '../enums';
import { list, q, Route, RouteDeps, routeTable } from './routing';

/** Policy type ids and names as the service has them. */
export const MINIMUM_REVIEWERS_TYPE = { id: 'fa6ba3c2-1e53-4b0b-9a64-c8c5d2e4cc6c', displayName: 'Minimum number of reviewers' };
export const BUILD_TYPE = { id: '0609b952-1397-4640-95ec-e00a01b2c241', displayName: 'Build' };

const ARTIFACT = /^vstfs:\/\/\/CodeReview\/CodeReviewId\/([^/]+)\/(\d+)$/i;

// One evaluation id per pull request and policy, stable across reads.
const evaluationIds = new WeakMap<PullRequest, Map<string, string>>();
function evaluationId(pr: PullRequest, typeId: string): string {
  let ids = evaluationIds.get(pr);
  if (!ids) evaluationIds.set(pr, (ids = new Map<string, string>()));
  let id = ids.get(typeId);
  if (!id) ids.set(typeId, (id = randomUUID()));
  return id;
}

export function policyRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();

  on(
    'GET',
    'evaluations',
    'Evaluations_List',
    async (ctx) => {
      const artifactId = q(ctx, 'artifactId');
      if (!artifactId) throw errors.argumentNull('artifactId');
      const m = ARTIFACT.exec(decodeURIComponent(artifactId));
      if (!m) throw errors.invalidArgument('artifactId', `'${artifactId}' is not a pull request artifact id.`);
      const project = ctx.project ?? d.svc.findProject(ctx.org, m[1]);
      if (project.id.toLowerCase() !== m[1].toLowerCase()) throw errors.invalidArgument('artifactId', `'${artifactId}' is not in project ${project.name}.`);
      const pr = findPullRequest(project, Number(m[2]));
      await pr.repo.lock.run(async () => {
        await d.prs.refreshMerge(pr);
        await d.prs.evaluateAutoComplete(pr);
      });
      return list(evaluations(pr, artifactId));
    },
    'policy',
  );
  return routes;
}

function findPullRequest(project: Project, id: number): PullRequest {
  for (const repo of project.repositories.values()) {
    const pr = repo.pullRequests.get(id);
    if (pr) return pr;
  }
  throw errors.pullRequestNotFound(id);
}

/** The PolicyEvaluationRecords of the PR's target branch policies. */
function evaluations(pr: PullRequest, artifactId: string): unknown[] {
  const policy = pr.repo.policies.get(pr.targetRefName);
  if (!policy) return [];
  const completed = pr.status === PullRequestStatus.completed;
  const records: unknown[] = [];
  const record = (configId: number, type: { id: string; displayName: string }, status: string, settings: Record<string, unknown>) => ({
    evaluationId: evaluationId(pr, type.id),
    artifactId,
    status,
    configuration: { id: configId, revision: 1, type: { id: type.id, displayName: type.displayName }, isBlocking: true, isEnabled: true, settings },
  });
  if (policy.requiredReviewers > 0) {
    const approvals = pr.reviewers.filter((r) => r.vote >= 5 && r.identity.id !== pr.createdBy.id).length;
    const rejected = pr.reviewers.some((r) => r.vote <= -10);
    const met = completed || (approvals >= policy.requiredReviewers && !rejected);
    records.push(
      record(1, MINIMUM_REVIEWERS_TYPE, met ? 'approved' : 'rejected', {
        minimumApproverCount: policy.requiredReviewers,
        creatorVoteCounts: false,
        scope: [{ refName: pr.targetRefName, matchKind: 'Exact', repositoryId: pr.repo.id }],
      }),
    );
  }
  if (policy.rejectCompletion) {
    records.push(
      record(2, BUILD_TYPE, pr.policyRejected?.includes(policy.rejectCompletion) ? 'rejected' : 'queued', {
        buildDefinitionId: 1,
        displayName: policy.rejectCompletion,
        scope: [{ refName: pr.targetRefName, matchKind: 'Exact', repositoryId: pr.repo.id }],
      }),
    );
  }
  return records;
}
