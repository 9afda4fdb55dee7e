/**
 * How a task names the GitOps repository: "fleet" (in the pipeline's project), "infra/fleet", or a
 * clone URL (https://dev.azure.com/org/project/_git/repo, https://org.visualstudio.com/project/_git/repo,
 * an on-premises https://server/tfs/Collection/project/_git/repo, or the emulator's
 * http://127.0.0.1:port/org/project/_git/repo). Pure parsing, no network.
 */

export interface RepositoryRef {
  /** Collection URL when the reference was a URL, e.g. https://dev.azure.com/contoso. */
  collectionUrl?: string;
  /** Project name or id; undefined means "the pipeline's project". */
  project?: string;
  name: string;
}

export function parseRepositoryRef(text: string): RepositoryRef {
  const value = text.trim();
  if (value === '') throw new Error('repository reference is empty (expected a name, project/name or a clone URL)');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return parseRepositoryUrl(value);
  if (/^git@|^[^/]+@ssh\./i.test(value)) {
    throw new Error(`repository "${value}": SSH URLs are not supported, use the HTTPS clone URL or project/name`);
  }
  const parts = value.split('/');
  if (parts.length === 1) return { name: checkName(parts[0], value) };
  if (parts.length === 2) return { project: checkName(parts[0], value), name: checkName(parts[1], value) };
  throw new Error(`repository "${value}": expected a name, project/name or a clone URL`);
}

function parseRepositoryUrl(value: string): RepositoryRef {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`repository URL "${withoutCredentials(value)}" is not a valid URL`);
  }
  const shown = withoutCredentials(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`repository URL "${shown}": only http(s) clone URLs are supported`);
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const gitAt = segments.findIndex((s) => s.toLowerCase() === '_git');
  if (gitAt < 0 || gitAt !== segments.length - 2) {
    throw new Error(`repository URL "${shown}": expected .../<project>/_git/<repository>`);
  }
  const name = decode(segments[gitAt + 1], shown);
  let collectionSegments: string[];
  let project: string;
  const hostIsDevAzure = url.hostname.toLowerCase() === 'dev.azure.com';
  // dev.azure.com/<org>/_git/<repo> and <org>.visualstudio.com/_git/<repo>: the project is named like the repository.
  const minCollectionSegments = hostIsDevAzure ? 1 : 0;
  if (gitAt - 1 >= minCollectionSegments) {
    project = decode(segments[gitAt - 1], shown);
    collectionSegments = segments.slice(0, gitAt - 1);
  } else {
    project = name;
    collectionSegments = segments.slice(0, gitAt);
  }
  if (hostIsDevAzure && collectionSegments.length !== 1) {
    throw new Error(`repository URL "${shown}": expected https://dev.azure.com/<organization>/<project>/_git/<repository>`);
  }
  const base = `${url.protocol}//${url.host}`;
  const collectionUrl = collectionSegments.length === 0 ? base : `${base}/${collectionSegments.join('/')}`;
  return { collectionUrl, project: checkName(project, shown), name: checkName(name, shown) };
}

/** The URL as it may be shown: user name and password (a PAT in a clone URL) removed. */
export function withoutCredentials(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

function decode(segment: string, shown: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new Error(`repository URL "${shown}": bad percent-encoding in "${segment}"`);
  }
}

function checkName(name: string, shown: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed === '.' || trimmed === '..' || /[\\?#]/.test(trimmed) || [...trimmed].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new Error(`repository "${shown}": "${name}" is not a valid project or repository name`);
  }
  return trimmed;
}
