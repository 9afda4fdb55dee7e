/**
 * What a failed step of one poll means, and what to tell the person running the pipeline. A poll
 * talks to two services: Azure Resource Manager (the fluxConfigurations read, with the Azure
 * service connection) and Azure DevOps (is the synced commit a descendant of ours? with the job's
 * token). Each failure names the service that failed and what to fix; a throttled, failing or
 * unreachable service is retried within the deadline.
 */
import type { ClusterRef } from './cluster-ref';
import { clusterLabel } from './cluster-ref';
import { AUTHENTICATION_FAILED, type FluxReadError } from './flux-reader';

export type FailureVerdict =
  /** Waiting cannot help: the cluster's wait fails with `message`. */
  | { retry: false; lastError: string; message: string }
  /** Worth another try after at least `retryAfterMs`. */
  | { retry: true; lastError: string; retryAfterMs?: number };

export interface FailureContext {
  cluster: ClusterRef;
  configurationName: string;
}

/** A failure of the fluxConfigurations read. */
export function armReadFailure(error: unknown, context: FailureContext): FailureVerdict {
  const e = error as Partial<FluxReadError>;
  const status = e.statusCode;
  const detail = `${status ? `HTTP ${status} ` : ''}${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`;
  const lastError = `Azure Resource Manager: ${detail}`;
  const where = `${clusterLabel(context.cluster)} (${context.cluster.clusterType})`;
  if (e.code === AUTHENTICATION_FAILED) {
    // a wrong or expired secret, a deleted app or federated credential: waiting does not fix it
    return {
      retry: false,
      lastError,
      message: `Microsoft Entra refused the Azure service connection's credential (${e.message ?? String(error)}): fix the service connection`,
    };
  }
  if (status === 401 || status === 403) {
    return {
      retry: false,
      lastError,
      message: `Azure Resource Manager refused the read (${detail}): check the service connection's role on the cluster (Microsoft.KubernetesConfiguration/fluxConfigurations/read)`,
    };
  }
  if (status === 404) {
    return {
      retry: false,
      lastError,
      message: `Azure Resource Manager: Flux configuration "${context.configurationName}" or cluster ${where} not found (${e.message ?? 'HTTP 404'}): check the configuration name, the cluster's resource group and type, and the service connection's subscription`,
    };
  }
  if (status === 400) return { retry: false, lastError, message: `Azure Resource Manager rejected the read: ${detail}` };
  // throttled, server error, network: the poll backs off (at least as long as the server asked)
  return { retry: true, lastError, retryAfterMs: e.retryAfterMs };
}

/** A failure of the ancestry question (Azure DevOps), with the commit Flux synced. */
export class AncestryCheckError extends Error {
  constructor(
    readonly syncedSha: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'AncestryCheckError';
  }
}

/** The HTTP status an Azure DevOps failure carries (DevOpsError, or the client's own error). */
function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A failure of the ancestry check: is the commit Flux synced ours or a descendant of it? */
export function ancestryFailure(error: AncestryCheckError, context: FailureContext & { targetCommit: string }): FailureVerdict {
  const status = statusOf(error.cause);
  const detail = `${status !== undefined && !error.message.includes(`HTTP ${status}`) ? `HTTP ${status}: ` : ''}${error.message}`;
  const lastError = `Azure DevOps: ${detail}`;
  const synced = `${error.syncedSha.slice(0, 12)} (synced by Flux on ${clusterLabel(context.cluster)})`;
  if (status === 401 || status === 403) {
    return {
      retry: false,
      lastError,
      message:
        `Azure DevOps refused the ancestry check of ${synced} against ${context.targetCommit.slice(0, 12)} (${detail}): ` +
        `the pipeline's job token (the project's build service identity) needs Read on the GitOps repository; ` +
        `with "Limit job authorization scope to current project" on, a repository in another project is out of its reach`,
    };
  }
  if (status === 404) {
    return {
      retry: false,
      lastError,
      message:
        `Azure DevOps did not find commit ${synced} or ${context.targetCommit.slice(0, 12)} in the GitOps repository (${detail}): ` +
        `the configuration "${context.configurationName}" may sync another repository than the one promoted to (compare its gitRepository.url), or the repository was removed`,
    };
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return { retry: false, lastError, message: `Azure DevOps rejected the ancestry check of ${synced} (${detail})` };
  }
  // 5xx, 429, timeouts, network: Azure DevOps may answer on the next poll
  return { retry: true, lastError };
}
