// HTTP front: authentication, fault injection, bootstrap (Location, ResourceAreas, area OPTIONS),
// the Git REST routes, smart HTTP, and the admin routes (admin.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from './errors';
import { PullRequestStatus, VersionControlRecursionType, parseEnum } from './enums';
import { applyFault, describeFault, FaultSpec, FaultTable, HungRequests } from '../common/faults';
import { serveGitHttp } from './git-http';
import { RESOURCE_AREAS, locationsFor } from './locations';
import type { Identity, Organization, Project, PullRequest, Repository } from './model';
import { readIdentities } from './identities';
import { PullRequests } from './pull-requests';
import { DevOpsService, Json, normalizeRepoPath } from './service';
import { WorkItems, parseExpand } from './work-items';

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /** The spec operation (e.g. "Pushes_Create"), for REST calls. */
  operation?: string;
  apiVersion?: string;
  durationMs: number;
  /** Parsed JSON answer, when response recording is on. */
  body?: unknown;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  org: Organization;
  project?: Project;
  params: Record<string, string>;
  rest: string[];
  query: Map<string, string>;
  body: unknown;
  by: Identity;
}

interface Reply {
  status: number;
  json?: unknown;
  raw?: { body: Buffer; contentType: string };
  headers?: Record<string, string>;
}

type Handler = (ctx: Ctx) => Promise<Reply>;

interface Route {
  method: string;
  /** The area (git, wit, identities) followed by the route's segments. */
  segments: string[];
  operation: string;
  handler: Handler;
}

const ok = (json: unknown, status = 200): Reply => ({ status, json });
const list = (value: unknown[], headers?: Record<string, string>): Reply => ({ status: 200, json: { count: value.length, value }, headers });

export class DevOpsHttp {
  readonly prs: PullRequests;
  readonly workItems: WorkItems;
  private readonly routes: Route[] = [];
  readonly log: RequestRecord[] = [];
  /** Requests a hang fault holds open (ended by stop()). */
  readonly hung: HungRequests = new Set();
  recordBodies = false;
  adminHandler?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

  constructor(
    readonly svc: DevOpsService,
    readonly token: string,
    readonly faults: FaultTable,
  ) {
    this.workItems = new WorkItems(svc);
    this.prs = new PullRequests(svc, this.workItems);
    this.defineRoutes();
    this.defineOtherAreas();
  }

  // ---------- entry ----------

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname + url.search, status: 0, durationMs: 0 };
    res.on('finish', () => {
      record.status = res.statusCode;
      record.durationMs = Date.now() - started;
      this.log.push(record);
      if (this.log.length > 20000) this.log.splice(0, this.log.length - 20000);
    });
    try {
      if (url.pathname === '/_admin' || url.pathname.startsWith('/_admin/')) {
        if (!this.adminHandler) throw errors.notFoundRoute(url.pathname);
        await this.adminHandler(req, res, url.pathname.slice('/_admin'.length));
        return;
      }
      const fault = this.faults.take({ method: record.method, path: record.path });
      if (fault) {
        record.operation = `fault:${describeFault(fault)}`;
        if (await applyFault(fault, req, res, (status, spec) => this.sendFault(res, status, spec), this.hung)) return;
      }
      await this.dispatch(req, res, url, record);
    } catch (e) {
      if (this.recordBodies && e instanceof ApiError) record.body = e.body();
      this.sendError(res, e);
    }
  }

  /** An injected error status, with the headers the service sends with it (429: X-RateLimit-*). */
  private sendFault(res: ServerResponse, status: number, spec: FaultSpec): void {
    const e =
      status === 429
        ? errors.throttled(spec.retryAfterSeconds)
        : status === 503
          ? errors.unavailable()
          : status >= 500
            ? errors.internal()
            : new ApiError(status, 'InjectedFaultException', `Injected fault ${status}.`);
    const headers: Record<string, string> = { ...e.headers };
    if (status === 503 && spec.retryAfterSeconds !== undefined) headers['Retry-After'] = String(spec.retryAfterSeconds);
    if (status === 429) {
      Object.assign(headers, {
        'X-RateLimit-Resource': 'ATCPU',
        'X-RateLimit-Delay': '1',
        'X-RateLimit-Limit': '200',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + (spec.retryAfterSeconds ?? 0)),
      });
    }
    const body = e.body();
    if (spec.message !== undefined) body.message = spec.message;
    if (spec.code !== undefined) body.typeKey = spec.code;
    this.sendJson(res, status, body, headers);
  }

  private authenticate(req: IncomingMessage): string | null {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer) return bearer[1].trim() === this.token ? 'bearer' : null;
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : '';
      const pass = colon >= 0 ? decoded.slice(colon + 1) : decoded;
      return pass === this.token ? user || 'pat' : null;
    }
    return null;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, record: RequestRecord): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean).map(safeDecode);
    if (segments.length === 0) throw errors.notFoundRoute('/');
    const org = this.svc.org(segments[0]);
    if (!org) throw errors.hostNotFound(segments[0]);

    const user = this.authenticate(req);
    const gitIndex = segments.indexOf('_git');
    if (gitIndex >= 1 && gitIndex <= 2) {
      if (!user) {
        req.resume();
        this.sendJson(res, 401, errors.unauthorized().body(), { 'WWW-Authenticate': 'Basic realm="Azure DevOps emulator"' });
        return;
      }
      const project = gitIndex === 2 ? this.svc.findProject(org, segments[1]) : undefined;
      const repo = this.svc.findRepository(org, project, segments[gitIndex + 1] ?? '');
      record.operation = 'git-http';
      const sub = '/' + segments.slice(gitIndex + 2).join('/');
      await serveGitHttp(req, res, repo.git.gitDir, sub === '/' ? '' : sub, url.search.slice(1), user);
      return;
    }
    if (!user) {
      req.resume();
      this.sendJson(res, 401, errors.unauthorized().body(), {
        'WWW-Authenticate': 'Bearer authorization_uri=https://login.microsoftonline.com/common, Basic realm="Azure DevOps emulator"',
      });
      return;
    }

    const apisIndex = segments.indexOf('_apis');
    if (apisIndex < 1 || apisIndex > 2) throw errors.notFoundRoute(url.pathname);
    const project = apisIndex === 2 ? this.svc.findProject(org, segments[1]) : undefined;
    const after = segments.slice(apisIndex + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const apiVersion = this.apiVersion(req, url);
    record.apiVersion = apiVersion;

    // Bootstrap: OPTIONS _apis/{area} lists the area's resource locations.
    if (method === 'OPTIONS' && after.length === 1) {
      record.operation = `Locations:${after[0]}`;
      const value = locationsFor(after[0]);
      this.sendJson(res, 200, { count: value.length, value });
      return;
    }
    if (!project && after.length >= 1 && after[0].toLowerCase() === 'resourceareas' && method === 'GET') {
      record.operation = 'ResourceAreas_List';
      const base = `${this.svc.collectionUrl(org)}/`;
      const value = RESOURCE_AREAS.map((a) => ({ id: a.id, name: a.name, locationUrl: base }));
      this.reply(res, record, { status: 200, json: { count: value.length, value } });
      return;
    }
    if (after.length === 0) throw errors.notFoundRoute(url.pathname);
    const match = this.match(method, after);
    if (!match) {
      const anyMethod = this.routes.some((r) => matchSegments(r.segments, after));
      throw anyMethod ? errors.methodNotAllowed(method) : errors.notFoundRoute(url.pathname);
    }
    record.operation = match.route.operation;
    this.checkVersion(apiVersion);
    const body = method === 'GET' || method === 'DELETE' ? undefined : await readJson(req);
    const query = new Map<string, string>();
    for (const [k, v] of url.searchParams) query.set(k.toLowerCase(), v);
    const ctx: Ctx = { req, res, org, project, params: match.params, rest: match.rest, query, body, by: org.serviceIdentity };
    const reply = await match.route.handler(ctx);
    this.reply(res, record, reply);
  }

  private apiVersion(req: IncomingMessage, url: URL): string | undefined {
    const fromQuery = url.searchParams.get('api-version');
    if (fromQuery) return fromQuery;
    const accept = String(req.headers.accept ?? '');
    return /api-version=([^;,\s]+)/i.exec(accept)?.[1];
  }

  private checkVersion(v: string | undefined): void {
    if (!v) return;
    const m = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/.exec(v);
    if (!m) throw errors.badRequest('VssInvalidApiVersionException', `The api-version '${v}' is not valid.`);
    const n = Number(m[1]) * 100 + Number(m[2]);
    if (n > 701) throw errors.versionOutOfRange(`${m[1]}.${m[2]}`);
  }

  private reply(res: ServerResponse, record: RequestRecord, reply: Reply): void {
    if (reply.raw) {
      res.writeHead(reply.status, {
        'Content-Type': reply.raw.contentType,
        'Content-Length': reply.raw.body.length,
        ...this.commonHeaders(),
        ...(reply.headers ?? {}),
      });
      res.end(reply.raw.body);
      return;
    }
    if (this.recordBodies && reply.json !== undefined) record.body = JSON.parse(JSON.stringify(reply.json)); // what went over the wire
    this.sendJson(res, reply.status, reply.json, reply.headers);
  }

  private commonHeaders(): Record<string, string> {
    return { ActivityId: randomUUID(), 'X-TFS-Session': randomUUID(), 'X-VSS-E2EID': randomUUID(), 'X-Content-Type-Options': 'nosniff' };
  }

  sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8; api-version=7.1' }),
      'Content-Length': Buffer.byteLength(text),
      ...this.commonHeaders(),
      ...headers,
    });
    res.end(text);
  }

  sendError(res: ServerResponse, e: unknown): void {
    if (e instanceof ApiError) {
      this.sendJson(res, e.status, e.body(), e.headers);
      return;
    }
    const err = new ApiError(500, 'InternalServerErrorException', `Emulator error: ${e instanceof Error ? e.message : String(e)}`);
    this.sendJson(res, 500, err.body());
  }

  // ---------- routing ----------

  private on(method: string, pattern: string, operation: string, handler: Handler, area = 'git'): void {
    this.routes.push({ method, segments: [area, ...pattern.split('/').filter(Boolean)], operation, handler });
  }

  private match(method: string, path: string[]): { route: Route; params: Record<string, string>; rest: string[] } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = matchSegments(route.segments, path);
      if (m) return { route, ...m };
    }
    return null;
  }

  private repo(ctx: Ctx, key = 'repositoryId'): Repository {
    return this.svc.findRepository(ctx.org, ctx.project, ctx.params[key]);
  }

  private async pr(ctx: Ctx): Promise<PullRequest> {
    const repo = this.repo(ctx);
    const pr = this.prs.find(repo, intParam(ctx.params.pullRequestId, 'pullRequestId'));
    await repo.lock.run(async () => {
      await this.prs.refreshMerge(pr);
      await this.prs.evaluateAutoComplete(pr);
    });
    return pr;
  }

  private q(ctx: Ctx, ...names: string[]): string | undefined {
    for (const n of names) {
      const v = ctx.query.get(n.toLowerCase());
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  }

  private defineRoutes(): void {
    const svc = this.svc;
    const prs = this.prs;
    const afterChange = (repo: Repository, refs: string[]) => prs.afterRefChange(repo, refs);

    // Repositories
    this.on('GET', 'repositories', 'Repositories_List', async (ctx) =>
      list(await Promise.all(svc.allRepositories(ctx.org, ctx.project).map((r) => svc.repositoryJson(r)))),
    );
    this.on('GET', 'repositories/{repositoryId}', 'Repositories_Get Repository', async (ctx) => ok(await svc.repositoryJson(this.repo(ctx))));

    // Refs
    this.on('GET', 'repositories/{repositoryId}/refs/{*filter}', 'Refs_List', async (ctx) => {
      const repo = this.repo(ctx);
      const filter = this.q(ctx, 'filter') ?? (ctx.rest.length ? ctx.rest.join('/') : undefined);
      let refs = await svc.listRefs(repo, filter, this.q(ctx, 'filterContains'), bool(this.q(ctx, 'peelTags')));
      if (bool(this.q(ctx, 'includeStatuses'))) {
        const latestOnly = bool(this.q(ctx, 'latestStatusesOnly'));
        refs = refs.map((r) => {
          let statuses = repo.commitStatuses.get(String(r.objectId)) ?? [];
          statuses = [...statuses].reverse();
          if (latestOnly) statuses = latestPerContext(statuses);
          return { ...r, statuses: statuses.map((s) => prs.statusJson(repo, s, `${svc.repoApiUrl(repo)}/commits/${r.objectId}/statuses/${s.id}`)) };
        });
      }
      const top = intOr(this.q(ctx, '$top'), 0);
      if (top > 0) {
        const start = intOr(this.q(ctx, 'continuationToken'), 0);
        const page = refs.slice(start, start + top);
        return list(page, start + top < refs.length ? { 'x-ms-continuationtoken': String(start + top) } : undefined);
      }
      return list(refs);
    });
    this.on('POST', 'repositories/{repositoryId}/refs', 'Refs_Update Refs', async (ctx) =>
      list(await svc.updateRefs(this.repo(ctx), ctx.body, ctx.by, afterChange)),
    );

    // Pushes
    this.on('POST', 'repositories/{repositoryId}/pushes', 'Pushes_Create', async (ctx) =>
      ok(await svc.createPush(this.repo(ctx), asObject(ctx.body, 'push'), ctx.by, afterChange), 201),
    );
    this.on('GET', 'repositories/{repositoryId}/pushes', 'Pushes_List', async (ctx) => {
      const repo = this.repo(ctx);
      const skip = intOr(this.q(ctx, '$skip'), 0);
      const top = intOr(this.q(ctx, '$top'), 100);
      const refName = this.q(ctx, 'searchCriteria.refName', 'refName');
      const pushes = [...repo.pushes].reverse().filter((p) => !refName || p.refUpdates.some((r) => r.name === refName));
      const page = pushes.slice(skip, skip + top);
      return list(
        await Promise.all(
          page.map(async (p) => {
            const j = await svc.pushJson(repo, p, []);
            delete j.commits;
            if (!bool(this.q(ctx, 'searchCriteria.includeRefUpdates', 'includeRefUpdates'))) delete j.refUpdates;
            return j;
          }),
        ),
      );
    });
    this.on('GET', 'repositories/{repositoryId}/pushes/{pushId}', 'Pushes_Get', async (ctx) => {
      const repo = this.repo(ctx);
      const id = intParam(ctx.params.pushId, 'pushId');
      const push = repo.pushes.find((p) => p.pushId === id);
      if (!push) throw errors.pushNotFound(id);
      return ok(await svc.pushJson(repo, push));
    });

    // Items
    this.on('GET', 'repositories/{repositoryId}/items/{*path}', 'Items_Get', async (ctx) => this.items(ctx));

    // Commits, statuses, merge bases
    this.on('GET', 'repositories/{repositoryId}/commits', 'Commits_Get Commits', async (ctx) => this.commits(ctx));
    this.on('GET', 'repositories/{repositoryId}/commits/{commitId}', 'Commits_Get', async (ctx) =>
      ok(await svc.commitJson(this.repo(ctx), ctx.params.commitId, intOr(this.q(ctx, 'changeCount'), 0))),
    );
    this.on('POST', 'repositories/{repositoryId}/commits/{commitId}/statuses', 'Statuses_Create', async (ctx) => {
      const repo = this.repo(ctx);
      const commitId = ctx.params.commitId.toLowerCase();
      if (!/^[0-9a-f]{40}$/.test(commitId) || (await repo.git.objectType(commitId)) !== 'commit') throw errors.commitNotFound(ctx.params.commitId);
      const status = prs.newStatus(repo, asObject(ctx.body, 'gitCommitStatusToCreate'), ctx.by, false);
      const all = repo.commitStatuses.get(commitId) ?? [];
      all.push(status);
      repo.commitStatuses.set(commitId, all);
      return ok(prs.statusJson(repo, status, `${svc.repoApiUrl(repo)}/commits/${commitId}/statuses/${status.id}`), 201);
    });
    this.on('GET', 'repositories/{repositoryId}/commits/{commitId}/statuses', 'Statuses_List', async (ctx) => {
      const repo = this.repo(ctx);
      const commitId = ctx.params.commitId.toLowerCase();
      let statuses = [...(repo.commitStatuses.get(commitId) ?? [])].reverse(); // newest first
      if (bool(this.q(ctx, 'latestOnly'))) statuses = latestPerContext(statuses);
      const skip = intOr(this.q(ctx, '$skip', 'skip'), 0);
      const top = intOr(this.q(ctx, '$top', 'top'), 1000);
      return list(statuses.slice(skip, skip + top).map((s) => prs.statusJson(repo, s, `${svc.repoApiUrl(repo)}/commits/${commitId}/statuses/${s.id}`)));
    });
    this.on('GET', 'repositories/{repositoryNameOrId}/commits/{commitId}/mergebases', 'Merge Bases_List', async (ctx) => {
      const repo = this.repo(ctx, 'repositoryNameOrId');
      const other = this.q(ctx, 'otherCommitId');
      if (!other) throw errors.argumentNull('otherCommitId');
      for (const id of [ctx.params.commitId, other]) if ((await repo.git.objectType(id.toLowerCase())) !== 'commit') throw errors.commitNotFound(id);
      const base = await repo.git.mergeBase(ctx.params.commitId.toLowerCase(), other.toLowerCase());
      return list(base ? [svc.commitRefJson(repo, await repo.git.readCommit(base))] : []);
    });

    // Diffs
    this.on('GET', 'repositories/{repositoryId}/diffs/commits', 'Diffs_Get', async (ctx) => {
      const repo = this.repo(ctx);
      const base = await svc.resolveVersion(
        repo,
        this.q(ctx, 'baseVersion', 'baseVersionDescriptor.baseVersion'),
        this.q(ctx, 'baseVersionType', 'baseVersionDescriptor.baseVersionType'),
        this.q(ctx, 'baseVersionOptions', 'baseVersionDescriptor.baseVersionOptions'),
      );
      const target = await svc.resolveVersion(
        repo,
        this.q(ctx, 'targetVersion', 'targetVersionDescriptor.targetVersion'),
        this.q(ctx, 'targetVersionType', 'targetVersionDescriptor.targetVersionType'),
        this.q(ctx, 'targetVersionOptions', 'targetVersionDescriptor.targetVersionOptions'),
      );
      const common = this.q(ctx, 'diffCommonCommit');
      return ok(
        await svc.commitDiffs(repo, base, target, common === undefined ? true : bool(common), intOr(this.q(ctx, '$top'), 100), intOr(this.q(ctx, '$skip'), 0)),
      );
    });

    // Pull requests
    this.on('POST', 'repositories/{repositoryId}/pullrequests', 'Pull Requests_Create', async (ctx) => {
      const body = asObject(ctx.body, 'gitPullRequestToCreate');
      const pr = await prs.create(this.repo(ctx), body, ctx.by);
      return ok(await prs.json(pr, { includeWorkItemRefs: Array.isArray(body.workItemRefs) && body.workItemRefs.length > 0 }), 201);
    });
    this.on('GET', 'repositories/{repositoryId}/pullrequests', 'Pull Requests_Get Pull Requests', async (ctx) => {
      const repo = this.repo(ctx);
      await prs.refreshAll(repo);
      return list(await this.searchPullRequests(ctx, [repo]));
    });
    this.on('GET', 'repositories/{repositoryId}/pullrequests/{pullRequestId}', 'Pull Requests_Get Pull Request', async (ctx) => {
      const pr = await this.pr(ctx);
      return ok(await prs.json(pr, { includeCommits: bool(this.q(ctx, 'includeCommits')), includeWorkItemRefs: bool(this.q(ctx, 'includeWorkItemRefs')) }));
    });
    this.on('PATCH', 'repositories/{repositoryId}/pullrequests/{pullRequestId}', 'Pull Requests_Update', async (ctx) =>
      ok(await prs.update(await this.pr(ctx), asObject(ctx.body, 'gitPullRequestToUpdate'), ctx.by)),
    );
    this.on('GET', 'pullrequests', 'Pull Requests_Get Pull Requests By Project', async (ctx) => {
      const repos = svc.allRepositories(ctx.org, ctx.project);
      for (const r of repos) await prs.refreshAll(r);
      return list(await this.searchPullRequests(ctx, repos));
    });
    this.on('GET', 'pullrequests/{pullRequestId}', 'Pull Requests_Get Pull Request By Id', async (ctx) => {
      const id = intParam(ctx.params.pullRequestId, 'pullRequestId');
      for (const repo of svc.allRepositories(ctx.org, ctx.project)) {
        const pr = repo.pullRequests.get(id);
        if (pr) {
          await repo.lock.run(async () => {
            await prs.refreshMerge(pr);
            await prs.evaluateAutoComplete(pr);
          });
          return ok(await prs.json(pr));
        }
      }
      throw errors.pullRequestNotFound(id);
    });
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/commits', 'Pull Request Commits_Get Pull Request Commits', async (ctx) =>
      list(await prs.commits(await this.pr(ctx))),
    );
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/workitems', 'Pull Request Work Items_List', async (ctx) => {
      const pr = await this.pr(ctx);
      return list(this.workItems.linkedTo(pr).map((w) => this.workItems.ref(w)));
    });

    // Reviewers
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/reviewers', 'Pull Request Reviewers_List', async (ctx) => {
      const pr = await this.pr(ctx);
      return list(((await prs.json(pr)).reviewers as unknown[]) ?? []);
    });
    this.on(
      'PUT',
      'repositories/{repositoryId}/pullRequests/{pullRequestId}/reviewers/{reviewerId}',
      'Pull Request Reviewers_Create Pull Request Reviewer',
      async (ctx) => {
        const pr = await this.pr(ctx);
        const body = asObject(ctx.body, 'reviewer');
        const reviewer = prs.identity(pr.repo, ctx.params.reviewerId);
        await prs.vote(
          pr,
          reviewer,
          Number(body.vote ?? pr.reviewers.find((r) => r.identity.id === reviewer.id)?.vote ?? 0),
          body.isRequired === undefined ? undefined : body.isRequired === true,
        );
        const json = (await prs.json(pr)).reviewers as Json[];
        return ok(json.find((r) => r.id === reviewer.id));
      },
    );
    this.on('DELETE', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/reviewers/{reviewerId}', 'Pull Request Reviewers_Delete', async (ctx) => {
      const pr = await this.pr(ctx);
      pr.reviewers = pr.reviewers.filter((r) => r.identity.id !== ctx.params.reviewerId.toLowerCase());
      return { status: 200 };
    });

    // Threads and comments
    this.on('POST', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads', 'Pull Request Threads_Create', async (ctx) => {
      const pr = await this.pr(ctx);
      return ok(prs.threadJson(pr, prs.createThread(pr, asObject(ctx.body, 'commentThread'), ctx.by)));
    });
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads', 'Pull Request Threads_List', async (ctx) => {
      const pr = await this.pr(ctx);
      return list([...pr.threads.values()].map((t) => prs.threadJson(pr, t)));
    });
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}', 'Pull Request Threads_Get', async (ctx) => {
      const pr = await this.pr(ctx);
      return ok(prs.threadJson(pr, prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'))));
    });
    this.on('PATCH', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}', 'Pull Request Threads_Update', async (ctx) => {
      const pr = await this.pr(ctx);
      const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
      prs.updateThread(thread, asObject(ctx.body, 'commentThread'));
      return ok(prs.threadJson(pr, thread));
    });
    this.on(
      'POST',
      'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments',
      'Pull Request Thread Comments_Create',
      async (ctx) => {
        const pr = await this.pr(ctx);
        const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
        const comment = prs.newComment(thread, asObject(ctx.body, 'comment'), ctx.by);
        thread.comments.push(comment);
        return ok(prs.commentJson(pr, thread, comment));
      },
    );
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments', 'Pull Request Thread Comments_List', async (ctx) => {
      const pr = await this.pr(ctx);
      const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
      return list(thread.comments.map((c) => prs.commentJson(pr, thread, c)));
    });
    const findComment = async (ctx: Ctx) => {
      const pr = await this.pr(ctx);
      const thread = prs.findThread(pr, intParam(ctx.params.threadId, 'threadId'));
      const id = intParam(ctx.params.commentId, 'commentId');
      const comment = thread.comments.find((c) => c.id === id);
      if (!comment) throw errors.commentNotFound(id);
      return { pr, thread, comment };
    };
    this.on(
      'GET',
      'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}',
      'Pull Request Thread Comments_Get',
      async (ctx) => {
        const { pr, thread, comment } = await findComment(ctx);
        return ok(prs.commentJson(pr, thread, comment));
      },
    );
    this.on(
      'PATCH',
      'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}',
      'Pull Request Thread Comments_Update',
      async (ctx) => {
        const { pr, thread, comment } = await findComment(ctx);
        const body = asObject(ctx.body, 'comment');
        const now = new Date().toISOString();
        if (typeof body.content === 'string' && body.content !== comment.content) {
          comment.content = body.content;
          comment.lastContentUpdatedDate = now;
        }
        comment.lastUpdatedDate = now;
        thread.lastUpdatedDate = now;
        return ok(prs.commentJson(pr, thread, comment));
      },
    );
    this.on(
      'DELETE',
      'repositories/{repositoryId}/pullRequests/{pullRequestId}/threads/{threadId}/comments/{commentId}',
      'Pull Request Thread Comments_Delete',
      async (ctx) => {
        const { comment } = await findComment(ctx);
        comment.isDeleted = true;
        return { status: 200 };
      },
    );

    // PR statuses
    const prStatusUrl = (pr: PullRequest, id: number) => `${svc.repoApiUrl(pr.repo)}/pullRequests/${pr.id}/statuses/${id}`;
    this.on('POST', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses', 'Pull Request Statuses_Create', async (ctx) => {
      const pr = await this.pr(ctx);
      const status = prs.newStatus(pr.repo, asObject(ctx.body, 'status'), ctx.by, true);
      pr.statuses.push(status);
      return ok(prs.statusJson(pr.repo, status, prStatusUrl(pr, status.id)));
    });
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses', 'Pull Request Statuses_List', async (ctx) => {
      const pr = await this.pr(ctx);
      return list(pr.statuses.map((s) => prs.statusJson(pr.repo, s, prStatusUrl(pr, s.id))));
    });
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses/{statusId}', 'Pull Request Statuses_Get', async (ctx) => {
      const pr = await this.pr(ctx);
      const id = intParam(ctx.params.statusId, 'statusId');
      const s = pr.statuses.find((x) => x.id === id);
      if (!s) throw errors.statusNotFound(id);
      return ok(prs.statusJson(pr.repo, s, prStatusUrl(pr, s.id)));
    });
    this.on('DELETE', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses/{statusId}', 'Pull Request Statuses_Delete', async (ctx) => {
      const pr = await this.pr(ctx);
      const id = intParam(ctx.params.statusId, 'statusId');
      if (!pr.statuses.some((x) => x.id === id)) throw errors.statusNotFound(id);
      pr.statuses = pr.statuses.filter((x) => x.id !== id);
      return { status: 200 };
    });
    this.on('PATCH', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses', 'Pull Request Statuses_Update', async (ctx) => {
      const pr = await this.pr(ctx);
      if (!Array.isArray(ctx.body)) throw errors.invalidArgument('patchDocument', 'A JSON patch document is expected.');
      const remove = new Set<number>();
      for (const op of ctx.body as Json[]) {
        if (String(op.op).toLowerCase() !== 'remove') throw errors.invalidArgument('op', 'Only remove operations are supported on statuses.');
        remove.add(intParam(String(op.path ?? '').replace(/^\//, ''), 'path'));
      }
      pr.statuses = pr.statuses.filter((s) => !remove.has(s.id));
      return { status: 200 };
    });

    // PR properties
    this.on('GET', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/properties', 'Pull Request Properties_List', async (ctx) =>
      ok(prs.propertiesJson(await this.pr(ctx))),
    );
    this.on('PATCH', 'repositories/{repositoryId}/pullRequests/{pullRequestId}/properties', 'Pull Request Properties_Update', async (ctx) => {
      const pr = await this.pr(ctx);
      prs.patchProperties(pr, ctx.body);
      return ok(prs.propertiesJson(pr));
    });
  }

  private defineOtherAreas(): void {
    const wit = this.workItems;
    // Work Item Tracking (area wit): project-scoped or collection-wide, as the service routes them.
    this.on(
      'GET',
      'workitems/{id}',
      'Work Items_Get Work Item',
      async (ctx) => {
        const item = wit.find(ctx.org, ctx.params.id, ctx.project);
        return ok(wit.json(item, { expand: parseExpand(this.q(ctx, '$expand')), fields: this.q(ctx, 'fields')?.split(',') }));
      },
      'wit',
    );
    this.on(
      'GET',
      'workitems',
      'Work Items_List',
      async (ctx) => {
        const ids = this.q(ctx, 'ids');
        if (!ids) throw errors.argumentNull('ids');
        const omit = (this.q(ctx, 'errorPolicy') ?? 'fail').toLowerCase();
        if (omit !== 'fail' && omit !== 'omit' && omit !== '1' && omit !== '2') throw errors.invalidArgument('errorPolicy', `'${omit}' is not a valid value.`);
        const expand = parseExpand(this.q(ctx, '$expand'));
        const fields = this.q(ctx, 'fields')?.split(',');
        const value = ids.split(',').map((id) => {
          try {
            return wit.json(wit.find(ctx.org, id.trim(), ctx.project), { expand, fields });
          } catch (e) {
            if (omit === 'omit' || omit === '2') return null;
            throw e;
          }
        });
        return list(value);
      },
      'wit',
    );
    this.on(
      'PATCH',
      'workitems/{id}',
      'Work Items_Update',
      async (ctx) => {
        const item = wit.find(ctx.org, ctx.params.id, ctx.project);
        if (bool(this.q(ctx, 'validateOnly'))) {
          const copy = { ...item, fields: { ...item.fields }, relations: [...item.relations] };
          wit.patch(copy, ctx.body, ctx.by);
          return ok(wit.json(copy, { relations: true }));
        }
        wit.patch(item, ctx.body, ctx.by);
        return ok(wit.json(item, { expand: parseExpand(this.q(ctx, '$expand')), relations: true }));
      },
      'wit',
    );

    // Identities (IMS): collection level only.
    this.on(
      'GET',
      '',
      'Identities_Read Identities',
      async (ctx) => {
        if (ctx.project) throw errors.notFoundRoute(`/${ctx.project.name}/_apis/identities`);
        return list(
          readIdentities(ctx.org, {
            searchFilter: this.q(ctx, 'searchFilter'),
            filterValue: this.q(ctx, 'filterValue'),
            identityIds: this.q(ctx, 'identityIds'),
            queryMembership: this.q(ctx, 'queryMembership'),
          }),
        );
      },
      'identities',
    );
  }

  // ---------- handlers with more logic ----------

  private async items(ctx: Ctx): Promise<Reply> {
    const svc = this.svc;
    const repo = this.repo(ctx);
    const routePath = ctx.rest.length ? '/' + ctx.rest.join('/') : undefined;
    const pathParam = this.q(ctx, 'path') ?? routePath;
    const scopePath = this.q(ctx, 'scopePath');
    const recursion = parseEnum(VersionControlRecursionType, this.q(ctx, 'recursionLevel'), 'recursionLevel');
    const version = await svc.resolveVersion(
      repo,
      this.q(ctx, 'versionDescriptor.version', 'version'),
      this.q(ctx, 'versionDescriptor.versionType', 'versionType'),
      this.q(ctx, 'versionDescriptor.versionOptions', 'versionOptions'),
    );
    const includeContent = bool(this.q(ctx, 'includeContent'));
    const includeContentMetadata = bool(this.q(ctx, 'includeContentMetadata'));
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
        headers: bool(this.q(ctx, 'download')) ? { 'Content-Disposition': `attachment; filename=${name}; filename*=utf-8''${encodeURIComponent(name)}` } : {},
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
          await svc.itemJson(
            repo,
            version.commit,
            prefix + e.path,
            { id: e.id, type: e.type, mode: e.mode },
            { includeContent: false, includeContentMetadata },
          ),
        );
      }
    }
    return list(items);
  }

  private async commits(ctx: Ctx): Promise<Reply> {
    const svc = this.svc;
    const repo = this.repo(ctx);
    const skip = intOr(this.q(ctx, '$skip', 'searchCriteria.$skip'), 0);
    const top = intOr(this.q(ctx, '$top', 'searchCriteria.$top'), 100);
    const ids = this.q(ctx, 'searchCriteria.ids');
    if (ids) {
      const commits = [];
      for (const id of ids.split(',')) {
        if ((await repo.git.objectType(id.trim().toLowerCase())) !== 'commit') throw errors.commitNotFound(id);
        commits.push(svc.commitRefJson(repo, await repo.git.readCommit(id.trim().toLowerCase())));
      }
      return list(commits);
    }
    const fromId = this.q(ctx, 'searchCriteria.fromCommitId');
    const toId = this.q(ctx, 'searchCriteria.toCommitId');
    const item = await svc.resolveVersion(
      repo,
      this.q(ctx, 'searchCriteria.itemVersion.version'),
      this.q(ctx, 'searchCriteria.itemVersion.versionType'),
      this.q(ctx, 'searchCriteria.itemVersion.versionOptions'),
    );
    const compareVersion = this.q(ctx, 'searchCriteria.compareVersion.version');
    const revs: string[] = [];
    if (toId) revs.push(toId.toLowerCase());
    else revs.push(item.commit);
    if (compareVersion) revs.push(`^${(await svc.resolveVersion(repo, compareVersion, this.q(ctx, 'searchCriteria.compareVersion.versionType'))).commit}`);
    if (fromId) revs.push(`^${fromId.toLowerCase()}^@`);
    const args = [...revs, `--skip=${skip}`, `--max-count=${top}`];
    const author = this.q(ctx, 'searchCriteria.author');
    if (author) args.push(`--author=${author}`, '--regexp-ignore-case', '--fixed-strings');
    const fromDate = this.q(ctx, 'searchCriteria.fromDate');
    const toDate = this.q(ctx, 'searchCriteria.toDate');
    if (fromDate) args.push(`--since=${new Date(fromDate).toISOString()}`);
    if (toDate) args.push(`--until=${new Date(toDate).toISOString()}`);
    const itemPath = this.q(ctx, 'searchCriteria.itemPath');
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

  private async searchPullRequests(ctx: Ctx, repos: Repository[]): Promise<Json[]> {
    const c = (name: string) => this.q(ctx, `searchCriteria.${name}`);
    const status = parseEnum(PullRequestStatus, c('status'), 'searchCriteria.status') ?? PullRequestStatus.active;
    const source = c('sourceRefName');
    const target = c('targetRefName');
    const creator = c('creatorId')?.toLowerCase();
    const reviewer = c('reviewerId')?.toLowerCase();
    const repositoryId = c('repositoryId')?.toLowerCase();
    const sourceRepositoryId = c('sourceRepositoryId')?.toLowerCase();
    const skip = intOr(this.q(ctx, '$skip'), 0);
    const top = intOr(this.q(ctx, '$top'), 101);
    const all = repos
      .flatMap((r) => [...r.pullRequests.values()])
      .filter((pr) => status === PullRequestStatus.all || pr.status === status)
      .filter((pr) => !source || pr.sourceRefName === source)
      .filter((pr) => !target || pr.targetRefName === target)
      .filter((pr) => !creator || pr.createdBy.id === creator)
      .filter((pr) => !reviewer || pr.reviewers.some((r) => r.identity.id === reviewer))
      .filter((pr) => !repositoryId || pr.repo.id === repositoryId)
      .filter((pr) => !sourceRepositoryId || pr.repo.id === sourceRepositoryId)
      .sort((a, b) => b.id - a.id);
    const page = all.slice(skip, skip + top);
    const out: Json[] = [];
    for (const pr of page) {
      const j = await this.prs.json(pr);
      const max = intOr(this.q(ctx, 'maxCommentLength'), -1);
      if (max >= 0 && typeof j.description === 'string') j.description = j.description.slice(0, max);
      delete j._links;
      out.push(j);
    }
    return out;
  }
}

// ---------- helpers ----------

function matchSegments(pattern: string[], path: string[]): { params: Record<string, string>; rest: string[] } | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith('{*')) return { params, rest: path.slice(i) };
    if (i >= path.length) return null;
    if (p.startsWith('{')) params[p.slice(1, -1)] = path[i]!;
    else if (p.toLowerCase() !== path[i].toLowerCase()) return null;
  }
  return path.length === pattern.length ? { params, rest: [] } : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 200 * 1024 * 1024) throw errors.badRequest('RequestContentTooLargeException', 'The request body is too large.');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw errors.badRequest('VssRequestContentException', 'The request body is not valid JSON.');
  }
}

function asObject(body: unknown, name: string): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.argumentNull(name);
  return body as Json;
}

function bool(v: string | undefined): boolean {
  return v !== undefined && v.toLowerCase() === 'true';
}

function intOr(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw errors.invalidArgument('$top/$skip', `'${v}' is not a non-negative integer.`);
  return n;
}

function intParam(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw errors.invalidArgument(name, `'${v}' is not a valid id.`);
  return n;
}

function isRoot(p: string): boolean {
  return p.replace(/[\\/]+/g, '') === '';
}

function latestPerContext<T extends { context: { name: string; genre?: string } }>(statuses: T[]): T[] {
  const seen = new Set<string>();
  return statuses.filter((s) => {
    const key = `${s.context.genre ?? ''}/${s.context.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
