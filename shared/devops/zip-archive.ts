/**
 * The one zip reader of the project, for the zips Azure DevOps answers with: a build artifact
 * (Artifacts - Get Artifact with $format=zip, the files below a folder named after the artifact)
 * and many blobs at once (Blobs - Get Blobs Zip, one entry per blob id). Reads the central
 * directory, so entries written with data descriptors are found too; stored and deflated
 * entries; no zip64, no encryption.
 */
import { inflateRawSync } from 'node:zlib';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

export class ZipFormatError extends Error {
  /** What is wrong, without the subject ("no end of central directory record"). */
  readonly detail: string;

  constructor(detail: string, subject = 'the artifact') {
    super(`${subject} is not a readable zip: ${detail}`);
    this.name = 'ZipFormatError';
    this.detail = detail;
  }
}

/** Entry names in the archive, in directory order. */
export function zipEntryNames(zip: Buffer): string[] {
  return directory(zip).map((e) => e.name);
}

/**
 * The content of the entry whose name is `name` (exact, "/" separators), or undefined when the
 * archive has no such entry. At most `maxBytes` uncompressed.
 */
export function readZipEntry(zip: Buffer, name: string, maxBytes = 16 * 1024 * 1024): Buffer | undefined {
  const entry = directory(zip).find((e) => e.name === name);
  return entry ? entryContent(zip, entry, maxBytes) : undefined;
}

/** Every entry's content by its name ("/" separators), in directory order; each at most `maxBytes` uncompressed. */
export function readZipEntries(zip: Buffer, maxBytes = 16 * 1024 * 1024): Map<string, Buffer> {
  return new Map(directory(zip).map((entry) => [entry.name, entryContent(zip, entry, maxBytes)]));
}

function entryContent(zip: Buffer, entry: DirectoryEntry, maxBytes: number): Buffer {
  const { name } = entry;
  if (entry.size > maxBytes) throw new ZipFormatError(`${name} is ${entry.size} bytes, more than the ${maxBytes} allowed`);
  if (entry.offset + 30 > zip.length || zip.readUInt32LE(entry.offset) !== LOCAL_HEADER) throw new ZipFormatError(`no local header for ${name}`);
  const start = entry.offset + 30 + zip.readUInt16LE(entry.offset + 26) + zip.readUInt16LE(entry.offset + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new ZipFormatError(`${name} is cut short`);
  let content: Buffer;
  if (entry.method === 0) content = Buffer.from(data);
  else if (entry.method === 8) {
    try {
      content = inflateRawSync(data, { maxOutputLength: maxBytes + 1 });
    } catch (e) {
      throw new ZipFormatError(`${name} does not inflate (${(e as Error).message})`);
    }
  } else throw new ZipFormatError(`${name} uses compression method ${entry.method} (only stored and deflate are read)`);
  if (content.length !== entry.size) throw new ZipFormatError(`${name} inflates to ${content.length} bytes, the directory says ${entry.size}`);
  return content;
}

interface DirectoryEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  offset: number;
}

function directory(zip: Buffer): DirectoryEntry[] {
  // The end record is in the last 22 + 65535 (comment) bytes.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipFormatError('no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  if (count === 0xffff || size === 0xffffffff || at === 0xffffffff) throw new ZipFormatError('zip64 archives are not read');
  const entries: DirectoryEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== DIRECTORY_ENTRY) throw new ZipFormatError(`central directory entry ${i + 1} is damaged`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength).replace(/\\/g, '/'),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}
