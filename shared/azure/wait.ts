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
 * Each cluster's poll is a small loop around `evaluate()` (flux-status.ts), the condition; when to
 * read again comes from poll-schedule.ts (the source's sync interval and the resource's timestamps,
 * else a backoff that restarts when the phase moves), what a failure means from poll-failures.ts.
 * Retry-After is honoured (the SDK retries 429/503 with it; a 429 that reaches us waits at least
 * that long), and when ARM's x-ms-ratelimit-remaining-subscription-reads runs low every cluster of
 * that subscription slows down. Requests in flight are limited across the fleet. The wait ends by
 * its deadline: no sleep and no request (ARM or Azure DevOps) outlives it.
 */
import { setMaxListeners } from 'node:events';
import { createLimiter, Limiter } from '../util/concurrency';
import { sleep, systemClock, TimeBudget } from '../util/time-budget';
import { ClusterRef, clusterLabel } from './cluster-ref';
import { ArmAccess, createFluxConfigurationReader, FluxConfigurationReader, FluxRead } from './flux-reader';
import { evaluate, Evaluation, FluxStatus, Phase, Selection } from './flux-status';
import { AncestryCheckError, ancestryFailure, armReadFailure, FailureVerdict } from './poll-failures';
import { PollPacer, PollPolicy, ResolvedPollPolicy, resolvePollPolicy, throttleFloor } from './poll-schedule';
import type { ExpectedSource } from './source';
import { ClusterOutcome, summarize } from './wait-summary';

export { CLUSTER_PROVIDERS, ClusterRef, ClusterType, clusterLabel, parseClusterRef } from './cluster-ref';
export { ArmAccess, createFluxConfigurationReader, FluxConfigurationReader, FluxRead, FluxReadError, FluxReadOptions } from './flux-reader';
export { PollPolicy } from './poll-schedule';
export { ClusterOutcome, ClusterState } from './wait-summary';

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
  /** For tests: the clock, the wait and the jitter's random source. */
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface ProgressEvent {
  cluster: string;
  phase: Phase | 'error';
  message: string;
  elapsedMs: number;
  /** Clusters done so far (reconciled), and in all. */
  reconciled: number;
  total: number;
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

/** What the clusters of one wait share. */
interface Fleet {
  request: WaitRequest;
  target: string;
  read: FluxConfigurationReader;
  defaultSubscription: string;
  budget: TimeBudget;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  policy: ResolvedPollPolicy;
  limit: Limiter;
  stop: AbortController;
  /** Aborts at the deadline or when the wait stops: every request gets it. */
  cutoff: AbortSignal;
  /** Is this sha the target or a descendant? Cached across clusters; failures are AncestryCheckErrors. */
  atOrAfter: (sha: string) => Promise<boolean>;
  /** Remaining reads last seen per subscription. */
  remaining: Map<string, number>;
  reconciled: number;
  requests: number;
}

/** One cluster's poll between two reads. */
interface ClusterPoll {
  cluster: ClusterRef;
  label: string;
  subscription: string;
  outcome: ClusterOutcome;
  pacer: PollPacer;
  lastPhase?: Phase;
  nonCompliantSince?: number;
}

/** After one read: the cluster is done, or the next read comes after `delayMs`. */
type Step = { done: true } | { done: false; delayMs: number };

export async function waitForReconciliation(request: WaitRequest, reader: FluxConfigurationReader | ArmAccess): Promise<ReconciliationResult> {
  const target = request.targetCommit.trim().toLowerCase();
  if (!FULL_SHA.test(target)) throw new Error(`target commit "${request.targetCommit}" is not a full commit id`);
  if (request.clusters.length === 0) throw new Error('no cluster to wait for');
  if (!request.fluxConfigurationName.trim()) throw new Error('no Flux configuration name');
  const stop = new AbortController();
  const budget = new TimeBudget(request.timeoutMs, request.now ?? systemClock);
  const cutoff = budget.signal(stop.signal);
  setMaxListeners(0, stop.signal, cutoff); // every cluster's sleep and request listen to them
  const fleet: Fleet = {
    request,
    target,
    read: typeof reader === 'function' ? reader : createFluxConfigurationReader(reader),
    defaultSubscription: typeof reader === 'function' ? '' : reader.subscriptionId,
    budget,
    sleep: request.wait ?? sleep,
    policy: resolvePollPolicy(request.poll),
    limit: createLimiter(request.concurrency ?? 8),
    stop,
    cutoff,
    atOrAfter: cachedAncestry(request.isAncestor, target),
    remaining: new Map(),
    reconciled: 0,
    requests: 0,
  };
  const onAbort = () => stop.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const outcomes = await Promise.all(
      request.clusters.map((c) =>
        watchCluster(fleet, c).then((o) => {
          if (o.state === 'failed' && (request.failFast ?? true)) stop.abort(new Error('another cluster failed'));
          return o;
        }),
      ),
    );
    const elapsedMs = fleet.budget.elapsedMs();
    const ok = outcomes.every((o) => o.state === 'reconciled');
    return { ok, outcomes, message: summarize(outcomes, target, request.fluxConfigurationName, elapsedMs), elapsedMs, requests: fleet.requests };
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
}

/** Ancestry answers never change: one question per synced sha, shared by the clusters (a failed one is asked again). */
function cachedAncestry(isAncestor: WaitRequest['isAncestor'], target: string): (sha: string) => Promise<boolean> {
  const answers = new Map<string, Promise<boolean>>();
  return (sha) => {
    const s = sha.toLowerCase();
    if (s === target) return Promise.resolve(true);
    let answer = answers.get(s);
    if (!answer) {
      answer = (async () => {
        try {
          return await isAncestor(target, s);
        } catch (error) {
          throw new AncestryCheckError(s, error);
        }
      })();
      answers.set(s, answer);
      answer.catch(() => answers.delete(s));
    }
    return answer;
  };
}

async function watchCluster(fleet: Fleet, cluster: ClusterRef): Promise<ClusterOutcome> {
  const label = clusterLabel(cluster);
  const poll: ClusterPoll = {
    cluster,
    label,
    subscription: (cluster.subscriptionId ?? fleet.defaultSubscription).toLowerCase(),
    outcome: { cluster, label, state: 'waiting', message: 'no answer yet', requests: 0 },
    pacer: new PollPacer(fleet.policy, fleet.request.random),
  };
  const { outcome } = poll;
  const { budget, stop } = fleet;
  for (;;) {
    if (stop.signal.aborted) {
      outcome.state = 'cancelled';
      outcome.message = `stopped: ${outcome.last?.summary ?? outcome.lastError ?? 'no answer yet'}`;
      return outcome;
    }
    if (budget.expired()) break;
    const step = await pollOnce(fleet, poll);
    if (step.done) return outcome;
    const delay = Math.max(step.delayMs, throttleFloor(fleet.remaining.get(poll.subscription), fleet.policy));
    if (budget.expired()) break;
    try {
      await fleet.sleep(Math.min(delay, budget.remainingMs()), stop.signal);
    } catch {
      // stopped: the loop head reports it
    }
  }
  outcome.state = 'timed-out';
  outcome.message = outcome.last?.summary ?? outcome.lastError ?? 'no answer from Azure Resource Manager';
  return outcome;
}

/** One read and its evaluation; neither may outlive the deadline. */
async function pollOnce(fleet: Fleet, poll: ClusterPoll): Promise<Step> {
  const { request } = fleet;
  const signal = fleet.cutoff;
  const context = { cluster: poll.cluster, configurationName: request.fluxConfigurationName };
  poll.outcome.requests++;
  fleet.requests++;
  let answer: FluxRead;
  try {
    answer = await untilAborted(
      fleet.limit(() => fleet.read(poll.cluster, request.fluxConfigurationName, { abortSignal: signal })),
      signal,
    );
  } catch (error) {
    return signal.aborted ? cutShort(fleet, poll) : failed(fleet, poll, armReadFailure(error, context));
  }
  poll.outcome.lastError = undefined;
  if (answer.remainingReads !== undefined) fleet.remaining.set(poll.subscription, answer.remainingReads);
  let evaluation: Evaluation;
  try {
    const atOrAfter = (sha: string) => untilAborted(fleet.atOrAfter(sha), signal);
    evaluation = await evaluate(answer.status, request.fluxConfigurationName, fleet.target, request, atOrAfter, request.expectedSource);
  } catch (error) {
    if (signal.aborted) return cutShort(fleet, poll);
    if (error instanceof AncestryCheckError) return failed(fleet, poll, ancestryFailure(error, { ...context, targetCommit: fleet.target }));
    throw error;
  }
  return judge(fleet, poll, evaluation, answer.status);
}

/** What the evaluation means for this cluster's wait. */
function judge(fleet: Fleet, poll: ClusterPoll, evaluation: Evaluation, status: FluxStatus): Step {
  const { outcome, label, cluster } = poll;
  const { request, target } = fleet;
  const now = fleet.budget.now();
  outcome.last = evaluation;
  if (evaluation.phase !== poll.lastPhase) {
    poll.lastPhase = evaluation.phase;
    progress(fleet, label, evaluation.phase, evaluation.summary);
  }
  if (evaluation.phase === 'reconciled') {
    outcome.state = 'reconciled';
    outcome.reconciledAfterMs = fleet.budget.elapsedMs();
    outcome.message = evaluation.summary;
    fleet.reconciled++;
    progress(fleet, label, 'reconciled', evaluation.summary);
    return { done: true };
  }
  if (TERMINAL.has(evaluation.phase)) {
    // the configuration itself is the problem: say which one, where
    const suffix = evaluation.phase === 'suspended' || evaluation.phase === 'provisioning-failed' ? `; it will not reconcile ${target.slice(0, 12)}` : '';
    outcome.state = 'failed';
    outcome.message = `Flux configuration "${request.fluxConfigurationName}" on ${label} (${cluster.clusterType}): ${evaluation.summary}${suffix}`;
    return { done: true };
  }
  const delayMs = poll.pacer.afterRead(evaluation.phase, status, now);
  if (evaluation.phase !== 'non-compliant') {
    poll.nonCompliantSince = undefined;
    return { done: false, delayMs };
  }
  // Non-Compliant at our revision: a failure once the grace is over, unless it recovers; look often
  const grace = request.nonCompliantGraceMs ?? 30_000;
  poll.nonCompliantSince ??= now;
  const left = grace - (now - poll.nonCompliantSince);
  if (left <= 0) {
    outcome.state = 'failed';
    outcome.message = evaluation.summary;
    return { done: true };
  }
  return { done: false, delayMs: Math.min(fleet.policy.initialMs, left) };
}

function failed(fleet: Fleet, poll: ClusterPoll, verdict: FailureVerdict): Step {
  poll.outcome.lastError = verdict.lastError;
  if (!verdict.retry) {
    poll.outcome.state = 'failed';
    poll.outcome.message = verdict.message;
    return { done: true };
  }
  progress(fleet, poll.label, 'error', `${verdict.lastError}; retrying`);
  return { done: false, delayMs: poll.pacer.afterFailure(verdict.retryAfterMs) };
}

/** The deadline came (or the wait was stopped) with a request in flight: the loop head ends the wait. */
function cutShort(fleet: Fleet, poll: ClusterPoll): Step {
  if (!fleet.stop.signal.aborted) poll.outcome.lastError ??= 'no answer before the deadline (a request was still in flight)';
  return { done: false, delayMs: 0 };
}

function progress(fleet: Fleet, cluster: string, phase: ProgressEvent['phase'], message: string): void {
  fleet.request.onProgress?.({
    cluster,
    phase,
    message,
    elapsedMs: fleet.budget.elapsedMs(),
    reconciled: fleet.reconciled,
    total: fleet.request.clusters.length,
  });
}

/** `promise`, or the signal's reason as soon as it aborts (what was asked may still finish; nobody waits for it). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for it, but its failure (the aborted request's own) must not surface as an unhandled rejection.
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
