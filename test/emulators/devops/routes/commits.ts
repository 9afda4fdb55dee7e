// Git area: items (files and folders), commits, merge bases, diffs.
import { errors } from '../errors';
import { VersionControlRecursionType, parseEnum } from '../enums';
import { Json, normalizeRepoPath } from '../service';
import { bool, Ctx, intOr, isRoot, list, ok, q, repoOf, Reply, Route, RouteDeps, routeTable } from './routing';

export function commitRoutes(d: RouteDeps): Route[] {
  const { routes, on } = routeTable();
  const { svc } = d;

  // Items
  on('GET', 'repositories/{repositoryId}/items/{*path}', 'Items_Get', async (ctx) => items(d, ctx));

  // Commits, statuses, merge bases
  on('GET', 'repositories/{repositoryId}/commits', 'Commits_Get Commits', async (ctx) => commits(d, ctx));
  on('GET', 'repositories/{repositoryId}/commits/{commitId}', 'Commits_Get', async (ctx) =>
    ok(await svc.commitJson(repoOf(d, ctx), ctx.params.commitId, intOr(q(ctx, 'changeCount'), 0))),
  );
  on('GET', 'repositories/{repositoryNameOrId}/commits/{commitId}/mergebases', 'Merge Bases_List', async (ctx) => {
    const repo = repoOf(d, ctx, 'repositoryNameOrId');
    const other = q(ctx, 'otherCommitId');
    if (!other) throw errors.argumentNull('otherCommitId');
    for (const id of [ctx.params.commitId, other]) if ((await repo.git.objectType(id.toLowerCase())) !== 'commit') throw errors.commitNotFound(id);
    const base = await repo.git.mergeBase(ctx.params.commitId.toLowerCase(), other.toLowerCase());
    return list(base ? [svc.commitRefJson(repo, await repo.git.readCommit(base))] : []);
  });

  // Diffs
  on('GET', 'repositories/{repositoryId}/diffs/commits', 'Diffs_Get', async (ctx) => {
    const repo = repoOf(d, ctx);
    const base = await svc.resolveVersion(
      repo,
      q(ctx, 'baseVersion', 'baseVersionDescriptor.baseVersion'),
      q(ctx, 'baseVersionType', 'baseVersionDescriptor.baseVersionType'),
      q(ctx, 'baseVersionOptions', 'baseVersionDescriptor.baseVersionOptions'),
    );
    const target = await svc.resolveVersion(
      repo,
      q(ctx, 'targetVersion', 'targetVersionDescriptor.targetVersion'),
      q(ctx, 'targetVersionType', 'targetVersionDescriptor.targetVersionType'),
      q(ctx, 'targetVersionOptions', 'targetVersionDescriptor.targetVersionOptions'),
    );
    const common = q(ctx, 'diffCommonCommit');
    return ok(await svc.commitDiffs(repo, base, target, common === undefined ? true : bool(common), intOr(q(ctx, '$top'), 100), intOr(q(ctx, '$skip'), 0)));
  });

  return routes;
}

async function items(d: RouteDeps, ctx: Ctx): Promise<Reply> {
  const svc = d.svc;
  const repo = repoOf(d, ctx);
  const routePath = ctx.rest.length ? '/' + ctx.rest.join('/') : undefined;
  const pathParam = q(ctx, 'path') ?? routePath;
  const scopePath = q(ctx, 'scopePath');
  const recursion = parseEnum(VersionControlRecursionType, q(ctx, 'recursionLevel'), 'recursionLevel');
  const version = await svc.resolveVersion(
    repo,
    q(ctx, 'versionDescriptor.version', 'version'),
    q(ctx, 'versionDescriptor.versionType', 'versionType'),
    q(ctx, 'versionDescriptor.versionOptions', 'versionOptions'),
  );
  const includeContent = bool(q(ctx, 'includeContent'));
  const includeContentMetadata = bool(q(ctx, 'includeContentMetadata'));
  const accept = String(ctx.req.headers.accept ?? 'application/json').toLowerCase();
  const rawType = accept.includes('application/octet-stream') ? 'application/octet-stream' : accept.includes('text/plain') ? 'text/plain' : undefined;
  const single = pathParam !== undefined && (recursion === undefined || recursion === VersionControlRecursionType.none);
  const requested = (single ? pathParam : (pathParam ?? scopePath)) ?? '/';
  const rel = isRoot(requested) ? '' : normalizeRepoPath(requested, single ? 'path' : 'scopePath');
  const display = rel === '' ? '/' : `/${rel}`;
  const object = await repo.git.resolvePath(version.commit, rel);
  if (!object) throw errors.itemNotFound(display, repo.name, version.label, version.commit);
  if (rawType && single) {
    if (object.type !== 'blob') throw errors.invalidArgument('path', `'${display}' is a folder; ask for application/zip or JSON.`);
    const content = await repo.git.readBlob(object.id);
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    return {
      status: 200,
      raw: { body: content, contentType: rawType === 'text/plain' ? 'text/plain; charset=utf-8' : 'application/octet-stream' },
      headers: bool(q(ctx, 'download')) ? { 'Content-Disposition': `attachment; filename=${name}; filename*=utf-8''${encodeURIComponent(name)}` } : {},
    };
  }
  const opts = { includeContent, includeContentMetadata };
  if (single) return ok(await svc.itemJson(repo, version.commit, display, object, opts));
  const level = recursion ?? VersionControlRecursionType.none;
  const items: Json[] = [await svc.itemJson(repo, version.commit, display, object, { includeContent: false, includeContentMetadata })];
  if (object.type === 'tree' && level !== VersionControlRecursionType.none) {
    const prefix = rel === '' ? '/' : `/${rel}/`;
    const entries =
      level === VersionControlRecursionType.full
        ? await repo.git.lsTreeRecursive(object.id)
        : (await repo.git.lsTree(object.id)).map((e) => ({ ...e, path: e.name }));
    for (const e of entries) {
      if (e.type === 'commit') continue;
      items.push(
        await svc.itemJson(repo, version.commit, prefix + e.path, { id: e.id, type: e.type, mode: e.mode }, { includeContent: false, includeContentMetadata }),
      );
    }
  }
  return list(items);
}

async function commits(d: RouteDeps, ctx: Ctx): Promise<Reply> {
  const svc = d.svc;
  const repo = repoOf(d, ctx);
  const skip = intOr(q(ctx, '$skip', 'searchCriteria.$skip'), 0);
  const top = intOr(q(ctx, '$top', 'searchCriteria.$top'), 100);
  const ids = q(ctx, 'searchCriteria.ids');
  if (ids) {
    const commits = [];
    for (const id of ids.split(',')) {
      if ((await repo.git.objectType(id.trim().toLowerCase())) !== 'commit') throw errors.commitNotFound(id);
      commits.push(svc.commitRefJson(repo, await repo.git.readCommit(id.trim().toLowerCase())));
    }
    return list(commits);
  }
  const fromId = q(ctx, 'searchCriteria.fromCommitId');
  const toId = q(ctx, 'searchCriteria.toCommitId');
  const item = await svc.resolveVersion(
    repo,
    q(ctx, 'searchCriteria.itemVersion.version'),
    q(ctx, 'searchCriteria.itemVersion.versionType'),
    q(ctx, 'searchCriteria.itemVersion.versionOptions'),
  );
  const compareVersion = q(ctx, 'searchCriteria.compareVersion.version');
  const revs: string[] = [];
  if (toId) revs.push(toId.toLowerCase());
  else revs.push(item.commit);
  if (compareVersion) revs.push(`^${(await svc.resolveVersion(repo, compareVersion, q(ctx, 'searchCriteria.compareVersion.versionType'))).commit}`);
  if (fromId) revs.push(`^${fromId.toLowerCase()}^@`);
  const args = [...revs, `--skip=${skip}`, `--max-count=${top}`];
  const author = q(ctx, 'searchCriteria.author');
  if (author) args.push(`--author=${author}`, '--regexp-ignore-case', '--fixed-strings');
  const fromDate = q(ctx, 'searchCriteria.fromDate');
  const toDate = q(ctx, 'searchCriteria.toDate');
  if (fromDate) args.push(`--since=${new Date(fromDate).toISOString()}`);
  if (toDate) args.push(`--until=${new Date(toDate).toISOString()}`);
  const itemPath = q(ctx, 'searchCriteria.itemPath');
  const paths = itemPath && !isRoot(itemPath) ? [normalizeRepoPath(itemPath, 'itemPath')] : [];
  for (const r of revs) if (!r.startsWith('^') && (await repo.git.objectType(r)) !== 'commit') throw errors.commitNotFound(r);
  const commits = await repo.git.log(args, paths);
  const result = [];
  for (const c of commits) {
    const changes = await repo.git.diffTrees(c.parents[0] ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904', c.id);
    const counts = { Add: 0, Edit: 0, Delete: 0 };
    for (const ch of changes) counts[ch.status === 'A' ? 'Add' : ch.status === 'D' ? 'Delete' : 'Edit']++;
    result.push(svc.commitRefJson(repo, c, { changeCounts: counts }));
  }
  return list(result);
}
