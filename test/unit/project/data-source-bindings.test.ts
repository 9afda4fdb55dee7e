/**
 * The classic editor's pick lists: every dataSourceBinding of every task.json, evaluated as the
 * service evaluates it (test/harness/data-source-binding.ts: macros, Mustache URL templates,
 * JSONPath selectors, result templates, paging) against the ARM and Azure DevOps emulators, with
 * the exact list a user would see for each picker.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { ArmEmulator, startArmEmulator } from '../../emulators/arm';
import { DevOpsEmulator, startDevOpsEmulator } from '../../emulators/devops';
import { BindingContext, bindingFor, DataSourceBinding, evaluateBinding, MAX_CALLS } from '../../harness/data-source-binding';

const root = process.cwd();

interface TaskInput {
  name: string;
  type: string;
  properties?: Record<string, string>;
  options?: Record<string, string>;
  visibleRule?: string;
}
interface TaskJson {
  name: string;
  inputs: TaskInput[];
  dataSourceBindings?: DataSourceBinding[];
}

function taskJsons(): TaskJson[] {
  return fs
    .readdirSync(path.join(root, 'tasks'))
    .map((t) => path.join(root, 'tasks', t, 'v1', 'task.json'))
    .filter((f) => fs.existsSync(f))
    .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as TaskJson);
}

const promote = taskJsons().find((t) => t.name === 'GitOpsPromote')!;
const prValidate = taskJsons().find((t) => t.name === 'GitOpsPrValidate')!;
/** The binding the editor uses for an input of the task (the last one naming it). */
const bindingOf = (task: TaskJson, target: string) => {
  const found = bindingFor(task.dataSourceBindings ?? [], target);
  assert.ok(found, `${task.name} has a dataSourceBinding for ${target}`);
  return found;
};
const binding = (target: string) => bindingOf(promote, target);
const inputNames = (task: TaskJson) => new Set(task.inputs.map((i) => i.name));

/** The GitOps repository pickers both tasks have: through the job's connection, and through gitopsConnection. */
const REPOSITORY_TARGETS = ['gitopsRepository', 'targetBranch', 'gitopsConnectionProject', 'gitopsConnectionRepository', 'gitopsConnectionBranch'];
/** The targets this file shows lists for; a binding added without a test here fails the first test. */
const TESTED_TARGETS = [
  ...['clusterResourceGroup', 'cluster', 'fluxConfiguration', 'kustomizations', ...REPOSITORY_TARGETS].map((t) => `GitOpsPromote.${t}`),
  ...REPOSITORY_TARGETS.map((t) => `GitOpsPrValidate.${t}`),
];

describe('dataSourceBindings (classic editor pick lists)', () => {
  it('bind existing inputs that are editable pick lists, from a connection input of the task or the collection, with inputs the task has', () => {
    const seen: string[] = [];
    for (const task of taskJsons()) {
      const inputs = new Map(task.inputs.map((i) => [i.name, i]));
      for (const b of task.dataSourceBindings ?? []) {
        const where = `${task.name} binding ${b.target}`;
        seen.push(`${task.name}.${b.target}`);
        const target = inputs.get(b.target);
        assert.ok(target, `${where}: no input ${b.target}`);
        assert.equal(target.type, 'pickList', `${where}: the target is a pickList`);
        assert.equal(target.properties?.EditableOptions, 'True', `${where}: typing a value or a variable still works (EditableOptions)`);
        assert.equal(target.options, undefined, `${where}: the list comes from the binding, not fixed options`);
        const endpoint = /^\$\(([^)]+)\)$/.exec(b.endpointId)?.[1];
        if (endpoint) assert.match(inputs.get(endpoint)?.type ?? '', /^connectedService:/, `${where}: endpointId names a connection input`);
        else assert.equal(b.endpointId, 'tfs:teamfoundation', `${where}: endpointId`);
        // The editor fills $(name) from the task's inputs only; the project is {{system.teamProject}}.
        const text = JSON.stringify(b);
        for (const m of text.matchAll(/\$\(([^)]+)\)/g)) assert.ok(inputs.has(m[1]), `${where}: $(${m[1]}) is not an input of ${task.name}`);
        assert.match(b.resultSelector ?? '', /^jsonpath:\$/, `${where}: resultSelector`);
        assert.ok(b.resultTemplate, `${where}: resultTemplate`);
        assert.equal(Boolean(b.callbackContextTemplate), Boolean(b.callbackRequiredTemplate), `${where}: paging needs both callback templates`);
      }
    }
    // The editor gives an input the last binding naming it: a second one would replace the first, not add a fallback.
    assert.equal(new Set(seen).size, seen.length, `one binding per target: ${seen.join(', ')}`);
    assert.deepEqual(seen.sort(), [...TESTED_TARGETS].sort());
  });

  it('offer the lists from the job connection or from gitopsConnection as Microsoft does for another organization (a location radio, one picker per list)', () => {
    for (const task of [promote, prValidate]) {
      const input = (name: string) => task.inputs.find((i) => i.name === name)!;
      const when = task.name === 'GitOpsPrValidate' ? 'preview = true && ' : '';
      assert.deepEqual(input('gitopsLocation').options, { internal: 'This organization/collection', external: 'Another organization/collection' });
      assert.equal(input('gitopsLocation').type, 'radio');
      for (const name of ['gitopsRepository', 'targetBranch']) {
        assert.equal(bindingOf(task, name).endpointId, 'tfs:teamfoundation', `${task.name}.${name}`);
        assert.equal(input(name).visibleRule, `${when}gitopsLocation = internal`, `${task.name}.${name}`);
      }
      for (const name of ['gitopsConnection', 'gitopsConnectionProject', 'gitopsConnectionRepository', 'gitopsConnectionBranch']) {
        assert.equal(input(name).visibleRule, `${when}gitopsLocation = external`, `${task.name}.${name}`);
        if (name !== 'gitopsConnection') assert.equal(bindingOf(task, name).endpointId, '$(gitopsConnection)', `${task.name}.${name}`);
      }
      // The preview's pickers are GitOpsPromote@1's, binding for binding.
      for (const name of REPOSITORY_TARGETS) assert.deepEqual(bindingOf(task, name), bindingOf(promote, name));
    }
  });

  describe('against the emulators', function () {
    this.timeout(60_000);
    let arm: ArmEmulator;
    let devops: DevOpsEmulator;
    let ctx: (inputs: Record<string, string>) => BindingContext;
    let fabrikamUrl: string;
    const otherSubscription = '11111111-2222-3333-4444-555555555555';
    const id = (group: string, provider: string, type: string, name: string) =>
      `/subscriptions/${arm.subscriptionId}/resourceGroups/${group}/providers/${provider}/${type}/${name}`;

    before(async () => {
      arm = await startArmEmulator({ clusters: [] });
      const clusters: [string, 'connectedClusters' | 'managedClusters' | 'provisionedClusters', string?, string?][] = [
        ['arc-nonprod', 'connectedClusters'],
        ['arc-lab', 'connectedClusters'],
        ['arc-edge', 'connectedClusters'],
        ['aks-dev', 'managedClusters'],
        ['hci-1', 'provisionedClusters'],
        ['aks-prod', 'managedClusters', 'rg-aks'],
        ['arc-z', 'connectedClusters', 'rg-zeta'],
        ['arc-elsewhere', 'connectedClusters', 'rg-elsewhere', otherSubscription],
      ];
      for (const [name, type, resourceGroup, subscriptionId] of clusters) {
        arm.flux.setScenario(name, { stalled: true });
        arm.admin.addCluster({ name, type, resourceGroup, subscriptionId });
      }
      const source = { sourceKind: 'GitRepository', gitRepository: { url: 'file:///nonexistent/gitops', repositoryRef: { branch: 'main' } } };
      arm.admin.addFluxConfiguration('arc-nonprod', 'cluster-config', {
        ...source,
        kustomizations: { infra: { path: './infrastructure' }, 'apps-dev': { path: './apps/dev', dependsOn: ['infra'] } },
      });
      arm.admin.addFluxConfiguration('arc-nonprod', 'team-b', { ...source, kustomizations: { 'team-b': { path: './teams/b' } } });
      arm.admin.addFluxConfiguration('arc-nonprod', 'team-a', { ...source, kustomizations: { 'team-a': { path: './teams/a' } } });
      arm.admin.addFluxConfiguration('aks-dev', 'aks-config', { ...source, kustomizations: { apps: { path: './apps' } } });

      const credential = new ClientSecretCredential(arm.tenantId, arm.clientId, arm.clientSecret, {
        authorityHost: arm.tokenUrl,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: arm.caCertPem },
      });
      const token = (await credential.getToken(`${arm.armUrl}/.default`)).token;

      devops = await startDevOpsEmulator();
      devops.admin.createProject('voting');
      devops.admin.createProject('other');
      for (const name of ['voting-gitops', 'voting-app']) {
        await devops.admin.createRepository('voting', name, { defaultBranch: 'main' });
        await devops.admin.seedFiles('voting', name, 'main', { 'README.md': `${name}\n` }, 'seed');
      }
      await devops.admin.createRepository('other', 'other-repo', { defaultBranch: 'main' });
      const basic = `Basic ${Buffer.from(`editor:${devops.token}`).toString('base64')}`;

      // Another organization of the same emulator, reached only through gitopsConnection with a token of its own.
      fabrikamUrl = devops.admin.createOrganization('fabrikam').url;
      const fabrikam = devops.admin.forOrganization('fabrikam');
      for (const project of ['platform', 'tools', 'secret']) fabrikam.createProject(project);
      for (const [project, name] of [
        ['platform', 'fleet'],
        ['platform', 'fleet-staging'],
        ['tools', 'ops'],
        ['secret', 'vault'],
      ]) {
        await fabrikam.createRepository(project, name, { defaultBranch: 'main' });
        await fabrikam.seedFiles(project, name, 'main', { 'README.md': `${name}\n` }, 'seed');
      }
      await fabrikam.seedFiles('platform', 'fleet', 'live', { 'LIVE.md': 'live\n' }, 'live branch');
      // What the connection's user may read: fleet, fleet-staging and ops, not secret/vault (a fabrikam token scoped to those).
      fabrikam.pipelineSettings({ limitJobScopeToCurrentProject: false });
      const fabrikamToken = fabrikam.mintJobToken('platform', ['platform/fleet', 'platform/fleet-staging', 'tools/ops']);
      const votingToken = devops.admin.mintJobToken('voting', ['voting-gitops']);
      const pat = (secret: string) => `Basic ${Buffer.from(`:${secret}`).toString('base64')}`;

      ctx = (inputs) => ({
        endpoints: {
          // An AzureRM connection's url ends with a slash (https://management.azure.com/).
          'arm-connection': { url: `${arm.armUrl}/`, subscriptionId: arm.subscriptionId, authorization: `Bearer ${token}`, ca: arm.caCertPem },
          'tfs:teamfoundation': { url: devops.url, authorization: basic },
          // Azure Repos/TFS connections: the collection URL and a personal access token as basic password.
          'fabrikam-connection': { url: fabrikamUrl, authorization: pat(fabrikamToken) },
          'fabrikam-with-voting-token': { url: fabrikamUrl, authorization: pat(votingToken) },
        },
        inputs: { azureSubscription: 'arm-connection', ...inputs },
        teamProject: 'voting',
      });
    });
    after(async () => {
      await arm?.stop();
      await devops?.stop();
    });

    it('resource groups: every group of the connection subscription, over two pages', async () => {
      const result = await evaluateBinding(binding('clusterResourceGroup'), ctx({}));
      assert.deepEqual(result.items, [
        { value: 'rg-aks', displayValue: 'rg-aks' },
        { value: 'rg-gitops', displayValue: 'rg-gitops' },
        { value: 'rg-zeta', displayValue: 'rg-zeta' },
      ]);
      assert.equal(result.calls.length, 2);
      assert.match(result.calls[1], /\$skiptoken=2/);
    });

    it('resource groups: nothing until a connection is chosen', async () => {
      assert.deepEqual(await evaluateBinding(binding('clusterResourceGroup'), { ...ctx({}), inputs: {} }), { calls: [] });
    });

    it('clusters: those of the chosen type in the chosen group, shown by name, stored as resource id (paged)', async () => {
      const arc = await evaluateBinding(binding('cluster'), ctx({ clusterResourceGroup: 'rg-gitops', clusterType: 'connectedClusters' }));
      assert.deepEqual(arc.items, [
        { value: id('rg-gitops', 'Microsoft.Kubernetes', 'connectedClusters', 'arc-edge'), displayValue: 'arc-edge' },
        { value: id('rg-gitops', 'Microsoft.Kubernetes', 'connectedClusters', 'arc-lab'), displayValue: 'arc-lab' },
        { value: id('rg-gitops', 'Microsoft.Kubernetes', 'connectedClusters', 'arc-nonprod'), displayValue: 'arc-nonprod' },
      ]);
      assert.equal(arc.calls.length, 2);
      const aks = await evaluateBinding(binding('cluster'), ctx({ clusterResourceGroup: 'rg-gitops', clusterType: 'managedClusters' }));
      assert.deepEqual(aks.items, [{ value: id('rg-gitops', 'Microsoft.ContainerService', 'managedClusters', 'aks-dev'), displayValue: 'aks-dev' }]);
      const hci = await evaluateBinding(binding('cluster'), ctx({ clusterResourceGroup: 'rg-gitops', clusterType: 'provisionedClusters' }));
      assert.deepEqual(hci.items, [{ value: id('rg-gitops', 'Microsoft.HybridContainerService', 'provisionedClusters', 'hci-1'), displayValue: 'hci-1' }]);
      const other = await evaluateBinding(binding('cluster'), ctx({ clusterResourceGroup: 'rg-aks', clusterType: 'managedClusters' }));
      assert.deepEqual(other.items, [{ value: id('rg-aks', 'Microsoft.ContainerService', 'managedClusters', 'aks-prod'), displayValue: 'aks-prod' }]);
      assert.deepEqual(await evaluateBinding(binding('cluster'), ctx({ clusterType: 'connectedClusters' })), { calls: [] }, 'no group chosen: no call');
    });

    it('Flux configurations: those of the picked cluster (paged)', async () => {
      const cluster = id('rg-gitops', 'Microsoft.Kubernetes', 'connectedClusters', 'arc-nonprod');
      const result = await evaluateBinding(binding('fluxConfiguration'), ctx({ cluster }));
      assert.deepEqual(
        result.items?.map((i) => i.value),
        ['cluster-config', 'team-a', 'team-b'],
      );
      assert.equal(result.calls.length, 2);
      const aks = await evaluateBinding(
        binding('fluxConfiguration'),
        ctx({ cluster: id('rg-gitops', 'Microsoft.ContainerService', 'managedClusters', 'aks-dev') }),
      );
      assert.deepEqual(aks.items, [{ value: 'aks-config', displayValue: 'aks-config' }]);
      assert.deepEqual(await evaluateBinding(binding('fluxConfiguration'), ctx({})), { calls: [] }, 'no cluster picked: no call');
    });

    it('Kustomizations: the names in the chosen configuration', async () => {
      const cluster = id('rg-gitops', 'Microsoft.Kubernetes', 'connectedClusters', 'arc-nonprod');
      const result = await evaluateBinding(binding('kustomizations'), ctx({ cluster, fluxConfiguration: 'cluster-config' }));
      assert.deepEqual(result.items, [
        { value: 'infra', displayValue: 'infra' },
        { value: 'apps-dev', displayValue: 'apps-dev' },
      ]);
      const teamA = await evaluateBinding(binding('kustomizations'), ctx({ cluster, fluxConfiguration: 'team-a' }));
      assert.deepEqual(teamA.items, [{ value: 'team-a', displayValue: 'team-a' }]);
    });

    it("repositories (job connection): those of the editor's project, not of other projects, in both tasks", async () => {
      for (const task of [promote, prValidate]) {
        const result = await evaluateBinding(bindingOf(task, 'gitopsRepository'), ctx({}), inputNames(task));
        assert.deepEqual(result.items?.map((i) => i.value).sort(), ['voting-app', 'voting-gitops'], task.name);
        assert.deepEqual(result.calls, [`${devops.url}/voting/_apis/git/repositories?api-version=7.1`], task.name);
      }
    });

    it('the project comes from {{system.teamProject}}: the editor does not fill $(System.TeamProject) (it sends task inputs only)', async () => {
      const old = {
        ...binding('gitopsRepository'),
        endpointUrl: '{{endpoint.url}}/{{project}}/_apis/git/repositories?api-version=7.1',
        parameters: { project: '$(System.TeamProject)' },
      };
      await assert.rejects(evaluateBinding(old, ctx({}), inputNames(promote)), /\$\(System\.TeamProject\) is not an input of the task/);
    });

    const external = { gitopsLocation: 'external', gitopsConnection: 'fabrikam-connection' };

    it("projects (gitopsConnection): those of the connection's organization whose repositories its token reads, each once", async () => {
      for (const task of [promote, prValidate]) {
        const result = await evaluateBinding(bindingOf(task, 'gitopsConnectionProject'), ctx(external), inputNames(task));
        assert.deepEqual(result.items, [
          { value: 'platform', displayValue: 'platform' },
          { value: 'tools', displayValue: 'tools' },
        ]);
        assert.deepEqual(result.calls, [`${fabrikamUrl}/_apis/git/repositories?api-version=7.1`]);
      }
      assert.deepEqual(
        await evaluateBinding(binding('gitopsConnectionProject'), ctx({ gitopsLocation: 'external' })),
        { calls: [] },
        'no connection chosen: no call',
      );
    });

    it('repositories (gitopsConnection): those of the chosen project that the token reads', async () => {
      const platform = await evaluateBinding(
        binding('gitopsConnectionRepository'),
        ctx({ ...external, gitopsConnectionProject: 'platform' }),
        inputNames(promote),
      );
      assert.deepEqual(platform.items?.map((i) => i.value).sort(), ['fleet', 'fleet-staging']);
      assert.deepEqual(platform.calls, [`${fabrikamUrl}/platform/_apis/git/repositories?api-version=7.1`]);
      const tools = await evaluateBinding(
        bindingOf(prValidate, 'gitopsConnectionRepository'),
        ctx({ ...external, gitopsConnectionProject: 'tools' }),
        inputNames(prValidate),
      );
      assert.deepEqual(tools.items, [{ value: 'ops', displayValue: 'ops' }]);
      const secret = await evaluateBinding(binding('gitopsConnectionRepository'), ctx({ ...external, gitopsConnectionProject: 'secret' }));
      assert.deepEqual(secret.items, [], 'a project whose repositories the token cannot read lists none');
      assert.deepEqual(await evaluateBinding(binding('gitopsConnectionRepository'), ctx(external)), { calls: [] }, 'no project chosen: no call');
    });

    it('branches (gitopsConnection): those of the chosen repository, as refs/heads/<name>', async () => {
      const fleet = { ...external, gitopsConnectionProject: 'platform', gitopsConnectionRepository: 'fleet' };
      for (const task of [promote, prValidate]) {
        const result = await evaluateBinding(bindingOf(task, 'gitopsConnectionBranch'), ctx(fleet), inputNames(task));
        assert.deepEqual(result.items?.map((i) => i.value).sort(), ['refs/heads/live', 'refs/heads/main']);
        assert.match(result.calls[0], new RegExp(`^${fabrikamUrl}/platform/_apis/git/repositories/fleet/refs\\?filter=heads/&\\$top=100&`));
      }
      assert.deepEqual(await evaluateBinding(binding('gitopsConnectionBranch'), ctx({ ...external, gitopsConnectionProject: 'platform' })), { calls: [] });
    });

    it("gitopsConnection's lists use that connection's own credential: another organization's token is refused", async () => {
      const wrong = { gitopsLocation: 'external', gitopsConnection: 'fabrikam-with-voting-token' };
      await assert.rejects(evaluateBinding(binding('gitopsConnectionProject'), ctx(wrong)), /answered 401/);
      await assert.rejects(evaluateBinding(binding('gitopsConnectionRepository'), ctx({ ...wrong, gitopsConnectionProject: 'platform' })), /answered 401/);
    });

    it('branches: those of the chosen repository, paged by continuation token, as refs/heads/<name>', async () => {
      const result = await evaluateBinding(binding('targetBranch'), ctx({ gitopsRepository: 'voting-gitops' }));
      assert.deepEqual(result.items, [{ value: 'refs/heads/main', displayValue: 'refs/heads/main' }]);
      // 150 more branches: two pages of 100
      const head = (await evaluateRefs('voting-gitops'))[0].objectId;
      const created = Array.from({ length: 150 }, (_, i) => ({
        name: `refs/heads/env/e${String(i).padStart(3, '0')}`,
        oldObjectId: '0'.repeat(40),
        newObjectId: head,
      }));
      const res = await fetch(`${devops.url}/voting/_apis/git/repositories/voting-gitops/refs?api-version=7.1`, {
        method: 'POST',
        headers: { Authorization: ctx({}).endpoints['tfs:teamfoundation'].authorization, 'Content-Type': 'application/json' },
        body: JSON.stringify(created),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const paged = await evaluateBinding(binding('targetBranch'), ctx({ gitopsRepository: 'voting-gitops' }));
      assert.equal(paged.items?.length, 151);
      assert.deepEqual(paged.items?.[0], { value: 'refs/heads/env/e000', displayValue: 'refs/heads/env/e000' });
      assert.ok(paged.items?.some((i) => i.value === 'refs/heads/main'));
      assert.equal(paged.calls.length, 2);
      assert.match(paged.calls[1], /continuationToken=100&/);
      assert.ok(paged.calls.length <= MAX_CALLS);
      assert.deepEqual(await evaluateBinding(binding('targetBranch'), ctx({})), { calls: [] }, 'no repository chosen: no call');
    });

    async function evaluateRefs(repo: string): Promise<{ objectId: string }[]> {
      const res = await fetch(`${devops.url}/voting/_apis/git/repositories/${repo}/refs?filter=heads/main&api-version=7.1`, {
        headers: { Authorization: ctx({}).endpoints['tfs:teamfoundation'].authorization },
      });
      return ((await res.json()) as { value: { objectId: string }[] }).value;
    }
  });
});
