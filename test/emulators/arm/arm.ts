/**
 * Microsoft.KubernetesConfiguration/fluxConfigurations as Azure Resource Manager serves it, under
 * Microsoft.Kubernetes/connectedClusters and Microsoft.ContainerService/managedClusters:
 * GET, list (nextLink paging), PUT (201 create / 200 update), PATCH (202), DELETE (202 / 204),
 * each long-running write with an absolute Azure-AsyncOperation URL and the operation-status
 * endpoint; api-versions 2023-05-01 and 2025-04-01; ARM error bodies for 400/401/403/404/429;
 * configurationProtectedSettings and the other secret fields never returned;
 * x-ms-ratelimit-remaining-subscription-* headers from a per-subscription token bucket. The
 * read-only status comes from the Flux simulation.
 *
 * A long-running operation ends Succeeded or, as ARM reports a failed provisioning, Failed: the
 * operation status carries `error: { code, message }`, the configuration stays with
 * provisioningState Failed and errorMessage. What makes it fail is the cluster's scenario (see
 * Scenario.provisioningCheck and Scenario.provisioningFailure in the Flux simulation): a create or
 * update whose first reconciliation fails (source not fetched, kustomization path missing or not
 * buildable) when the check applies, or an explicit failure; a delete fails only explicitly, and
 * never with forceDelete=true.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import type { FluxConfigSpec, FluxReport, FluxSimulator, ProvisioningFailure } from '../flux/simulator';
import { readBody, sendJson } from './http';
import type { IdentityService } from './identity';
import { text } from '../common/json';
import { listResources, resourceListRoute } from './resource-lists';

export const API_VERSIONS = ['2023-05-01', '2025-04-01'] as const;
const CLUSTER_TYPES: Record<string, { provider: string; type: string }> = {
  connectedclusters: { provider: 'Microsoft.Kubernetes', type: 'connectedClusters' },
  managedclusters: { provider: 'Microsoft.ContainerService', type: 'managedClusters' },
  provisionedclusters: { provider: 'Microsoft.HybridContainerService', type: 'provisionedClusters' },
};
const FLUX_TYPE = 'Microsoft.KubernetesConfiguration/fluxConfigurations';

export type ClusterType = 'connectedClusters' | 'managedClusters' | 'provisionedClusters';

export interface ClusterRecord {
  subscriptionId: string;
  resourceGroup: string;
  type: ClusterType;
  provider: string;
  name: string;
  id: string;
}

interface ConfigRecord {
  name: string;
  id: string;
  /** As written by PUT/PATCH, protected settings included (never returned). */
  spec: Record<string, unknown>;
  provisioningState: string;
  /** Set when the last operation failed. */
  errorMessage?: string;
  systemData: Record<string, string>;
}

/** The error of a failed long-running operation (ARM ErrorDetail). */
export interface OperationError {
  code: string;
  message: string;
}

interface Operation {
  id: string;
  resourceId: string;
  action: 'create' | 'update' | 'patch' | 'delete';
  polls: number;
  createdAt: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: OperationError;
  /** Earlier unfinished operations on the same resource (their effect comes first). */
  prior: Promise<void>;
  /** Applies the operation's effect; an error makes it Failed. */
  run: () => Promise<OperationError | undefined>;
  completing?: Promise<void>;
}

export interface AccessRule {
  /** App/identity client id (appid claim); every caller when omitted. */
  clientId?: string;
  /** Substring of the resource path (case-insensitive); everything when omitted. */
  scope?: string;
  /** 'read' | 'write' | 'delete'; all when omitted. */
  action?: 'read' | 'write' | 'delete';
}

export interface ArmOptions {
  /** Items per list page (nextLink when more), default 2. */
  pageSize?: number;
  /** Operation-status polls answered InProgress before Succeeded, default 1. */
  lroPolls?: number;
  /** An operation also completes after this long without polls, default 2000 ms. */
  lroMaxMs?: number;
  /** Retry-After (seconds) on long-running answers; default 0 (the client's own interval applies). */
  lroRetryAfterSeconds?: number;
  /** Per-subscription read bucket: capacity and refill per second (ARM's token bucket), default 250 / 25. */
  readBucket?: { capacity: number; refillPerSecond: number };
  writeBucket?: { capacity: number; refillPerSecond: number };
}

class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    public capacity: number,
    public refillPerSecond: number,
  ) {
    this.tokens = capacity;
  }
  take(): { ok: boolean; remaining: number; retryAfterSeconds: number } {
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.refillPerSecond);
    this.last = now;
    if (this.tokens < 1) return { ok: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond)) };
    this.tokens -= 1;
    return { ok: true, remaining: Math.floor(this.tokens), retryAfterSeconds: 0 };
  }
}

export function armError(code: string, message: string, extra: Record<string, unknown> = {}): { error: Record<string, unknown> } {
  return { error: { code, message, ...extra } };
}

export class ArmService {
  readonly clusters = new Map<string, ClusterRecord>();
  private readonly configs = new Map<string, ConfigRecord>();
  private readonly operations = new Map<string, Operation>();
  private readonly readBuckets = new Map<string, Bucket>();
  private readonly writeBuckets = new Map<string, Bucket>();
  readonly denied: AccessRule[] = [];
  armUrl = '';
  options: Required<Omit<ArmOptions, 'readBucket' | 'writeBucket'>> & Pick<ArmOptions, 'readBucket' | 'writeBucket'>;

  constructor(
    private readonly identity: IdentityService,
    private readonly flux: FluxSimulator,
    options: ArmOptions = {},
  ) {
    this.options = { pageSize: 2, lroPolls: 1, lroMaxMs: 2000, lroRetryAfterSeconds: 0, ...options };
  }

  addCluster(c: { subscriptionId: string; resourceGroup: string; type: ClusterType; name: string }): ClusterRecord {
    const t = CLUSTER_TYPES[c.type.toLowerCase()];
    if (!t) throw new Error(`unknown cluster type ${c.type}`);
    const record: ClusterRecord = {
      ...c,
      type: t.type as ClusterType,
      provider: t.provider,
      id: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/${t.provider}/${t.type}/${c.name}`,
    };
    this.clusters.set(record.id.toLowerCase(), record);
    return record;
  }

  /** Creates (or replaces) a configuration directly, as if a PUT had completed (with `state`: ended so). */
  seedConfiguration(
    cluster: ClusterRecord,
    name: string,
    properties: Record<string, unknown>,
    state: { provisioningState?: string; errorMessage?: string } = {},
  ): void {
    const id = `${cluster.id}/providers/${FLUX_TYPE}/${name}`;
    const spec = withDefaults(properties);
    this.configs.set(id.toLowerCase(), {
      name,
      id,
      spec,
      provisioningState: state.provisioningState ?? 'Succeeded',
      errorMessage: state.errorMessage,
      systemData: systemData('seed', undefined),
    });
    this.flux.configure(cluster.id.toLowerCase(), cluster.name, name, spec);
  }

  setRateLimit(kind: 'read' | 'write', bucket: { capacity: number; refillPerSecond: number }): void {
    if (kind === 'read') this.options.readBucket = bucket;
    else this.options.writeBucket = bucket;
    (kind === 'read' ? this.readBuckets : this.writeBuckets).clear();
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<{ route: string; cluster?: string }> {
    const method = (req.method ?? 'GET').toUpperCase();
    const seg = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const requestId = crypto.randomUUID();
    const headers: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': String(req.headers['x-ms-client-request-id'] ?? requestId),
      'x-ms-routing-request-id': `LOCAL:${new Date().toISOString().replace(/[-:.]/g, '')}:${requestId}`,
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    };
    const error = (status: number, code: string, message: string, more: Record<string, string> = {}) =>
      sendJson(res, status, armError(code, message), { ...headers, ...more });

    // route
    const lower = seg.map((s) => s.toLowerCase());
    const isFlux =
      seg.length >= 10 &&
      lower[0] === 'subscriptions' &&
      lower[2] === 'resourcegroups' &&
      lower[4] === 'providers' &&
      lower[8] === 'providers' &&
      lower[9] === 'microsoft.kubernetesconfiguration' &&
      lower[10] === 'fluxconfigurations';
    let route = 'arm.unknown';
    if (isFlux) {
      if (seg.length === 11) route = 'flux.list';
      else if (seg.length === 12) route = { GET: 'flux.get', PUT: 'flux.put', PATCH: 'flux.patch', DELETE: 'flux.delete' }[method] ?? 'flux.unknown';
      else if (seg.length === 14 && lower[12] === 'operations') route = 'flux.operation';
    }
    const clusterName = isFlux ? seg[7] : undefined;

    // authentication (ARM checks it before anything else)
    const auth = String(req.headers.authorization ?? '');
    if (!auth) {
      error(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
        'WWW-Authenticate': `Bearer authorization_uri="${this.identity.loginUrl}/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
      });
      return { route, cluster: clusterName };
    }
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    if (!token) {
      error(401, 'AuthenticationFailedInvalidHeader', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
      return { route, cluster: clusterName };
    }
    const tokenProblem = this.identity.checkAccessToken(token, [
      this.armUrl,
      `${this.armUrl}/`,
      'https://management.azure.com',
      'https://management.azure.com/',
      'https://management.core.windows.net/',
    ]);
    if (tokenProblem) {
      error(401, tokenProblem.code, tokenProblem.message, {
        'WWW-Authenticate': `Bearer authorization_uri="${this.identity.loginUrl}/", error="invalid_token", error_description="${tokenProblem.message.replace(/"/g, "'")}"`,
      });
      return { route, cluster: clusterName };
    }
    const claims = this.identity.claimsOf(token);
    const caller = text(claims.appid, '');

    if (!isFlux) {
      const listed = resourceListRoute(method, seg);
      if (listed) {
        const answer = listResources(listed, { clusters: [...this.clusters.values()], denied: this.denied, armUrl: this.armUrl }, url, seg, caller);
        sendJson(res, answer.status, answer.body, headers);
        return { route: listed };
      }
    }
    if (!isFlux || route === 'arm.unknown' || route === 'flux.unknown') {
      if (isFlux && route === 'flux.unknown') error(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
      else
        error(
          404,
          'InvalidResourceType',
          `The resource type could not be found in the namespace for api version '${url.searchParams.get('api-version') ?? ''}'.`,
        );
      return { route, cluster: clusterName };
    }

    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      error(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      return { route, cluster: clusterName };
    }
    if (!(API_VERSIONS as readonly string[]).includes(apiVersion)) {
      error(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'eastus' and API version '${apiVersion}' for type 'fluxConfigurations'. The supported api-versions are '${API_VERSIONS.join(', ')}'. The supported locations are 'eastus, westeurope'.`,
      );
      return { route, cluster: clusterName };
    }

    // throttling (per subscription token bucket)
    const subscriptionId = seg[1];
    const action: 'read' | 'write' | 'delete' = method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : 'write';
    const bucket = this.bucket(action === 'read' ? 'read' : 'write', subscriptionId);
    const took = bucket.take();
    const remainingHeader =
      action === 'read'
        ? 'x-ms-ratelimit-remaining-subscription-reads'
        : action === 'delete'
          ? 'x-ms-ratelimit-remaining-subscription-deletes'
          : 'x-ms-ratelimit-remaining-subscription-writes';
    if (!took.ok) {
      error(
        429,
        'SubscriptionRequestsThrottled',
        `Number of '${action}' requests for subscription '${subscriptionId}' actor '${caller}' exceeded. Please try again after '${took.retryAfterSeconds}' seconds after the last request.`,
        {
          'Retry-After': String(took.retryAfterSeconds),
          [remainingHeader]: '0',
        },
      );
      return { route, cluster: clusterName };
    }
    headers[remainingHeader] = String(took.remaining);

    // existence of the parent resources
    const clusterId = `/subscriptions/${seg[1]}/resourceGroups/${seg[3]}/providers/${seg[5]}/${seg[6]}/${seg[7]}`;
    const cluster = this.clusters.get(clusterId.toLowerCase());
    const knownSubscription = [...this.clusters.values()].some((c) => c.subscriptionId.toLowerCase() === lower[1]);
    const knownGroup = [...this.clusters.values()].some((c) => c.subscriptionId.toLowerCase() === lower[1] && c.resourceGroup.toLowerCase() === lower[3]);

    // authorization
    const scopePath = url.pathname.toLowerCase();
    const deny = this.denied.find(
      (r) =>
        (r.clientId === undefined || r.clientId.toLowerCase() === caller.toLowerCase()) &&
        (r.scope === undefined || scopePath.includes(r.scope.toLowerCase())) &&
        (r.action === undefined || r.action === action),
    );
    if (deny) {
      const op = `${FLUX_TYPE}/${action}`;
      error(
        403,
        'AuthorizationFailed',
        `The client '${caller}' with object id '${text(claims.oid, '')}' does not have authorization to perform action '${op}' over scope '${url.pathname}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
      return { route, cluster: clusterName };
    }

    if (!knownSubscription) {
      error(404, 'SubscriptionNotFound', `The subscription '${seg[1]}' could not be found.`);
      return { route, cluster: clusterName };
    }
    if (!knownGroup) {
      error(404, 'ResourceGroupNotFound', `Resource group '${seg[3]}' could not be found.`);
      return { route, cluster: clusterName };
    }
    if (!cluster || !CLUSTER_TYPES[lower[6]] || CLUSTER_TYPES[lower[6]].provider.toLowerCase() !== lower[5]) {
      error(
        404,
        'ResourceNotFound',
        `The Resource '${seg[5]}/${seg[6]}/${seg[7]}' under resource group '${seg[3]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
      return { route, cluster: clusterName };
    }
    const name = seg[11];
    const resourceId = name ? `${cluster.id}/providers/${FLUX_TYPE}/${name}` : '';
    const notFound = () =>
      error(
        404,
        'ResourceNotFound',
        `The Resource '${FLUX_TYPE}/${name}' under resource group '${cluster.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );

    this.settleOperations();
    switch (route) {
      case 'flux.list': {
        const all = [...this.configs.values()]
          .filter((c) => c.id.toLowerCase().startsWith(`${cluster.id.toLowerCase()}/`))
          .sort((a, b) => a.name.localeCompare(b.name));
        const skip = Math.max(0, Number(url.searchParams.get('$skipToken') ?? '0') || 0);
        const page = all.slice(skip, skip + this.options.pageSize);
        const body: Record<string, unknown> = { value: page.map((c) => this.render(cluster, c, apiVersion)) };
        if (skip + this.options.pageSize < all.length) {
          body.nextLink = `${this.armUrl}${cluster.id}/providers/${FLUX_TYPE}?api-version=${apiVersion}&$skipToken=${skip + this.options.pageSize}`;
        }
        sendJson(res, 200, body, headers);
        break;
      }
      case 'flux.get': {
        const record = this.configs.get(resourceId.toLowerCase());
        if (!record) notFound();
        else sendJson(res, 200, this.render(cluster, record, apiVersion), headers);
        break;
      }
      case 'flux.put':
      case 'flux.patch': {
        let body: unknown;
        try {
          body = JSON.parse((await readBody(req)) || 'null');
        } catch (e) {
          error(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${(e as Error).message}'.`);
          break;
        }
        const existing = this.configs.get(resourceId.toLowerCase());
        if (route === 'flux.patch' && !existing) {
          notFound();
          break;
        }
        const properties = (body as { properties?: unknown } | null)?.properties;
        if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
          error(
            400,
            'InvalidRequestContent',
            "The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'.",
          );
          break;
        }
        const merged =
          route === 'flux.put' ? withDefaults(properties as Record<string, unknown>) : mergePatch(existing!.spec, properties as Record<string, unknown>);
        const invalid = validationProblem(name, merged, existing?.spec, apiVersion);
        if (invalid) {
          error(400, invalid.code, invalid.message);
          break;
        }
        const record: ConfigRecord = existing ?? {
          name,
          id: resourceId,
          spec: merged,
          provisioningState: 'Creating',
          systemData: systemData(caller, undefined),
        };
        const action = route === 'flux.patch' ? 'patch' : existing ? 'update' : 'create';
        record.provisioningState = action === 'create' ? 'Creating' : 'Updating';
        record.systemData = systemData(caller, existing?.systemData);
        if (!existing) this.configs.set(resourceId.toLowerCase(), record);
        record.spec = merged;
        const op = this.startOperation(resourceId, action, () => this.provision(cluster, record, action === 'create' ? 'create' : 'update'));
        const status = action === 'create' ? 201 : action === 'update' ? 200 : 202;
        sendJson(res, status, this.render(cluster, record, apiVersion), { ...headers, ...this.lroHeaders(op, apiVersion) });
        break;
      }
      case 'flux.delete': {
        const record = this.configs.get(resourceId.toLowerCase());
        if (!record) {
          sendJson(res, 204, undefined, headers);
          break;
        }
        record.provisioningState = 'Deleting';
        const force = (url.searchParams.get('forceDelete') ?? '').toLowerCase() === 'true';
        const op = this.startOperation(resourceId, 'delete', () => {
          const failure = force ? undefined : this.takeFailure(cluster, record, 'delete');
          if (failure) {
            record.provisioningState = 'Failed';
            record.errorMessage = failure.message;
            return Promise.resolve(failure);
          }
          if (this.configs.get(resourceId.toLowerCase()) === record) this.configs.delete(resourceId.toLowerCase());
          this.flux.remove(cluster.id.toLowerCase(), record.name);
          return Promise.resolve(undefined);
        });
        sendJson(res, 202, undefined, { ...headers, ...this.lroHeaders(op, apiVersion) });
        break;
      }
      case 'flux.operation': {
        const op = this.operations.get(seg[13].toLowerCase());
        if (!op || op.resourceId.toLowerCase() !== resourceId.toLowerCase()) {
          error(404, 'ResourceNotFound', `The operation '${seg[13]}' was not found.`);
          break;
        }
        if (op.status === 'InProgress') {
          op.polls++;
          if (op.polls > this.options.lroPolls) await this.complete(op);
        }
        const retry: Record<string, string> =
          op.status === 'InProgress' && this.options.lroRetryAfterSeconds > 0 ? { 'Retry-After': String(this.options.lroRetryAfterSeconds) } : {};
        sendJson(
          res,
          200,
          { id: `${op.resourceId}/operations/${op.id}`, name: op.id, status: op.status, properties: {}, error: op.error ?? null },
          { ...headers, ...retry },
        );
        break;
      }
    }
    return { route, cluster: clusterName };
  }

  private bucket(kind: 'read' | 'write', subscriptionId: string): Bucket {
    const map = kind === 'read' ? this.readBuckets : this.writeBuckets;
    const key = subscriptionId.toLowerCase();
    let b = map.get(key);
    if (!b) {
      const o =
        (kind === 'read' ? this.options.readBucket : this.options.writeBucket) ??
        (kind === 'read' ? { capacity: 250, refillPerSecond: 25 } : { capacity: 200, refillPerSecond: 10 });
      map.set(key, (b = new Bucket(o.capacity, o.refillPerSecond)));
    }
    return b;
  }

  private startOperation(resourceId: string, action: Operation['action'], run: Operation['run']): Operation {
    // a new write supersedes an unfinished one on the same resource (its effect is applied first)
    const earlier = [...this.operations.values()].filter(
      (other) => other.status === 'InProgress' && other.resourceId.toLowerCase() === resourceId.toLowerCase(),
    );
    const prior = Promise.all(earlier.map((other) => this.complete(other))).then(() => undefined);
    const op: Operation = { id: crypto.randomUUID(), resourceId, action, polls: 0, createdAt: Date.now(), status: 'InProgress', prior, run };
    this.operations.set(op.id, op);
    return op;
  }

  /** Finishes an operation (once; every caller waits for the same end). Never rejects. */
  private complete(op: Operation): Promise<void> {
    op.completing ??= (async () => {
      await op.prior;
      let failure: OperationError | undefined;
      try {
        failure = await op.run();
      } catch (e) {
        failure = { code: 'InternalServerError', message: (e as Error).message };
      }
      op.error = failure;
      op.status = failure ? 'Failed' : 'Succeeded';
    })();
    return op.completing;
  }

  /** Operations nobody polls still finish (as they do in Azure); they end in the background. */
  settleOperations(): void {
    const now = Date.now();
    for (const op of this.operations.values()) if (op.status === 'InProgress' && now - op.createdAt >= this.options.lroMaxMs) void this.complete(op);
  }

  /** The end of a create or update: what the cluster's agent answers for the new spec. */
  private async provision(cluster: ClusterRecord, record: ConfigRecord, action: 'create' | 'update'): Promise<OperationError | undefined> {
    const failure = this.takeFailure(cluster, record, action);
    if (failure) {
      // the agent did not take the new spec: Flux keeps running the previous one (none for a create)
      record.provisioningState = 'Failed';
      record.errorMessage = failure.message;
      return failure;
    }
    const spec = record.spec as FluxConfigSpec;
    this.flux.configure(cluster.id.toLowerCase(), cluster.name, record.name, spec);
    const check = this.flux.scenarioOf({ clusterName: cluster.name, name: record.name }).provisioningCheck ?? 'auto';
    if (check === 'always' || (check === 'auto' && spec.waitForReconciliation === true && !spec.suspend)) {
      const problem = reconciliationProblem(record.name, await this.flux.reconcileNow(cluster.name, record.name));
      if (problem) {
        record.provisioningState = 'Failed';
        record.errorMessage = problem.message;
        return problem;
      }
    }
    record.provisioningState = 'Succeeded';
    record.errorMessage = undefined;
    return undefined;
  }

  /** The scenario's explicit failure for this operation, if any (one use of it). */
  private takeFailure(cluster: ClusterRecord, record: ConfigRecord, operation: 'create' | 'update' | 'delete'): OperationError | undefined {
    const failure: ProvisioningFailure | null | undefined = this.flux.scenarioOf({ clusterName: cluster.name, name: record.name }).provisioningFailure;
    if (!failure || !(failure.operations ?? ['create', 'update']).includes(operation)) return undefined;
    if (failure.times !== undefined) {
      if (failure.times <= 0) return undefined;
      failure.times--;
    }
    const verb = { create: 'created', update: 'updated', delete: 'deleted' }[operation];
    return {
      code: failure.code ?? 'ProvisioningFailed',
      message: failure.message ?? `The flux configuration '${record.name}' could not be ${verb} on cluster '${cluster.name}'.`,
    };
  }

  private lroHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return {
      'Azure-AsyncOperation': `${this.armUrl}${op.resourceId}/operations/${op.id}?api-version=${apiVersion}`,
      'x-ms-async-operation-timeout': 'PT1H',
      ...(this.options.lroRetryAfterSeconds > 0 ? { 'Retry-After': String(this.options.lroRetryAfterSeconds) } : {}),
    };
  }

  private render(cluster: ClusterRecord, record: ConfigRecord, apiVersion: string): Record<string, unknown> {
    const { configurationProtectedSettings: _secret, ...spec } = record.spec as Record<string, unknown> & { configurationProtectedSettings?: unknown };
    void _secret;
    const report = this.flux.report(cluster.id.toLowerCase(), record.name);
    const properties: Record<string, unknown> = {
      ...spec,
      kustomizations: renderKustomizations(spec.kustomizations),
      statuses: report?.statuses ?? [],
      repositoryPublicKey: '',
      sourceSyncedCommitId: report?.sourceSyncedCommitId ?? null,
      sourceUpdatedAt: report?.sourceUpdatedAt ?? null,
      statusUpdatedAt: report?.statusUpdatedAt ?? null,
      complianceState: spec.suspend ? 'Suspended' : (report?.complianceState ?? 'Unknown'),
      provisioningState: record.provisioningState,
      errorMessage: record.errorMessage ?? report?.errorMessage ?? '',
    };
    // the interval the simulated Flux really syncs at when a test scales or overrides it (the spec's otherwise)
    const interval = this.flux.effectiveSyncIntervalSeconds(cluster.id.toLowerCase(), record.name);
    if (interval !== undefined && spec.gitRepository && typeof spec.gitRepository === 'object')
      properties.gitRepository = { ...spec.gitRepository, syncIntervalInSeconds: interval };
    withoutSecrets(properties);
    if (apiVersion === '2023-05-01') {
      delete properties.ociRepository;
      const git = properties.gitRepository as Record<string, unknown> | undefined;
      if (git && 'provider' in git) {
        const { provider: _p, ...rest } = git;
        void _p;
        properties.gitRepository = rest;
      }
    }
    return { id: record.id, name: record.name, type: FLUX_TYPE, systemData: record.systemData, properties };
  }
}

/** Fields the service never returns (x-ms-secret in the spec). */
function withoutSecrets(properties: Record<string, unknown>): void {
  const strip = (value: unknown, keys: string[]): unknown => {
    if (!value || typeof value !== 'object') return value;
    const copy = { ...(value as Record<string, unknown>) };
    for (const k of keys) delete copy[k];
    return copy;
  };
  if (properties.azureBlob && typeof properties.azureBlob === 'object') {
    const blob = strip(properties.azureBlob, ['accountKey', 'sasToken']) as Record<string, unknown>;
    if (blob.servicePrincipal) blob.servicePrincipal = strip(blob.servicePrincipal, ['clientSecret', 'clientCertificate', 'clientCertificatePassword']);
    properties.azureBlob = blob;
  }
  if (properties.ociRepository && typeof properties.ociRepository === 'object') {
    const oci = { ...(properties.ociRepository as Record<string, unknown>) };
    if (oci.tlsConfig) oci.tlsConfig = strip(oci.tlsConfig, ['clientCertificate', 'privateKey', 'caCertificate']);
    properties.ociRepository = oci;
  }
}

/**
 * Why the first reconciliation of a configuration fails, as the agent reports it when the
 * deployment waits for it: the source is not Ready, or one of the configuration's own
 * Kustomizations is Non-Compliant (not built, path missing, not applied). The code is Flux's reason.
 */
export function reconciliationProblem(configName: string, report: FluxReport): OperationError | undefined {
  // the source and the configuration's own Kustomizations are the statuses nothing applied
  const failing = report.statuses.filter((s) => s.complianceState === 'Non-Compliant' && !s.appliedBy);
  if (failing.length === 0) return undefined;
  const ready = (s: (typeof failing)[number]) => s.statusConditions?.find((c) => c.type === 'Ready') ?? s.statusConditions?.[0];
  const details = failing.map((s) => `${s.kind} ${s.namespace}/${s.name}: ${ready(s)?.message ?? s.complianceState}`);
  return {
    code: ready(failing[0])?.reason ?? 'ReconciliationFailed',
    message: `Flux configuration '${configName}' failed to reconcile: ${details.join('; ')}`,
  };
}

function systemData(caller: string, previous: Record<string, string> | undefined): Record<string, string> {
  const now = new Date().toISOString();
  return {
    createdBy: previous?.createdBy ?? caller,
    createdByType: previous?.createdByType ?? 'Application',
    createdAt: previous?.createdAt ?? now,
    lastModifiedBy: caller,
    lastModifiedByType: 'Application',
    lastModifiedAt: now,
  };
}

function renderKustomizations(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value ?? null;
  const out: Record<string, unknown> = {};
  for (const [name, ks] of Object.entries(value as Record<string, Record<string, unknown> | null>)) {
    if (ks === null) continue;
    out[name] = { name, ...ks };
  }
  return out;
}

/** The service's defaults for a PUT body. */
export function withDefaults(properties: Record<string, unknown>): Record<string, unknown> {
  const p: Record<string, unknown> = { scope: 'cluster', namespace: 'default', sourceKind: 'GitRepository', suspend: false, ...structuredClone(properties) };
  const git = p.gitRepository as Record<string, unknown> | undefined | null;
  if (git)
    p.gitRepository = {
      timeoutInSeconds: 600,
      syncIntervalInSeconds: 600,
      ...git,
      repositoryRef: { branch: null, tag: null, semver: null, commit: null, ...((git.repositoryRef as object) ?? {}) },
    };
  if (p.bucket && typeof p.bucket === 'object') p.bucket = { insecure: true, timeoutInSeconds: 600, syncIntervalInSeconds: 600, ...p.bucket };
  if (p.azureBlob && typeof p.azureBlob === 'object') p.azureBlob = { timeoutInSeconds: 600, syncIntervalInSeconds: 600, ...p.azureBlob };
  if (p.ociRepository && typeof p.ociRepository === 'object') p.ociRepository = { timeoutInSeconds: 600, syncIntervalInSeconds: 600, ...p.ociRepository };
  const ks = p.kustomizations as Record<string, Record<string, unknown> | null> | undefined | null;
  if (ks) {
    const out: Record<string, unknown> = {};
    for (const [name, k] of Object.entries(ks)) {
      if (k === null) continue;
      const { name: _n, ...rest } = k;
      void _n;
      out[name] = {
        path: '',
        dependsOn: [],
        timeoutInSeconds: 600,
        syncIntervalInSeconds: 600,
        retryIntervalInSeconds: null,
        prune: false,
        force: false,
        wait: true,
        ...rest,
      };
    }
    p.kustomizations = out;
  }
  return p;
}

/** PATCH semantics of FluxConfigurationPatch: objects merge, a kustomization set to null is removed. */
export function mergePatch(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'kustomizations' && value && typeof value === 'object') {
      const ks = { ...((out.kustomizations as Record<string, unknown>) ?? {}) };
      for (const [name, k] of Object.entries(value as Record<string, unknown>)) {
        if (k === null) {
          delete ks[name];
          continue;
        }
        const merged = { ...((ks[name] as object) ?? {}), ...(k as object) };
        ks[name] = (withDefaults({ kustomizations: { [name]: merged } }).kustomizations as Record<string, unknown>)[name];
      }
      out.kustomizations = ks;
    } else if (value && typeof value === 'object' && !Array.isArray(value) && out[key] && typeof out[key] === 'object') {
      out[key] = { ...out[key], ...value };
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** What the service rejects with 400 (the message). */
export function validate(name: string, p: Record<string, unknown>, previous?: Record<string, unknown>, apiVersion = '2025-04-01'): string | undefined {
  return validationProblem(name, p, previous, apiVersion)?.message;
}

/** What the service rejects with 400: code (BadRequest, or ValidationFailed for a source kind without its definition) and message. */
export function validationProblem(
  name: string,
  p: Record<string, unknown>,
  previous?: Record<string, unknown>,
  apiVersion = '2025-04-01',
): { code: string; message: string } | undefined {
  const bodyOf: Record<string, string> = { GitRepository: 'gitRepository', Bucket: 'bucket', AzureBlob: 'azureBlob', OCIRepository: 'ociRepository' };
  const kinds = apiVersion === '2023-05-01' ? ['GitRepository', 'Bucket', 'AzureBlob'] : ['GitRepository', 'Bucket', 'AzureBlob', 'OCIRepository'];
  const body = bodyOf[String(p.sourceKind)];
  if (kinds.includes(String(p.sourceKind)) && (p[body] === undefined || p[body] === null)) {
    return {
      code: 'ValidationFailed',
      message: `Invalid source kind match. Config with specified source kind '${String(p.sourceKind)}' must contain corresponding body specified in the properties.`,
    };
  }
  const message = validateSpec(name, p, previous, kinds);
  return message === undefined ? undefined : { code: 'BadRequest', message };
}

function validateSpec(name: string, p: Record<string, unknown>, previous: Record<string, unknown> | undefined, kinds: string[]): string | undefined {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 30) {
    return `Invalid configuration name '${name}': it must be at most 30 lowercase alphanumeric characters or '-', and start and end with an alphanumeric character.`;
  }
  if (p.scope !== 'cluster' && p.scope !== 'namespace') return `Invalid scope '${String(p.scope)}': allowed values are 'cluster' and 'namespace'.`;
  if (typeof p.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(p.namespace) || p.namespace.length > 253) {
    return `Invalid namespace '${String(p.namespace)}': it must be lowercase alphanumeric characters, '-' or '.', and start and end with an alphanumeric character.`;
  }
  if (previous && (previous.scope !== p.scope || previous.namespace !== p.namespace)) {
    return 'The scope and namespace of an existing flux configuration cannot be changed.';
  }
  if (!kinds.includes(String(p.sourceKind))) return `Invalid sourceKind '${String(p.sourceKind)}': allowed values are ${kinds.join(', ')}.`;
  if (p.sourceKind === 'GitRepository') {
    const git = p.gitRepository as { url?: unknown; repositoryRef?: Record<string, unknown> } | undefined | null;
    if (!git || typeof git.url !== 'string' || git.url === '') return "Error: 'gitRepository.url' is required when sourceKind is GitRepository.";
    if (!/^(https?:\/\/|ssh:\/\/|git@|file:\/\/|\/)/.test(git.url))
      return `Error: invalid URL '${git.url}': the URL must start with http://, https:// or ssh://.`;
    const ref = git.repositoryRef ?? {};
    if (!ref.branch && !ref.tag && !ref.semver && !ref.commit) return "Error: 'gitRepository.repositoryRef' must set one of branch, tag, semver or commit.";
  } else if (p.sourceKind === 'Bucket') {
    const bucket = p.bucket as { url?: unknown; bucketName?: unknown };
    if (typeof bucket.url !== 'string' || !/^https?:\/\//.test(bucket.url))
      return "Error: 'bucket.url' is required when sourceKind is Bucket and must start with http:// or https://.";
    if (typeof bucket.bucketName !== 'string' || bucket.bucketName === '') return "Error: 'bucket.bucketName' is required when sourceKind is Bucket.";
  } else if (p.sourceKind === 'AzureBlob') {
    const blob = p.azureBlob as { url?: unknown };
    if (typeof blob.url !== 'string' || !/^https:\/\//.test(blob.url))
      return "Error: 'azureBlob.url' is required when sourceKind is AzureBlob and must start with https://.";
  } else {
    const oci = p.ociRepository as { url?: unknown };
    if (typeof oci.url !== 'string' || !/^oci:\/\//.test(oci.url))
      return "Error: 'ociRepository.url' is required when sourceKind is OCIRepository and must start with oci://.";
  }
  const ks = (p.kustomizations ?? {}) as Record<string, { dependsOn?: unknown; path?: unknown } | null>;
  for (const [ksName, k] of Object.entries(ks)) {
    if (k === null) continue;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ksName)) return `Invalid kustomization name '${ksName}'.`;
    for (const d of (k.dependsOn as string[] | undefined) ?? []) {
      if (!(d in ks)) return `Kustomization '${ksName}' depends on '${d}', which is not a kustomization of this configuration.`;
      if (d === ksName) return `Kustomization '${ksName}' cannot depend on itself.`;
    }
  }
  return undefined;
}
