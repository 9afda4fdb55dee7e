/**
 * The changes that turn a folder's current tree into the desired state: adds, edits (blob id
 * differs) and deletes of files that are no longer desired. Pure: no network, no content read.
 */
import { contentBytes, FileContent, gitBlobId } from './git-blob';
import { normalizeRelativePath } from './repo-paths';
import { UnsafePathError } from './errors';

export interface DesiredFile {
  /** Canonical path relative to the target folder. */
  path: string;
  content: FileContent;
  blobId: string;
}

export type FolderChange =
  | { kind: 'add'; path: string; file: DesiredFile }
  | { kind: 'edit'; path: string; file: DesiredFile; oldBlobId: string }
  | { kind: 'delete'; path: string; oldBlobId: string };

export interface FolderDiff {
  changes: FolderChange[];
  added: string[];
  edited: string[];
  deleted: string[];
  unchanged: number;
}

/**
 * Validates and normalises every desired path (throws UnsafePathError on the first bad one, and
 * when two inputs normalise to the same path), and computes each file's git blob id.
 */
function isMap<V>(files: Readonly<Record<string, V>> | ReadonlyMap<string, V>): files is ReadonlyMap<string, V> {
  return files instanceof Map;
}

export function prepareDesiredFiles(files: Readonly<Record<string, FileContent>> | ReadonlyMap<string, FileContent>): Map<string, DesiredFile> {
  const entries = isMap(files) ? [...files.entries()] : Object.entries(files);
  const out = new Map<string, DesiredFile>();
  const originals = new Map<string, string>();
  for (const [raw, content] of entries) {
    const path = normalizeRelativePath(raw);
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new UnsafePathError(raw, `has content of type ${typeof content}; expected a string or bytes`);
    }
    const before = originals.get(path);
    if (before !== undefined) throw new UnsafePathError(raw, `is the same file as "${before}" after normalisation`);
    originals.set(path, raw);
    out.set(path, { path, content, blobId: gitBlobId(content) });
  }
  // A path cannot be both a file and a folder ("a" and "a/b.yaml").
  for (const path of out.keys()) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (out.has(prefix)) throw new UnsafePathError(originals.get(path) ?? path, `is inside "${prefix}", which is also a file`);
    }
  }
  return out;
}

/**
 * current: relative path -> blob id of every file under the folder now.
 * Changes come in a stable order: deletes first (so a file can become a folder), then adds and
 * edits, each sorted by path.
 */
export function diffFolder(current: ReadonlyMap<string, string>, desired: ReadonlyMap<string, DesiredFile>): FolderDiff {
  const deletes: FolderChange[] = [];
  const writes: FolderChange[] = [];
  let unchanged = 0;
  for (const [path, oldBlobId] of [...current.entries()].sort(byKey)) {
    if (!desired.has(path)) deletes.push({ kind: 'delete', path, oldBlobId });
  }
  for (const [path, file] of [...desired.entries()].sort(byKey)) {
    const oldBlobId = current.get(path);
    if (oldBlobId === undefined) writes.push({ kind: 'add', path, file });
    else if (oldBlobId.toLowerCase() !== file.blobId) writes.push({ kind: 'edit', path, file, oldBlobId });
    else unchanged++;
  }
  const changes = [...deletes, ...writes];
  return {
    changes,
    added: changes.filter((c) => c.kind === 'add').map((c) => c.path),
    edited: changes.filter((c) => c.kind === 'edit').map((c) => c.path),
    deleted: deletes.map((c) => c.path),
    unchanged,
  };
}

/** Rawtext for UTF-8 text without NUL bytes, base64 for everything else (exact bytes either way). */
export function encodeContent(content: FileContent): { content: string; contentType: 'rawtext' | 'base64encoded' } {
  const bytes = contentBytes(content);
  if (typeof content === 'string' && !content.includes('\0')) return { content, contentType: 'rawtext' };
  const text = bytes.toString('utf8');
  if (!text.includes('\0') && Buffer.from(text, 'utf8').equals(bytes)) return { content: text, contentType: 'rawtext' };
  return { content: bytes.toString('base64'), contentType: 'base64encoded' };
}

function byKey<T>(a: [string, T], b: [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
