/**
 * Git object ids computed locally, so that the library can tell which files changed from the
 * folder's tree listing alone, without downloading any content.
 */
import { createHash } from 'node:crypto';

export type FileContent = string | Uint8Array;

/** The bytes Git stores: strings as UTF-8, exactly (no line-ending conversion). */
export function contentBytes(content: FileContent): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

/** The id `git hash-object` gives a file: sha1 of "blob <byte length>\0<bytes>". */
export function gitBlobId(content: FileContent): string {
  const bytes = contentBytes(content);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export const ZERO_OBJECT_ID = '0000000000000000000000000000000000000000';

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{40}$/i.test(value);
}
