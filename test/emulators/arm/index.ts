/**
 * startArmEmulator: Azure Resource Manager (fluxConfigurations) + Microsoft Entra + the Azure
 * DevOps OIDC endpoint on HTTPS loopback with a certificate made at start, IMDS on plain HTTP
 * loopback, and the Flux reconciliation simulation behind the resources.
 *
 * Trust: child processes get `NODE_EXTRA_CA_CERTS=<caCertFile>`; code in the same process passes
 * `tlsOptions: { ca: caCertPem }` to the Azure SDK clients (NODE_EXTRA_CA_CERTS is read only when
 * a process starts).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FluxSimulator, ProvisioningFailure, Scenario } from '../flux/simulator';
import { ArmOptions, ArmService, ClusterRecord, ClusterType } from './arm';
import { createSelfSignedCertificate } from './certificate';
import { applyFault, describeFault, endHungRequests, FaultSpec, FaultTable, HungRequests } from '../common/faults';
import { armAdminHandler } from './admin-http';
import { LoggedRequest, queryOf, sendJson } from './http';
import { IdentityService } from './identity';
import { resourceListRoute } from './resource-lists';

export type { ClusterType } from './arm';
export type { FaultSpec, FaultHandle } from '../common/faults';
export type { LoggedRequest } from './http';
export type { ObjectFailure, Scenario, FluxReport, ProvisioningFailure } from '../flux/simulator';
export type { OperationError } from './arm';

export interface ArmEmulatorOptions {
  /** Git URL the seeded `cluster-config` configurations sync (the `gitops` repository): an Azure DevOps emulator URL, a bare repository path or a file:// URL. Without it no configuration is seeded. */
  gitopsRepositoryUrl?: string;
  /** Branch of the seeded configurations, default main. */
  branch?: string;
  /** Headers for the simulated git fetches, e.g. `{ Authorization: 'Bearer <devops token>' }`. */
  sourceHeaders?: Record<string, string> | ((url: string) => Record<string, string>);
  /**
   * Seeded clusters, default one Arc (`arc-nonprod`, connectedClusters) and one AKS (`aks-prod`,
   * managedClusters, syncing the `arc-prod` folder of examples/gitops). `folder` replaces
   * `{cluster}` in the kustomization paths (default: the cluster name).
   */
  clusters?: { name: string; type: ClusterType; folder?: string }[];
  /** Kustomizations of each seeded configuration; `{cluster}` in a path becomes the cluster name. Default `clusters: ./clusters/{cluster}` with prune. */
  kustomizations?: Record<string, { path: string; prune?: boolean; dependsOn?: string[] }>;
  /** Namespace of the seeded configurations, default flux-system. */
  fluxNamespace?: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** Spec intervals are multiplied by this (default 0.01: 600 s -> 6 s). */
  timeScale?: number;
  /** Sync interval of the seeded configurations in emulator time (ms), overriding the scaled spec value. */
  syncIntervalMs?: number;
  kubectl?: string;
  arm?: ArmOptions;
  /** Folder for the certificate, git mirrors and checkouts (removed by stop() when the emulator made it). */
  workDir?: string;
}

export interface ArmEmulatorInfo {
  armUrl: string;
  caCertFile: string;
  tokenUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  resourceGroup: string;
  imdsUrl: string;
  /** The admin API (plain HTTP, loopback): faults, Flux scenarios, reconciliations, denials; see test/emulators/README.md. */
  armAdminUrl: string;
  /** The simulated clusters' app endpoint (plain HTTP, loopback): GET {appsUrl}/<cluster>/<namespace>/... answers by the images deployed there (test double, see flux/app-endpoint.ts). */
  appsUrl: string;
  clusters: { name: string; type: ClusterType; resourceId: string; fluxConfigurations: string[] }[];
}

export interface ArmEmulator extends ArmEmulatorInfo {
  /** The fields `npm run emulators` prints (JSON-safe). */
  info: ArmEmulatorInfo;
  caCertPem: string;
  identity: IdentityService;
  arm: ArmService;
  flux: FluxSimulator;
  /** Faults on the ARM, login and IMDS endpoints (route names: see previewRoute). */
  faults: FaultTable;
  requests: LoggedRequest[];
  admin: {
    addCluster(c: { name: string; type: ClusterType; subscriptionId?: string; resourceGroup?: string }): ClusterRecord;
    /**
     * Creates a flux configuration directly (no LRO) from its properties: any source kind
     * (GitRepository, Bucket, AzureBlob, OCIRepository), as given (no validation).
     * `state` seeds the outcome of its last operation, e.g. provisioningState Failed and errorMessage.
     */
    addFluxConfiguration(
      cluster: string,
      name: string,
      properties: Record<string, unknown>,
      state?: { provisioningState?: string; errorMessage?: string },
    ): void;
    /**
     * How the long-running operations on a cluster's configurations (or one of them) end:
     * `check` whether create/update wait for the first reconciliation and fail when it fails
     * ('auto': when the configuration sets waitForReconciliation; 'always'; 'never'), and
     * `failure` an explicit failure (null clears it). Same as flux.setScenario.
     */
    setProvisioning(cluster: string, provisioning: { check?: Scenario['provisioningCheck']; failure?: ProvisioningFailure | null }, config?: string): void;
    /** Every ARM request for a cluster's flux configurations (for counting polls). */
    armRequests(cluster?: string): LoggedRequest[];
    /** Denies matching callers/scopes/actions with 403 AuthorizationFailed. */
    deny(rule: { clientId?: string; scope?: string; action?: 'read' | 'write' | 'delete' }): void;
    clearDenials(): void;
  };
  stop(): Promise<void>;
}

const FLUX_PROPERTIES = (
  url: string,
  branch: string,
  namespace: string,
  kustomizations: NonNullable<ArmEmulatorOptions['kustomizations']>,
  cluster: string,
) => ({
  scope: 'cluster',
  namespace,
  sourceKind: 'GitRepository',
  suspend: false,
  gitRepository: { url, timeoutInSeconds: 600, syncIntervalInSeconds: 600, repositoryRef: { branch } },
  kustomizations: Object.fromEntries(
    Object.entries(kustomizations).map(([name, k]) => [
      name,
      {
        path: k.path.split('{cluster}').join(cluster),
        prune: k.prune ?? true,
        dependsOn: k.dependsOn ?? [],
        timeoutInSeconds: 600,
        syncIntervalInSeconds: 600,
        wait: true,
      },
    ]),
  ),
});

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startArmEmulator(options: ArmEmulatorOptions = {}): Promise<ArmEmulator> {
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-arm-emulator-'));
  fs.mkdirSync(workDir, { recursive: true });
  const cert = createSelfSignedCertificate({
    commonName: 'GitOps Flow ARM emulator',
    organization: 'GitOps Flow emulators',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const caCertFile = path.join(workDir, 'arm-emulator-ca.pem');
  fs.writeFileSync(caCertFile, cert.certPem);

  const identity = new IdentityService();
  const tenantId = options.tenantId ?? crypto.randomUUID();
  const app = identity.addApplication({
    tenantId,
    clientId: options.clientId,
    secret: options.clientSecret ?? `emu~${crypto.randomBytes(24).toString('base64url')}`,
  });
  const headers = options.sourceHeaders;
  const flux = new FluxSimulator({
    workDir: path.join(workDir, 'flux'),
    kubectl: options.kubectl,
    timeScale: options.timeScale,
    sourceHeaders: typeof headers === 'function' ? headers : () => headers ?? {},
  });
  const arm = new ArmService(identity, flux, options.arm);
  const faults = new FaultTable();
  const hung: HungRequests = new Set();
  const requests: LoggedRequest[] = [];
  const subscriptionId = options.subscriptionId ?? crypto.randomUUID();
  const resourceGroup = options.resourceGroup ?? 'rg-gitops';
  const sockets = new Set<Socket>();

  // Logs each request, applies the faults, then runs the handler; the servers get a void listener.
  const serve = (
    server: LoggedRequest['server'],
    handler: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<{ route: string; cluster?: string }>,
  ) => {
    const run = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      // `//subscriptions/...` (an AzureRM connection's url ends with '/') is a path, not a host: ARM takes it as one slash.
      const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'https://127.0.0.1');
      const entry: LoggedRequest = {
        at: Date.now(),
        server,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: queryOf(url),
        route: 'unknown',
        status: 0,
      };
      requests.push(entry);
      if (requests.length > 200_000) requests.splice(0, 100_000);
      const preview = previewRoute(server, req.method ?? 'GET', url);
      entry.route = preview.route;
      entry.cluster = preview.cluster;
      const fault = faults.take({ route: preview.route, method: entry.method, path: url.pathname + url.search, cluster: preview.cluster });
      try {
        if (fault) {
          entry.fault = describeFault(fault);
          const answer = (status: number, spec: FaultSpec) => {
            entry.status = status;
            sendFaultStatus(res, server, status, spec);
          };
          if (await applyFault(fault, req, res, answer, hung)) return;
        }
        const result = await handler(req, res, url);
        entry.route = result.route;
        entry.cluster = result.cluster ?? entry.cluster;
      } catch (error) {
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: (error as Error).message } });
      } finally {
        entry.status = entry.status || res.statusCode;
      }
    };
    return (req: http.IncomingMessage, res: http.ServerResponse) => void run(req, res);
  };

  const tls = { cert: cert.certPem, key: cert.keyPem };
  const armServer = https.createServer(
    tls,
    serve('arm', (req, res, url) => arm.handle(req, res, url)),
  );
  const loginServer = https.createServer(
    tls,
    serve('login', async (req, res, url) => ({ route: await identity.handleLogin(req, res, url) })),
  );
  const imdsServer = http.createServer(serve('imds', (req, res, url) => Promise.resolve({ route: identity.handleImds(req, res, url) })));
  const addCluster = (c: { name: string; type: ClusterType; subscriptionId?: string; resourceGroup?: string }) =>
    arm.addCluster({ subscriptionId: c.subscriptionId ?? subscriptionId, resourceGroup: c.resourceGroup ?? resourceGroup, type: c.type, name: c.name });
  const addFluxConfiguration = (
    clusterName: string,
    name: string,
    properties: Record<string, unknown>,
    state?: { provisioningState?: string; errorMessage?: string },
  ) => {
    const record = [...arm.clusters.values()].find((c) => c.name.toLowerCase() === clusterName.toLowerCase());
    if (!record) throw new Error(`no cluster ${clusterName}`);
    arm.seedConfiguration(record, name, properties, state);
  };
  // The admin API answers outside the fault table (a fault never blocks the way to clear it).
  const adminHandler = armAdminHandler({ arm, flux, faults, requests, info: () => ({ ...info }), addCluster, addFluxConfiguration });
  const adminServer = http.createServer((req, res) => void adminHandler(req, res));
  // The apps the simulated clusters run: /<cluster>/<namespace>/<anything> (test double for a smoke-check target).
  const appsServer = http.createServer((req, res) => {
    const [cluster, namespace] = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const answer = cluster && namespace ? flux.appAnswer(cluster, namespace) : { status: 404, body: 'GET /<cluster>/<namespace>/\n' };
    res.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(answer.body);
  });
  const servers = [armServer, loginServer, imdsServer, adminServer, appsServer];
  for (const s of servers) {
    s.keepAliveTimeout = 5000;
    s.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }
  const [armPort, loginPort, imdsPort, adminPort, appsPort] = await Promise.all(servers.map(listen));
  const armUrl = `https://127.0.0.1:${armPort}`;
  const tokenUrl = `https://127.0.0.1:${loginPort}`;
  arm.armUrl = armUrl;
  identity.loginUrl = tokenUrl;
  identity.oidcBaseUrl = tokenUrl;

  const clusterSpecs: { name: string; type: ClusterType; folder?: string }[] = options.clusters ?? [
    { name: 'arc-nonprod', type: 'connectedClusters' },
    { name: 'aks-prod', type: 'managedClusters', folder: 'arc-prod' },
  ];
  const kustomizations = options.kustomizations ?? { clusters: { path: './clusters/{cluster}', prune: true } };
  const fluxNamespace = options.fluxNamespace ?? 'flux-system';
  const branch = options.branch ?? 'main';
  const clusters: ArmEmulatorInfo['clusters'] = [];
  for (const c of clusterSpecs) {
    const record = arm.addCluster({ subscriptionId, resourceGroup, type: c.type, name: c.name });
    if (options.syncIntervalMs !== undefined) flux.setScenario(c.name, { syncIntervalMs: options.syncIntervalMs });
    if (options.gitopsRepositoryUrl) {
      arm.seedConfiguration(record, 'cluster-config', FLUX_PROPERTIES(options.gitopsRepositoryUrl, branch, fluxNamespace, kustomizations, c.folder ?? c.name));
    }
    clusters.push({ name: c.name, type: record.type, resourceId: record.id, fluxConfigurations: options.gitopsRepositoryUrl ? ['cluster-config'] : [] });
  }

  const info: ArmEmulatorInfo = {
    armUrl,
    caCertFile,
    tokenUrl,
    tenantId,
    clientId: app.clientId,
    clientSecret: app.secrets[0],
    subscriptionId,
    resourceGroup,
    imdsUrl: `http://127.0.0.1:${imdsPort}`,
    armAdminUrl: `http://127.0.0.1:${adminPort}/_admin`,
    appsUrl: `http://127.0.0.1:${appsPort}`,
    clusters,
  };

  let stopped = false;
  return {
    ...info,
    info,
    caCertPem: cert.certPem,
    identity,
    arm,
    flux,
    faults,
    requests,
    admin: {
      addCluster,
      addFluxConfiguration,
      setProvisioning(clusterName, provisioning, config) {
        const patch: Partial<Scenario> = {};
        if (provisioning.check !== undefined) patch.provisioningCheck = provisioning.check;
        if (provisioning.failure !== undefined) patch.provisioningFailure = provisioning.failure === null ? null : { ...provisioning.failure };
        flux.setScenario(clusterName, patch, config);
      },
      armRequests: (cluster) => requests.filter((r) => r.server === 'arm' && (cluster === undefined || r.cluster?.toLowerCase() === cluster.toLowerCase())),
      deny: (rule) => arm.denied.push(rule),
      clearDenials: () => arm.denied.splice(0),
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await flux.stop();
      endHungRequests(hung);
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (ownWorkDir) fs.rmSync(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/** An injected error status: an ARM error body, or an OAuth error body from the login endpoints. */
function sendFaultStatus(res: http.ServerResponse, server: LoggedRequest['server'], status: number, spec: FaultSpec): void {
  const retry: Record<string, string> = spec.retryAfterSeconds !== undefined ? { 'Retry-After': String(spec.retryAfterSeconds) } : {};
  const code = spec.code ?? (status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : 'InternalServerError');
  const message = spec.message ?? (status === 429 ? 'The request was throttled.' : 'The server encountered an internal error. Please retry the request.');
  sendJson(res, status, server === 'arm' ? { error: { code, message } } : { error: code.toLowerCase(), error_description: message }, retry);
}

/** Route names known before the handler runs, so faults can target them. */
function previewRoute(server: LoggedRequest['server'], method: string, url: URL): { route: string; cluster?: string } {
  if (server === 'imds') return { route: 'imds' };
  const seg = url.pathname.split('/').filter(Boolean);
  const lower = seg.map((s) => s.toLowerCase());
  if (server === 'login') {
    if (lower.includes('token') && method === 'POST') return { route: 'token' };
    if (lower.includes('oidctoken')) return { route: 'oidc' };
    if (lower.includes('openid-configuration')) return { route: 'openid-configuration' };
    if (lower.includes('discovery')) return { route: lower.includes('keys') ? 'jwks' : 'instance-discovery' };
    return { route: 'unknown' };
  }
  const listed = resourceListRoute(method, seg);
  if (listed) return { route: listed };
  if (lower[9] !== 'microsoft.kubernetesconfiguration' || lower[10] !== 'fluxconfigurations') return { route: 'arm.unknown' };
  const cluster = seg[7];
  if (seg.length === 11) return { route: 'flux.list', cluster };
  if (seg.length === 14) return { route: 'flux.operation', cluster };
  const byMethod: Record<string, string> = { GET: 'flux.get', PUT: 'flux.put', PATCH: 'flux.patch', DELETE: 'flux.delete' };
  return { route: byMethod[method.toUpperCase()] ?? 'flux.unknown', cluster };
}
