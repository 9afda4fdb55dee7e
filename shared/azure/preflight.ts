/**
 * Before a promotion writes anything: can the Azure service connection read every cluster's Flux
 * configuration? One access token for Resource Manager, then one read per cluster (a few at a
 * time), all within a small time budget. What the answers mean:
 * - Entra refuses the credential (AADSTS codes, no usable identity): input error on the service
 *   connection, never retried;
 * - 401/403 from Resource Manager: input error naming the role the connection needs;
 * - 404: input error naming the missing cluster or Flux configuration;
 * - throttling, server errors, the network, no answer: retried within the budget, then an error
 *   saying what did not answer.
 * Nothing here knows task inputs beyond their names in the messages.
 */
import type { TokenCredential } from '@azure/core-auth';
import { createLimiter } from '../util/concurrency';
import { errorMessage, InputError } from '../util/errors';
import { RetriesExhaustedError, withRetry } from '../util/retry';
import { Clock, formatDuration, sleep, systemClock, TimeBudget } from '../util/time-budget';
import { authenticationFailure, describeAuthenticationFailure } from './auth-failure';
import { boundedCredential, TokenTimeoutError } from './bounded-credential';
import { ClusterRef, clusterLabel } from './cluster-ref';
import { AUTHENTICATION_FAILED, FluxConfigurationReader, FluxReadError } from './flux-reader';

/** The role action the fluxConfigurations read needs. */
export const FLUX_READ_ACTION = 'Microsoft.KubernetesConfiguration/fluxConfigurations/read';

export interface FluxPreflight {
  credential: TokenCredential;
  /** Resource Manager's token scope, e.g. https://management.azure.com/.default */
  scope: string;
  read: FluxConfigurationReader;
  clusters: ClusterRef[];
  fluxConfigurationName: string;
  /** The azureSubscription input's value, named in the messages. */
  connectionName: string;
  /** For the whole check, token and reads; a short slice of the Flux wait's. */
  budgetMs: number;
  /** Reads in flight, default 4. */
  concurrency?: number;
  /** For tests: the clock and the pause between retries. */
  clock?: Clock;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type ReadProblem = { kind: 'auth' | 'forbidden' | 'cluster' | 'configuration' | 'rejected' | 'unanswered'; cluster: ClusterRef; detail: string };

/** Resolves when the connection can read every configuration; else an InputError (what to fix) or an Error (what did not answer). */
export async function checkFluxAccess(check: FluxPreflight): Promise<void> {
  const budget = new TimeBudget(check.budgetMs, check.clock ?? systemClock);
  const signal = budget.signal();
  const connection = `the Azure service connection "${check.connectionName}"`;
  const retry = { budgetMs: check.budgetMs, clock: check.clock, wait: check.wait ?? sleep, signal, baseDelayMs: 500, maxDelayMs: 5000 };

  try {
    await withRetry(
      async () => {
        const token = await boundedCredential(check.credential, budget.remainingMs()).getToken(check.scope, { abortSignal: signal });
        if (!token) throw new Error('the credential returned no token');
      },
      { ...retry, classify: (e) => ({ retry: !authenticationFailure(e) && !signal.aborted, reason: errorMessage(e) }) },
    );
  } catch (error) {
    const auth = authenticationFailure(error instanceof RetriesExhaustedError ? error.cause : error);
    if (auth) throw new InputError('azureSubscription', `Microsoft Entra refused ${connection}: ${describeAuthenticationFailure(auth)}; nothing was pushed`);
    throw new Error(
      `No access token for Azure Resource Manager from ${connection} within ${formatDuration(budget.totalMs)} (${lastMessage(error, signal)}); nothing was pushed`,
      { cause: error },
    );
  }

  const limit = createLimiter(check.concurrency ?? 4);
  const problems = (await Promise.all(check.clusters.map((cluster) => limit(() => readOnce(check, cluster, retry, signal))))).filter(
    (p): p is ReadProblem => p !== undefined,
  );
  if (problems.length === 0) return;
  const where = (kind: ReadProblem['kind']) =>
    problems
      .filter((p) => p.kind === kind)
      .map((p) => `${clusterLabel(p.cluster)} (${p.cluster.clusterType}): ${p.detail}`)
      .join('; ');
  const has = (kind: ReadProblem['kind']) => problems.some((p) => p.kind === kind);
  const config = `Flux configuration "${check.fluxConfigurationName}"`;
  if (has('auth')) throw new InputError('azureSubscription', `Microsoft Entra refused ${connection}: ${where('auth')}; nothing was pushed`);
  if (has('forbidden')) {
    throw new InputError(
      'azureSubscription',
      `${connection} may not read the ${config} on ${where('forbidden')}; grant it a role with ${FLUX_READ_ACTION} (e.g. Reader) on the cluster; nothing was pushed`,
    );
  }
  if (has('cluster')) {
    throw new InputError(
      'clusters',
      `cluster not found: ${where('cluster')}; check the name, its resource group (clusterResourceGroup), clusterType and the service connection's subscription; nothing was pushed`,
    );
  }
  if (has('configuration')) {
    throw new InputError(
      'fluxConfiguration',
      `${config} not found on ${where('configuration')}; check the name of the cluster's Flux configuration; nothing was pushed`,
    );
  }
  if (has('rejected'))
    throw new InputError('clusters', `Azure Resource Manager rejected the read of the ${config} on ${where('rejected')}; nothing was pushed`);
  throw new Error(
    `Azure Resource Manager did not answer the read of the ${config} within ${formatDuration(budget.totalMs)} on ${where('unanswered')}; nothing was pushed`,
  );
}

/** One read of the cluster's configuration, retried while transient: undefined when it answered. */
async function readOnce(
  check: FluxPreflight,
  cluster: ClusterRef,
  retry: Omit<Parameters<typeof withRetry>[1], 'classify'>,
  signal: AbortSignal,
): Promise<ReadProblem | undefined> {
  try {
    await withRetry(() => check.read(cluster, check.fluxConfigurationName, { abortSignal: signal }), {
      ...retry,
      classify: (e) => {
        const kind = problemKind(e as FluxReadError);
        return { retry: kind === 'unanswered' && !signal.aborted, retryAfterMs: (e as FluxReadError).retryAfterMs, reason: errorMessage(e) };
      },
    });
    return undefined;
  } catch (error) {
    const last = (error instanceof RetriesExhaustedError ? error.cause : error) as FluxReadError;
    const kind = problemKind(last);
    const status = last.statusCode !== undefined ? `HTTP ${last.statusCode} ` : '';
    const code = last.code && last.code !== AUTHENTICATION_FAILED ? `${last.code}: ` : '';
    return { kind, cluster, detail: kind === 'unanswered' ? lastMessage(error, signal) : `${status}${code}${last.message}` };
  }
}

function problemKind(error: FluxReadError): ReadProblem['kind'] {
  if (error.code === AUTHENTICATION_FAILED || authenticationFailure(error)) return 'auth';
  const status = error.statusCode;
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return /fluxConfigurations/i.test(error.message) ? 'configuration' : 'cluster';
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) return 'rejected';
  return 'unanswered';
}

/** The last failure, or that the budget ran out with a request in flight. */
function lastMessage(error: unknown, signal: AbortSignal): string {
  const last = error instanceof RetriesExhaustedError ? error.cause : error;
  const text = errorMessage(last);
  // A token attempt's limit is what was left of the budget: its timer and the budget's fire in either order.
  const outOfTime = signal.aborted || last instanceof TokenTimeoutError;
  return outOfTime ? `no answer in time${/abort/i.test(text) ? '' : `; last: ${text}`}` : `last: ${text}`;
}
