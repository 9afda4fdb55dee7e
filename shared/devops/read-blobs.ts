/**
 * Reads many blobs of a repository in ONE request (Blobs - Get Blobs Zip: POST the blob ids, get a
 * zip with one entry per blob, named by its id), so comparing a folder costs one listing and one
 * read whatever the number of changed files. An answer that is not a readable zip (zip-archive.ts)
 * is an error the caller can fall back from.
 */
import type { DevOpsConnection } from './connection';
import { DevOpsError } from './errors';
import type { Repository } from './repository';
import { readZipEntries, ZipFormatError } from './zip-archive';

/** Blob id -> bytes, for every id asked for. */
export async function readBlobs(conn: DevOpsConnection, repo: Repository, blobIds: readonly string[]): Promise<Map<string, Buffer>> {
  const ids = [...new Set(blobIds.map((id) => id.toLowerCase()))];
  const action = `reading ${ids.length} blob(s) of ${repo.display}`;
  const zip = await conn.idempotent(action, async (git) => {
    const response = (await git.getBlobsZip(ids, repo.id, repo.project.id)) as NodeJS.ReadableStream & { statusCode?: number };
    const body = await readAll(response);
    // The client hands over the raw response whatever its status: an error answer is JSON.
    if (response.statusCode !== undefined && response.statusCode !== 200) {
      let message = body.toString('utf8').slice(0, 500);
      let typeKey: string | undefined;
      try {
        const json = JSON.parse(message) as { message?: string; typeKey?: string };
        message = json.message ?? message;
        typeKey = json.typeKey;
      } catch {
        // not JSON: the text as it is
      }
      throw Object.assign(new Error(message), { statusCode: response.statusCode, result: { message, typeKey } });
    }
    return body;
  });
  const entries = unzip(zip, action);
  const missing = ids.filter((id) => !entries.has(id));
  if (missing.length > 0) throw new DevOpsError(action, `the answer has no entry for ${missing.length} blob(s), e.g. ${missing[0]}`);
  return entries;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Blob id (the entry's file name, lower case) -> bytes. */
export function unzip(zip: Buffer, action: string): Map<string, Buffer> {
  try {
    return new Map([...readZipEntries(zip, 256 * 1024 * 1024)].map(([name, content]) => [name.replace(/^.*\//, '').toLowerCase(), content]));
  } catch (err) {
    if (err instanceof ZipFormatError) throw new DevOpsError(action, `the answer is not a readable zip: ${err.detail}`);
    throw err;
  }
}
