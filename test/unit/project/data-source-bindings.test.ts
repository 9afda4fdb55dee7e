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
import { BindingContext, DataSourceBinding, evaluateBinding, MAX_CALLS } from '../../harness/data-source-binding';

const root = process.cwd();

interface TaskInput {
  name: string;
  type: string;
  properties?: Record<string, string>;
  options?: Record<string, string>;
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
const binding = (target: string) => {
  const found = promote.dataSourceBindings?.find((b) => b.target === target);
  assert.ok(found, `GitOpsPromote has a dataSourceBinding for ${target}`);
  return found;
};

/** The targets this file shows lists for; a binding added without a test here fails the first test. */
const TESTED_TARGETS = ['clusterResourceGroup', 'cluster', 'fluxConfiguration', 'kustomizations', 'gitopsRepository', 'targetBranch'];

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
        const text = JSON.stringify(b);
        for (const m of text.matchAll(/\$\(([^)]+)\)/g)) {
          if (m[1].startsWith('System.')) continue;
          assert.ok(inputs.has(m[1]), `${where}: $(${m[1]}) is not an input of ${task.name}`);
        }
        assert.match(b.resultSelector ?? '', /^jsonpath:\$/, `${where}: resultSelector`);
        assert.ok(b.resultTemplate, `${where}: resultTemplate`);
        assert.equal(Boolean(b.callbackContextTemplate), Boolean(b.callbackRequiredTemplate), `${where}: paging needs both callback templates`);
      }
    }
    assert.deepEqual(seen.sort(), TESTED_TARGETS.map((t) => `GitOpsPromote.${t}`).sort());
  });

  describe('against the emulators', function () {
    this.timeout(60_000);
    let arm: ArmEmulator;
    let devops: DevOpsEmulator;
    let ctx: (inputs: Record<string, string>) => BindingContext;
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

      ctx = (inputs) => ({
        endpoints: {
          // An AzureRM connection's url ends with a slash (https://management.azure.com/).
          'arm-connection': { url: `${arm.armUrl}/`, subscriptionId: arm.subscriptionId, authorization: `Bearer ${token}`, ca: arm.caCertPem },
          'tfs:teamfoundation': { url: devops.url, authorization: basic },
        },
        inputs: { azureSubscription: 'arm-connection', ...inputs },
        variables: { 'System.TeamProject': 'voting' },
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

    it('repositories: those of the project, not of other projects', async () => {
      const result = await evaluateBinding(binding('gitopsRepository'), ctx({}));
      assert.deepEqual(result.items?.map((i) => i.value).sort(), ['voting-app', 'voting-gitops']);
      assert.equal(result.calls[0], `${devops.url}/voting/_apis/git/repositories?api-version=7.1`);
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
