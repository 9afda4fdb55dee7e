import { PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import type { DevOpsConnection } from './connection';
import { PullRequestInfo, toPullRequestInfo } from './pull-requests';
import { branchRef, Repository } from './repository';

/** Active pull requests into a branch (every page), e.g. to find promotions that a newer one supersedes. */
export async function listActivePullRequestsInto(conn: DevOpsConnection, repo: Repository, targetBranch: string): Promise<PullRequestInfo[]> {
  const targetRefName = branchRef(targetBranch);
  const out: PullRequestInfo[] = [];
  const pageSize = 100;
  for (let skip = 0; ; skip += pageSize) {
    const page =
      (await conn.idempotent(`listing active pull requests into ${targetRefName} of ${repo.display}`, (git) =>
        git.getPullRequests(repo.id, { status: PullRequestStatus.Active, targetRefName }, repo.project.id, undefined, skip, pageSize),
      )) ?? [];
    out.push(...page.map((pr) => toPullRequestInfo(conn, repo, pr)));
    if (page.length < pageSize) return out;
  }
}
