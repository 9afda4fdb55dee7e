/**
 * Reads many blobs of a repository in ONE request (Blobs - Get Blobs Zip: POST the blob ids, get a
 * zip with one entry per blob, named by its id), so comparing a folder costs one listing and one
 * read whatever the number of changed files. The zip is read here (stored or deflated entries, no
 * zip64); an answer that is not such a zip is an error the caller can fall back from.
 */
import { inflateRawSync } from 'node:zlib';
import type { DevOpsConnection } from './connection';
import { DevOpsError } from './errors';
import type { Repository } from './repository';

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

/** Entry name (lower case) -> bytes, from the zip's central directory. */
export function unzip(zip: Buffer, action: string): Map<string, Buffer> {
  const bad = (why: string) => new DevOpsError(action, `the answer is not a readable zip: ${why}`);
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw bad('no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) throw bad(`central directory entry ${n + 1} is damaged`);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (compressed === 0xffffffff || size === 0xffffffff || local === 0xffffffff) throw bad(`${name} is a zip64 entry`);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw bad(`${name} has no local header`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressed);
    let content: Buffer;
    if (method === 0) content = Buffer.from(data);
    else if (method === 8) content = inflateRawSync(data);
    else throw bad(`${name} uses compression method ${method}`);
    if (content.length !== size) throw bad(`${name} has ${content.length} bytes, the directory says ${size}`);
    out.set(name.replace(/^.*\//, '').toLowerCase(), content);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}
