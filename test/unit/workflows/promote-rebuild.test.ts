import * as assert from 'node:assert/strict';
import { PullRequestStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { deliverPromotion } from '../../../shared/workflows/promote';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';
import { git, PROJECT, startWorld, World } from '../../integration/devops/emulator-world';
import { CONNECTION_OPTIONS, promoteAgent, subject } from './promotion-world';

describe('promotion rebuilds a conflicted pull request on the current target, and reports progress to 100% (emulator, in-memory agent)', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  const SEED = { 'apps/dev/web/deployment.yaml': 'seed\n' };

  function start(repoName: string, inputs: Record<string, string>) {
    const agent = promoteAgent(world, repoName, { commitStatuses: 'false', ...inputs });
    return { agent, done: deliverPromotion(agent, readPromoteInputs(agent), subject(), CONNECTION_OPTIONS) };
  }

  async function prs(repoName: string) {
    const conn = world.connect();
    const repo = await conn.git.getRepository(repoName, PROJECT);
    return (await conn.git.getPullRequests(repo.id!, { status: PullRequestStatus.All }, PROJECT)).sort((a, b) => a.pullRequestId! - b.pullRequestId!);
  }

  it('a later run abandons the earlier conflicted pull request with a comment, opens a fresh one and merges it', async () => {
    const { name, bare } = await world.newRepo(SEED);
    const first = start(name, { autoComplete: 'false', waitForMerge: 'false' });
    await first.done;
    const stale = Number(first.agent.outputs.get('pullRequestId'));
    // A concurrent promotion changed the same file on main: the open PR now conflicts.
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'apps/dev/web/deployment.yaml': 'theirs\n' }, 'a concurrent promotion');

    const second = start(name, {});
    await second.done;
    const main = git(bare, 'rev-parse', 'refs/heads/main');
    assert.equal(second.agent.result?.result, 'Succeeded', second.agent.infoLines.join('\n'));
    assert.equal(second.agent.outputs.get('mergeCommitId'), main);
    const fresh = Number(second.agent.outputs.get('pullRequestId'));
    assert.notEqual(fresh, stale);
    assert.equal(git(bare, 'show', `${main}:apps/dev/web/deployment.yaml`), 'kind: Deployment');
    assert.deepEqual(
      (await prs(name)).map((p) => [p.pullRequestId, p.status, p.sourceRefName]),
      [
        [stale, PullRequestStatus.Abandoned, 'refs/heads/gitops-flow/web/dev/7'],
        [fresh, PullRequestStatus.Completed, 'refs/heads/gitops-flow/web/dev/7-2'],
      ],
    );
    assert.ok(
      second.agent.infoLines.includes(
        `Abandoned pull request ${stale} (refs/heads/gitops-flow/web/dev/7): it has merge conflicts with main; rebuilding the change on the current main`,
      ),
      second.agent.infoLines.join('\n'),
    );
    assert.match(
      second.agent.summaries[0].markdown,
      new RegExp(`^Abandoned the stale pull request\\(s\\) ${stale} of this promotion and rebuilt the change on the current target\\.$`, 'm'),
    );
  });

  it('rebuilds within the run when the pull request gets conflicts while its merge is awaited', async () => {
    const { name, bare } = await world.newRepo(SEED);
    world.emu.admin.identity('Release Approver');
    await world.emu.admin.setBranchPolicy(PROJECT, name, 'main', { requiredReviewers: 1 });
    const run = start(name, { mergeTimeoutMinutes: '1' });
    const waiting = async (count: number) => {
      for (let i = 0; i < 1200; i++) {
        const active = (await prs(name)).filter((p) => p.status === PullRequestStatus.Active && p.autoCompleteSetBy);
        if ((await prs(name)).length === count && active.length === 1) return active[0].pullRequestId!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no pull request ${count} awaiting its merge`);
    };
    const firstId = await waiting(1);
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'apps/dev/web/deployment.yaml': 'theirs\n' }, 'a concurrent promotion');
    const secondId = await waiting(2);
    await world.emu.admin.approvePullRequest(PROJECT, name, secondId, { reviewer: 'Release Approver' });
    await run.done;
    const { agent } = run;
    assert.equal(agent.result?.result, 'Succeeded');
    assert.equal(agent.outputs.get('pullRequestId'), String(secondId));
    assert.equal(agent.outputs.get('mergeCommitId'), git(bare, 'rev-parse', 'refs/heads/main'));
    const warnings = agent.log.filter((l) => l.kind === 'warning').map((l) => l.text);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0],
      new RegExp(`^pull request ${firstId} \\(.*\\) has merge conflicts with refs/heads/main.*\\. Rebuilding the change on the current main \\(1 of 2\\)$`),
    );
    assert.deepEqual(
      (await prs(name)).map((p) => p.status),
      [PullRequestStatus.Abandoned, PullRequestStatus.Completed],
    );
  });

  it('reports progress through every stage, opened then adopted, and 100% at the end', async () => {
    const { name } = await world.newRepo(SEED);
    const first = start(name, { autoComplete: 'false', waitForMerge: 'false' });
    await first.done;
    const id = first.agent.outputs.get('pullRequestId')!;
    assert.deepEqual(
      first.agent.progressReports.map((p) => [p.percent, p.operation]),
      [
        [10, `Committing to ${name}`],
        [20, `Opened pull request ${id}`],
        [100, `Pull request ${id} opened for web 7 -> dev (demo/${name} /apps/dev/web); not waiting for the merge`],
      ],
    );
    const second = start(name, {});
    await second.done;
    assert.deepEqual(
      second.agent.progressReports.map((p) => p.percent),
      [10, 20, 30, 50, 100],
    );
    assert.equal(second.agent.progressReports[1].operation, `Adopted pull request ${id}`);
    assert.equal(second.agent.progressReports[3].operation, `Pull request ${id} merged`);
  });
});
