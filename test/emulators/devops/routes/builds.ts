// Build area: Builds - List and Artifacts - List / Get Artifact (JSON, or a zip of the files), in the
// Build REST API 7.1 shapes: what a task reads to find the last successful run of its pipeline.
import { ApiError } from '../errors';
import { BUILD_RESULT_VALUES, BUILD_STATUS_VALUES, Builds, StoredBuild } from '../builds';
import type { Project } from '../model';
import type { DevOpsService, Json } from '../service';
import { zipEntries } from '../zip';
import { Ctx, intOr, list, ok, q, Route, routeTable } from './routing';

const buildError = (status: number, typeKey: string, message: string) =>
  new ApiError(status, typeKey, message, {}, 'Microsoft.TeamFoundation.Build.WebApi', 'Microsoft.TeamFoundation.Build2.WebApi');

export function buildRoutes(svc: DevOpsService, builds: Builds): Route[] {
  const { routes, on } = routeTable();

  on(
    'GET',
    'builds',
    'Builds_List',
    (ctx) => {
      const project = projectOf(ctx);
      const definitions = idList(q(ctx, 'definitions'));
      const branch = q(ctx, 'branchName');
      const status = flagFilter(q(ctx, 'statusFilter'), BUILD_STATUS_VALUES, 'statusFilter');
      const result = flagFilter(q(ctx, 'resultFilter'), BUILD_RESULT_VALUES, 'resultFilter');
      const top = intOr(q(ctx, '$top'), 0);
      let found = builds
        .of(project)
        .filter((b) => !definitions || definitions.includes(b.definition.id))
        .filter((b) => !branch || b.sourceBranch.toLowerCase() === branch.toLowerCase())
        .filter((b) => status === undefined || (BUILD_STATUS_VALUES[b.status] & status) !== 0)
        .filter((b) => result === undefined || (b.result !== undefined && (BUILD_RESULT_VALUES[b.result] & result) !== 0));
      found = sortBuilds(found, q(ctx, 'queryOrder') ?? 'queueTimeDescending');
      if (top > 0) found = found.slice(0, top);
      return list(found.map((b) => buildJson(svc, b)));
    },
    'build',
  );

  const artifacts = (ctx: Ctx) => {
    const build = buildOf(ctx);
    const name = q(ctx, 'artifactName');
    if (!name) return list([...build.artifacts.keys()].map((n) => artifactJson(svc, build, n)));
    const files = build.artifacts.get(name);
    if (!files) throw buildError(404, 'ArtifactNotFoundException', `Artifact ${name} was not found for build ${build.id}.`);
    const accept = String(ctx.req.headers.accept ?? '');
    if (q(ctx, '$format')?.toLowerCase() === 'zip' || /application\/zip/i.test(accept)) {
      const entries: Array<[string, Buffer]> = [...files].map(([p, content]) => [`${name}/${p}`, content]);
      return { status: 200, raw: { body: zipEntries(entries), contentType: 'application/zip' } };
    }
    return ok(artifactJson(svc, build, name));
  };
  on('GET', 'builds/{buildId}/artifacts', 'Artifacts_Get Artifact', artifacts, 'build');

  function buildOf(ctx: Ctx): StoredBuild {
    const id = Number(ctx.params.buildId);
    const build = Number.isInteger(id) ? builds.of(projectOf(ctx)).find((b) => b.id === id) : undefined;
    if (!build) throw buildError(404, 'BuildNotFoundException', `The requested build ${ctx.params.buildId} could not be found.`);
    return build;
  }

  return routes;
}

function projectOf(ctx: Ctx): Project {
  if (!ctx.project) throw buildError(404, 'ProjectDoesNotExistWithNameException', 'The build API needs a project in the route.');
  return ctx.project;
}

function idList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n))
      throw buildError(400, 'InvalidArgumentValueException', `The value specified for the following variable must be valid: definitions. '${s}' is not an id.`);
    return n;
  });
}

/** A status/result filter given as names ("completed", "succeeded,partiallySucceeded") or as the enum's number. */
function flagFilter(v: string | undefined, values: Record<string, number>, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  let flags = 0;
  for (const part of v.split(',')) {
    const key = Object.keys(values).find((k) => k.toLowerCase() === part.trim().toLowerCase());
    if (key === undefined)
      throw buildError(400, 'InvalidArgumentValueException', `The value specified for the following variable must be valid: ${name}. '${part}'`);
    flags |= values[key];
  }
  return flags;
}

const ORDERS: Record<string, (b: StoredBuild) => string> = {
  finishtime: (b) => b.finishTime ?? '',
  queuetime: (b) => b.queueTime,
  starttime: (b) => b.queueTime,
};
const ORDER_NUMBERS: Record<string, string> = {
  '2': 'finishTimeAscending',
  '3': 'finishTimeDescending',
  '4': 'queueTimeDescending',
  '5': 'queueTimeAscending',
  '6': 'startTimeDescending',
  '7': 'startTimeAscending',
};

function sortBuilds(found: StoredBuild[], order: string): StoredBuild[] {
  const named = ORDER_NUMBERS[order] ?? order;
  const m = /^(finishTime|queueTime|startTime)(Ascending|Descending)$/i.exec(named);
  if (!m) throw buildError(400, 'InvalidArgumentValueException', `The value specified for the following variable must be valid: queryOrder. '${order}'`);
  const key = ORDERS[m[1].toLowerCase()];
  const sorted = [...found].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
  return m[2].toLowerCase() === 'descending' ? sorted.reverse() : sorted;
}

function projectJson(svc: DevOpsService, project: Project): Json {
  return {
    id: project.id,
    name: project.name,
    url: `${svc.collectionUrl(project.org)}/_apis/projects/${project.id}`,
    state: 'wellFormed',
    revision: project.revision,
    visibility: 'private',
    lastUpdateTime: project.lastUpdateTime,
  };
}

function buildJson(svc: DevOpsService, b: StoredBuild): Json {
  const base = `${svc.collectionUrl(b.project.org)}/${b.project.id}/_apis/build`;
  return {
    _links: { self: { href: `${base}/Builds/${b.id}` }, web: { href: `${svc.collectionUrl(b.project.org)}/${b.project.id}/_build/results?buildId=${b.id}` } },
    properties: {},
    tags: [],
    validationResults: [],
    id: b.id,
    buildNumber: b.buildNumber,
    status: b.status,
    ...(b.result ? { result: b.result } : {}),
    queueTime: b.queueTime,
    startTime: b.queueTime,
    ...(b.finishTime ? { finishTime: b.finishTime } : {}),
    url: `${base}/Builds/${b.id}`,
    definition: {
      drafts: [],
      id: b.definition.id,
      name: b.definition.name,
      url: `${base}/Definitions/${b.definition.id}?revision=1`,
      uri: `vstfs:///Build/Definition/${b.definition.id}`,
      path: '\\',
      type: 'build',
      queueStatus: 'enabled',
      revision: 1,
      project: projectJson(svc, b.project),
    },
    buildNumberRevision: 1,
    project: projectJson(svc, b.project),
    uri: `vstfs:///Build/Build/${b.id}`,
    sourceBranch: b.sourceBranch,
    sourceVersion: b.sourceVersion,
    priority: 'normal',
    reason: 'individualCI',
    retainedByRelease: false,
  };
}

function artifactJson(svc: DevOpsService, b: StoredBuild, name: string): Json {
  const url = `${svc.collectionUrl(b.project.org)}/${b.project.id}/_apis/build/builds/${b.id}/artifacts?artifactName=${encodeURIComponent(name)}&api-version=7.1`;
  const size = [...(b.artifacts.get(name)?.values() ?? [])].reduce((n, c) => n + c.length, 0);
  return {
    id: [...b.artifacts.keys()].indexOf(name) + 1,
    name,
    source: '00000000-0000-0000-0000-000000000000',
    resource: {
      type: 'Container',
      data: `#/${b.id}/${name}`,
      properties: { localpath: `/home/vsts/work/1/a/${name}`, artifactsize: String(size) },
      url,
      downloadUrl: `${url}&%24format=zip`,
    },
  };
}
