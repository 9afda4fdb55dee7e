import * as assert from 'node:assert/strict';
import { commitFolder } from '../../../shared/devops/commit-folder';
import { findOrCreatePullRequest, getPullRequest } from '../../../shared/devops/pull-requests';
import { readBranchHead } from '../../../shared/devops/repository';
import { abandonSuperseded, choosePromotionBranch, promotionBranchName } from '../../../shared/workflows/promote-pull-request';
import { PROJECT, startWorld, World } from '../../integration/devops/emulator-world';
import { promotionContext } from './promotion-world';

describe('promotion through a pull request: branch choice and supersede (emulator, in-memory agent)', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  const BRANCH = 'gitops-flow/web/dev/7';

  /** A repository with `branch` made from main (one commit to apps/dev/web), and the context for it. */
  async function withBranch(branch: string, change = { 'deployment.yaml': 'old\n' }) {
    const made = await world.newRepo({ 'apps/dev/web/deployment.yaml': 'seed\n' });
    const { ctx, agent } = await promotionContext(world, made.name);
    await commitFolder(ctx.conn, ctx.repo, { branch, baseBranch: 'main', folder: 'apps/dev/web', files: change, message: `render ${branch}` });
    return { ...made, ctx, agent };
  }

  it('uses the named branch when it does not exist yet', async () => {
    const made = await world.newRepo();
    const { ctx, agent } = await promotionContext(world, made.name);
    const main = (await readBranchHead(ctx.conn, ctx.repo, 'main'))!;
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, main), { branch: BRANCH, abandoned: [] });
    assert.deepEqual(agent.infoLines, []);
  });

  it('reuses the named branch when it already holds the target head (an earlier run of this promotion)', async () => {
    const { ctx, agent } = await withBranch(BRANCH);
    const main = (await readBranchHead(ctx.conn, ctx.repo, 'main'))!;
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, main), { branch: BRANCH, abandoned: [] });
    assert.deepEqual(agent.infoLines, []);
  });

  it('takes "-2" for a leftover branch the target has moved past, and says why', async () => {
    const { ctx, agent, name } = await withBranch(BRANCH);
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'README.md': 'moved on\n' }, 'another change');
    const main = (await readBranchHead(ctx.conn, ctx.repo, 'main'))!;
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, main), { branch: `${BRANCH}-2`, abandoned: [] });
    assert.deepEqual(agent.infoLines, [`${BRANCH} is left over from an earlier promotion and behind main: not reusing it`]);
  });

  it('adopts a branch behind the target when its pull request is still active', async () => {
    const { ctx, agent, name } = await withBranch(BRANCH);
    await findOrCreatePullRequest(ctx.conn, ctx.repo, { sourceBranch: BRANCH, targetBranch: 'main', title: 'Promote web 7 to dev', description: 'd' });
    await world.emu.admin.seedFiles(PROJECT, name, 'main', { 'README.md': 'moved on\n' }, 'another change');
    const main = (await readBranchHead(ctx.conn, ctx.repo, 'main'))!;
    assert.deepEqual(await choosePromotionBranch(ctx, BRANCH, main), { branch: BRANCH, abandoned: [] });
    assert.deepEqual(agent.infoLines, []);
  });

  it('abandons only the open promotions of the same app and environment for another release, each with a comment', async () => {
    const made = await world.newRepo({ 'apps/dev/web/deployment.yaml': 'seed\n' });
    const { ctx, agent } = await promotionContext(world, made.name);
    const open = async (branch: string) => {
      await commitFolder(ctx.conn, ctx.repo, {
        branch,
        baseBranch: 'main',
        folder: 'apps/dev/web',
        files: { 'deployment.yaml': `${branch}\n` },
        message: branch,
      });
      return (await findOrCreatePullRequest(ctx.conn, ctx.repo, { sourceBranch: branch, targetBranch: 'main', title: `Promote ${branch}`, description: 'd' }))
        .pullRequest;
    };
    const older = await open('gitops-flow/web/dev/6');
    const otherEnvironment = await open('gitops-flow/web/prod/6');
    const otherApp = await open('gitops-flow/api/dev/6');
    const notAPromotion = await open('feature/web/dev/6');
    const ours = await open(BRANCH);

    assert.deepEqual(await abandonSuperseded(ctx, ours), [older.id]);

    assert.deepEqual(agent.infoLines, [`Abandoned pull request ${older.id} (refs/heads/gitops-flow/web/dev/6): superseded by ${ours.id}`]);
    const status = async (id: number) => (await getPullRequest(ctx.conn, ctx.repo, id)).status;
    assert.deepEqual(
      [await status(older.id), await status(otherEnvironment.id), await status(otherApp.id), await status(notAPromotion.id), await status(ours.id)],
      ['abandoned', 'active', 'active', 'active', 'active'],
    );
    const threads = await ctx.conn.git.getThreads(ctx.repo.id, older.id, PROJECT);
    const comments = threads.map((t) => t.comments?.[0]?.content ?? '');
    assert.deepEqual(
      comments.filter((c) => c.includes('Superseded')),
      [
        `<!-- gitops-flow:gitops-flow-superseded -->\nSuperseded by pull request ${ours.id} ([Promote ${BRANCH}](${ours.webUrl})): a newer promotion of this application to this environment. Abandoned by GitOpsPromote so that merging it cannot roll the environment back.`,
      ],
    );
  });

  it('makes a valid ref name from the filled pattern', () => {
    assert.equal(promotionBranchName('refs/heads/gitops flow/web:1/..x/a.lock'), 'gitops-flow/web-1/x/a');
    assert.equal(promotionBranchName('web/\u0000\u0001 x\u007f/7'), 'web/-x-/7');
    assert.throws(() => promotionBranchName('///'), /Input "promotionBranch": "\/\/\/" gives an empty branch name/);
  });
});
