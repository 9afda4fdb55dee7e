// Work items (wit area, WorkItemTrackingApi), a pull request's work items (GitApi
// getPullRequestWorkItemRefs) and identities (GET _apis/identities, which the node client has no
// API for: read here with the client's own REST client and with fetch), over real HTTP.
import * as assert from 'node:assert/strict';
import * as azdev from 'azure-devops-node-api';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import type { WorkItemTrackingApi } from 'azure-devops-node-api/WorkItemTrackingApi';
import { WorkItemErrorPolicy, WorkItemExpand } from 'azure-devops-node-api/interfaces/WorkItemTrackingInterfaces';
import { gitApi, rejection } from './helpers';
import { DevOpsEmulator, startDevOpsEmulator } from './index';

const P = 'fleet';

describe('Azure DevOps emulator: work items, PR work items and identities (real client)', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  let git: GitApi;
  let wit: WorkItemTrackingApi;
  let repoId: string;
  let projectId: string;

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    projectId = emu.admin.createProject(P).id;
    emu.admin.createProject('other');
    repoId = (await emu.admin.createRepository(P, 'gitops')).id;
    await emu.admin.seedFiles(P, 'gitops', 'main', { 'a.txt': 'a\n' });
    await emu.admin.seedFiles(P, 'gitops', 'promote/dev', { 'a.txt': 'b\n' });
    git = await gitApi(emu);
    const web = new azdev.WebApi(emu.url, azdev.getBearerHandler(emu.token), { allowRetries: false });
    wit = await web.getWorkItemTrackingApi(); // resource area lookup: wit is served at the collection URL
  });
  after(async () => emu?.stop());

  const raw = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${emu.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${emu.token}`, Accept: 'application/json', ...(init.headers ?? {}) },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const createPr = (source: string, workItemIds: number[] = []) =>
    git.createPullRequest(
      {
        sourceRefName: `refs/heads/${source}`,
        targetRefName: 'refs/heads/main',
        title: `PR ${source}`,
        workItemRefs: workItemIds.map((id) => ({ id: String(id) })),
      },
      repoId,
      P,
    );

  describe('work items', () => {
    it('reads a work item with its fields, 404 WorkItemUnauthorizedAccessException (TF401232) for an unknown one', async () => {
      const { id, url } = emu.admin.createWorkItem(P, { title: 'Ship dev', type: 'Bug' });
      assert.equal(url, `${emu.url}/${projectId}/_apis/wit/workItems/${id}`);
      const item = await wit.getWorkItem(id);
      assert.deepEqual(
        [
          item.id,
          item.rev,
          item.fields!['System.Title'],
          item.fields!['System.WorkItemType'],
          item.fields!['System.State'],
          item.fields!['System.TeamProject'],
          item.relations,
          item.url,
        ],
        [id, 1, 'Ship dev', 'Bug', 'New', P, undefined, url],
      );
      assert.equal(await wit.getWorkItem(9999), null, 'the client turns 404 into null');
      const missing = await raw('/_apis/wit/workitems/9999?api-version=7.1');
      assert.equal(missing.status, 404);
      assert.deepEqual(
        [missing.body.typeKey, missing.body.message],
        ['WorkItemUnauthorizedAccessException', 'TF401232: Work item 9999 does not exist, or you do not have permissions to read it.'],
      );
      assert.equal((await raw(`/other/_apis/wit/workitems/${id}?api-version=7.1`)).status, 404, 'not in that project');
      const both = await wit.getWorkItems([id, 9999], undefined, undefined, undefined, WorkItemErrorPolicy.Omit);
      assert.deepEqual(
        both.map((w) => w?.id ?? null),
        [id, null],
      );
      assert.equal(await wit.getWorkItems([id, 9999]), null, 'errorPolicy Fail (the default): 404 for the whole list');
    });

    it('links a work item to a pull request with an ArtifactLink; the PR lists it, once', async () => {
      const pr = await createPr('promote/dev');
      const { id } = emu.admin.createWorkItem(P, { title: 'Promote dev' });
      assert.deepEqual(await git.getPullRequestWorkItemRefs(repoId, pr.pullRequestId!, P), []);
      const artifact = `vstfs:///Git/PullRequestId/${projectId}%2F${repoId}%2F${pr.pullRequestId}`;
      assert.equal(pr.artifactId!.toLowerCase(), artifact.toLowerCase());
      emu.admin.clearRequests();
      const link = [{ op: 'add', path: '/relations/-', value: { rel: 'ArtifactLink', url: artifact, attributes: { name: 'Pull Request' } } }];
      const updated = await wit.updateWorkItem(undefined, link, id);
      assert.deepEqual(
        emu.admin.requests().map((r) => `${r.method} ${r.path} ${r.operation} ${r.status}`),
        [`PATCH /contoso/_apis/wit/workItems/${id} Work Items_Update 200`], // wit locations cached by the first read
      );
      assert.equal(updated.rev, 2);
      assert.deepEqual(
        updated.relations!.map((r): unknown[] => [r.rel, r.url, r.attributes!.name]),
        [['ArtifactLink', artifact, 'Pull Request']],
      );
      assert.deepEqual(await git.getPullRequestWorkItemRefs(repoId, pr.pullRequestId!, P), [{ id: String(id), url: `${emu.url}/_apis/wit/workItems/${id}` }]);
      assert.deepEqual((await git.getPullRequest(repoId, pr.pullRequestId!, P, undefined, undefined, undefined, undefined, true)).workItemRefs, [
        { id: String(id), url: `${emu.url}/_apis/wit/workItems/${id}` },
      ]);
      assert.equal((await git.getPullRequest(repoId, pr.pullRequestId!, P)).workItemRefs, undefined, 'only with includeWorkItemRefs');
      // the same link again is refused and changes nothing
      const again = await rejection(wit.updateWorkItem(undefined, link, id));
      assert.deepEqual([again.statusCode, again.result.typeKey], [400, 'WorkItemLinkAlreadyExistsException']);
      assert.deepEqual(emu.admin.workItem(id), { id, rev: 2, title: 'Promote dev', relations: [{ rel: 'ArtifactLink', url: artifact, name: 'Pull Request' }] });
      await git.updatePullRequest({ status: 2 }, repoId, pr.pullRequestId!, P); // abandon: frees the branch pair for the next test
    });

    it('refuses an artifact link without a name and patches that are not JSON Patch arrays', async () => {
      const { id } = emu.admin.createWorkItem(P, { title: 'x' });
      const noName = await rejection(
        wit.updateWorkItem(undefined, [{ op: 'add', path: '/relations/-', value: { rel: 'ArtifactLink', url: 'vstfs:///Git/PullRequestId/a%2Fb%2F1' } }], id),
      );
      assert.deepEqual(
        [noName.statusCode, noName.result.typeKey, noName.message],
        [400, 'ArgumentException', 'Artifact links must have a valid name specified.\r\nParameter name: workItemUpdates'],
      );
      const notArray = await rejection(wit.updateWorkItem(undefined, { op: 'add' }, id));
      assert.deepEqual([notArray.statusCode, notArray.result.typeKey], [400, 'VssPropertyValidationException']);
      assert.equal(emu.admin.workItem(id)!.rev, 1);
      // fields and a test on rev, in one document
      const titled = await wit.updateWorkItem(
        undefined,
        [
          { op: 'test', path: '/rev', value: 1 },
          { op: 'replace', path: '/fields/System.Title', value: 'y' },
        ],
        id,
      );
      assert.deepEqual([titled.rev, titled.fields!['System.Title']], [2, 'y']);
      assert.equal((await rejection(wit.updateWorkItem(undefined, [{ op: 'test', path: '/rev', value: 1 }], id))).statusCode, 400);
      assert.deepEqual((await wit.getWorkItem(id, undefined, undefined, WorkItemExpand.Relations)).relations, undefined);
    });

    it('links the work items given at PR creation and ignores unknown ids, as the service does', async () => {
      const a = emu.admin.createWorkItem(P, { title: 'a' }).id;
      const b = emu.admin.createWorkItem('other', { title: 'b (another project)' }).id;
      const pr = await createPr('promote/dev', [a, b, 9999]);
      const expected = [a, b].map((id) => ({ id: String(id), url: `${emu.url}/_apis/wit/workItems/${id}` }));
      assert.deepEqual(pr.workItemRefs, expected);
      assert.deepEqual(await git.getPullRequestWorkItemRefs(repoId, pr.pullRequestId!, P), expected);
      const linked = await wit.getWorkItem(a, undefined, undefined, WorkItemExpand.Relations);
      assert.deepEqual(
        linked.relations!.map((r): unknown[] => [r.rel, r.url!.toLowerCase(), r.attributes!.name]),
        [['ArtifactLink', pr.artifactId!.toLowerCase(), 'Pull Request']],
      );
    });
  });

  /** An identity as the service sends it (the fields these tests read). */
  interface WireIdentity {
    id: string;
    providerDisplayName: string;
    isActive: boolean;
    isContainer?: boolean;
    members: string[];
    memberOf: string[];
    memberIds: string[];
    resourceVersion: number;
    metaTypeId: number;
    descriptor: string;
    subjectDescriptor: string;
    properties: Record<string, { $type: string; $value: string }>;
  }

  describe('identities', () => {
    let jamal: { id: string };
    let approvers: { id: string; displayName: string; uniqueName: string };

    before(() => {
      jamal = emu.admin.identity('Jamal Hartnett', { email: 'jamal@contoso.com' });
      emu.admin.identity('Jamal Hartnett', { email: 'jamal.h@fabrikam.com' }); // same name, another person
      approvers = emu.admin.group('Release Approvers', { project: P, description: 'They approve releases', members: ['jamal@contoso.com'] });
      emu.admin.group('Release Approvers', { project: 'other' });
    });

    const search = async (filterValue: string, extra = '') =>
      (
        await git.rest.get<{ count: number; value: WireIdentity[] }>(
          `${emu.url}/_apis/identities?searchFilter=General&filterValue=${encodeURIComponent(filterValue)}&queryMembership=None&api-version=7.1${extra}`,
        )
      ).result!;

    it('finds a user by email with the Identity shape of the service', async () => {
      const found = await search('JAMAL@contoso.com');
      assert.equal(found.count, 1);
      const user = found.value[0];
      assert.deepEqual(
        [
          user.id,
          user.providerDisplayName,
          user.isActive,
          user.isContainer,
          user.members,
          user.memberOf,
          user.memberIds,
          user.resourceVersion,
          user.metaTypeId,
        ],
        [jamal.id, 'Jamal Hartnett', true, undefined, [], [], [], 2, 0],
      );
      assert.match(user.descriptor, /^Microsoft\.IdentityModel\.Claims\.ClaimsIdentity;[0-9a-f-]{36}\\jamal@contoso\.com$/);
      assert.match(user.subjectDescriptor, /^aad\./);
      assert.deepEqual(
        [user.properties.SchemaClassName, user.properties.Account, user.properties.Mail],
        [
          { $type: 'System.String', $value: 'User' },
          { $type: 'System.String', $value: 'jamal@contoso.com' },
          { $type: 'System.String', $value: 'jamal@contoso.com' },
        ],
      );
    });

    it('finds both people sharing a display name, and groups by plain or scoped name', async () => {
      assert.deepEqual((await search('jamal hartnett')).value.map((i) => i.properties.Mail.$value).sort(), ['jamal.h@fabrikam.com', 'jamal@contoso.com']);
      assert.deepEqual((await search('Release Approvers')).value.map((i) => i.providerDisplayName).sort(), [
        '[fleet]\\Release Approvers',
        '[other]\\Release Approvers',
      ]);
      const scoped = await search('[fleet]\\release approvers');
      assert.equal(scoped.count, 1);
      const group = scoped.value[0];
      assert.deepEqual(
        [
          group.id,
          group.isContainer,
          group.metaTypeId,
          group.properties.SchemaClassName.$value,
          group.properties.Account.$value,
          group.properties.ScopeName.$value,
          group.properties.Domain.$value,
          group.properties.Description.$value,
        ],
        [approvers.id, true, 255, 'Group', 'Release Approvers', P, `vstfs:///Classification/TeamProject/${projectId}`, 'They approve releases'],
      );
      assert.match(group.descriptor, /^Microsoft\.TeamFoundation\.Identity;S-1-9-1551374245(-\d+){4}$/);
      assert.deepEqual(group.memberIds, [], 'queryMembership=None');
      const direct = await raw(
        `/_apis/identities?searchFilter=General&filterValue=${encodeURIComponent('[fleet]\\Release Approvers')}&queryMembership=Direct&api-version=7.1`,
      );
      assert.deepEqual((direct.body.value as Array<{ memberIds: string[] }>)[0].memberIds, [jamal.id]);
      assert.deepEqual(await search('nobody@contoso.com'), { count: 0, value: [] });
    });

    it('answers 400 without a filter value, and only at the collection level', async () => {
      const noValue = await raw('/_apis/identities?searchFilter=General&api-version=7.1');
      assert.deepEqual([noValue.status, noValue.body.typeKey], [400, 'ArgumentNullException']);
      const badFilter = await raw('/_apis/identities?searchFilter=Fuzzy&filterValue=x&api-version=7.1');
      assert.deepEqual([badFilter.status, badFilter.body.typeKey], [400, 'InvalidArgumentValueException']);
      assert.equal((await raw(`/${P}/_apis/identities?searchFilter=General&filterValue=x&api-version=7.1`)).status, 404);
      const byId = await raw(`/_apis/identities?identityIds=${jamal.id},${approvers.id}&api-version=7.1`);
      assert.deepEqual(
        (byId.body.value as Array<{ id: string }>).map((i) => i.id),
        [jamal.id, approvers.id],
      );
    });

    it('shows a group reviewer as the service does (isContainer, scoped name, domain unique name)', async () => {
      await emu.admin.seedFiles(P, 'gitops', 'promote/groups', { 'g.txt': 'g\n' });
      const pr = await git.createPullRequest(
        {
          sourceRefName: 'refs/heads/promote/groups',
          targetRefName: 'refs/heads/main',
          title: 'groups',
          reviewers: [{ id: approvers.id, isRequired: true }, { id: jamal.id }] as never,
        },
        repoId,
        P,
      );
      assert.deepEqual(
        pr.reviewers!.map((r) => [r.id, r.displayName, r.uniqueName, r.isContainer, r.isRequired]),
        [
          [approvers.id, '[fleet]\\Release Approvers', `vstfs:///Classification/TeamProject/${projectId}\\Release Approvers`, true, true],
          [jamal.id, 'Jamal Hartnett', 'jamal@contoso.com', undefined, undefined],
        ],
      );
    });
  });
});
