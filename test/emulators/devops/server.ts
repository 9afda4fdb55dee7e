// HTTP front: authentication, fault injection, bootstrap (Location, ResourceAreas, area OPTIONS),
// dispatch to the REST routes (one module per area under routes/), smart HTTP, and the admin
// routes (admin.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from './errors';
import { BodyTooLargeError, parseJson, readBody, sendJson } from '../common/json';
import { applyFault, describeFault, FaultSpec, FaultTable, HungRequests } from '../common/faults';
import { serveGitHttp } from './git-http';
import { RESOURCE_AREAS, locationsFor } from './locations';
import type { Repository } from './model';
import { PullRequests } from './pull-requests';
import { Builds } from './builds';
import { buildRoutes } from './routes/builds';
import { commitRoutes } from './routes/commits';
import { identityRoutes } from './routes/identities';
import { policyRoutes } from './routes/policy';
import { pullRequestRoutes } from './routes/pull-requests';
import { pullRequestQueryRoutes } from './routes/pull-request-query';
import { blobRoutes } from './routes/blobs';
import { repositoryRoutes } from './routes/repositories';
import { Ctx, matchSegments, Reply, Route, RouteDeps } from './routes/routing';
import { statusRoutes } from './routes/statuses';
import { threadRoutes } from './routes/threads';
import { workItemRoutes } from './routes/work-items';
import { JobGrant, JobTokens } from './job-tokens';
import { DevOpsService } from './service';
import { WorkItems } from './work-items';

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

export class DevOpsHttp {
  readonly prs: PullRequests;
  readonly workItems: WorkItems;
  private readonly routes: Route[];
  readonly log: RequestRecord[] = [];
  /** Requests a hang fault holds open (ended by stop()). */
  readonly hung: HungRequests = new Set();
  /** Job access tokens minted through the admin API, and the pipeline settings that scope them. */
  readonly jobTokens = new JobTokens();
  /** Finished pipeline runs and their artifacts (recorded through the admin API). */
  readonly builds = new Builds();
  recordBodies = false;
  adminHandler?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

  constructor(
    readonly svc: DevOpsService,
    readonly token: string,
    readonly faults: FaultTable,
  ) {
    this.workItems = new WorkItems(svc);
    this.prs = new PullRequests(svc, this.workItems);
    const deps: RouteDeps = { svc, prs: this.prs, workItems: this.workItems };
    this.routes = [
      ...repositoryRoutes(deps),
      ...commitRoutes(deps),
      ...blobRoutes(deps),
      ...statusRoutes(deps),
      ...pullRequestRoutes(deps),
      ...pullRequestQueryRoutes(deps),
      ...threadRoutes(deps),
      ...workItemRoutes(deps),
      ...policyRoutes(deps),
      ...identityRoutes(),
      ...buildRoutes(svc, this.builds),
    ];
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

  /** The caller: the emulator's own token (full access) or a job token (its grant scopes what it reaches); null when neither. */
  private authenticate(req: IncomingMessage): { user: string; grant?: JobGrant } | null {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer) return this.caller(bearer[1].trim(), 'bearer');
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : '';
      const pass = colon >= 0 ? decoded.slice(colon + 1) : decoded;
      return this.caller(pass, user || 'pat');
    }
    return null;
  }

  private caller(secret: string, user: string): { user: string; grant?: JobGrant } | null {
    if (secret === this.token) return { user };
    const grant = this.jobTokens.grant(secret);
    return grant ? { user, grant } : null;
  }

  /** Whether the caller reaches the repository: everything with the emulator's token, the job's scope with a job token. */
  private seesRepository(caller: { grant?: JobGrant }, repo: Repository): boolean {
    return !caller.grant || this.jobTokens.canSee(caller.grant, repo);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, record: RequestRecord): Promise<void> {
    const segments = url.pathname.split('/').filter(Boolean).map(safeDecode);
    if (segments.length === 0) throw errors.notFoundRoute('/');
    const org = this.svc.org(segments[0]);
    if (!org) throw errors.hostNotFound(segments[0]);

    const caller = this.authenticate(req);
    if (caller?.grant && caller.grant.org !== org) {
      req.resume();
      this.sendJson(res, 401, errors.unauthorized().body());
      return;
    }
    const user = caller?.user;
    const gitIndex = segments.indexOf('_git');
    if (gitIndex >= 1 && gitIndex <= 2) {
      if (!user) {
        req.resume();
        this.sendJson(res, 401, errors.unauthorized().body(), { 'WWW-Authenticate': 'Basic realm="Azure DevOps emulator"' });
        return;
      }
      const project = gitIndex === 2 ? this.svc.findProject(org, segments[1]) : undefined;
      const repo = this.svc.findRepository(org, project, segments[gitIndex + 1] ?? '');
      if (!this.seesRepository(caller, repo)) throw errors.repositoryNotFound(segments[gitIndex + 1] ?? '');
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
    const ctx: Ctx = {
      req,
      res,
      org,
      project,
      params: match.params,
      rest: match.rest,
      query,
      body,
      by: org.serviceIdentity,
      canSee: (repo) => this.seesRepository(caller, repo),
    };
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
    sendJson(res, status, body, { ...this.commonHeaders(), ...headers }, 'application/json; charset=utf-8; api-version=7.1');
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

  private match(method: string, path: string[]): { route: Route; params: Record<string, string>; rest: string[] } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = matchSegments(route.segments, path);
      if (m) return { route, ...m };
    }
    return null;
  }
}

// ---------- helpers ----------

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body: string;
  try {
    body = await readBody(req, 200 * 1024 * 1024);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw errors.badRequest('RequestContentTooLargeException', 'The request body is too large.');
    throw e;
  }
  try {
    return parseJson(body);
  } catch {
    throw errors.badRequest('VssRequestContentException', 'The request body is not valid JSON.');
  }
}
