import * as assert from 'node:assert/strict';
import {
  findOrCreatePullRequest,
  getPullRequest,
  getPullRequestWorkItemIds,
  linkWorkItemsToPullRequest,
  normalizeWorkItemIds,
  pullRequestArtifactUri,
  WorkItemNotFoundError,
  workItemTrackingApi,
} from '../../../shared/devops';
import { PROJECT, startWorld, World } from './emulator-world';

describe('devops library against the emulator: work items of a pull request', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  const promotionBranch = () => world.promotionBranch();
  const newWorkItems = (...titles: string[]) => titles.map((title) => world.emu.admin.createWorkItem(PROJECT, { title }).id);
  const request = (workItemIds: (number | string)[], title = 'Promote dev') => ({ sourceBranch: 'promote/dev', targetBranch: 'main', title, workItemIds });
  /** Method and spec operation of each request since the last clearRequests(). */
  const calls = () => world.emu.admin.requests().map((r) => `${r.method} ${r.operation}`);

  it('links the work items at creation, and an adopted PR gets the missing ones through a work item link', async () => {
    const { repo } = await promotionBranch();
    const [a, b, c] = newWorkItems('a', 'b', 'c');
    const first = await findOrCreatePullRequest(world.connect(), repo, request([a, `#${b}`]));
    assert.deepEqual([first.created, first.workItems], [true, { linked: [a, b], alreadyLinked: [] }]);
    const prId = first.pullRequest.id;
    assert.deepEqual(await getPullRequestWorkItemIds(world.connect(), repo, prId), [a, b]);

    const second = await findOrCreatePullRequest(world.connect(), repo, request([c, a, b]));
    assert.deepEqual([second.created, second.pullRequest.id, second.workItems], [false, prId, { linked: [c], alreadyLinked: [a, b] }]);
    assert.deepEqual(await getPullRequestWorkItemIds(world.connect(), repo, prId), [a, b, c]);
    const artifact = `vstfs:///Git/PullRequestId/${repo.project.id}%2f${repo.id}%2f${prId}`;
    for (const id of [a, b, c]) {
      assert.deepEqual(world.emu.admin.workItem(id)!.relations, [{ rel: 'ArtifactLink', url: artifact, name: 'Pull Request' }], `work item ${id}`);
    }
    assert.equal(world.emu.admin.workItem(c)!.rev, 2, 'one update of work item c');
  });

  it('a re-run with the same work items changes nothing: no work item update, no PR update', async () => {
    const { repo } = await promotionBranch();
    const [a, b] = newWorkItems('a', 'b');
    const reviewers = [{ id: '44444444-4444-4444-4444-444444444444', required: true }];
    await findOrCreatePullRequest(world.connect(), repo, { ...request([a]), reviewers });
    await findOrCreatePullRequest(world.connect(), repo, { ...request([a, b]), reviewers });
    const revs = [a, b].map((id) => world.emu.admin.workItem(id)!.rev);
    world.emu.admin.clearRequests();
    const again = await findOrCreatePullRequest(world.connect(), repo, { ...request([b, a]), reviewers });
    assert.deepEqual([again.created, again.workItems], [false, { linked: [], alreadyLinked: [b, a] }]);
    assert.deepEqual(calls(), [
      'OPTIONS Locations:git',
      'GET Pull Requests_Get Pull Requests',
      'GET Pull Request Work Items_List',
      'GET Pull Requests_Get Pull Request',
    ]);
    assert.deepEqual(
      [a, b].map((id) => world.emu.admin.workItem(id)!.rev),
      revs,
    );
  });

  it('a work item that does not exist is an error naming it, before the PR is created', async () => {
    const { repo } = await promotionBranch();
    const [a] = newWorkItems('a');
    world.emu.admin.clearRequests();
    await assert.rejects(findOrCreatePullRequest(world.connect(), repo, request([a, 99_999, 99_998])), (e: Error) => {
      assert.ok(e instanceof WorkItemNotFoundError, String(e));
      assert.equal(
        e.message,
        `creating pull request refs/heads/promote/dev -> refs/heads/main in ${repo.display} with work items: work items 99999, 99998 do not exist, or the pipeline's identity cannot read them`,
      );
      assert.deepEqual(e.ids, [99_999, 99_998]);
      return true;
    });
    assert.ok(!calls().includes('POST Pull Requests_Create'), calls().join('\n'));
    assert.deepEqual(await world.connect().git.getPullRequests(repo.id, { status: 4 }, repo.project.id), []);
    assert.equal(world.emu.admin.workItem(a)!.rev, 1);
  });

  it('a work item that does not exist is an error naming it when adopting, and nothing is changed', async () => {
    const { repo } = await promotionBranch();
    const [a, b] = newWorkItems('a', 'b');
    const { pullRequest } = await findOrCreatePullRequest(world.connect(), repo, request([a]));
    world.emu.admin.clearRequests();
    await assert.rejects(findOrCreatePullRequest(world.connect(), repo, request([b, 77_777], 'A new title')), (e: Error) => {
      assert.ok(e instanceof WorkItemNotFoundError, String(e));
      assert.equal(
        e.message,
        `linking work items to pull request ${pullRequest.id} in ${repo.display}: work item 77777 does not exist, or the pipeline's identity cannot read it`,
      );
      return true;
    });
    assert.ok(!calls().some((c) => c.startsWith('PATCH')), calls().join('\n'));
    assert.equal((await getPullRequest(world.connect(), repo, pullRequest.id)).title, 'Promote dev');
    assert.deepEqual(await getPullRequestWorkItemIds(world.connect(), repo, pullRequest.id), [a]);
    assert.equal(world.emu.admin.workItem(b)!.rev, 1);
  });

  it('refuses ids that are not work item ids before any request', () => {
    assert.deepEqual(normalizeWorkItemIds([7, '#8', ' 9 ', 7]), [7, 8, 9]);
    for (const bad of ['abc', '0', '-3', '1.5', '99999999999'])
      assert.throws(() => normalizeWorkItemIds([bad]), { message: `"${bad}" is not a work item id (a positive number)` });
    assert.equal(pullRequestArtifactUri('P', 'R', 12), 'vstfs:///Git/PullRequestId/P%2FR%2F12');
  });

  for (const [label, fault] of [
    ['503', { status: 503 }],
    ['a reset connection', { reset: true }],
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
  ] as const) {
    it(`a link whose update meets ${label} lands exactly once`, async () => {
      const { repo } = await promotionBranch();
      const [a, b] = newWorkItems('a', 'b');
      const { pullRequest } = await findOrCreatePullRequest(world.connect(), repo, request([a]));
      const logs: string[] = [];
      world.emu.admin.injectFault({ method: 'PATCH', pathPattern: /\/_apis\/wit\/workItems\//, count: 1, ...fault });
      const started = Date.now();
      const result = await linkWorkItemsToPullRequest(world.connect({ log: (l) => logs.push(l) }), repo, { id: pullRequest.id }, [a, b]);
      assert.deepEqual(result, { linked: [b], alreadyLinked: [a] });
      if ('retryAfterSeconds' in fault) assert.ok(Date.now() - started >= 1000, 'waits as long as Retry-After asks');
      assert.equal(world.emu.admin.workItem(b)!.relations.length, 1);
      assert.equal(logs.length, 1, logs.join('\n'));
      assert.match(
        logs[0],
        new RegExp(`^linking work item ${b} to pull request ${pullRequest.id} failed \\(.*\\); checking the work item before trying again$`),
      );
      assert.deepEqual(await getPullRequestWorkItemIds(world.connect(), repo, pullRequest.id), [a, b]);
    });
  }

  it('a link that landed although its answer was lost is not made twice', async () => {
    const { repo } = await promotionBranch();
    const [a] = newWorkItems('a');
    const { pullRequest } = await findOrCreatePullRequest(world.connect(), repo, { sourceBranch: 'promote/dev', targetBranch: 'main', title: 'Promote dev' });
    const conn = world.connect();
    // The update is applied, then the connection breaks before the answer (as after a proxy timeout).
    const wit = workItemTrackingApi(conn);
    const real = wit.updateWorkItem.bind(wit);
    let calls = 0;
    wit.updateWorkItem = async (...args: Parameters<typeof real>) => {
      calls++;
      await real(...args);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    };
    const result = await linkWorkItemsToPullRequest(conn, repo, { id: pullRequest.id }, [a]);
    assert.deepEqual([result, calls], [{ linked: [a], alreadyLinked: [] }, 1]);
    assert.equal(world.emu.admin.workItem(a)!.relations.length, 1);
  });
});
