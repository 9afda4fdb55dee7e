// Git area: several blobs at once as a zip (Blobs - Get Blobs Zip), one entry per blob named by its id.
import { errors } from '../errors';
import { zipEntries } from '../zip';
import { repoOf, Route, RouteDeps, routeTable } from './routing';

export function blobRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  on('POST', 'repositories/{repositoryId}/blobs', 'Blobs_Get Blobs Zip', async (ctx) => {
    const repo = repoOf(d, ctx);
    if (!Array.isArray(ctx.body) || ctx.body.some((id) => typeof id !== 'string'))
      throw errors.invalidArgument('blobIds', 'A JSON array of blob ids is expected.');
    const ids = [...new Set((ctx.body as string[]).map((id) => id.toLowerCase()))];
    const entries: Array<[string, Buffer]> = [];
    for (const id of ids) {
      if (!/^[0-9a-f]{40}$/.test(id) || (await repo.git.objectType(id)) !== 'blob') throw errors.objectNotFound(id);
      entries.push([id, await repo.git.readBlob(id)]);
    }
    return { status: 200, raw: { body: zipEntries(entries), contentType: 'application/zip' } };
  });
  return routes;
}
