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
