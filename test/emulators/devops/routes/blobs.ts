// Git area: several blobs at once as a zip (Blobs - Get Blobs Zip), one entry per blob named by its id.
import { crc32, deflateRawSync } from 'node:zlib';
import { errors } from '../errors';
import { repoOf, Route, RouteDeps, routeTable } from './routing';

export function blobRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  on('POST', 'repositories/{repositoryId}/blobs', 'Blobs_Get Blobs Zip', async (ctx) => {
    const repo = repoOf(d, ctx);
    if (!Array.isArray(ctx.body) || ctx.body.some((id) => typeof id !== 'string'))
      throw errors.invalidArgument('blobIds', 'A JSON array of blob ids is expected.');
    const ids = [...new Set((ctx.body as string[]).map((id) => id.toLowerCase()))];
    const entries: { name: string; content: Buffer }[] = [];
    for (const id of ids) {
      if (!/^[0-9a-f]{40}$/.test(id) || (await repo.git.objectType(id)) !== 'blob') throw errors.objectNotFound(id);
      entries.push({ name: id, content: await repo.git.readBlob(id) });
    }
    return { status: 200, raw: { body: zipArchive(entries), contentType: 'application/zip' } };
  });
  return routes;
}

/** A zip archive (deflated entries, no zip64: the emulator serves small test repositories). */
export function zipArchive(entries: readonly { name: string; content: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = deflateRawSync(e.content);
    const crc = crc32(e.content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(e.content.length, 22);
    local.writeUInt16LE(name.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(e.content.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(header, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
