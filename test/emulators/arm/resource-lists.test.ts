import * as assert from 'node:assert/strict';
import type { ClusterRecord } from './arm';
import { listResources, parseResourceTypeFilter, resourceListRoute } from './resource-lists';

const SUB = 'sub-1';
const cluster = (name: string, resourceGroup: string, provider: string, type: string): ClusterRecord =>
  ({
    subscriptionId: SUB,
    resourceGroup,
    provider,
    type,
    name,
    id: `/subscriptions/${SUB}/resourceGroups/${resourceGroup}/providers/${provider}/${type}/${name}`,
  }) as ClusterRecord;
const state = {
  clusters: [cluster('a', 'rg-1', 'Microsoft.Kubernetes', 'connectedClusters'), cluster('b', 'rg-1', 'Microsoft.ContainerService', 'managedClusters')],
  denied: [],
  armUrl: 'https://arm',
};
const seg = (path: string) => path.split('?')[0].split('/').filter(Boolean);
const list = (path: string, s = state, caller = 'app') =>
  listResources(resourceListRoute('GET', seg(path))!, s, new URL(`https://arm${path}`), seg(path), caller);

describe('ARM emulator: resource group and resource lists', () => {
  it('names the routes; other methods and paths are not list routes', () => {
    assert.equal(resourceListRoute('GET', seg('/subscriptions/s/resourcegroups')), 'groups.list');
    assert.equal(resourceListRoute('GET', seg('/subscriptions/s/resourceGroups/g/resources')), 'resources.list');
    assert.equal(resourceListRoute('PUT', seg('/subscriptions/s/resourcegroups')), undefined);
    assert.equal(resourceListRoute('GET', seg('/subscriptions/s/resourceGroups/g')), undefined);
  });

  it('filters by resource type with eq and or, case-insensitive; anything else is refused', () => {
    assert.deepEqual(parseResourceTypeFilter("resourceType eq 'A/b' or resourcetype EQ 'C/d'"), ['a/b', 'c/d']);
    assert.equal(parseResourceTypeFilter("name eq 'x'"), undefined);
    assert.deepEqual(
      list(`/subscriptions/${SUB}/resourceGroups/rg-1/resources?api-version=2021-04-01&$filter=resourceType eq 'Microsoft.ContainerService/managedClusters'`)
        .body,
      {
        value: [{ id: state.clusters[1].id, name: 'b', type: 'Microsoft.ContainerService/managedClusters', location: 'westeurope' }],
      },
    );
    assert.equal(list(`/subscriptions/${SUB}/resourceGroups/rg-1/resources?api-version=2021-04-01&$filter=name eq 'a'`).status, 400);
  });

  it('answers ARM errors: api-version, unknown subscription and group, denied reads', () => {
    assert.deepEqual(list(`/subscriptions/${SUB}/resourcegroups`), {
      status: 400,
      body: { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } },
    });
    assert.equal(
      (list(`/subscriptions/${SUB}/resourcegroups?api-version=1999-01-01`).body as { error: { code: string } }).error.code,
      'NoRegisteredProviderFound',
    );
    assert.equal((list('/subscriptions/nope/resourcegroups?api-version=2021-04-01').body as { error: { code: string } }).error.code, 'SubscriptionNotFound');
    assert.equal(
      (list(`/subscriptions/${SUB}/resourceGroups/rg-9/resources?api-version=2021-04-01`).body as { error: { code: string } }).error.code,
      'ResourceGroupNotFound',
    );
    const denied = list(`/subscriptions/${SUB}/resourcegroups?api-version=2021-04-01`, { ...state, denied: [{ clientId: 'app', action: 'read' }] } as never);
    assert.equal(denied.status, 403);
    assert.match(JSON.stringify(denied.body), /AuthorizationFailed.*Microsoft.Resources\/subscriptions\/resourceGroups\/read/);
  });

  it('pages with nextLink and a literal $skiptoken, keeping the query', () => {
    const three = {
      ...state,
      clusters: [
        ...state.clusters,
        cluster('c', 'rg-2', 'Microsoft.Kubernetes', 'connectedClusters'),
        cluster('d', 'rg-3', 'Microsoft.Kubernetes', 'connectedClusters'),
      ],
    };
    const first = list(`/subscriptions/${SUB}/resourcegroups?api-version=2021-04-01`, three).body as { value: { name: string }[]; nextLink: string };
    assert.deepEqual(
      first.value.map((g) => g.name),
      ['rg-1', 'rg-2'],
    );
    assert.equal(first.nextLink, `https://arm/subscriptions/${SUB}/resourcegroups?api-version=2021-04-01&$skiptoken=2`);
    const second = list(new URL(first.nextLink).pathname + new URL(first.nextLink).search, three).body as { value: { name: string }[]; nextLink?: string };
    assert.deepEqual(
      second.value.map((g) => g.name),
      ['rg-3'],
    );
    assert.equal(second.nextLink, undefined);
  });
});
