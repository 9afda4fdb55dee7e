/**
 * The agent's web proxy (Agent.ProxyUrl, Agent.ProxyUsername, Agent.ProxyPassword,
 * Agent.ProxyBypassList, what task-lib's getHttpProxyConfiguration reads) turned into what each
 * client of the tasks needs: the Azure SDK's proxyOptions, the environment of helm, kustomize and
 * git, and the proxy of one request. A request bypasses the proxy as the agent decides it: a
 * loopback host, or `scheme://host[:port]` matching one of the bypass list's regular expressions.
 * Without an agent proxy every client keeps its own reading of HTTPS_PROXY/NO_PROXY (the SDK's,
 * Go's, curl's), so nothing here changes a run whose agent has none.
 */

/** The agent's proxy. The password (and the URL-encoded form of it) is registered as a secret by the Agent that reads it. */
export interface ProxyConfiguration {
  /** Agent.ProxyUrl without credentials, e.g. `http://proxy.contoso.com:8080`. */
  url: string;
  username?: string;
  password?: string;
  /** Agent.ProxyBypassList: regular expressions (case-insensitive) matched against `scheme://host[:port]`. */
  bypass: string[];
}

/** The Azure SDK's ProxySettings (core-rest-pipeline's shape: `host` with its scheme). */
export interface SdkProxySettings {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/** Every form of the credentials that could appear in text: the raw password and its URL-encoded form. */
export function proxySecrets(proxy: ProxyConfiguration | undefined): string[] {
  if (!proxy?.password) return [];
  const encoded = encodeURIComponent(proxy.password);
  return encoded === proxy.password ? [proxy.password] : [proxy.password, encoded];
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** How the agent matches a bypass entry: `scheme://host` with `:port` only when it is not the scheme's default. */
function bypassSubject(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;
}

/** Whether a request to `requestUrl` goes direct rather than through the agent's proxy. An invalid bypass entry matches nothing. */
export function bypassesProxy(proxy: ProxyConfiguration, requestUrl: string): boolean {
  const url = new URL(requestUrl);
  if (isLoopback(url.hostname)) return true;
  const subject = bypassSubject(url);
  return proxy.bypass.some((pattern) => {
    try {
      return new RegExp(pattern, 'i').test(subject);
    } catch {
      return false;
    }
  });
}

/**
 * The SDK's proxyOptions for a client whose requests go to `endpoint` (Entra's authority host, the
 * Resource Manager URL, the OIDC request URI): undefined without an agent proxy (the SDK then reads
 * HTTPS_PROXY/NO_PROXY itself) or when the agent bypasses the proxy for that endpoint.
 */
export function sdkProxyOptions(proxy: ProxyConfiguration | undefined, endpoint: string): SdkProxySettings | undefined {
  if (!proxy || bypassesProxy(proxy, endpoint)) return undefined;
  const url = new URL(proxy.url);
  return {
    host: `${url.protocol}//${url.hostname}`,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    ...(proxy.username ? { username: proxy.username, password: proxy.password ?? '' } : {}),
  };
}

/** The proxy URL with its credentials, URL-encoded (for a child's environment or a request's agent only; never for a log). */
export function proxyUrlWithCredentials(proxy: ProxyConfiguration): string {
  const url = new URL(proxy.url);
  const auth = proxy.username ? `${encodeURIComponent(proxy.username)}:${encodeURIComponent(proxy.password ?? '')}@` : '';
  return `${url.protocol}//${auth}${url.host}`;
}

/**
 * A bypass entry as a NO_PROXY entry, when it is a host pattern: `contoso\.com` -> `contoso.com`
 * (Go and curl then match the domain and its subdomains), `.*\.contoso\.com` -> `.contoso.com`, a
 * leading `https?://`, `^` or trailing `$` dropped. Undefined for any other regular expression.
 */
export function noProxyEntry(pattern: string): string | undefined {
  let rest = pattern.trim().replace(/^\^/, '').replace(/\$$/, '');
  rest = rest.replace(/^(?:\(?https?\??\)?|\.\*):(?:\\?\/){2}/i, '');
  let prefix = '';
  const wildcard = /^(?:\.\*|\.\+|\[\^\/\]\*|\[\^\/\]\+)(\\\.)?/.exec(rest);
  if (wildcard) {
    prefix = wildcard[1] ? '.' : '';
    rest = rest.slice(wildcard[0].length);
  }
  const host = rest.replace(/\\([.\-:])/g, '$1');
  // Only names, IP addresses and a port; an unescaped `.` stands for any character but is meant as a dot.
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$/i.test(host)) return undefined;
  return `${prefix}${host.toLowerCase()}`;
}

export interface ChildProxyEnvironment {
  /** Variables to set on each child (both spellings: curl reads the lower-case ones, Go either). Empty without an agent proxy. */
  env: Record<string, string>;
  /** Bypass entries that are not host patterns; the children send those hosts through the proxy. */
  untranslated: string[];
}

/**
 * The environment of helm, kustomize and git with the agent's proxy: HTTPS_PROXY and HTTP_PROXY
 * (credentials in the URL, as Go and curl take them), NO_PROXY from the bypass list, loopback and
 * the NO_PROXY the job already had. `inherited` is the task's environment (process.env).
 */
export function childProxyEnvironment(proxy: ProxyConfiguration | undefined, inherited: Record<string, string | undefined>): ChildProxyEnvironment {
  if (!proxy) return { env: {}, untranslated: [] };
  const url = proxyUrlWithCredentials(proxy);
  const entries = ['localhost', '127.0.0.1', '::1'];
  const add = (entry: string) => {
    if (entry !== '' && !entries.includes(entry)) entries.push(entry);
  };
  for (const entry of (inherited.NO_PROXY ?? inherited.no_proxy ?? '').split(',')) add(entry.trim());
  const untranslated: string[] = [];
  for (const pattern of proxy.bypass) {
    const entry = noProxyEntry(pattern);
    if (entry === undefined) untranslated.push(pattern);
    else add(entry);
  }
  const noProxy = entries.join(',');
  return {
    env: { HTTPS_PROXY: url, https_proxy: url, HTTP_PROXY: url, http_proxy: url, NO_PROXY: noProxy, no_proxy: noProxy },
    untranslated,
  };
}

/**
 * Reads the agent's proxy variables (as task-lib's getHttpProxyConfiguration does: no URL, no
 * proxy; the bypass list is a JSON array). `variable` gives a variable's value; a bad bypass list
 * is an error naming the variable.
 */
export function readProxyConfiguration(variable: (name: string) => string | undefined): ProxyConfiguration | undefined {
  const raw = variable('Agent.ProxyUrl')?.trim();
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The value is not quoted: it may hold credentials.
  if (!url || !/^https?:$/.test(url.protocol) || url.hostname === '') throw new Error('Agent.ProxyUrl is not an http:// or https:// URL');
  let bypass: unknown;
  try {
    bypass = JSON.parse(variable('Agent.ProxyBypassList') || '[]');
  } catch {
    throw new Error('Agent.ProxyBypassList is not a JSON array of regular expressions');
  }
  if (!Array.isArray(bypass) || bypass.some((b) => typeof b !== 'string')) throw new Error('Agent.ProxyBypassList is not a JSON array of regular expressions');
  const username = variable('Agent.ProxyUsername') || undefined;
  const password = variable('Agent.ProxyPassword') || undefined;
  // As task-lib formats it: credentials written into the URL itself are not used (the agent gives them apart).
  return { url: `${url.protocol}//${url.host}`, ...(username ? { username } : {}), ...(password ? { password } : {}), bypass: bypass as string[] };
}
