// The route table of the Azure DevOps emulator: what a handler gets (Ctx), what it answers (Reply),
// how routes are declared (one module per area, each returning its routes), and the query and
// parameter readers the handlers share.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors';
import type { Identity, Organization, Project, PullRequest, Repository } from '../model';
import type { PullRequests } from '../pull-requests';
import type { DevOpsService, Json } from '../service';
import type { WorkItems } from '../work-items';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  org: Organization;
  project?: Project;
  params: Record<string, string>;
  rest: string[];
  query: Map<string, string>;
  body: unknown;
  by: Identity;
  /** Whether the caller's token reaches the repository (a job token: only its declared repositories, see job-tokens.ts). */
  canSee: (repo: Repository) => boolean;
}

export interface Reply {
  status: number;
  json?: unknown;
  raw?: { body: Buffer; contentType: string };
  headers?: Record<string, string>;
}

/** A handler answers at once or after awaiting. */
export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  /** The area (git, wit, identities) followed by the route's segments. */
  segments: string[];
  /** The spec operation, e.g. "Pushes_Create" (recorded in the request log). */
  operation: string;
  handler: Handler;
}

/** What the handlers work on. */
export interface RouteDeps {
  svc: DevOpsService;
  prs: PullRequests;
  workItems: WorkItems;
}

/** A table to declare an area's routes in: on(method, 'repositories/{repositoryId}/refs/{*filter}', operation, handler, area). */
export function routeTable(): { routes: Route[]; on: (method: string, pattern: string, operation: string, handler: Handler, area?: string) => void } {
  const routes: Route[] = [];
  const on = (method: string, pattern: string, operation: string, handler: Handler, area = 'git') => {
    routes.push({ method, segments: [area, ...pattern.split('/').filter(Boolean)], operation, handler });
  };
  return { routes, on };
}

/** The parameters of a path matching a route's segments ({name}: one segment, {*name}: the rest), or null. */
export function matchSegments(pattern: string[], path: string[]): { params: Record<string, string>; rest: string[] } | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith('{*')) return { params, rest: path.slice(i) };
    if (i >= path.length) return null;
    if (p.startsWith('{')) params[p.slice(1, -1)] = path[i];
    else if (p.toLowerCase() !== path[i].toLowerCase()) return null;
  }
  return path.length === pattern.length ? { params, rest: [] } : null;
}

export const ok = (json: unknown, status = 200): Reply => ({ status, json });
export const list = (value: unknown[], headers?: Record<string, string>): Reply => ({ status: 200, json: { count: value.length, value }, headers });

/** The first non-empty query parameter of these names (case-insensitive). */
export function q(ctx: Ctx, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = ctx.query.get(n.toLowerCase());
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** The route's repository; one the caller's token may not reach answers as one that does not exist (TF401019). */
export function repoOf(d: RouteDeps, ctx: Ctx, key = 'repositoryId'): Repository {
  const repo = d.svc.findRepository(ctx.org, ctx.project, ctx.params[key]);
  if (!ctx.canSee(repo)) throw errors.repositoryNotFound(ctx.params[key]);
  return repo;
}

/** The repositories of the organization (or project) the caller's token reaches. */
export function visibleRepositories(d: RouteDeps, ctx: Ctx): Repository[] {
  return d.svc.allRepositories(ctx.org, ctx.project).filter((r) => ctx.canSee(r));
}

/** The pull request of the route, its merge and auto-complete brought up to date. */
export async function prOf(d: RouteDeps, ctx: Ctx): Promise<PullRequest> {
  const repo = repoOf(d, ctx);
  const pr = d.prs.find(repo, intParam(ctx.params.pullRequestId, 'pullRequestId'));
  await repo.lock.run(async () => {
    await d.prs.refreshMerge(pr);
    await d.prs.evaluateAutoComplete(pr);
  });
  return pr;
}

export function asObject(body: unknown, name: string): Json {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.argumentNull(name);
  return body as Json;
}

export function bool(v: string | undefined): boolean {
  return v !== undefined && v.toLowerCase() === 'true';
}

export function intOr(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw errors.invalidArgument('$top/$skip', `'${v}' is not a non-negative integer.`);
  return n;
}

export function intParam(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw errors.invalidArgument(name, `'${v}' is not a valid id.`);
  return n;
}

export function isRoot(p: string): boolean {
  return p.replace(/[\\/]+/g, '') === '';
}

/** The newest status of each context (genre/name), statuses given newest first. */
export function latestPerContext<T extends { context: { name: string; genre?: string } }>(statuses: T[]): T[] {
  const seen = new Set<string>();
  return statuses.filter((s) => {
    const key = `${s.context.genre ?? ''}/${s.context.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
