/**
 * A TokenCredential from an AzureRM service connection, by its authorization scheme:
 * - WorkloadIdentityFederation (preferred): the job's OIDC token from
 *   `POST {System.OidcRequestUri}?api-version=7.1&serviceConnectionId=<id>` (bearer System.AccessToken),
 *   exchanged as a federated client assertion; a fresh OIDC token is asked for on every token
 *   refresh, so long waits outlive the assertion's ten minutes.
 * - ServicePrincipal with authenticationType spnKey (client secret) or spnCertificate (PEM with
 *   certificate and private key, kept in memory).
 * - ManagedServiceIdentity (self-hosted agents on Azure VMs; optional msiclientId for a
 *   user-assigned identity).
 * Takes plain values (the agent adapter reads ENDPOINT_*), returns the secrets the caller must
 * register with the agent for masking, and loads @azure/identity only when called.
 */
import type { TokenCredential } from '@azure/core-auth';
import { ProxyConfiguration, sdkProxyOptions } from '../util/proxy-settings';
import { boundedCredential } from './bounded-credential';
import { AzureCloud, resolveCloud } from './clouds';

export interface AzureServiceConnection {
  /** The endpoint id (the connectedService input value); WIF's serviceConnectionId. */
  id: string;
  /** ENDPOINT_AUTH_SCHEME: WorkloadIdentityFederation | ServicePrincipal | ManagedServiceIdentity (case-insensitive). */
  scheme: string;
  /** ENDPOINT_AUTH_PARAMETER_*: tenantid, serviceprincipalid, authenticationType, serviceprincipalkey, servicePrincipalCertificate, idToken (keys case-insensitive). */
  parameters: Record<string, string | undefined>;
  /** ENDPOINT_DATA_*: subscriptionId, environment, activeDirectoryAuthority, msiclientId, activeDirectoryServiceEndpointResourceId (keys case-insensitive). */
  data: Record<string, string | undefined>;
  /** ENDPOINT_URL: the Resource Manager URL. */
  url?: string;
}

export interface PipelineJobContext {
  /** System.OidcRequestUri (SYSTEM_OIDCREQUESTURI). */
  oidcRequestUri?: string;
  /** System.AccessToken of the job. */
  accessToken?: string;
  /** Fallback when System.OidcRequestUri is missing (older Azure DevOps Server): another way to get the job's OIDC token, e.g. the Task API's createOidcToken. */
  requestOidcToken?: () => Promise<string>;
}

export interface CredentialOptions {
  /** Extra trusted CAs etc. for the token and OIDC requests (tests against the emulators). */
  tlsOptions?: { ca?: string | string[] };
  /** Called with every secret value obtained later (each OIDC token), for the agent's setSecret. */
  onSecret?: (value: string) => void;
  /** The agent's proxy, for the token requests to Entra and the OIDC request (not Managed Identity's local endpoint). */
  proxy?: ProxyConfiguration;
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** The longest one token acquisition may take (with the SDK's own retries), default 60 s; a caller's abortSignal ends it sooner. */
  tokenTimeoutMs?: number;
}

export interface AzureCredential {
  credential: TokenCredential;
  cloud: AzureCloud;
  subscriptionId: string | undefined;
  /** 'WorkloadIdentityFederation' | 'ServicePrincipalSecret' | 'ServicePrincipalCertificate' | 'ManagedIdentity' */
  flow: string;
  tenantId?: string;
  clientId?: string;
  /** Values to register with the agent (setSecret) before anything is logged. */
  secrets: string[];
  /** The agent's proxy it was made with, for the Resource Manager clients that use the credential. */
  proxy?: ProxyConfiguration;
}

/** Case-insensitive lookup, as task-lib reads ENDPOINT_* variables. */
function pick(map: Record<string, string | undefined>, key: string): string | undefined {
  const hit = Object.keys(map).find((k) => k.toLowerCase() === key.toLowerCase());
  const value = hit === undefined ? undefined : map[hit];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function need(map: Record<string, string | undefined>, key: string, scheme: string): string {
  const value = pick(map, key);
  if (value === undefined) throw new Error(`The Azure service connection (${scheme}) has no "${key}"; edit the service connection and set it`);
  return value.trim();
}

/** Lines of a PEM private key long enough to mask, plus the whole text. */
function pemSecrets(pem: string): string[] {
  const out = [pem];
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----/.exec(pem);
  if (key)
    out.push(
      ...key[1]
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length >= 16),
    );
  return out;
}

type Identity = typeof import('@azure/identity');

/** Default bound of one token acquisition: Entra answers in seconds; a minute covers the SDK's retries. */
export const TOKEN_TIMEOUT_MS = 60_000;

export function createAzureCredential(connection: AzureServiceConnection, job: PipelineJobContext = {}, options: CredentialOptions = {}): AzureCredential {
  const made = credentialFor(connection, job, options);
  return {
    ...made,
    credential: boundedCredential(made.credential, options.tokenTimeoutMs ?? TOKEN_TIMEOUT_MS),
    ...(options.proxy ? { proxy: options.proxy } : {}),
  };
}

function credentialFor(connection: AzureServiceConnection, job: PipelineJobContext, options: CredentialOptions): AzureCredential {
  const scheme = connection.scheme.trim().toLowerCase();
  const cloud = resolveCloud({
    environment: pick(connection.data, 'environment'),
    url: connection.url,
    activeDirectoryAuthority: pick(connection.data, 'activeDirectoryAuthority') ?? pick(connection.data, 'environmentAuthorityUrl'),
    resourceId: pick(connection.data, 'activeDirectoryServiceEndpointResourceId'),
  });
  const subscriptionId = pick(connection.data, 'subscriptionId')?.trim();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const identity = require('@azure/identity') as Identity;
  const proxyOptions = sdkProxyOptions(options.proxy, cloud.authorityHost);
  const common = {
    authorityHost: cloud.authorityHost,
    ...(proxyOptions ? { proxyOptions } : {}),
    // outside the Microsoft clouds MSAL would ask login.microsoftonline.com to validate the authority
    disableInstanceDiscovery: !cloud.knownAuthority,
    ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
    ...(options.retryOptions ? { retryOptions: options.retryOptions } : {}),
  };

  if (scheme === 'workloadidentityfederation') {
    const tenantId = need(connection.parameters, 'tenantid', 'WorkloadIdentityFederation');
    const clientId = need(connection.parameters, 'serviceprincipalid', 'WorkloadIdentityFederation');
    const lateBound = pick(connection.parameters, 'idToken');
    const secrets: string[] = lateBound ? [lateBound] : [];
    let getAssertion: () => Promise<string>;
    if (job.oidcRequestUri && job.accessToken) {
      const uri = job.oidcRequestUri;
      const token = job.accessToken;
      getAssertion = () => requestOidcToken(uri, token, connection.id, options);
    } else if (job.requestOidcToken) {
      getAssertion = job.requestOidcToken;
    } else if (lateBound) {
      getAssertion = () => Promise.resolve(lateBound);
    } else {
      throw new Error(
        "Workload identity federation needs the job's OIDC token: System.OidcRequestUri and System.AccessToken are not available to the task (Azure DevOps Server older than 2022.2?)",
      );
    }
    let first = true;
    const credential = new identity.ClientAssertionCredential(
      tenantId,
      clientId,
      async () => {
        // the late-bound idToken is good once; later refreshes ask for a new one
        const value = first && lateBound ? lateBound : await getAssertion();
        first = false;
        options.onSecret?.(value);
        return value;
      },
      common,
    );
    return { credential, cloud, subscriptionId, flow: 'WorkloadIdentityFederation', tenantId, clientId, secrets };
  }

  if (scheme === 'serviceprincipal') {
    const tenantId = need(connection.parameters, 'tenantid', 'ServicePrincipal');
    const clientId = need(connection.parameters, 'serviceprincipalid', 'ServicePrincipal');
    const type = (pick(connection.parameters, 'authenticationType') ?? 'spnKey').toLowerCase();
    if (type === 'spncertificate') {
      need(connection.parameters, 'servicePrincipalCertificate', 'ServicePrincipal certificate');
      const pem = pick(connection.parameters, 'servicePrincipalCertificate') as string;
      if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/PRIVATE KEY-----/.test(pem)) {
        throw new Error('The service connection certificate must be a PEM with the certificate and its private key (unencrypted)');
      }
      const credential = new identity.ClientCertificateCredential(tenantId, clientId, { certificate: pem }, common);
      return { credential, cloud, subscriptionId, flow: 'ServicePrincipalCertificate', tenantId, clientId, secrets: pemSecrets(pem) };
    }
    if (type !== 'spnkey') throw new Error(`The service connection's authenticationType "${type}" is not supported (spnKey or spnCertificate)`);
    const secret = need(connection.parameters, 'serviceprincipalkey', 'ServicePrincipal secret');
    const credential = new identity.ClientSecretCredential(tenantId, clientId, secret, common);
    return { credential, cloud, subscriptionId, flow: 'ServicePrincipalSecret', tenantId, clientId, secrets: [secret] };
  }

  if (scheme === 'managedserviceidentity') {
    const clientId = pick(connection.data, 'msiclientId')?.trim();
    const miOptions = {
      ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
      ...(options.retryOptions ? { retryOptions: options.retryOptions } : {}),
    };
    const credential = clientId ? new identity.ManagedIdentityCredential({ clientId, ...miOptions }) : new identity.ManagedIdentityCredential(miOptions);
    return { credential, cloud, subscriptionId, flow: 'ManagedIdentity', clientId, tenantId: pick(connection.parameters, 'tenantid'), secrets: [] };
  }

  if (scheme === 'publishprofile') throw new Error('A publish-profile service connection cannot call Azure Resource Manager; use workload identity federation');
  throw new Error(
    `The service connection's authorization scheme "${connection.scheme}" is not supported (WorkloadIdentityFederation, ServicePrincipal or ManagedServiceIdentity)`,
  );
}

/**
 * The job's OIDC token for a service connection, as AzurePipelinesCredential asks for it, with the
 * Azure SDK pipeline (proxy settings, retries on 429/5xx, TLS options).
 */
export async function requestOidcToken(
  oidcRequestUri: string,
  accessToken: string,
  serviceConnectionId: string,
  options: CredentialOptions = {},
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rest = require('@azure/core-rest-pipeline') as typeof import('@azure/core-rest-pipeline');
  const proxyOptions = sdkProxyOptions(options.proxy, oidcRequestUri);
  const pipeline = rest.createPipelineFromOptions({
    ...(options.tlsOptions ? { tlsOptions: options.tlsOptions } : {}),
    ...(proxyOptions ? { proxyOptions } : {}),
    retryOptions: { maxRetries: 3, ...(options.retryOptions ?? {}) },
  });
  const separator = oidcRequestUri.includes('?') ? '&' : '?';
  const url = `${oidcRequestUri}${separator}api-version=7.1&serviceConnectionId=${encodeURIComponent(serviceConnectionId)}`;
  const request = rest.createPipelineRequest({
    url,
    method: 'POST',
    headers: rest.createHttpHeaders({
      'Content-Type': 'application/json',
      Authorization: `Bearer ${accessToken}`,
      'X-TFS-FedAuthRedirect': 'Suppress',
    }),
  });
  const response = await pipeline.sendRequest(rest.createDefaultHttpClient(), request);
  let body: { oidcToken?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(response.bodyAsText ?? '{}') as typeof body;
  } catch {
    // not JSON: reported below
  }
  if (response.status !== 200 || typeof body.oidcToken !== 'string' || body.oidcToken === '') {
    const detail = typeof body.message === 'string' ? `: ${body.message}` : '';
    throw new Error(`Azure DevOps did not issue an OIDC token for service connection ${serviceConnectionId} (HTTP ${response.status}${detail})`);
  }
  return body.oidcToken;
}
