// The blocking policies that hold a pull request, from its policy evaluations, and how the merge
// timeout names them (or says the evaluations could not be read).
import * as assert from 'node:assert/strict';
import { PullRequestAsyncStatus, PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { PolicyEvaluationStatus, type PolicyEvaluationRecord } from 'azure-devops-node-api/interfaces/PolicyInterfaces';
import { connectWithJobToken } from '../../../shared/devops/connection';
import { pullRequestArtifactId, readUnmetPolicies, unmetBlockingPolicies, policyApi } from '../../../shared/devops/policy-evaluations';
import { describeWhatHolds, PullRequestWaitTimeoutError } from '../../../shared/devops/pull-request-wait';
import { toPullRequestInfo } from '../../../shared/devops/pull-requests';
import type { Repository } from '../../../shared/devops/repository';

const repo: Repository = { id: 'r1', name: 'gitops', project: { id: 'p1', name: 'demo' }, display: 'demo/gitops' };
const conn = connectWithJobToken('https://dev.azure.com/contoso', 'token', { retry: { wait: () => Promise.resolve(), random: () => 0 } });
const pr = (reviewers: Array<{ id: string; displayName?: string; vote: number; isRequired: boolean }> = []) =>
  toPullRequestInfo(conn, repo, {
    pullRequestId: 7,
    status: PullRequestStatus.Active,
    mergeStatus: PullRequestAsyncStatus.Succeeded,
    sourceRefName: 'refs/heads/promote/dev',
    targetRefName: 'refs/heads/main',
    autoCompleteSetBy: { id: 'u1' },
    reviewers,
  });

const evaluation = (
  status: PolicyEvaluationStatus,
  type: string,
  extra: { isBlocking?: boolean; isEnabled?: boolean; displayName?: string } = {},
): PolicyEvaluationRecord => ({
  status,
  configuration: {
    id: 1,
    isBlocking: extra.isBlocking ?? true,
    isEnabled: extra.isEnabled ?? true,
    type: { id: 't', displayName: type },
    settings: extra.displayName === undefined ? {} : { displayName: extra.displayName },
  },
});

describe('policy evaluations: what holds a pull request', () => {
  it('keeps the enabled blocking policies not approved, named by their own display name else their type, one line each', () => {
    assert.deepEqual(
      unmetBlockingPolicies([
        evaluation(PolicyEvaluationStatus.Rejected, 'Minimum number of reviewers'),
        evaluation(PolicyEvaluationStatus.Approved, 'Comment requirements'),
        evaluation(PolicyEvaluationStatus.Queued, 'Build', { displayName: 'CI\n##vso[task.complete result=Succeeded]' }),
        evaluation(PolicyEvaluationStatus.Running, 'Status'),
        evaluation(PolicyEvaluationStatus.Broken, 'Build', { displayName: '  ' }),
        evaluation(PolicyEvaluationStatus.NotApplicable, 'Work item linking'),
        evaluation(PolicyEvaluationStatus.Rejected, 'Optional build', { isBlocking: false }),
        evaluation(PolicyEvaluationStatus.Rejected, 'Disabled', { isEnabled: false }),
        {},
      ]),
      [
        { name: 'Minimum number of reviewers', status: 'rejected' },
        { name: 'CI ##vso[task.complete result=Succeeded]', status: 'queued' },
        { name: 'Status', status: 'running' },
        { name: 'Build', status: 'broken' },
      ],
    );
    assert.equal(pullRequestArtifactId('p1', 7), 'vstfs:///CodeReview/CodeReviewId/p1/7');
  });

  it('names unmet policies in the timeout message in place of the generic text, after the reviewers', () => {
    const held = pr([{ id: 'a', displayName: 'Release Approver', vote: 0, isRequired: true }]);
    const unmet = {
      unmet: [
        { name: 'Minimum number of reviewers', status: 'rejected' as const },
        { name: 'Build', status: 'queued' as const },
      ],
    };
    assert.equal(
      new PullRequestWaitTimeoutError(held, 60_000, undefined, unmet).message,
      'pull request 7 (https://dev.azure.com/contoso/demo/_git/gitops/pullrequest/7) was not merged within 1 min; ' +
        'last seen: active, merge status succeeded, auto-complete on, waiting for 1 of 1 required reviewer(s) to approve; ' +
        'held by: required reviewer(s) Release Approver not yet approved; policy "Minimum number of reviewers" rejected; policy "Build" queued',
    );
    assert.deepEqual(describeWhatHolds(pr(), { unmet: [{ name: 'Build', status: 'queued' }] }), ['policy "Build" queued']);
    assert.deepEqual(describeWhatHolds(pr(), { unmet: [] }), ['no blocking policy is unmet: the service has not completed it yet']);
  });

  it('falls back to the generic text and says the evaluations could not be read', () => {
    const error = new Error('reading the policy evaluations of pull request 7 of demo/gitops: HTTP 403');
    assert.deepEqual(describeWhatHolds(pr(), { error }), [
      'branch policies not yet met (e.g. a build or comment resolution)',
      'the policy evaluations could not be read: reading the policy evaluations of pull request 7 of demo/gitops: HTTP 403',
    ]);
    assert.deepEqual(describeWhatHolds(pr()), ['branch policies not yet met (e.g. a build or comment resolution)']);
  });

  it('reads once through the connection, and returns a 403 as an error without retrying it', async () => {
    const calls: string[] = [];
    const api = policyApi(conn);
    api.getPolicyEvaluations = (project: string, artifactId: string) => {
      calls.push(`${project} ${artifactId}`);
      return calls.length === 1
        ? Promise.resolve([evaluation(PolicyEvaluationStatus.Rejected, 'Minimum number of reviewers')])
        : Promise.reject(Object.assign(new Error('Failed request: (403)'), { statusCode: 403 }));
    };
    assert.deepEqual(await readUnmetPolicies(conn, repo, 7), { unmet: [{ name: 'Minimum number of reviewers', status: 'rejected' }] });
    const failed = await readUnmetPolicies(conn, repo, 7);
    assert.ok('error' in failed);
    assert.match(String((failed.error as Error).message), /^reading the policy evaluations of pull request 7 of demo\/gitops: .*403/);
    assert.deepEqual(calls, ['p1 vstfs:///CodeReview/CodeReviewId/p1/7', 'p1 vstfs:///CodeReview/CodeReviewId/p1/7'], 'a 403 is not retried');
  });
});
