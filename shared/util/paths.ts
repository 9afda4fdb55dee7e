import * as path from 'node:path';

/** Forward slashes, as Azure DevOps shows repository paths on every platform. */
export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Replaces `{environment}` in an input pattern. */
export function forEnvironment(pattern: string, environment: string): string {
  return pattern.split('{environment}').join(environment);
}

/** Whether `child` is `parent` or a path inside it. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
