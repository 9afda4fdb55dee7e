import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { ProxyConfiguration, sdkProxyOptions } from '../util/proxy-settings';
import type { ChartDependency } from './helm-dependencies';

/**
 * Credentials for a Helm repository (`https://…`, basic auth for every chart under that URL) or an
 * OCI registry (`oci://host[:port]` or just the host).
 */
export interface HelmCredential {
  url: string;
  username: string;
  password: string;
}

/** The user name ACR expects with a refresh token as password. */
export const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

export interface HelmAuthConfig {
  /** helm flags pointing at the temporary files (never a credential itself). */
  args: string[];
}

/**
 * Writes helm's repository config (one entry per https repository of the dependencies, with its
 * credentials), an empty repository cache and a registry config (docker config format, for OCI
 * hosts) into `dir`, readable by the owner only. helm gets their paths as flags, so nothing is read
 * from or written to the agent's home and no credential is on a command line.
 */
export function writeHelmAuthConfig(dir: string, dependencies: readonly ChartDependency[], credentials: readonly HelmCredential[]): HelmAuthConfig {
  fs.mkdirSync(path.join(dir, 'cache'), { recursive: true, mode: 0o700 });
  const repositories: Record<string, string>[] = [];
  const auths: Record<string, { auth: string }> = {};
  let plainHttp = false;
  for (const d of dependencies) {
    if (/^https?:\/\//i.test(d.repository)) {
      if (repositories.some((r) => sameUrl(r.url, d.repository))) continue;
      const credential = credentials.find((c) => /^https?:\/\//i.test(c.url) && isUnder(d.repository, c.url));
      repositories.push({
        name: `dependency-${repositories.length + 1}`,
        url: d.repository,
        ...(credential ? { username: credential.username, password: credential.password } : {}),
      });
    } else if (/^oci:\/\//i.test(d.repository)) {
      const host = ociHost(d.repository);
      if (isLoopback(host)) plainHttp = true;
      const credential = credentials.find((c) => !/^https?:\/\//i.test(c.url) && ociHost(c.url) === host);
      if (credential) auths[host] = { auth: Buffer.from(`${credential.username}:${credential.password}`).toString('base64') };
    }
  }
  const repositoryConfig = path.join(dir, 'repositories.yaml');
  const registryConfig = path.join(dir, 'registry.json');
  fs.writeFileSync(repositoryConfig, stringify({ apiVersion: '', generated: '0001-01-01T00:00:00Z', repositories }), { mode: 0o600 });
  fs.writeFileSync(registryConfig, JSON.stringify({ auths }), { mode: 0o600 });
  const args = ['--repository-config', repositoryConfig, '--repository-cache', path.join(dir, 'cache'), '--registry-config', registryConfig];
  // Registries on this machine (a local test or mirror registry) speak plain HTTP, as docker assumes for them.
  if (plainHttp) args.push('--plain-http');
  return { args };
}

/** `host[:port]` of `oci://host[:port]/path` (or of a bare `host[:port]/path`). */
export function ociHost(reference: string): string {
  return reference
    .replace(/^oci:\/\//i, '')
    .split('/')[0]
    .toLowerCase();
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function isUnder(url: string, prefix: string): boolean {
  const base = prefix.replace(/\/+$/, '');
  return url === base || url.startsWith(`${base}/`) || sameUrl(url, base);
}

/** The registries of `oci://` dependencies that are Azure Container Registries (any Azure cloud). */
export function isAzureContainerRegistry(host: string): boolean {
  return /\.azurecr\.(io|cn|us)$/i.test(host.replace(/:\d+$/, ''));
}

export interface AcrExchange {
  /** The registry host, e.g. `contoso.azurecr.io`. */
  registry: string;
  /** An AAD access token for the AzureRM connection's principal (scope https://management.azure.com/.default or the ACR audience). */
  aadAccessToken: string;
  tenantId?: string;
  /** The exchange endpoint; `https://<registry>/oauth2/exchange` unless given (tests point it at a double). */
  endpoint?: string;
  /** The service connection the AAD token came from, named in the messages. */
  connection?: string;
  /** The agent's proxy; without one HTTPS_PROXY/NO_PROXY apply, as for the Azure SDK's own requests. */
  proxy?: ProxyConfiguration;
  signal?: AbortSignal;
}

/**
 * ACR's token exchange: an AAD access token for an ACR refresh token, used with helm as the
 * password of the user 00000000-0000-0000-0000-000000000000 (ACR's documented OAuth2 flow). Sent
 * with the Azure SDK's HTTP pipeline (already loaded for the Entra token): the agent's proxy or
 * HTTPS_PROXY/NO_PROXY, retries of 429/5xx and network errors, NODE_EXTRA_CA_CERTS.
 */
export async function exchangeAcrRefreshToken(exchange: AcrExchange): Promise<HelmCredential> {
  const endpoint = exchange.endpoint ?? `https://${exchange.registry}/oauth2/exchange`;
  const body = new URLSearchParams({ grant_type: 'access_token', service: exchange.registry, access_token: exchange.aadAccessToken });
  if (exchange.tenantId) body.set('tenant', exchange.tenantId);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rest = require('@azure/core-rest-pipeline') as typeof import('@azure/core-rest-pipeline');
  const proxyOptions = sdkProxyOptions(exchange.proxy, endpoint);
  const pipeline = rest.createPipelineFromOptions({ retryOptions: { maxRetries: 2 }, ...(proxyOptions ? { proxyOptions } : {}) });
  let status: number;
  let text: string;
  try {
    const request = rest.createPipelineRequest({
      url: endpoint,
      method: 'POST',
      headers: rest.createHttpHeaders({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: body.toString(),
      abortSignal: exchange.signal,
      // Only a given endpoint (a test double) can be http://; ACR's own is https://.
      allowInsecureConnection: endpoint.startsWith('http://'),
    });
    const response = await pipeline.sendRequest(rest.createDefaultHttpClient(), request);
    status = response.status;
    text = response.bodyAsText ?? '';
  } catch (err) {
    throw new Error(`Azure Container Registry ${exchange.registry}: the token exchange at ${endpoint} could not be reached (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (status < 200 || status > 299) {
    const principal = exchange.connection ? `the principal of the service connection "${exchange.connection}"` : "the service connection's principal";
    const hint =
      status === 401 || status === 403
        ? ` (give ${principal} the AcrPull role on the registry)`
        : status === 407
          ? " by the proxy (check the agent's proxy user name and password)"
          : '';
    throw new Error(`Azure Container Registry ${exchange.registry}: the token exchange was refused with HTTP ${status}${hint}`);
  }
  let token: unknown;
  try {
    token = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '') throw new Error(`Azure Container Registry ${exchange.registry}: the token exchange returned no refresh_token`);
  return { url: `oci://${exchange.registry}`, username: ACR_TOKEN_USERNAME, password: token };
}

export interface AcrAuthentication {
  /** The AzureRM service connection (its id), named in the messages. */
  connection: string;
  /** An AAD access token of the connection's principal for Resource Manager (ACR's exchange accepts it). */
  accessToken: (signal?: AbortSignal) => Promise<string>;
  tenantId?: string;
  /** Called with every token obtained (AAD and ACR), before anything could log it. */
  onSecret: (value: string) => void;
  /** Which registry hosts are ACR; `isAzureContainerRegistry` unless given (tests map their local registry). */
  isRegistry?: (host: string) => boolean;
  /** The exchange endpoint of a registry; `https://<registry>/oauth2/exchange` unless given (tests point it at a double). */
  exchangeEndpoint?: (host: string) => string;
  /** The agent's proxy, for the exchange. */
  proxy?: ProxyConfiguration;
}

/** A registry's credential on demand, or undefined for a registry it does not serve. */
export type RegistryCredentialSource = (host: string) => Promise<HelmCredential | undefined>;

/**
 * Credentials for Azure Container Registries from an AzureRM connection: one AAD token, exchanged
 * once per registry (later charts of the run reuse it). Both tokens are registered as secrets.
 */
export function acrCredentialSource(acr: AcrAuthentication): RegistryCredentialSource {
  const isRegistry = acr.isRegistry ?? isAzureContainerRegistry;
  const exchanged = new Map<string, Promise<HelmCredential>>();
  let aad: Promise<string> | undefined;
  const exchange = async (host: string): Promise<HelmCredential> => {
    aad ??= acr.accessToken().then((token) => {
      acr.onSecret(token);
      return token;
    });
    let aadAccessToken: string;
    try {
      aadAccessToken = await aad;
    } catch (err) {
      throw new Error(
        `Azure Container Registry ${host}: no Microsoft Entra token from the service connection "${acr.connection}" (helmRegistryAzureSubscription): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const credential = await exchangeAcrRefreshToken({
      registry: host,
      aadAccessToken,
      tenantId: acr.tenantId,
      endpoint: acr.exchangeEndpoint?.(host),
      connection: acr.connection,
      proxy: acr.proxy,
    });
    acr.onSecret(credential.password);
    return { ...credential, url: `oci://${host}` };
  };
  return (host) => {
    if (!isRegistry(host)) return Promise.resolve(undefined);
    let pending = exchanged.get(host);
    if (!pending) exchanged.set(host, (pending = exchange(host)));
    return pending;
  };
}
