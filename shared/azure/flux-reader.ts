/**
 * Reading one fluxConfigurations resource through the ARM SDK (@azure/arm-kubernetesconfiguration,
 * loaded on the first read): the status, the subscription's remaining reads, and on failure what
 * the poller needs to decide (HTTP status, ARM error code, Retry-After).
 */
import type { TokenCredential } from '@azure/core-auth';
import { ProxyConfiguration, sdkProxyOptions } from '../util/proxy-settings';
import { parseRetryAfter } from '../util/retry';
import { authenticationFailure, describeAuthenticationFailure } from './auth-failure';
import { CLUSTER_PROVIDERS, ClusterRef } from './cluster-ref';
import type { FluxStatus } from './flux-status';

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

/** FluxReadError's code when no token could be had for the read: the credential itself is the problem. */
export const AUTHENTICATION_FAILED = 'AuthenticationFailed';

export interface FluxReadOptions {
  /** Ends the request (and the SDK's own retries) when the wait's deadline comes or the wait is stopped. */
  abortSignal?: AbortSignal;
}

export type FluxConfigurationReader = (cluster: ClusterRef, configurationName: string, options?: FluxReadOptions) => Promise<FluxRead>;

export interface ArmAccess {
  credential: TokenCredential;
  subscriptionId: string;
  /** Resource Manager URL (the cloud's, or the connection's own). */
  armUrl: string;
  /** The agent's proxy: the client's proxyOptions unless the agent bypasses it for armUrl. */
  proxy?: ProxyConfiguration;
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
      const sdk = require('@azure/arm-kubernetesconfiguration') as typeof import('@azure/arm-kubernetesconfiguration');
      const proxyOptions = sdkProxyOptions(access.proxy, access.armUrl);
      c = new sdk.SourceControlConfigurationClient(access.credential, subscriptionId, {
        endpoint: access.armUrl,
        ...(proxyOptions ? { proxyOptions } : {}),
        userAgentOptions: { userAgentPrefix: 'gitops-flow' },
        ...(access.clientOptions ?? {}),
      });
      clients.set(subscriptionId, c);
    }
    return c;
  };
  return async (cluster, configurationName, options = {}) => {
    let remainingReads: number | undefined;
    try {
      const status = await client(cluster.subscriptionId ?? access.subscriptionId).fluxConfigurations.get(
        cluster.resourceGroup,
        CLUSTER_PROVIDERS[cluster.clusterType],
        cluster.clusterType,
        cluster.clusterName,
        configurationName,
        {
          abortSignal: options.abortSignal,
          onResponse: (raw) => {
            const value = raw.headers.get('x-ms-ratelimit-remaining-subscription-reads');
            if (value !== undefined && /^\d+$/.test(value.trim())) remainingReads = Number(value);
          },
        },
      );
      return { status: status as FluxStatus, remainingReads };
    } catch (error) {
      const e = error as {
        name?: string;
        statusCode?: number;
        code?: string;
        message?: string;
        response?: { headers?: { get(name: string): string | undefined } };
      };
      if (e.name === 'AbortError') throw new FluxReadError(e.message ?? 'the read was aborted', undefined, 'RequestAborted', undefined);
      // no token: Entra refused the credential (a status here would be the token endpoint's, not ARM's)
      const auth = authenticationFailure(error);
      if (auth) throw new FluxReadError(describeAuthenticationFailure(auth), undefined, AUTHENTICATION_FAILED, undefined);
      if (e.name === 'TokenTimeoutError') throw new FluxReadError(e.message ?? 'no access token', undefined, 'TokenTimeout', undefined);
      const headers = e.response?.headers;
      const retryAfterMs =
        parseRetryAfter(headers?.get('retry-after-ms') !== undefined ? Number(headers.get('retry-after-ms')) / 1000 : undefined) ??
        parseRetryAfter(headers?.get('retry-after'));
      throw new FluxReadError(e.message ?? String(error), e.statusCode, e.code, retryAfterMs);
    }
  };
}
