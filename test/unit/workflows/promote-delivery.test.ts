import * as assert from 'node:assert/strict';
import { deliverPromotion } from '../../../shared/workflows/promote';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';
import { git, startWorld, World } from '../../integration/devops/emulator-world';
import { CONNECTION_OPTIONS, promoteAgent, subject } from './promotion-world';

describe('promotion delivery and outcome (emulator, in-memory agent, no bundle)', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  async function deliver(repoName: string, inputs: Record<string, string>, release = '7') {
    const agent = promoteAgent(world, repoName, inputs);
    await deliverPromotion(agent, readPromoteInputs(agent), subject(release), CONNECTION_OPTIONS);
    return agent;
  }

  it('push: commits, then a re-run finds the environment unchanged', async () => {
    const { name, bare } = await world.newRepo();
    const where = `(demo/${name} /apps/dev/web)`;
    const first = await deliver(name, { deliveryMode: 'push', commitStatuses: 'false' });
    const head = git(bare, 'rev-parse', 'refs/heads/main');
    assert.deepEqual(first.result, { result: 'Succeeded', message: `web 7 promoted to dev at ${head.slice(0, 12)} ${where}; Flux not awaited` });
    assert.deepEqual(Object.fromEntries(first.outputs), { commitId: head, changed: 'true', deployedCommitId: head, reconciled: 'false', verified: 'skipped' });
    assert.match(first.summaries[0].markdown, new RegExp(`^Pushed \`${head.slice(0, 12)}\` directly to the target branch\\.$`, 'm'));

    const second = await deliver(name, { deliveryMode: 'push', commitStatuses: 'false' });
    assert.equal(git(bare, 'rev-parse', 'refs/heads/main'), head);
    assert.deepEqual(second.result, { result: 'Succeeded', message: `dev already runs web 7 ${where}` });
    assert.deepEqual(Object.fromEntries(second.outputs), { changed: 'false', deployedCommitId: head, reconciled: 'false', verified: 'skipped' });
    assert.match(second.summaries[0].markdown, /^The environment already held exactly these manifests: nothing was committed\.$/m);
  });

  it('pull request not awaited: opens it, then a re-run adopts it', async () => {
    const { name, bare } = await world.newRepo();
    const inputs = { autoComplete: 'false', waitForMerge: 'false', commitStatuses: 'false' };
    const first = await deliver(name, inputs);
    const branchHead = git(bare, 'rev-parse', 'refs/heads/gitops-flow/web/dev/7');
    const id = first.outputs.get('pullRequestId')!;
    const url = first.outputs.get('pullRequestUrl')!;
    assert.match(url, new RegExp(`/demo/_git/${name}/pullrequest/${id}$`));
    assert.deepEqual(first.result, {
      result: 'Succeeded',
      message: `Pull request ${id} opened for web 7 -> dev (demo/${name} /apps/dev/web); not waiting for the merge`,
    });
    assert.deepEqual(Object.fromEntries(first.outputs), {
      changed: 'true',
      commitId: branchHead,
      pullRequestId: id,
      pullRequestUrl: url,
      reconciled: 'false',
      verified: 'skipped',
    });
    const markdown = first.summaries[0].markdown;
    assert.match(markdown, /^\| Promotion branch \| `gitops-flow\/web\/dev\/7` \|$/m);
    assert.ok(markdown.includes(`Pull request [${id}](${url}) opened; the merge was not awaited.`), markdown);

    const second = await deliver(name, inputs);
    assert.equal(second.outputs.get('pullRequestId'), id);
    assert.ok(second.infoLines.includes(`Adopted pull request ${id}: ${url}`), second.infoLines.join('\n'));
    assert.ok(second.summaries[0].markdown.includes(`Pull request [${id}](${url}) adopted; the merge was not awaited.`));
  });

  it('pull request with auto-complete: waits for the merge and reports the merge commit', async () => {
    const { name, bare } = await world.newRepo();
    const agent = await deliver(name, { commitStatuses: 'false' });
    const main = git(bare, 'rev-parse', 'refs/heads/main');
    assert.equal(agent.outputs.get('mergeCommitId'), main);
    assert.equal(agent.outputs.get('deployedCommitId'), main);
    assert.deepEqual(agent.result, {
      result: 'Succeeded',
      message: `web 7 promoted to dev at ${main.slice(0, 12)} (demo/${name} /apps/dev/web); Flux not awaited`,
    });
    assert.match(agent.summaries[0].markdown, new RegExp(`merged as \`${main.slice(0, 12)}\`\\.$`, 'm'));
  });

  it('a failure after the pull request opened: the summary shows how far it got, the error is thrown for runTask', async () => {
    const { name } = await world.newRepo();
    const fault = world.emu.admin.injectFault({ method: 'POST', pathPattern: /pullRequests\/\d+\/statuses/i, status: 403, count: 1 });
    const agent = promoteAgent(world, name, { autoComplete: 'false' });
    const error = await deliverPromotion(agent, readPromoteInputs(agent), subject(), CONNECTION_OPTIONS).then(
      () => assert.fail('expected the promotion to fail'),
      (err: unknown) => err as Error,
    );
    fault.cancel();
    assert.equal(fault.hits(), 1);
    assert.deepEqual(agent.results, [], 'runTask sets the result from the error');
    const id = agent.outputs.get('pullRequestId')!;
    const url = agent.outputs.get('pullRequestUrl')!;
    assert.equal(agent.outputs.has('deployedCommitId'), false);
    assert.equal(agent.summaries.length, 1);
    const markdown = agent.summaries[0].markdown;
    assert.ok(markdown.includes(`Pull request [${id}](${url}) opened, but the promotion did not finish.`), markdown);
    assert.ok(markdown.includes(['```', error.message, '```'].join('\n')), markdown);
    assert.match(markdown, /^\| Promotion branch \| `gitops-flow\/web\/dev\/7` \|$/m);
    assert.match(markdown, /^\| added \| `deployment\.yaml` \|$/m);
  });

  it('a failure before the repository is reached: the summary says the promotion did not finish', async () => {
    const agent = promoteAgent(world, 'no-such-repo', {});
    await assert.rejects(deliverPromotion(agent, readPromoteInputs(agent), subject(), CONNECTION_OPTIONS));
    const markdown = agent.summaries[0].markdown;
    assert.ok(markdown.includes('\nThe promotion did not finish.\n'), markdown);
    assert.match(markdown, /^\| Repository \| {2}\|$/m);
  });
});
