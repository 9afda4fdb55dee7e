// Policy area: the evaluations of a pull request's branch policies (PolicyApi getPolicyEvaluations),
// read with the real client over HTTP, after its resource area and location lookups.
import * as assert from 'node:assert/strict';
import * as azdev from 'azure-devops-node-api';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import type { PolicyApi } from 'azure-devops-node-api/PolicyApi';
import { PolicyEvaluationStatus } from 'azure-devops-node-api/interfaces/PolicyInterfaces';
import { gitApi, rejection } from './helpers';
import { DevOpsEmulator, startDevOpsEmulator } from './index';

const P = 'fleet';

describe('Azure DevOps emulator: policy evaluations (real PolicyApi client)', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let git: GitApi;
  let policy: PolicyApi;
  let repoId: string;
  let projectId: string;

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    projectId = emu.admin.createProject(P).id;
    repoId = (await emu.admin.createRepository(P, 'gitops')).id;
    await emu.admin.seedFiles(P, 'gitops', 'main', { 'a.txt': 'a\n' });
    await emu.admin.seedFiles(P, 'gitops', 'promote/dev', { 'a.txt': 'b\n' });
    git = await gitApi(emu);
    const web = new azdev.WebApi(emu.url, azdev.getBearerHandler(emu.token), { allowRetries: false });
    policy = await web.getPolicyApi(); // resource area lookup: policy is served at the collection URL
  });
  after(async () => emu?.stop());

  const artifact = (id: number) => `vstfs:///CodeReview/CodeReviewId/${projectId}/${id}`;
  const summary = async (id: number) =>
    (await policy.getPolicyEvaluations(P, artifact(id))).map((e) => [
      e.configuration?.type?.displayName,
      e.configuration?.isBlocking,
      e.status,
      e.artifactId,
      (e.configuration?.settings as { displayName?: string } | undefined)?.displayName,
    ]);

  it('lists the minimum-reviewers policy rejected until enough reviewers approve, then approved; a completion policy queued', async () => {
    const pr = await git.createPullRequest({ sourceRefName: 'refs/heads/promote/dev', targetRefName: 'refs/heads/main', title: 'Promote' }, repoId, P);
    assert.deepEqual(await summary(pr.pullRequestId!), [], 'no branch policy: no evaluation');

    await emu.admin.setBranchPolicy(P, 'gitops', 'main', { requiredReviewers: 1, rejectCompletion: 'Build failed: lint' });
    const first = await policy.getPolicyEvaluations(P, artifact(pr.pullRequestId!));
    assert.deepEqual(await summary(pr.pullRequestId!), [
      ['Minimum number of reviewers', true, PolicyEvaluationStatus.Rejected, artifact(pr.pullRequestId!), undefined],
      ['Build', true, PolicyEvaluationStatus.Queued, artifact(pr.pullRequestId!), 'Build failed: lint'],
    ]);
    assert.equal(first[0].configuration?.type?.id, 'fa6ba3c2-1e53-4b0b-9a64-c8c5d2e4cc6c');
    assert.equal((first[0].configuration?.settings as { minimumApproverCount?: number }).minimumApproverCount, 1);
    assert.match(first[0].evaluationId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((await policy.getPolicyEvaluations(P, artifact(pr.pullRequestId!)))[0].evaluationId, first[0].evaluationId, 'stable across reads');

    await emu.admin.setBranchPolicy(P, 'gitops', 'main', { rejectCompletion: null });
    const approver = emu.admin.identity('Approver', { email: 'approver@contoso.example' });
    await git.createPullRequestReviewer({ vote: 10 }, repoId, pr.pullRequestId!, approver.id, P);
    assert.deepEqual(await summary(pr.pullRequestId!), [
      ['Minimum number of reviewers', true, PolicyEvaluationStatus.Approved, artifact(pr.pullRequestId!), undefined],
    ]);

    const calls = emu.admin
      .requests()
      .filter((r) => r.operation === 'Evaluations_List')
      .map((r) => `${r.method} ${r.path.split('?')[0]} ${r.apiVersion}`);
    assert.equal(calls.at(-1), `GET /contoso/${P}/_apis/policy/evaluations 7.1-preview.1`);
  });

  it('answers 400 for an artifact id that is not a pull request, 404 for an unknown pull request (null to the client)', async () => {
    assert.equal((await rejection(policy.getPolicyEvaluations(P, 'vstfs:///Build/Build/1'))).statusCode, 400);
    assert.equal(await policy.getPolicyEvaluations(P, artifact(9999)), null);
    assert.equal(emu.admin.requests().at(-1)?.status, 404);
  });
});
