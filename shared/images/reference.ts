/**
 * Docker image names and tags, checked with the grammar of the distribution reference
 * (registry host[:port], lowercase path components, tags of at most 128 characters).
 */

/** A repository split into its registry (when it names one) and its path. */
export interface ImageRepository {
  /** As written: `contosoacr.azurecr.io/voting/web`. */
  name: string;
  /** `contosoacr.azurecr.io`, or undefined for Docker Hub names such as `library/redis`. */
  registry?: string;
  /** The repository path within the registry: `voting/web` (what Docker@2 calls `repository`). */
  path: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;

/** An image reference cut into its parts, unchecked: `[registry/]path[:tag][@digest]`. */
export interface ImageReferenceParts {
  /** The reference without tag and digest: `contosoacr.azurecr.io/voting/web`. */
  name: string;
  /** The first component when it is a registry host (has a `.` or `:`, or is `localhost`) and more follows. */
  registry?: string;
  /** The repository path within the registry: `voting/web`, or the whole name when there is no registry. */
  path: string;
  /** After the last `:` that follows the last `/` (so `host:5000/app` has none). */
  tag?: string;
  /** After the first `@`. */
  digest?: string;
}

/**
 * Cuts an image reference into registry, path, tag and digest the way Docker reads it, checking
 * nothing: for lint rules that look at references with unresolved variables in them, and as the
 * first step of parseRepository.
 */
export function splitImageReference(reference: string): ImageReferenceParts {
  let name = reference;
  let digest: string | undefined;
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at + 1);
    name = name.slice(0, at);
  }
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  const isRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return { name, registry: isRegistry ? first : undefined, path: isRegistry ? name.slice(slash + 1) : name, tag, digest };
}

/** Parses a repository; the message of the thrown Error says what is wrong, for the caller to prefix with the input and line. */
export function parseRepository(name: string): ImageRepository {
  if (name === '') throw new Error('the repository is empty');
  if (/\s/.test(name)) throw new Error(`"${name}" contains white space`);
  const parts = splitImageReference(name);
  if (parts.digest !== undefined) throw new Error(`"${name}" has a digest; give the repository only (the task computes the tag)`);
  if (parts.tag !== undefined) throw new Error(`"${name}" has a tag; give the repository only (the task computes the tag)`);
  const { registry, path } = parts;
  if (registry !== undefined) {
    const m = /^([^:]+)(?::(\d+))?$/.exec(registry);
    if (!m || !m[1].split('.').every((c) => HOST_COMPONENT.test(c))) throw new Error(`"${registry}" is not a valid registry host (host name or host:port)`);
    if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) throw new Error(`"${registry}" has an invalid port`);
  }
  if (path === '') throw new Error(`"${name}" has no repository path after the registry`);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const hint = component !== component.toLowerCase() ? ' (repository paths are lowercase)' : component === '' ? ' (empty path component)' : '';
      throw new Error(`"${name}" is not a valid image repository: "${component}" is not a valid path component${hint}`);
    }
  }
  if (name.length > MAX_NAME_LENGTH) throw new Error(`"${name}" is longer than ${MAX_NAME_LENGTH} characters`);
  return { name, registry, path };
}

/** Whether a tag is valid for Docker: letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, at most 128 characters. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** An image reference as Kubernetes pulls it: `[registry/]path[:tag][@digest]`, every part checked. */
export interface ImageReference {
  name: string;
  /** The registry host[:port] when the reference names one (Docker Hub otherwise). */
  registry?: string;
  path: string;
  tag?: string;
  digest?: string;
}

const DIGEST_ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/;
const DIGEST_HEX = /^[0-9a-fA-F]{32,}$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;

/**
 * Parses a container image reference with the grammar of the distribution reference (what the
 * kubelet and the container runtimes accept): registry host (domain components, an IPv4 or
 * [IPv6] address) with an optional port, then lowercase path components separated by `/`, an
 * optional tag `[\w][\w.-]{0,127}`, an optional digest `algorithm:hex` (sha256: 64 lowercase hex),
 * and a name of at most 255 characters. The first component is the registry when it has a `.` or
 * `:`, is `localhost`, or has an uppercase letter (as Docker normalizes names). Throws an Error whose
 * message says what is wrong, for the caller to prefix with the file and line.
 */
export function parseImageReference(reference: string): ImageReference {
  if (reference === '') throw new Error('the image reference is empty');
  if (/\s/.test(reference)) throw new Error(`"${reference}" contains white space`);
  const variable = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.exec(reference)?.[0];
  if (variable) throw new Error(`"${reference}" is not a valid image reference: "${variable}" was never substituted`);
  const at = reference.indexOf('@');
  if (at >= 0 && reference.indexOf('@', at + 1) >= 0) throw new Error(`"${reference}" has more than one "@"`);
  const parts = splitImageReference(reference);
  const slash = parts.name.indexOf('/');
  const first = slash < 0 ? parts.name : parts.name.slice(0, slash);
  const hasRegistry = parts.registry !== undefined || (slash >= 0 && first !== first.toLowerCase());
  const registry = hasRegistry ? first : undefined;
  const path = hasRegistry ? parts.name.slice(slash + 1) : parts.name;
  if (registry !== undefined) checkRegistry(reference, registry);
  if (path === '') throw new Error(`"${reference}" has no repository path${registry ? ' after the registry' : ''}`);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const hint =
        component === ''
          ? ' (empty path component)'
          : component !== component.toLowerCase()
            ? ' (repository paths are lowercase)'
            : ' (lowercase letters and digits, separated by ".", "_", "__" or "-")';
      throw new Error(`"${reference}" is not a valid image reference: "${component}" is not a valid path component${hint}`);
    }
  }
  if (parts.name.length > MAX_NAME_LENGTH) throw new Error(`"${reference}": the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  if (registry === undefined && /^[a-f0-9]{64}$/.test(path))
    throw new Error(`"${reference}" is a 64-character hexadecimal string, which is not allowed as a repository name`);
  if (parts.tag !== undefined && !TAG.test(parts.tag)) {
    throw new Error(`"${reference}" has an invalid tag "${parts.tag}" (letters, digits, _, . and -, at most 128, not starting with . or -)`);
  }
  if (parts.digest !== undefined) checkDigest(reference, parts.digest);
  return { name: parts.name, registry, path, tag: parts.tag, digest: parts.digest };
}

function checkRegistry(reference: string, registry: string): void {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(registry);
  const host = m?.[1] ?? '';
  const port = m?.[2];
  const validHost = IPV6_HOST.test(host) || (host !== '' && host.split('.').every((c) => HOST_COMPONENT.test(c)));
  if (!validHost) throw new Error(`"${reference}" names an invalid registry host "${registry}" (host name, IP address or [IPv6], with an optional :port)`);
  if (port !== undefined && !/^[0-9]+$/.test(port)) throw new Error(`"${reference}" names the registry "${registry}" with an invalid port "${port}"`);
}

function checkDigest(reference: string, digest: string): void {
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? '' : digest.slice(0, colon);
  const hex = colon < 0 ? '' : digest.slice(colon + 1);
  if (!DIGEST_ALGORITHM.test(algorithm) || !DIGEST_HEX.test(hex)) {
    throw new Error(`"${reference}" has an invalid digest "${digest}" (expected algorithm:hex, e.g. sha256: and 64 hexadecimal digits)`);
  }
  if (algorithm === 'sha256' && !/^[a-f0-9]{64}$/.test(hex))
    throw new Error(`"${reference}" has an invalid sha256 digest: 64 lowercase hexadecimal digits expected`);
  if (algorithm === 'sha512' && !/^[a-f0-9]{128}$/.test(hex))
    throw new Error(`"${reference}" has an invalid sha512 digest: 128 lowercase hexadecimal digits expected`);
}
