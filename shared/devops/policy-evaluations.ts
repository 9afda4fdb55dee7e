/**
 * The branch policy evaluations of a pull request (Policy API, Evaluations - List): which blocking
 * policies are not approved yet, by name and status. Read only to explain a merge wait that timed
 * out, so one short bounded read; the pipeline's identity may lack policy read (403), and then the
 * caller says so instead.
 */
import { PolicyApi } from 'azure-devops-node-api/PolicyApi';
import type { PolicyEvaluationRecord } from 'azure-devops-node-api/interfaces/PolicyInterfaces';
import { DevOpsConnection, RetrySettings } from './connection';
import { Repository } from './repository';

export type PolicyStatus = 'queued' | 'running' | 'approved' | 'rejected' | 'notApplicable' | 'broken';

/** A blocking policy that holds the pull request: "Minimum number of reviewers", rejected. */
export interface UnmetPolicy {
  name: string;
  status: PolicyStatus;
}

/** What a read of the evaluations gave: the unmet blocking policies, or why they are unknown. */
export type PolicyReading = { unmet: UnmetPolicy[] } | { error: unknown };

const clients = new WeakMap<DevOpsConnection, PolicyApi>();

/** The real azure-devops-node-api PolicyApi on this connection (same URL, auth and request options), created once. */
export function policyApi(conn: DevOpsConnection): PolicyApi {
  let api = clients.get(conn);
  if (!api) {
    api = new PolicyApi(conn.collectionUrl, conn.git.http.handlers, conn.git.http.requestOptions, conn.git.userAgent);
    clients.set(conn, api);
  }
  return api;
}

/** The artifact a pull request's policy evaluations are filed under. */
export function pullRequestArtifactId(projectId: string, pullRequestId: number): string {
  return `vstfs:///CodeReview/CodeReviewId/${projectId}/${pullRequestId}`;
}

/** PolicyEvaluationStatus by value (the client turns the service's names into these numbers); the enum itself would load the client's interfaces at import. */
const STATUS_NAMES: PolicyStatus[] = ['queued', 'running', 'approved', 'rejected', 'notApplicable', 'broken'];

/**
 * The enabled blocking policies not approved (and applicable), in the service's order. A policy's
 * name is its own display name when it has one (a build policy's), else its type's. Pure.
 */
export function unmetBlockingPolicies(records: PolicyEvaluationRecord[]): UnmetPolicy[] {
  const unmet: UnmetPolicy[] = [];
  for (const r of records) {
    const config = r.configuration;
    if (!config || config.isBlocking !== true || config.isEnabled === false) continue;
    const status = typeof r.status === 'string' ? (r.status as PolicyStatus) : (STATUS_NAMES[r.status ?? 0] ?? 'queued');
    if (status === 'approved' || status === 'notApplicable') continue;
    const own = (config.settings as { displayName?: unknown } | undefined)?.displayName;
    const name = typeof own === 'string' && own.trim() ? own.trim() : (config.type?.displayName ?? config.type?.id ?? `policy ${config.id ?? '?'}`);
    // One line, whatever an administrator typed: the name ends up in a log line.
    unmet.push({ name: [...name].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c)).join(''), status });
  }
  return unmet;
}

/**
 * Reads the PR's evaluations: one request, retried only within `retry.budgetMs` (default 5 s,
 * 3 attempts). Never throws: a failure (403 without policy read) comes back as `{ error }`.
 */
export async function readUnmetPolicies(conn: DevOpsConnection, repo: Repository, pullRequestId: number, retry: RetrySettings = {}): Promise<PolicyReading> {
  const api = policyApi(conn);
  const artifactId = pullRequestArtifactId(repo.project.id, pullRequestId);
  try {
    const records = await conn.idempotent(
      `reading the policy evaluations of pull request ${pullRequestId} of ${repo.display}`,
      () => api.getPolicyEvaluations(repo.project.id, artifactId),
      { budgetMs: 5_000, maxAttempts: 3, ...retry },
    );
    return { unmet: unmetBlockingPolicies(records ?? []) };
  } catch (error) {
    return { error };
  }
}
