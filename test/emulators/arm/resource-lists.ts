/**
 * The Azure Resource Manager list routes the classic editor's pickers call through an AzureRM
 * service connection (GitOpsPromote@1's dataSourceBindings): Resource Groups - List and
 * Resources - List By Resource Group with a `resourceType eq '...'` $filter, both paged with
 * `nextLink` and `$skiptoken` as ARM pages them. The resource groups are the groups of the
 * emulator's clusters (the emulator holds no other resources). Denials (admin `denials`) apply as
 * on the fluxConfigurations routes, with the read action of the listed type.
 */
import type { AccessRule, ClusterRecord } from './arm';
import { armError } from './arm';

export type ResourceListRoute = 'groups.list' | 'resources.list';

/** API versions of Microsoft.Resources the emulator answers (the pickers use 2021-04-01). */
export const RESOURCES_API_VERSIONS = ['2021-04-01', '2022-09-01', '2024-03-01'] as const;
/** Items per page: small, so that the pickers' paging is exercised with a handful of resources. */
export const RESOURCE_LIST_PAGE_SIZE = 2;

/** The list route a request path names, if any: /subscriptions/{s}/resourcegroups, /subscriptions/{s}/resourceGroups/{g}/resources. */
export function resourceListRoute(method: string, seg: string[]): ResourceListRoute | undefined {
  const lower = seg.map((s) => s.toLowerCase());
  if (method.toUpperCase() !== 'GET' || lower[0] !== 'subscriptions') return undefined;
  if (seg.length === 3 && lower[2] === 'resourcegroups') return 'groups.list';
  if (seg.length === 5 && lower[2] === 'resourcegroups' && lower[4] === 'resources') return 'resources.list';
  return undefined;
}

export interface ResourceListState {
  clusters: ClusterRecord[];
  denied: AccessRule[];
  armUrl: string;
}

/** The answer to a list request: status and ARM body. */
export function listResources(route: ResourceListRoute, state: ResourceListState, url: URL, seg: string[], caller: string): { status: number; body: unknown } {
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion)
    return { status: 400, body: armError('MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.') };
  if (!(RESOURCES_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    const type = route === 'groups.list' ? 'resourceGroups' : 'resources';
    return {
      status: 400,
      body: armError(
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'global' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${RESOURCES_API_VERSIONS.join(', ')}'.`,
      ),
    };
  }
  const subscriptionId = seg[1];
  const inSubscription = state.clusters.filter((c) => c.subscriptionId.toLowerCase() === subscriptionId.toLowerCase());
  const denial = state.denied.find(
    (r) =>
      (r.clientId === undefined || r.clientId.toLowerCase() === caller.toLowerCase()) &&
      (r.scope === undefined || url.pathname.toLowerCase().includes(r.scope.toLowerCase())) &&
      (r.action === undefined || r.action === 'read'),
  );
  if (denial) {
    const action =
      route === 'groups.list' ? 'Microsoft.Resources/subscriptions/resourceGroups/read' : 'Microsoft.Resources/subscriptions/resourceGroups/resources/read';
    return {
      status: 403,
      body: armError(
        'AuthorizationFailed',
        `The client '${caller}' does not have authorization to perform action '${action}' over scope '${url.pathname}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      ),
    };
  }
  if (inSubscription.length === 0) return { status: 404, body: armError('SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`) };

  let items: Record<string, unknown>[];
  if (route === 'groups.list') {
    const groups = new Map<string, string>();
    for (const c of inSubscription) if (!groups.has(c.resourceGroup.toLowerCase())) groups.set(c.resourceGroup.toLowerCase(), c.resourceGroup);
    items = [...groups.values()]
      .sort((a, b) => a.localeCompare(b))
      .map((name) => ({
        id: `/subscriptions/${subscriptionId}/resourceGroups/${name}`,
        name,
        type: 'Microsoft.Resources/resourceGroups',
        location: 'westeurope',
        properties: { provisioningState: 'Succeeded' },
      }));
  } else {
    const group = seg[3];
    const inGroup = inSubscription.filter((c) => c.resourceGroup.toLowerCase() === group.toLowerCase());
    if (inGroup.length === 0) return { status: 404, body: armError('ResourceGroupNotFound', `Resource group '${group}' could not be found.`) };
    const filter = url.searchParams.get('$filter');
    let types: string[] | undefined;
    if (filter) {
      types = parseResourceTypeFilter(filter);
      if (!types) return { status: 400, body: armError('InvalidFilterInQueryString', `Invalid $filter '${filter}' specified in the query string.`) };
    }
    items = inGroup
      .filter((c) => !types || types.includes(`${c.provider}/${c.type}`.toLowerCase()))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => ({ id: c.id, name: c.name, type: `${c.provider}/${c.type}`, location: 'westeurope' }));
  }

  const skip = Math.max(0, Number(url.searchParams.get('$skiptoken') ?? url.searchParams.get('$skipToken') ?? '0') || 0);
  const body: Record<string, unknown> = { value: items.slice(skip, skip + RESOURCE_LIST_PAGE_SIZE) };
  if (skip + RESOURCE_LIST_PAGE_SIZE < items.length) {
    // as ARM writes it: the request's query as sent, with `$skiptoken` (literal `$`) last
    const query = url.search
      .slice(1)
      .split('&')
      .filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
    body.nextLink = `${state.armUrl}${url.pathname}?${[...query, `$skiptoken=${skip + RESOURCE_LIST_PAGE_SIZE}`].join('&')}`;
  }
  return { status: 200, body };
}

/** `resourceType eq 'A/b' or resourceType eq 'C/d'` → ['a/b', 'c/d'] (lower case); undefined when it is anything else. */
export function parseResourceTypeFilter(filter: string): string[] | undefined {
  const types: string[] = [];
  for (const clause of filter.split(/\s+or\s+/i)) {
    const m = /^\s*resourceType\s+eq\s+'([^']+)'\s*$/i.exec(clause);
    if (!m) return undefined;
    types.push(m[1].toLowerCase());
  }
  return types;
}
