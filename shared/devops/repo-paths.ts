/**
 * Paths inside a Git repository, as the Azure DevOps Git API writes them ("/clusters/dev/app.yaml").
 * Everything the library pushes goes through here first: a path that is absolute, climbs with
 * "..", names .git, or otherwise leaves the target folder is rejected before any request is sent.
 */
import { UnsafePathError } from './errors';

/**
 * The target folder in canonical form: no leading or trailing slash, "" for the repository root.
 * Accepts "clusters/dev", "/clusters/dev/", "clusters\\dev".
 */
export function normalizeFolder(folder: string): string {
  const trimmed = folder.trim().replace(/\\/g, '/');
  if (trimmed === '' || /^\/+$/.test(trimmed)) return '';
  return checkSegments(trimmed.replace(/^\/+/, '').replace(/\/+$/, ''), folder);
}

/**
 * A path relative to the target folder, in canonical form ("app/deploy.yaml"). Backslashes become
 * slashes and "./" segments and doubled slashes are dropped; absolute paths, drive letters, ".."
 * anywhere, ".git" segments and control characters are rejected.
 */
export function normalizeRelativePath(relative: string): string {
  const raw = relative;
  const p = relative.replace(/\\/g, '/');
  if (p.trim() === '') throw new UnsafePathError(raw, 'is empty');
  if (p.startsWith('/')) throw new UnsafePathError(raw, 'is absolute; paths must be relative to the target folder');
  if (/^[a-zA-Z]:/.test(p)) throw new UnsafePathError(raw, 'has a drive letter; paths must be relative to the target folder');
  if (p.endsWith('/')) throw new UnsafePathError(raw, 'names a folder, not a file');
  return checkSegments(p, raw);
}

function checkSegments(p: string, raw: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new UnsafePathError(raw, 'contains a control character');
  const kept: string[] = [];
  for (const segment of p.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new UnsafePathError(raw, 'climbs out with ".."; paths must stay inside the target folder');
    if (segment.toLowerCase() === '.git') throw new UnsafePathError(raw, 'names a .git folder');
    if (segment !== segment.trim()) throw new UnsafePathError(raw, 'has a segment with leading or trailing spaces');
    kept.push(segment);
  }
  if (kept.length === 0) throw new UnsafePathError(raw, 'is empty after normalisation');
  return kept.join('/');
}

/** "/clusters/dev/app.yaml" from folder "clusters/dev" and relative "app.yaml". */
export function toServerPath(folder: string, relative: string): string {
  return folder === '' ? `/${relative}` : `/${folder}/${relative}`;
}

/** "/clusters/dev" (scopePath of the folder), "/" for the root. */
export function folderServerPath(folder: string): string {
  return folder === '' ? '/' : `/${folder}`;
}

/**
 * The path relative to the folder of a server path ("/clusters/dev/app.yaml" -> "app.yaml"), or
 * undefined when the server path is the folder itself or outside it (compared exactly: Git is
 * case-sensitive).
 */
export function relativeToFolder(folder: string, serverPath: string): string | undefined {
  const p = serverPath.replace(/^\/+/, '');
  if (folder === '') return p === '' ? undefined : p;
  if (!p.startsWith(`${folder}/`)) return undefined;
  const rest = p.slice(folder.length + 1);
  return rest === '' ? undefined : rest;
}
