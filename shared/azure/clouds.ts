/**
 * Azure cloud endpoints: Resource Manager URL, Microsoft Entra authority host and the token scope,
 * for the clouds an AzureRM service connection names (`environment` endpoint data), or the
 * connection's own URLs (Azure Stack, sovereign or private clouds, and the emulators).
 */
export interface AzureCloud {
  name: string;
  /** Resource Manager base URL, no trailing slash, e.g. https://management.azure.com */
  armUrl: string;
  /** Microsoft Entra authority host, no trailing slash, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** Scope for Resource Manager tokens, e.g. https://management.azure.com/.default */
  scope: string;
  /** True for the public and national clouds MSAL knows; instance discovery is turned off otherwise. */
  knownAuthority: boolean;
}

export const AZURE_CLOUDS: Record<string, { armUrl: string; authorityHost: string }> = {
  AzureCloud: { armUrl: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com' },
  AzureUSGovernment: { armUrl: 'https://management.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' },
  AzureChinaCloud: { armUrl: 'https://management.chinacloudapi.cn', authorityHost: 'https://login.chinacloudapi.cn' },
};

const KNOWN_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.partner.microsoftonline.cn',
  'login.usgovcloudapi.net',
]);

const trim = (url: string) => url.trim().replace(/\/+$/, '');

function checkUrl(value: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${what} "${value}" is not a URL`);
  }
  if (parsed.protocol !== 'https:') throw new Error(`${what} "${value}" must be an https URL`);
  return trim(value);
}

/**
 * The cloud of a service connection. The connection's own URLs win when present (the agent fills
 * them for every environment); the named environment fills what is missing.
 */
export function resolveCloud(input: {
  environment?: string;
  /** ENDPOINT_URL: the Resource Manager URL. */
  url?: string;
  /** Endpoint data activeDirectoryAuthority (or environmentAuthorityUrl). */
  activeDirectoryAuthority?: string;
  /** Endpoint data activeDirectoryServiceEndpointResourceId: the token audience when it differs from the ARM URL. */
  resourceId?: string;
}): AzureCloud {
  const requested = input.environment?.trim() || 'AzureCloud';
  const name = Object.keys(AZURE_CLOUDS).find((k) => k.toLowerCase() === requested.toLowerCase());
  const named = name ? AZURE_CLOUDS[name] : undefined;
  const armUrl = input.url?.trim() ? checkUrl(input.url, 'The service connection URL') : named?.armUrl;
  const authorityHost = input.activeDirectoryAuthority?.trim()
    ? checkUrl(input.activeDirectoryAuthority, 'The service connection authority')
    : named?.authorityHost;
  if (!armUrl || !authorityHost) {
    throw new Error(
      `Azure environment "${requested}" is not one of ${Object.keys(AZURE_CLOUDS).join(', ')}; the service connection must then carry its own Resource Manager URL and authority`,
    );
  }
  const resource = input.resourceId?.trim() ? trim(input.resourceId) : armUrl;
  return {
    name: name ?? requested,
    armUrl,
    authorityHost,
    scope: `${resource}/.default`,
    knownAuthority: KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase()),
  };
}
