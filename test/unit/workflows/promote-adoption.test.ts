import * as assert from 'node:assert/strict';
import { commitFolder } from '../../../shared/devops/commit-folder';
import { findOrCreatePullRequest, getPullRequest } from '../../../shared/devops/pull-requests';
import { readBranchHead } from '../../../shared/devops/repository';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { checkPromotionBranchPattern, readPromoteInputs } from '../../../shared/workflows/promote-inputs';
import { describePromotion, promotionMarker, readPromotionMarker } from '../../../shared/workflows/promote-marker';
import { abandonSuperseded, choosePromotionBranch, openOrAdoptPullRequest } from '../../../shared/workflows/promote-pull-request';
import { PROJECT, startWorld, World } from '../../integration/devops/emulator-world';
import { promotionContext } from './promotion-world';

describe('promotion adoption safety: only this promotion’s pull request is adopted, a stale one is rebuilt (emulator)', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  const BRANCH = 'gitops-flow/web/dev/7';
  const SEED = { 'apps/dev/web/deployment.yaml': 'seed\n', 'apps/stage/web/deployment.yaml': 'seed\n' };

  /** A repository seeded with SEED, `folder` of `branch` committed with `files`, and a PR from it with `description`. */
  async function openPromotion(folder: string, description: string, files: Record<string, string> = { 'deployment.yaml': 'ours\n' }) {
    const made = await world.newRepo(SEED);
    const { ctx, agent } = await promotionContext(world, made.name);
    await commitFolder(ctx.conn, ctx.repo, { branch: BRANCH, baseBranch: 'main', folder, files, message: 'render' });
    const { pullRequest } = await findOrCreatePullRequest(ctx.conn, ctx.repo, { sourceBranch: BRANCH, targetBranch: 'main', title: 'Promote', description });
    const main = async () => (await readBranchHead(ctx.conn, ctx.repo, 'main'))!;
    return { ...made, ctx, agent, pullRequest, main };
  }

  const status = async (ctx: Awaited<ReturnType<typeof openPromotion>>['ctx'], id: number) => (await getPullRequest(ctx.conn, ctx.repo, id)).status;

  it('writes and reads the marker; names cannot break out of the comment', () => {
    const id = { app: 'web -->x', environment: 'dev', folder: 'apps/dev/web app' };
    const marker = promotionMarker(id);
    assert.equal(marker, '<!-- gitops-flow-promotion app=web%20--%3Ex environment=dev folder=apps%2Fdev%2Fweb%20app -->');
    assert.deepEqual(readPromotionMarker(`${marker}\nPromotes **web**`), id);
    assert.equal(readPromotionMarker('Promotes **web** to **dev**'), undefined);
    assert.equal(describePromotion(id), 'web -->x to dev in /apps/dev/web app');
  });

  it('adopts the pull request carrying this promotion’s marker', async () => {
    const { ctx, agent, main, pullRequest } = await openPromotion('apps/dev/web', promotionMarker({ app: 'web', environment: 'dev', folder: 'apps/dev/web' }));
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, await main()), { branch: BRANCH, abandoned: [] });
    assert.deepEqual(agent.infoLines, []);
    assert.equal(await status(ctx, pullRequest.id), 'active');
  });

  it('does not adopt a pull request whose marker names another folder, even on the same branch name: a fresh -2 branch', async () => {
    const { ctx, agent, main, pullRequest } = await openPromotion(
      'apps/dev/web',
      promotionMarker({ app: 'web', environment: 'dev', folder: 'clusters/a/web' }),
    );
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, await main()), { branch: `${BRANCH}-2`, abandoned: [] });
    assert.deepEqual(agent.infoLines, [
      `${BRANCH} carries another promotion (its pull request ${pullRequest.id} promotes web to dev in /clusters/a/web): not adopting it`,
    ]);
    assert.equal(await status(ctx, pullRequest.id), 'active', 'another promotion’s PR is left alone');
  });

  it('does not adopt a branch that changes another environment’s folder, marker or not', async () => {
    const { ctx, agent, main, pullRequest } = await openPromotion('apps/stage/web', 'no marker: an older version opened it');
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, await main()), { branch: `${BRANCH}-2`, abandoned: [] });
    assert.deepEqual(agent.infoLines, [
      `${BRANCH} carries another promotion (it changes /apps/stage/web/deployment.yaml, outside /apps/dev/web): not adopting it`,
    ]);
    assert.equal(await status(ctx, pullRequest.id), 'active');
  });

  it('abandons its own conflicted pull request with a comment and takes a fresh branch', async () => {
    const { ctx, agent, main, pullRequest, name } = await openPromotion('apps/dev/web', 'no marker');
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'apps/dev/web/deployment.yaml': 'theirs\n' }, 'a concurrent promotion');
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, await main()), { branch: `${BRANCH}-2`, abandoned: [pullRequest.id] });
    assert.deepEqual(agent.infoLines, [
      `Abandoned pull request ${pullRequest.id} (refs/heads/${BRANCH}): it has merge conflicts with main; rebuilding the change on the current main`,
    ]);
    assert.equal(await status(ctx, pullRequest.id), 'abandoned');
    const threads = await ctx.conn.git.getThreads(ctx.repo.id, pullRequest.id, PROJECT);
    assert.deepEqual(
      threads.map((t) => t.comments?.[0]?.content),
      [
        '<!-- gitops-flow:gitops-flow-rebuilt -->\nThis pull request has merge conflicts with main. GitOpsPromote abandoned it and made the change again on the current main, in a new pull request from a new branch (never a force push).',
      ],
    );
  });

  it('rebuilds when the target changed the folder under a clean pull request (a merge would mix both), not when it changed elsewhere', async () => {
    const { ctx, main, pullRequest, name } = await openPromotion('apps/dev/web', 'no marker');
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'README.md': 'elsewhere\n' }, 'unrelated');
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, await main()), { branch: BRANCH, abandoned: [] });
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'apps/dev/web/extra.yaml': 'kind: ConfigMap\n' }, 'another release added a file');
    assert.equal((await getPullRequest(ctx.conn, ctx.repo, pullRequest.id)).mergeStatus, 'succeeded', 'the merge itself is clean');
    const { agent } = await promotionContext(world, name);
    assert.deepEqual(await choosePromotionBranch({ ...ctx, agent }, BRANCH, await main()), { branch: `${BRANCH}-2`, abandoned: [pullRequest.id] });
    assert.equal(
      agent.infoLines[0],
      `Abandoned pull request ${pullRequest.id} (refs/heads/${BRANCH}): it is behind main, which changed /apps/dev/web/extra.yaml since the branch was made; rebuilding the change on the current main`,
    );
  });

  it('opens its pull request with the marker first in the description', async () => {
    const made = await world.newRepo(SEED);
    const { ctx } = await promotionContext(world, made.name);
    await commitFolder(ctx.conn, ctx.repo, { branch: BRANCH, baseBranch: 'main', folder: 'apps/dev/web', files: { 'a.yaml': 'a\n' }, message: 'render' });
    const { pullRequest } = await openOrAdoptPullRequest(ctx, BRANCH, [], 'Promotes web');
    assert.equal(pullRequest.description, '<!-- gitops-flow-promotion app=web environment=dev folder=apps%2Fdev%2Fweb -->\nPromotes web');
  });

  it('does not supersede a pull request whose marker names another folder', async () => {
    const { ctx, pullRequest } = await openPromotion('apps/dev/web', promotionMarker({ app: 'web', environment: 'dev', folder: 'clusters/a/web' }));
    await commitFolder(ctx.conn, ctx.repo, {
      branch: 'gitops-flow/web/dev/8',
      baseBranch: 'main',
      folder: 'apps/dev/web',
      files: { 'a.yaml': 'b\n' },
      message: 'r',
    });
    const ours = await openOrAdoptPullRequest(ctx, 'gitops-flow/web/dev/8', [], 'Promotes web 8');
    assert.deepEqual(await abandonSuperseded(ctx, ours.pullRequest), []);
    assert.equal(await status(ctx, pullRequest.id), 'active');
  });

  it('refuses a promotionBranch pattern that cannot tell applications or environments apart', () => {
    assert.throws(
      () => checkPromotionBranchPattern('rel/{app}/{release}'),
      /^InputError: Input "promotionBranch": "rel\/\{app\}\/\{release\}" lacks \{environment\}: each application and environment needs its own promotion branch/,
    );
    assert.throws(() => checkPromotionBranchPattern('rel/{release}'), /lacks \{app\} and \{environment\}/);
    checkPromotionBranchPattern('rel/{environment}/{app}');
    const pushAgent = new MemoryAgent({
      inputs: {
        bundle: 'b',
        environment: 'dev',
        gitopsRepository: 'g',
        targetFolder: 'apps',
        promotionBranch: 'x',
        deliveryMode: 'push',
        waitForReconciliation: 'false',
      },
    });
    assert.equal(readPromoteInputs(pushAgent).promotionBranch, 'x', 'push mode has no promotion branch to check');
  });
});
