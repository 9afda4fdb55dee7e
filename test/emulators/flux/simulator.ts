/**
 * A simulation of Flux v2 on Azure Arc / AKS (the microsoft.flux extension) behind the
 * fluxConfigurations ARM resource. For each configuration: on its sync interval (scaled down) and
 * on demand it fetches the source branch head, builds each kustomization path in dependsOn order,
 * checks and applies the objects to an in-memory cluster (prune honoured), and publishes what the
 * fluxconfig-agent relays to ARM: sourceSyncedCommitId, sourceUpdatedAt, statusUpdatedAt,
 * statuses[] (GitRepository, Kustomizations, HelmReleases, applied objects) and complianceState.
 *
 * Scenario control (per cluster, optionally per configuration): sync delay, status relay lag
 * (the source fields arrive first, the object statuses later), a stalled configuration, the older
 * `branch/<sha>` revision format, failing objects (apply or health), suspension through the
 * resource's own `suspend`, and how the ARM emulator's long-running operations end (the
 * fluxconfig-agent's answer: a check of the first reconciliation, or an explicit failure).
 *
 * Bucket, AzureBlob and OCIRepository sources have no content here: they publish a stable
 * artifact revision (`sha256:<digest>`, `<tag>@sha256:<digest>` for OCI) and their
 * Kustomizations report it as applied, without objects. Enough for callers that must recognise
 * a source that is not a Git repository.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildKustomization, BuildResult, KubeObject, objectKey, objectRef } from './build';
import { GitSourceCache } from './git-source';
import { AppAnswer, appAnswer, AppAnswerRule, ImageFailure, imageFailureOf } from './app-endpoint';

export type ComplianceState = 'Compliant' | 'Non-Compliant' | 'Pending' | 'Suspended' | 'Unknown';

export interface StatusCondition {
  lastTransitionTime: string;
  message: string;
  reason: string;
  status: 'True' | 'False' | 'Unknown';
  type: string;
}

export interface ObjectStatus {
  name: string;
  namespace: string;
  kind: string;
  complianceState: ComplianceState;
  appliedBy?: { name: string; namespace: string } | null;
  statusConditions?: StatusCondition[] | null;
  helmReleaseProperties?: {
    lastRevisionApplied: number;
    helmChartRef: { name: string; namespace: string };
    failureCount: number;
    installFailureCount: number;
    upgradeFailureCount: number;
  } | null;
}

/** The read-only part of FluxConfigurationProperties the agent relays. */
export interface FluxReport {
  sourceSyncedCommitId?: string;
  sourceUpdatedAt?: string;
  statusUpdatedAt?: string;
  statuses: ObjectStatus[];
  complianceState: ComplianceState;
  errorMessage: string;
}

/** The writable part of FluxConfigurationProperties the simulation reads. */
export interface FluxConfigSpec {
  scope?: string;
  namespace?: string;
  sourceKind?: string;
  suspend?: boolean;
  gitRepository?: {
    url?: string;
    syncIntervalInSeconds?: number;
    repositoryRef?: { branch?: string | null; tag?: string | null; semver?: string | null; commit?: string | null };
    httpsUser?: string;
  } | null;
  bucket?: { url?: string; bucketName?: string; syncIntervalInSeconds?: number } | null;
  azureBlob?: { url?: string; containerName?: string; syncIntervalInSeconds?: number } | null;
  ociRepository?: {
    url?: string;
    syncIntervalInSeconds?: number;
    repositoryRef?: { tag?: string | null; semver?: string | null; digest?: string | null } | null;
  } | null;
  /** The PUT waits for the first reconciliation of the kustomizations (and fails when it fails). */
  waitForReconciliation?: boolean | null;
  kustomizations?: Record<
    string,
    {
      path?: string;
      dependsOn?: string[] | null;
      prune?: boolean;
      /** Health of what it applied is assessed (Flux's `wait`); image failures make it Not Ready only then. */
      wait?: boolean | null;
      postBuild?: { substitute?: Record<string, string> | null } | null;
    } | null
  > | null;
  configurationProtectedSettings?: Record<string, string> | null;
}

export interface Scenario {
  /** Time from the start of a sync to the agent's first report (source fetch, build, apply). */
  syncDelayMs: number;
  /** Extra time before the object statuses follow the source fields. */
  relayLagMs: number;
  /** A stalled configuration never syncs. */
  stalled: boolean;
  /** 'sha1' -> `main@sha1:<sha>` (Flux >= 2.0); 'legacy' -> `main/<sha>`. */
  revisionFormat: 'sha1' | 'legacy';
  /** Overrides the spec's syncIntervalInSeconds (scaled). */
  syncIntervalMs?: number;
  /**
   * Whether a create or update operation waits for the first reconciliation of the new spec and
   * fails when the source cannot be fetched or a kustomization of the configuration cannot be
   * built or applied (e.g. its path does not exist): 'auto' (default) when the configuration
   * sets waitForReconciliation, 'always', or 'never'.
   */
  provisioningCheck?: 'auto' | 'always' | 'never';
  /** An explicit failure of the long-running operations (null clears it). */
  provisioningFailure?: ProvisioningFailure | null;
}

/** How the ARM emulator's long-running operations on a configuration fail, whatever its spec. */
export interface ProvisioningFailure {
  /** error.code of the operation status, default ProvisioningFailed. */
  code?: string;
  /** error.message of the operation status and the configuration's errorMessage (a default names the configuration and cluster). */
  message?: string;
  /** Which operations fail: 'create' (PUT of a new configuration), 'update' (PUT of an existing one, PATCH), 'delete' (DELETE without forceDelete=true). Default create and update. */
  operations?: ('create' | 'update' | 'delete')[];
  /** How many operations fail before they succeed again; every one when omitted. */
  times?: number;
}

export interface ObjectFailure {
  cluster?: string;
  config?: string;
  kind: string;
  name: string;
  namespace?: string;
  message: string;
  /** 'apply': the dry-run/apply rejects it (nothing of the kustomization is applied); 'health': applied, never healthy. */
  mode?: 'apply' | 'health';
}

export interface ReconcileEvent {
  at: number;
  cluster: string;
  config: string;
  /** 'source': sourceSyncedCommitId published; 'status': statuses and complianceState published. */
  phase: 'source' | 'status';
  sha?: string;
  complianceState: ComplianceState;
}

export interface AppliedObject {
  object: KubeObject;
  appliedBy: string;
  revision: string;
}

export interface FluxSimulatorOptions {
  workDir: string;
  /** kubectl used for `kubectl kustomize`; found on PATH when omitted. */
  kubectl?: string;
  /** Multiplies spec intervals (600 s * 0.01 = 6 s). Default 0.01. */
  timeScale?: number;
  /** Headers for git fetch of a URL (e.g. the Azure DevOps emulator's bearer token). */
  sourceHeaders?: (url: string) => Record<string, string>;
  /** Floor for any scaled interval, default 50 ms. */
  minIntervalMs?: number;
}

interface ConfigState {
  key: string;
  clusterKey: string;
  clusterName: string;
  name: string;
  spec: FluxConfigSpec;
  published: FluxReport;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  removed: boolean;
  lastSha?: string;
  /** What each Kustomization (by "namespace/name") applied, and whether it prunes. */
  inventory: Map<string, Set<string>>;
  prunes: Map<string, boolean>;
  helmRevisions: Map<string, { revision: number; specHash: string }>;
  reconciles: number;
}

const DEFAULT_SCENARIO: Scenario = { syncDelayMs: 0, relayLagMs: 0, stalled: false, revisionFormat: 'sha1' };

function findOnPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class FluxSimulator {
  readonly events: ReconcileEvent[] = [];
  private readonly configs = new Map<string, ConfigState>();
  private readonly clusters = new Map<string, Map<string, AppliedObject>>();
  private readonly scenarios = new Map<string, Partial<Scenario>>();
  private failures: ObjectFailure[] = [];
  private imageFailures: ImageFailure[] = [];
  private appAnswers: AppAnswerRule[] = [];
  private readonly sources: GitSourceCache;
  private readonly buildCache = new Map<string, Promise<BuildResult>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;

  constructor(private readonly options: FluxSimulatorOptions) {
    this.sources = new GitSourceCache(path.join(options.workDir, 'sources'));
  }

  get gitFetches(): number {
    return this.sources.fetches;
  }

  // ---- what the ARM emulator calls ---------------------------------------------------------------

  /** A configuration was created or its spec changed: Flux reconciles at once, then on its interval. */
  configure(clusterKey: string, clusterName: string, name: string, spec: FluxConfigSpec): void {
    const key = `${clusterKey}|${name.toLowerCase()}`;
    let state = this.configs.get(key);
    if (!state) {
      state = {
        key,
        clusterKey,
        clusterName,
        name,
        spec,
        published: { statuses: [], complianceState: 'Pending', errorMessage: '' },
        removed: false,
        inventory: new Map(),
        prunes: new Map(),
        helmRevisions: new Map(),
        reconciles: 0,
      };
      this.configs.set(key, state);
    }
    state.spec = spec;
    if (spec.suspend) state.published = { ...state.published, complianceState: 'Suspended' };
    this.schedule(state, 0);
  }

  /** The configuration was deleted: Flux removes what it applied when prune is on. */
  remove(clusterKey: string, name: string): void {
    const key = `${clusterKey}|${name.toLowerCase()}`;
    const state = this.configs.get(key);
    if (!state) return;
    state.removed = true;
    if (state.timer) clearTimeout(state.timer);
    const objects = this.objectsOf(clusterKey);
    // the Kustomizations go, and those that prune take what they applied with them
    for (const [id, keys] of state.inventory) {
      if (!state.prunes.get(id)) continue;
      for (const k of keys) if (objects.get(k)?.appliedBy === id) objects.delete(k);
    }
    this.configs.delete(key);
  }

  report(clusterKey: string, name: string): FluxReport | undefined {
    return this.configs.get(`${clusterKey}|${name.toLowerCase()}`)?.published;
  }

  // ---- scenario control ------------------------------------------------------------------------

  /** Sets scenario values for a cluster (by name), or one configuration on it; '*' for every cluster. */
  setScenario(cluster: string, patch: Partial<Scenario>, config?: string): void {
    const k = config ? `${cluster.toLowerCase()}|${config.toLowerCase()}` : cluster.toLowerCase();
    this.scenarios.set(k, { ...(this.scenarios.get(k) ?? {}), ...patch });
    if (patch.syncIntervalMs !== undefined || patch.stalled === false) {
      for (const state of this.configs.values())
        if (this.matches(state, cluster, config)) this.schedule(state, patch.stalled === false ? 0 : this.intervalOf(state));
    }
  }

  scenarioOf(state: { clusterName: string; name: string }): Scenario {
    return {
      ...DEFAULT_SCENARIO,
      ...(this.scenarios.get('*') ?? {}),
      ...(this.scenarios.get(state.clusterName.toLowerCase()) ?? {}),
      ...(this.scenarios.get(`${state.clusterName.toLowerCase()}|${state.name.toLowerCase()}`) ?? {}),
    };
  }

  failObject(failure: ObjectFailure): void {
    this.failures.push({ mode: 'health', ...failure });
  }

  clearFailures(): void {
    this.failures = [];
  }

  /** Images matching `pattern` never become Ready: a Kustomization with `wait: true` applying them stays Not Ready. */
  failImages(pattern: RegExp | string, message = 'Back-off restarting failed container (readiness probe failed)', cluster?: string): void {
    this.imageFailures.push({ pattern: typeof pattern === 'string' ? new RegExp(pattern) : pattern, message, cluster });
  }

  clearImageFailures(): void {
    this.imageFailures = [];
  }

  /** A scripted answer of the app endpoint while a matching image is deployed (see app-endpoint.ts). */
  setAppAnswer(rule: AppAnswerRule): void {
    this.appAnswers.push({ ...rule });
  }

  clearAppAnswers(): void {
    this.appAnswers = [];
  }

  /** What the app endpoint of a namespace on a cluster answers now. */
  appAnswer(cluster: string, namespace: string): AppAnswer {
    const objects = [...this.clusterObjects(cluster).values()].map((a) => a.object);
    return appAnswer(cluster, namespace, objects, this.imageFailures, this.appAnswers);
  }

  /** Runs one sync now (after any running one) and resolves when its report is fully published. */
  async reconcileNow(cluster: string, config: string): Promise<FluxReport> {
    const state = [...this.configs.values()].find((s) => this.matches(s, cluster, config));
    if (!state) throw new Error(`no flux configuration ${config} on cluster ${cluster}`);
    // this sync replaces a scheduled one: the next comes a full interval later
    if (state.timer) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    if (state.running) await state.running.catch(() => undefined);
    await this.run(state, true);
    this.schedule(state, this.intervalOf(state));
    return state.published;
  }

  /** Objects on a cluster (by name), keyed "Kind/namespace/name". */
  clusterObjects(cluster: string): Map<string, AppliedObject> {
    const state = [...this.configs.values()].find((s) => s.clusterName.toLowerCase() === cluster.toLowerCase());
    return state ? this.objectsOf(state.clusterKey) : new Map<string, AppliedObject>();
  }

  /**
   * The source interval the simulation really runs for a configuration, in seconds, when it is not
   * the spec's own (scaled by timeScale, or a scenario's syncIntervalMs): the ARM emulator shows it
   * as gitRepository.syncIntervalInSeconds, so a client planning its reads by the interval sees
   * how this simulated Flux behaves.
   */
  effectiveSyncIntervalSeconds(clusterKey: string, name: string): number | undefined {
    const state = this.configs.get(`${clusterKey}|${name.toLowerCase()}`);
    if (!state || sourceKindOf(state.spec) !== 'GitRepository') return undefined;
    const seconds = this.intervalOf(state) / 1000;
    return seconds === (state.spec.gitRepository?.syncIntervalInSeconds ?? 600) ? undefined : seconds;
  }

  reconcileCount(cluster: string, config: string): number {
    return [...this.configs.values()].find((s) => this.matches(s, cluster, config))?.reconciles ?? 0;
  }

  /** Stops every timer and waits (bounded) for syncs in progress, so their git processes end first. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of this.wakers.values()) wake(); // a sync waiting out its delay ends now (it sees `stopped`)
    this.wakers.clear();
    for (const s of this.configs.values()) if (s.timer) clearTimeout(s.timer);
    const running = [...this.configs.values()].map((s) => s.running).filter((r): r is Promise<void> => r !== undefined);
    await Promise.race([Promise.allSettled(running), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  // ---- the loop ---------------------------------------------------------------------------------

  private matches(state: ConfigState, cluster: string, config?: string): boolean {
    return state.clusterName.toLowerCase() === cluster.toLowerCase() && (config === undefined || state.name.toLowerCase() === config.toLowerCase());
  }

  private objectsOf(clusterKey: string): Map<string, AppliedObject> {
    let objects = this.clusters.get(clusterKey);
    if (!objects) this.clusters.set(clusterKey, (objects = new Map<string, AppliedObject>()));
    return objects;
  }

  private intervalOf(state: ConfigState): number {
    const scenario = this.scenarioOf(state);
    const floor = this.options.minIntervalMs ?? 50;
    if (scenario.syncIntervalMs !== undefined) return Math.max(floor, scenario.syncIntervalMs);
    const source = {
      GitRepository: state.spec.gitRepository,
      Bucket: state.spec.bucket,
      AzureBlob: state.spec.azureBlob,
      OCIRepository: state.spec.ociRepository,
    }[sourceKindOf(state.spec)];
    const seconds = source?.syncIntervalInSeconds ?? 600;
    return Math.max(floor, seconds * 1000 * (this.options.timeScale ?? 0.01));
  }

  private schedule(state: ConfigState, delayMs: number): void {
    if (this.stopped || state.removed) return;
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      const go = state.running ? state.running.then(() => this.run(state, false)) : this.run(state, false);
      go.catch(() => undefined).finally(() => this.schedule(state, this.intervalOf(state)));
    }, delayMs);
    state.timer.unref?.();
  }

  private later(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.wakers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
      this.wakers.set(t, resolve);
    });
  }

  private run(state: ConfigState, forced: boolean): Promise<void> {
    const work = this.reconcile(state, forced).finally(() => {
      if (state.running === work) state.running = undefined;
    });
    state.running = work;
    return work;
  }

  private revision(state: ConfigState, sha: string): string {
    const ref = state.spec.gitRepository?.repositoryRef ?? {};
    const name = ref.tag ?? ref.branch ?? 'main';
    return this.scenarioOf(state).revisionFormat === 'legacy' ? `${name}/${sha}` : `${name}@sha1:${sha}`;
  }

  /**
   * One sync, phase by phase as Flux's controllers split the work: source-controller fetches the
   * revision, kustomize-controller (and helm-controller) build, apply and prune, and check health
   * per Kustomization in dependsOn order, and the fluxconfig-agent relays the result to ARM.
   */
  private async reconcile(state: ConfigState, forced: boolean): Promise<void> {
    if (this.stopped || state.removed) return;
    const scenario = this.scenarioOf(state);
    if (state.spec.suspend) {
      state.published = { ...state.published, complianceState: 'Suspended', statusUpdatedAt: new Date().toISOString() };
      return;
    }
    if (scenario.stalled && !forced) return;
    state.reconciles++;
    const started = Date.now();
    if (sourceKindOf(state.spec) !== 'GitRepository') return this.reconcileArtifact(state, scenario);
    const source = await this.fetchSource(state);
    if ('failure' in source) return this.publishSourceFailure(state, scenario, started, source.failure);
    const statuses = await this.reconcileKustomizations(state, source);
    await this.publish(state, scenario, started, source.sha, statuses);
  }

  /** A Bucket, AzureBlob or OCIRepository source: a stable artifact revision, nothing applied. */
  private async reconcileArtifact(state: ConfigState, scenario: Scenario): Promise<void> {
    await this.later(scenario.syncDelayMs);
    if (state.removed || this.stopped) return;
    state.published = artifactReport(state.name, state.spec, scenario, new Date().toISOString(), state.published);
    for (const phase of ['source', 'status'] as const)
      this.events.push({ at: Date.now(), cluster: state.clusterName, config: state.name, phase, complianceState: 'Compliant' });
  }

  // ---- source-controller

  /** The branch (or tag) head and a checkout of it, or why the fetch failed. */
  private async fetchSource(state: ConfigState): Promise<FetchedSource | { failure: string }> {
    const url = state.spec.gitRepository?.url ?? '';
    const ref = state.spec.gitRepository?.repositoryRef ?? {};
    try {
      const headers = { ...(this.options.sourceHeaders?.(url) ?? {}), ...protectedHeaders(state.spec) };
      const fetched = await this.sources.fetch(url, { branch: ref.branch ?? undefined, tag: ref.tag ?? undefined }, headers);
      const tree = await this.sources.checkout(fetched.mirror, fetched.sha);
      return { sha: fetched.sha, tree, revision: this.revision(state, fetched.sha) };
    } catch (error) {
      return { failure: `failed to checkout and determine revision: unable to clone '${url}': ${(error as Error).message.split('\n')[0]}` };
    }
  }

  /** The GitRepository turns Non-Compliant; what was applied stays, the other statuses are kept. */
  private async publishSourceFailure(state: ConfigState, scenario: Scenario, started: number, message: string): Promise<void> {
    await this.later(scenario.syncDelayMs - (Date.now() - started));
    if (state.removed || this.stopped) return;
    const now = new Date().toISOString();
    const git: ObjectStatus = {
      name: state.name,
      namespace: state.spec.namespace ?? 'default',
      kind: 'GitRepository',
      complianceState: 'Non-Compliant',
      appliedBy: null,
      statusConditions: [{ lastTransitionTime: now, message, reason: 'GitOperationFailed', status: 'False', type: 'Ready' }],
    };
    state.published = {
      ...state.published,
      statuses: [git, ...state.published.statuses.filter((s) => s.kind !== 'GitRepository')],
      complianceState: 'Non-Compliant',
      statusUpdatedAt: now,
    };
    this.events.push({ at: Date.now(), cluster: state.clusterName, config: state.name, phase: 'status', complianceState: 'Non-Compliant' });
  }

  // ---- kustomize-controller / helm-controller

  /**
   * Every Kustomization of the configuration (and the Flux Kustomizations found in the source), in
   * dependsOn order: build, apply and prune, health. Returns the statuses, the GitRepository first.
   */
  private async reconcileKustomizations(state: ConfigState, source: FetchedSource): Promise<ObjectStatus[]> {
    const configNamespace = state.spec.namespace ?? 'default';
    const statuses: ObjectStatus[] = [
      {
        name: state.name,
        namespace: configNamespace,
        kind: 'GitRepository',
        complianceState: 'Compliant',
        appliedBy: null,
        statusConditions: [
          {
            lastTransitionTime: new Date().toISOString(),
            message: `stored artifact for revision '${source.revision}'`,
            reason: 'Succeeded',
            status: 'True',
            type: 'Ready',
          },
        ],
      },
    ];
    const kustomizations = Object.entries(state.spec.kustomizations ?? {}).filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== null);
    const queue: Unit[] = orderByDependencies(kustomizations).map(([ksName, ks]) => ({
      fluxName: `${state.name}-${ksName}`,
      namespace: configNamespace,
      path: ks.path ?? '',
      prune: ks.prune ?? false,
      dependsOn: (ks.dependsOn ?? []).map((d) => `${configNamespace}/${state.name}-${d}`),
      substitute: ks.postBuild?.substitute ?? undefined,
      appliedBy: null,
      suspended: false,
      wait: ks.wait === true,
    }));
    const ready = new Map<string, boolean>();
    const known = new Set(queue.map((u) => `${u.namespace}/${u.fluxName}`));
    const deferred = new Set<string>();
    for (let i = 0; i < queue.length && i < 500; i++) {
      const unit = queue[i];
      const id = `${unit.namespace}/${unit.fluxName}`;
      if (unit.suspended) {
        statuses.push(kustomizationStatus(unit, 'Suspended', 'Suspended', 'Reconciliation is suspended for this object', 'Unknown'));
        continue;
      }
      const waitingFor = unit.dependsOn.find((d) => !ready.has(d) && known.has(d));
      if (waitingFor !== undefined && !deferred.has(id)) {
        deferred.add(id); // its dependency is later in the queue: go round once
        queue.push(unit);
        continue;
      }
      const blocked = unit.dependsOn.find((d) => ready.get(d) !== true);
      if (blocked !== undefined) {
        ready.set(id, false);
        statuses.push(kustomizationStatus(unit, 'Pending', 'DependencyNotReady', `dependency '${blocked}' is not ready`, 'False'));
        continue;
      }
      const result = await this.reconcileUnit(state, unit, source);
      ready.set(id, result.ready);
      statuses.push(...result.statuses);
      for (const nested of result.nested) {
        const nestedId = `${nested.namespace}/${nested.fluxName}`;
        if (known.has(nestedId)) continue;
        known.add(nestedId);
        queue.push(nested); // kustomize-controller reconciles it next, and it reports itself
      }
    }
    return statuses;
  }

  /** One Kustomization: build, apply and prune, health. */
  private async reconcileUnit(state: ConfigState, unit: Unit, source: FetchedSource): Promise<{ ready: boolean; statuses: ObjectStatus[]; nested: Unit[] }> {
    const built = await this.build(unit, source);
    if (!built.ok) return { ready: false, statuses: [kustomizationStatus(unit, 'Non-Compliant', built.reason, built.message, 'False')], nested: [] };
    const failures = built.objects
      .map((o) => ({ o, f: this.failures.find((f) => failureMatches(f, state, o)) ?? this.imageFailure(state, unit, o) }))
      .filter((x): x is { o: KubeObject; f: ObjectFailure } => x.f !== undefined);
    const rejected = failures.find((x) => x.f.mode === 'apply');
    if (rejected) {
      const message = `${objectRef(rejected.o)} dry-run failed: ${rejected.f.message}`;
      return { ready: false, statuses: [kustomizationStatus(unit, 'Non-Compliant', 'ReconciliationFailed', message, 'False')], nested: [] };
    }
    this.applyAndPrune(state, unit, built.objects, source.revision);
    return this.health(state, unit, built.objects, failures, source.revision);
  }

  /** An image that never becomes Ready, as a health failure of the object, when the Kustomization waits for health. */
  private imageFailure(state: ConfigState, unit: Unit, o: KubeObject): ObjectFailure | undefined {
    if (
      !unit.wait &&
      !unit.healthChecks?.some((h) => h.kind === o.kind && h.name === o.metadata.name && (h.namespace ?? o.metadata.namespace) === o.metadata.namespace)
    )
      return undefined;
    const failed = imageFailureOf(this.imageFailures, state.clusterName, o);
    return failed && { kind: o.kind, name: o.metadata.name, message: `${failed.image}: ${failed.failure.message}`, mode: 'health' };
  }

  /** kustomize build of the unit's path at this revision (shared by configurations syncing the same one). */
  private build(unit: Unit, source: FetchedSource): Promise<BuildResult> {
    const cacheKey = `${source.sha}|${unit.path}|${JSON.stringify(unit.substitute ?? {})}|${unit.targetNamespace ?? ''}`;
    let build = this.buildCache.get(cacheKey);
    if (!build) {
      const kubectl = this.options.kubectl ?? findOnPath('kubectl') ?? 'kubectl';
      build = buildKustomization(source.tree, unit.path, { kubectl, substitute: unit.substitute, targetNamespace: unit.targetNamespace });
      this.buildCache.set(cacheKey, build);
    }
    return build;
  }

  /** Apply, then prune what this Kustomization applied before and no longer has. */
  private applyAndPrune(state: ConfigState, unit: Unit, built: KubeObject[], revision: string): void {
    const objects = this.objectsOf(state.clusterKey);
    const id = `${unit.namespace}/${unit.fluxName}`;
    const keys = new Set<string>();
    for (const o of built) {
      const k = objectKey(o);
      keys.add(k);
      objects.set(k, { object: o, appliedBy: id, revision });
    }
    const previous = state.inventory.get(id) ?? new Set<string>();
    if (unit.prune) for (const k of previous) if (!keys.has(k) && objects.get(k)?.appliedBy === id) objects.delete(k);
    state.inventory.set(id, keys);
    state.prunes.set(id, unit.prune);
  }

  /** Health of what was applied: the Kustomization's status and its objects' (nested Flux Kustomizations report themselves). */
  private health(
    state: ConfigState,
    unit: Unit,
    built: KubeObject[],
    failures: { o: KubeObject; f: ObjectFailure }[],
    revision: string,
  ): { ready: boolean; statuses: ObjectStatus[]; nested: Unit[] } {
    const at = new Date().toISOString();
    const unhealthy = failures.filter((x) => x.f.mode !== 'apply');
    const own: ObjectStatus[] = [];
    const nested: Unit[] = [];
    for (const o of built) {
      const child = nestedKustomization(o, state.name, unit);
      if (child) nested.push(child);
      else own.push(this.objectStatus(state, o, unit, unhealthy.find((x) => x.o === o)?.f, at));
    }
    if (unhealthy.length) {
      const list = unhealthy.map((x) => `${objectRef(x.o)} status: 'Failed'`).join(', ');
      const ks = kustomizationStatus(unit, 'Non-Compliant', 'HealthCheckFailed', `Health check failed after 30s: timeout waiting for: [${list}]`, 'False');
      return { ready: false, statuses: [withHealthy(unit, ks, false, at), ...own], nested };
    }
    return {
      ready: true,
      statuses: [
        withHealthy(unit, kustomizationStatus(unit, 'Compliant', 'ReconciliationSucceeded', `Applied revision: ${revision}`, 'True'), true, at),
        ...own,
      ],
      nested,
    };
  }

  // ---- fluxconfig-agent

  /** Relays the sync to ARM: the source fields, then (after the scenario's relay lag) the statuses. */
  private async publish(state: ConfigState, scenario: Scenario, started: number, sha: string, statuses: ObjectStatus[]): Promise<void> {
    const complianceState: ComplianceState = statuses.some((s) => s.complianceState === 'Non-Compliant')
      ? 'Non-Compliant'
      : statuses.some((s) => s.complianceState === 'Pending')
        ? 'Pending'
        : 'Compliant';
    await this.later(scenario.syncDelayMs - (Date.now() - started));
    if (state.removed || this.stopped) return;
    const now = () => new Date().toISOString();
    const sourceChanged = state.lastSha !== sha;
    state.lastSha = sha;
    const sourceFields = {
      sourceSyncedCommitId: this.revision(state, sha),
      sourceUpdatedAt: sourceChanged || !state.published.sourceUpdatedAt ? now() : state.published.sourceUpdatedAt,
    };
    if (scenario.relayLagMs > 0) {
      state.published = { ...state.published, ...sourceFields };
      this.events.push({
        at: Date.now(),
        cluster: state.clusterName,
        config: state.name,
        phase: 'source',
        sha,
        complianceState: state.published.complianceState,
      });
      await this.later(scenario.relayLagMs);
      if (state.removed || this.stopped) return;
    }
    state.published = { ...state.published, ...sourceFields, statuses, complianceState, statusUpdatedAt: now(), errorMessage: '' };
    if (scenario.relayLagMs <= 0) {
      this.events.push({ at: Date.now(), cluster: state.clusterName, config: state.name, phase: 'source', sha, complianceState });
    }
    this.events.push({ at: Date.now(), cluster: state.clusterName, config: state.name, phase: 'status', sha, complianceState });
  }

  private objectStatus(state: ConfigState, o: KubeObject, unit: Unit, failure: ObjectFailure | undefined, at: string): ObjectStatus {
    const configNamespace = unit.namespace;
    const base: ObjectStatus = {
      name: o.metadata.name,
      namespace: o.metadata.namespace ?? '',
      kind: o.kind,
      complianceState: failure ? 'Non-Compliant' : 'Compliant',
      appliedBy: { name: unit.fluxName, namespace: unit.namespace },
      statusConditions: failure ? [{ lastTransitionTime: at, message: failure.message, reason: 'Failed', status: 'False', type: 'Ready' }] : null,
    };
    if (o.kind !== 'HelmRelease') return base;
    const key = objectKey(o);
    const specHash = JSON.stringify((o as { spec?: unknown }).spec ?? {});
    const previous = state.helmRevisions.get(key);
    const revision = previous === undefined ? 1 : previous.specHash === specHash ? previous.revision : previous.revision + 1;
    state.helmRevisions.set(key, { revision, specHash });
    const chart = (o as { spec?: { chart?: { spec?: { chart?: string; version?: string } } } }).spec?.chart?.spec;
    const releaseNs = o.metadata.namespace ?? configNamespace;
    base.helmReleaseProperties = {
      lastRevisionApplied: revision,
      helmChartRef: { name: `${releaseNs}-${o.metadata.name}`, namespace: configNamespace },
      failureCount: failure ? 1 : 0,
      installFailureCount: failure && revision === 1 ? 1 : 0,
      upgradeFailureCount: failure && revision > 1 ? 1 : 0,
    };
    const verb = revision === 1 ? 'install' : 'upgrade';
    base.statusConditions = [
      failure
        ? {
            lastTransitionTime: at,
            message: `Helm ${verb} failed: ${failure.message}`,
            reason: revision === 1 ? 'InstallFailed' : 'UpgradeFailed',
            status: 'False',
            type: 'Ready',
          }
        : {
            lastTransitionTime: at,
            message: `Helm ${verb} succeeded for release ${releaseNs}/${o.metadata.name}.v${revision} with chart ${chart?.chart ?? o.metadata.name}@${chart?.version ?? '0.0.0'}`,
            reason: revision === 1 ? 'InstallSucceeded' : 'UpgradeSucceeded',
            status: 'True',
            type: 'Ready',
          },
    ];
    return base;
  }
}

/** What source-controller fetched: the commit, a checkout of it, and its revision as Flux writes it. */
interface FetchedSource {
  sha: string;
  tree: string;
  revision: string;
}

/** A Kustomization's own status entry. */
function kustomizationStatus(
  unit: Unit,
  complianceState: ComplianceState,
  reason: string,
  message: string,
  status: 'True' | 'False' | 'Unknown',
): ObjectStatus {
  return {
    name: unit.fluxName,
    namespace: unit.namespace,
    kind: 'Kustomization',
    complianceState,
    appliedBy: unit.appliedBy,
    statusConditions: [{ lastTransitionTime: new Date().toISOString(), message, reason, status, type: 'Ready' }],
  };
}

/** kustomize-controller adds a Healthy condition (after Ready) only when it assesses health (`wait: true`). */
function withHealthy(unit: Unit, status: ObjectStatus, healthy: boolean, at: string): ObjectStatus {
  if (!unit.wait && !unit.healthChecks?.length) return status;
  const condition: StatusCondition = healthy
    ? { lastTransitionTime: at, message: 'Health check passed', reason: 'Succeeded', status: 'True', type: 'Healthy' }
    : { lastTransitionTime: at, message: 'Health check failed', reason: 'HealthCheckFailed', status: 'False', type: 'Healthy' };
  return { ...status, statusConditions: [...(status.statusConditions ?? []), condition] };
}

/** One Kustomization to reconcile: from the configuration, or a Flux Kustomization object found in the source. */
interface Unit {
  fluxName: string;
  namespace: string;
  path: string;
  prune: boolean;
  /** "namespace/name" of the Kustomizations it waits for. */
  dependsOn: string[];
  substitute?: Record<string, string>;
  targetNamespace?: string;
  appliedBy: { name: string; namespace: string } | null;
  suspended: boolean;
  /** spec.wait: the health of what it applies is assessed. */
  wait?: boolean;
  /** spec.healthChecks (ignored by Flux when wait is set): the health of these objects only is assessed. */
  healthChecks?: { kind: string; name: string; namespace?: string }[];
}

/** A kustomize.toolkit.fluxcd.io Kustomization whose sourceRef is this configuration's GitRepository. */
function nestedKustomization(o: KubeObject, configName: string, parent: Unit): Unit | undefined {
  if (o.kind !== 'Kustomization' || !o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) return undefined;
  const spec = (o as { spec?: Record<string, unknown> }).spec ?? {};
  const sourceRef = (spec.sourceRef ?? {}) as { kind?: string; name?: string };
  if (sourceRef.kind !== 'GitRepository' || sourceRef.name !== configName) return undefined;
  const namespace = o.metadata.namespace ?? parent.namespace;
  const postBuild = (spec.postBuild ?? {}) as { substitute?: Record<string, string> };
  return {
    fluxName: o.metadata.name,
    namespace,
    path: typeof spec.path === 'string' ? spec.path : '',
    prune: spec.prune === true,
    dependsOn: ((spec.dependsOn ?? []) as { name: string; namespace?: string }[]).map((d) => `${d.namespace ?? namespace}/${d.name}`),
    substitute: postBuild.substitute,
    targetNamespace: typeof spec.targetNamespace === 'string' ? spec.targetNamespace : undefined,
    appliedBy: { name: parent.fluxName, namespace: parent.namespace },
    suspended: spec.suspend === true,
    wait: spec.wait === true,
    healthChecks: Array.isArray(spec.healthChecks)
      ? (spec.healthChecks as { kind?: unknown; name?: unknown; namespace?: unknown }[]).flatMap((h) =>
          typeof h.kind === 'string' && typeof h.name === 'string'
            ? [{ kind: h.kind, name: h.name, ...(typeof h.namespace === 'string' ? { namespace: h.namespace } : {}) }]
            : [],
        )
      : undefined,
  };
}

function failureMatches(f: ObjectFailure, state: ConfigState, o: KubeObject): boolean {
  return (
    (f.cluster === undefined || f.cluster.toLowerCase() === state.clusterName.toLowerCase()) &&
    (f.config === undefined || f.config.toLowerCase() === state.name.toLowerCase()) &&
    f.kind === o.kind &&
    f.name === o.metadata.name &&
    (f.namespace === undefined || f.namespace === (o.metadata.namespace ?? ''))
  );
}

/** dependsOn order (stable; cycles and unknown names fall back to declaration order). */
function orderByDependencies<T extends { dependsOn?: string[] | null }>(entries: [string, T][]): [string, T][] {
  const out: [string, T][] = [];
  const placed = new Set<string>();
  const names = new Set(entries.map(([n]) => n));
  for (let pass = 0; pass < entries.length && out.length < entries.length; pass++) {
    for (const [name, ks] of entries) {
      if (placed.has(name)) continue;
      if ((ks.dependsOn ?? []).every((d) => placed.has(d) || !names.has(d))) {
        out.push([name, ks]);
        placed.add(name);
      }
    }
  }
  for (const e of entries) if (!placed.has(e[0])) out.push(e);
  return out;
}

export type SourceKind = 'GitRepository' | 'Bucket' | 'AzureBlob' | 'OCIRepository';

export function sourceKindOf(spec: FluxConfigSpec): SourceKind {
  const kind = spec.sourceKind ?? 'GitRepository';
  return kind === 'Bucket' || kind === 'AzureBlob' || kind === 'OCIRepository' ? kind : 'GitRepository';
}

/**
 * What the agent relays for a Bucket, AzureBlob or OCIRepository source: the artifact revision
 * source-controller stores (a digest, not a Git commit; stable for a given source definition) and
 * Kustomizations applied at it. No content is simulated, so no objects are applied.
 */
function artifactReport(name: string, spec: FluxConfigSpec, scenario: Scenario, at: string, previous: FluxReport): FluxReport {
  const kind = sourceKindOf(spec);
  const definition = kind === 'Bucket' ? spec.bucket : kind === 'AzureBlob' ? spec.azureBlob : spec.ociRepository;
  const digest = crypto
    .createHash('sha256')
    .update(JSON.stringify({ kind, url: definition?.url ?? '', bucket: spec.bucket?.bucketName ?? spec.azureBlob?.containerName ?? '' }))
    .digest('hex');
  const tag = spec.ociRepository?.repositoryRef?.tag ?? 'latest';
  const revision =
    kind === 'OCIRepository'
      ? scenario.revisionFormat === 'legacy'
        ? `${tag}/${digest}`
        : `${tag}@sha256:${digest}`
      : scenario.revisionFormat === 'legacy'
        ? digest
        : `sha256:${digest}`;
  const namespace = spec.namespace ?? 'default';
  const statuses: ObjectStatus[] = [
    {
      name,
      namespace,
      // Flux serves AzureBlob through a Bucket object (provider azure)
      kind: kind === 'OCIRepository' ? 'OCIRepository' : 'Bucket',
      complianceState: 'Compliant',
      appliedBy: null,
      statusConditions: [{ lastTransitionTime: at, message: `stored artifact for revision '${revision}'`, reason: 'Succeeded', status: 'True', type: 'Ready' }],
    },
  ];
  for (const [ks, definition] of Object.entries(spec.kustomizations ?? {})) {
    if (definition === null) continue;
    statuses.push({
      name: `${name}-${ks}`,
      namespace,
      kind: 'Kustomization',
      complianceState: 'Compliant',
      appliedBy: null,
      statusConditions: [
        { lastTransitionTime: at, message: `Applied revision: ${revision}`, reason: 'ReconciliationSucceeded', status: 'True', type: 'Ready' },
      ],
    });
  }
  const sourceUpdatedAt = previous.sourceSyncedCommitId === revision && previous.sourceUpdatedAt ? previous.sourceUpdatedAt : at;
  return { sourceSyncedCommitId: revision, sourceUpdatedAt, statusUpdatedAt: at, statuses, complianceState: 'Compliant', errorMessage: '' };
}

/** httpsUser + httpsKey (base64, as configurationProtectedSettings carry it) as Basic auth. */
function protectedHeaders(spec: FluxConfigSpec): Record<string, string> {
  const key = spec.configurationProtectedSettings?.httpsKey;
  if (!key) return {};
  const user = spec.gitRepository?.httpsUser ?? 'git';
  const secret = Buffer.from(key, 'base64').toString('utf8');
  return { Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` };
}
