/**
 * waitForReconciliation: polls the Arc/AKS fluxConfigurations resource of one or many clusters
 * until Flux has synced the target commit (or a descendant: merges that landed together count)
 * and the objects of this promotion are Compliant at that revision. Fails fast when our revision
 * is Non-Compliant (after a short grace for transient states), or the configuration is suspended;
 * on timeout it says what was last seen per cluster and object.
 *
 * It also fails at once when a configuration can never show the commit: provisioningState Failed,
 * a source that is not a Git repository (Bucket, AzureBlob, OCIRepository: their revision is a
 * digest), or, given `expectedSource`, a Git repository or branch other than the one committed to.
 *
 * Polling adapts per cluster: fast first, backing off to a ceiling, fast again when the phase
 * moves (the objects follow the source within seconds). Retry-After is honoured (the SDK retries
 * 429/503 with it; a 429 that reaches us waits at least that long), and when ARM's
 * x-ms-ratelimit-remaining-subscription-reads runs low every cluster of that subscription slows
 * down. Requests in flight are limited across the fleet. The ARM SDK is loaded only here.
 */
import type { TokenCredential } from '@azure/core-auth';
import { setMaxListeners } from 'node:events';
import { createLimiter } from '../util/concurrency';
import { parseRetryAfter } from '../util/retry';
import { formatDuration, sleep } from '../util/time-budget';
import { describeObject, evaluate, Evaluation, FluxStatus, Phase, Selection } from './flux-status';
import type { ExpectedSource } from './source';

export type ClusterType = 'connectedClusters' | 'managedClusters' | 'provisionedClusters';

export interface ClusterRef {
  subscriptionId?: string;
  resourceGroup: string;
  clusterType: ClusterType;
  clusterName: string;
}

const PROVIDERS: Record<ClusterType, string> = {
  connectedClusters: 'Microsoft.Kubernetes',
  managedClusters: 'Microsoft.ContainerService',
  provisionedClusters: 'Microsoft.HybridContainerService',
};

export function clusterLabel(c: ClusterRef): string {
  return `${c.resourceGroup}/${c.clusterName}`;
}

/**
 * A cluster from text: a resource id (`/subscriptions/../resourceGroups/../providers/Microsoft.Kubernetes/connectedClusters/name`),
 * or `resourceGroup/clusterName` with the default type, or just `clusterName` with the default group.
 */
export function parseClusterRef(text: string, defaults: { resourceGroup?: string; clusterType?: ClusterType; subscriptionId?: string } = {}): ClusterRef {
  const t = text.trim();
  const id = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)\/([^/]+)\/?$/i.exec(t);
  if (id) {
    const type = (Object.keys(PROVIDERS) as ClusterType[]).find(
      (k) => k.toLowerCase() === id[4].toLowerCase() && PROVIDERS[k].toLowerCase() === id[3].toLowerCase(),
    );
    if (!type) throw new Error(`"${t}" is not an Arc connected cluster, AKS managed cluster or provisioned cluster resource id`);
    return { subscriptionId: id[1], resourceGroup: id[2], clusterType: type, clusterName: id[5] };
  }
  const parts = t.split('/').filter(Boolean);
  if (parts.length === 0 || parts.length > 2 || /\s/.test(t))
    throw new Error(`"${text}" is not a cluster: use a resource id, resourceGroup/clusterName or clusterName`);
  const resourceGroup = parts.length === 2 ? parts[0] : defaults.resourceGroup;
  if (!resourceGroup) throw new Error(`cluster "${t}" needs a resource group (resourceGroup/clusterName)`);
  return {
    subscriptionId: defaults.subscriptionId,
    resourceGroup,
    clusterType: defaults.clusterType ?? 'connectedClusters',
    clusterName: parts[parts.length - 1],
  };
}

// ---- reading the resource ------------------------------------------------------------------------

export interface FluxRead {
  status: FluxStatus;
  /** x-ms-ratelimit-remaining-subscription-reads of the answer, when present. */
  remainingReads?: number;
}

/** An error from a read, with what the poller needs to decide. */
export class FluxReadError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'FluxReadError';
  }
}

export type FluxConfigurationReader = (cluster: ClusterRef, configurationName: string) => Promise<FluxRead>;

export interface ArmAccess {
  credential: TokenCredential;
  subscriptionId: string;
  /** Resource Manager URL (the cloud's, or the connection's own). */
  armUrl: string;
  /** Extra client options: tlsOptions for a private CA, retryOptions, apiVersion. */
  clientOptions?: {
    tlsOptions?: { ca?: string | string[] };
    retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
    apiVersion?: string;
    userAgentOptions?: { userAgentPrefix?: string };
  };
}

/** A reader on the real @azure/arm-kubernetesconfiguration client (loaded on first use). */
export function createFluxConfigurationReader(access: ArmAccess): FluxConfigurationReader {
  const clients = new Map<string, import('@azure/arm-kubernetesconfiguration').SourceControlConfigurationClient>();
  const client = (subscriptionId: string) => {
    let c = clients.get(subscriptionId);
    if (!c) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk: typeof import('@azure/arm-kubernetesconfiguration') = require('@azure/arm-kubernetesconfiguration');
      c = new sdk.SourceControlConfigurationClient(access.credential, subscriptionId, {
        endpoint: access.armUrl,
        userAgentOptions: { userAgentPrefix: 'gitops-flow' },
        ...(access.clientOptions ?? {}),
      });
      clients.set(subscriptionId, c);
    }
    return c;
  };
  return async (cluster, configurationName) => {
    let remainingReads: number | undefined;
    try {
      const status = await client(cluster.subscriptionId ?? access.subscriptionId).fluxConfigurations.get(
        cluster.resourceGroup,
        PROVIDERS[cluster.clusterType],
        cluster.clusterType,
        cluster.clusterName,
        configurationName,
        {
          onResponse: (raw) => {
            const value = raw.headers.get('x-ms-ratelimit-remaining-subscription-reads');
            if (value !== undefined && /^\d+$/.test(value.trim())) remainingReads = Number(value);
          },
        },
      );
      return { status: status as FluxStatus, remainingReads };
    } catch (error) {
      const e = error as { statusCode?: number; code?: string; message?: string; response?: { headers?: { get(name: string): string | undefined } } };
      const headers = e.response?.headers;
      const retryAfterMs =
        parseRetryAfter(headers?.get('retry-after-ms') !== undefined ? Number(headers.get('retry-after-ms')) / 1000 : undefined) ??
        parseRetryAfter(headers?.get('retry-after'));
      throw new FluxReadError(e.message ?? String(error), e.statusCode, e.code, retryAfterMs);
    }
  };
}

// ---- waiting ---------------------------------------------------------------------------------------

export interface PollPolicy {
  /** First interval, default 2 s. */
  initialMs?: number;
  /** Ceiling, default 20 s. */
  maxMs?: number;
  /** Growth per unchanged poll, default 1.5. */
  factor?: number;
  /** Below this many remaining subscription reads every cluster of the subscription polls at the ceiling, default 100. */
  lowReads?: number;
  /** Below this many, at least this slowly: default 5 remaining -> 60 s. */
  criticalReads?: number;
  criticalIntervalMs?: number;
}

export interface WaitRequest extends Selection {
  clusters: ClusterRef[];
  fluxConfigurationName: string;
  /** The merge commit of the promotion (full sha). */
  targetCommit: string;
  /** Is `ancestor` an ancestor of (or equal to) `descendant`? e.g. the Azure DevOps commit diffs API. */
  isAncestor: (ancestor: string, descendant: string) => Promise<boolean>;
  /**
   * The repository (clone URL) and branch `targetCommit` was committed to. A configuration whose
   * gitRepository syncs another repository or branch (or a tag, semver range or pinned commit)
   * then fails at once instead of timing out. Azure Repos URLs compare by organization, project
   * and repository, whatever their form.
   */
  expectedSource?: ExpectedSource;
  timeoutMs: number;
  /** ARM requests in flight across all clusters, default 8. */
  concurrency?: number;
  /** How long Non-Compliant at our revision may last before it is a failure, default 30 s. */
  nonCompliantGraceMs?: number;
  /** Stop the other clusters when one fails, default true. */
  failFast?: boolean;
  poll?: PollPolicy;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** For tests: the clock and the wait. */
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type ClusterState = 'waiting' | 'reconciled' | 'failed' | 'timed-out' | 'cancelled';

export interface ProgressEvent {
  cluster: string;
  phase: Phase | 'error';
  message: string;
  elapsedMs: number;
  /** Clusters done so far (reconciled), and in all. */
  reconciled: number;
  total: number;
}

export interface ClusterOutcome {
  cluster: ClusterRef;
  label: string;
  state: ClusterState;
  /** What the last read showed (undefined when no read succeeded). */
  last?: Evaluation;
  lastError?: string;
  message: string;
  requests: number;
  /** When the wait saw it reconciled (ms since the start). */
  reconciledAfterMs?: number;
}

export interface ReconciliationResult {
  ok: boolean;
  outcomes: ClusterOutcome[];
  message: string;
  elapsedMs: number;
  requests: number;
}

const FULL_SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
/** Phases no amount of waiting changes. */
const TERMINAL = new Set<Phase>(['suspended', 'provisioning-failed', 'unsupported-source', 'source-mismatch']);

export async function waitForReconciliation(request: WaitRequest, reader: FluxConfigurationReader | ArmAccess): Promise<ReconciliationResult> {
  const target = request.targetCommit.trim().toLowerCase();
  if (!FULL_SHA.test(target)) throw new Error(`target commit "${request.targetCommit}" is not a full commit id`);
  if (request.clusters.length === 0) throw new Error('no cluster to wait for');
  if (!request.fluxConfigurationName.trim()) throw new Error('no Flux configuration name');
  const read = typeof reader === 'function' ? reader : createFluxConfigurationReader(reader);
  const now = request.now ?? Date.now;
  const wait = request.wait ?? sleep;
  const started = now();
  const deadline = started + request.timeoutMs;
  const policy = {
    initialMs: request.poll?.initialMs ?? 2000,
    maxMs: request.poll?.maxMs ?? 20_000,
    factor: request.poll?.factor ?? 1.5,
    lowReads: request.poll?.lowReads ?? 100,
    criticalReads: request.poll?.criticalReads ?? 5,
    criticalIntervalMs: request.poll?.criticalIntervalMs ?? 60_000,
  };
  const grace = request.nonCompliantGraceMs ?? 30_000;
  const limit = createLimiter(request.concurrency ?? 8);
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one waiting poll per cluster listens to it
  const onAbort = () => stop.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onAbort, { once: true });

  // ancestry answers never change: cache them (and share across clusters)
  const ancestry = new Map<string, Promise<boolean>>();
  const atOrAfter = (sha: string) => {
    const s = sha.toLowerCase();
    if (s === target) return Promise.resolve(true);
    let p = ancestry.get(s);
    if (!p) {
      p = request.isAncestor(target, s);
      ancestry.set(s, p);
      p.catch(() => ancestry.delete(s));
    }
    return p;
  };
  // remaining reads last seen per subscription
  const remaining = new Map<string, number>();
  let reconciled = 0;
  let totalRequests = 0;

  const progress = (cluster: string, phase: ProgressEvent['phase'], message: string) =>
    request.onProgress?.({ cluster, phase, message, elapsedMs: now() - started, reconciled, total: request.clusters.length });

  const watch = async (cluster: ClusterRef): Promise<ClusterOutcome> => {
    const label = clusterLabel(cluster);
    const subscription = (cluster.subscriptionId ?? (typeof reader === 'function' ? '' : reader.subscriptionId)).toLowerCase();
    const outcome: ClusterOutcome = { cluster, label, state: 'waiting', message: 'no answer yet', requests: 0 };
    let interval = policy.initialMs;
    let lastPhase: string | undefined;
    let nonCompliantSince: number | undefined;
    let errors = 0;
    for (;;) {
      if (stop.signal.aborted) {
        outcome.state = 'cancelled';
        outcome.message = `stopped: ${outcome.last?.summary ?? outcome.lastError ?? 'no answer yet'}`;
        return outcome;
      }
      if (now() >= deadline) break;
      let delay = interval;
      try {
        outcome.requests++;
        totalRequests++;
        const answer = await limit(() => read(cluster, request.fluxConfigurationName));
        errors = 0;
        outcome.lastError = undefined;
        if (answer.remainingReads !== undefined) remaining.set(subscription, answer.remainingReads);
        const evaluation = await evaluate(answer.status, request.fluxConfigurationName, target, request, atOrAfter, request.expectedSource);
        outcome.last = evaluation;
        if (evaluation.phase !== lastPhase) {
          if (lastPhase !== undefined) interval = policy.initialMs; // things move: look again soon
          lastPhase = evaluation.phase;
          progress(label, evaluation.phase, evaluation.summary);
        }
        if (evaluation.phase === 'reconciled') {
          outcome.state = 'reconciled';
          outcome.reconciledAfterMs = now() - started;
          outcome.message = evaluation.summary;
          reconciled++;
          progress(label, 'reconciled', evaluation.summary);
          return outcome;
        }
        if (TERMINAL.has(evaluation.phase)) {
          // the configuration itself is the problem: say which one, where
          const suffix = evaluation.phase === 'suspended' || evaluation.phase === 'provisioning-failed' ? `; it will not reconcile ${target.slice(0, 12)}` : '';
          outcome.state = 'failed';
          outcome.message = `Flux configuration "${request.fluxConfigurationName}" on ${label} (${cluster.clusterType}): ${evaluation.summary}${suffix}`;
          return outcome;
        }
        if (evaluation.phase === 'non-compliant') {
          nonCompliantSince ??= now();
          if (now() - nonCompliantSince >= grace) {
            outcome.state = 'failed';
            outcome.message = evaluation.summary;
            return outcome;
          }
          delay = Math.min(policy.initialMs, grace);
        } else {
          nonCompliantSince = undefined;
          interval = Math.min(policy.maxMs, interval * policy.factor);
        }
      } catch (error) {
        const e = error as FluxReadError;
        const status = e.statusCode;
        outcome.lastError = `${status ? `HTTP ${status} ` : ''}${e.code ? `${e.code}: ` : ''}${e.message}`;
        if (status === 401 || status === 403) {
          outcome.state = 'failed';
          outcome.message = `Azure Resource Manager refused the read (${outcome.lastError}): check the service connection's role on the cluster (Microsoft.KubernetesConfiguration/fluxConfigurations/read)`;
          return outcome;
        }
        if (status === 404 || status === 400) {
          outcome.state = 'failed';
          outcome.message =
            status === 404
              ? `Flux configuration "${request.fluxConfigurationName}" or cluster ${label} (${cluster.clusterType}) not found: ${e.message}`
              : `Azure Resource Manager rejected the read: ${outcome.lastError}`;
          return outcome;
        }
        // throttled, server error, network: back off (at least as long as the server asked)
        errors++;
        progress(label, 'error', `${outcome.lastError}; retrying`);
        delay = Math.max(e.retryAfterMs ?? 0, Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(errors, 6)));
      }
      const left = remaining.get(subscription);
      if (left !== undefined && left < policy.criticalReads) delay = Math.max(delay, policy.criticalIntervalMs);
      else if (left !== undefined && left < policy.lowReads) delay = Math.max(delay, policy.maxMs);
      const until = deadline - now();
      if (until <= 0) break;
      try {
        await wait(Math.min(delay, until), stop.signal);
      } catch {
        // aborted: the loop head reports it
      }
    }
    outcome.state = 'timed-out';
    outcome.message = outcome.last?.summary ?? outcome.lastError ?? 'no answer from Azure Resource Manager';
    return outcome;
  };

  const outcomes = await Promise.all(
    request.clusters.map((c) =>
      watch(c).then((o) => {
        if (o.state === 'failed' && (request.failFast ?? true)) stop.abort(new Error('another cluster failed'));
        return o;
      }),
    ),
  );
  request.signal?.removeEventListener('abort', onAbort);
  const elapsedMs = now() - started;
  const ok = outcomes.every((o) => o.state === 'reconciled');
  return { ok, outcomes, message: summarize(outcomes, target, request, elapsedMs), elapsedMs, requests: totalRequests };
}

function summarize(outcomes: ClusterOutcome[], target: string, request: WaitRequest, elapsedMs: number): string {
  const sha = target.slice(0, 12);
  const config = request.fluxConfigurationName;
  if (outcomes.every((o) => o.state === 'reconciled')) {
    return `Flux configuration ${config} reconciled ${sha} on ${outcomes.length} cluster${outcomes.length === 1 ? '' : 's'} in ${formatDuration(elapsedMs)}`;
  }
  const failed = outcomes.filter((o) => o.state === 'failed');
  const timedOut = outcomes.filter((o) => o.state === 'timed-out');
  const head = failed.length
    ? `Flux configuration ${config} failed to reconcile ${sha} on ${failed.map((o) => o.label).join(', ')}`
    : `Timed out after ${formatDuration(elapsedMs)} waiting for Flux configuration ${config} to reconcile ${sha} on ${timedOut.length} of ${outcomes.length} cluster${outcomes.length === 1 ? '' : 's'}`;
  const lines = outcomes
    .filter((o) => o.state !== 'reconciled')
    .map((o) => {
      const seen = o.last
        ? `synced ${o.last.syncedRevision ?? 'nothing yet'}, ${o.last.complianceState}` +
          [...o.last.kustomizations, ...o.last.objects].map((x) => `\n      ${describeObject(x)}`).join('')
        : 'never answered';
      const err = o.lastError ? `\n      last error: ${o.lastError}` : '';
      return `  - ${o.label} [${o.state}]: ${o.message}\n    last seen: ${seen}${err}`;
    });
  return [head, ...lines].join('\n');
}
