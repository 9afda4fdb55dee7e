/**
 * The fault-injection vocabulary both emulators share (Azure DevOps and ARM): a rule matches
 * requests by method, path pattern, route name or cluster, applies to the next N of them, and
 * answers with an error status (with or without Retry-After), answers late, resets the
 * connection or never answers. The same JSON shape is accepted by both admin HTTP APIs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FaultSpec {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Matched against the request path and query: a RegExp, or a substring (case-insensitive). Every path when omitted. */
  pathPattern?: RegExp | string;
  /** The route name the emulator gives the request (ARM: flux.get, flux.list, flux.put, flux.patch, flux.delete, flux.operation, token, oidc, imds, ...). */
  route?: string;
  /** ARM: the cluster named in the resource path (case-insensitive). */
  cluster?: string;
  /** Answer with this status (429, 500, 503, ...) instead of serving the request. */
  status?: number;
  /** With a status: the Retry-After header, in seconds (omit it for an answer without Retry-After). */
  retryAfterSeconds?: number;
  /** With a status: the error code and message of the answer (defaults depend on the status and the emulator). */
  code?: string;
  message?: string;
  /** Wait this long before answering (alone: a slow but correct answer; with a status: a slow error; with reset: a late reset). */
  delayMs?: number;
  /** Destroy the connection without an answer (the client sees ECONNRESET / socket hang up). */
  reset?: boolean;
  /** Never answer: the request stays open until the client gives up or the emulator stops. */
  hang?: boolean;
  /** How many matching requests the fault applies to. */
  count: number;
}

/** What a request offers to the rules. */
export interface FaultTarget {
  method: string;
  /** Path and query. */
  path: string;
  route?: string;
  cluster?: string;
}

export interface FaultHandle {
  readonly id: number;
  /** Requests still to be faulted. */
  remaining(): number;
  /** Requests the fault has hit so far. */
  hits(): number;
  cancel(): void;
}

export interface FaultListing {
  id: number;
  remaining: number;
  hits: number;
  spec: FaultSpec;
}

interface ActiveFault {
  id: number;
  spec: FaultSpec;
  remaining: number;
  hits: number;
}

/** The problem with a fault spec, or undefined when it is valid. */
export function faultSpecProblem(spec: FaultSpec): string | undefined {
  if (!Number.isInteger(spec.count) || spec.count < 1) return 'fault count must be a positive integer';
  if (spec.status === undefined && !spec.reset && !spec.hang && spec.delayMs === undefined) return 'a fault needs a status, a delay, reset or hang';
  if (spec.status !== undefined && (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599))
    return 'fault status must be an integer from 400 to 599';
  if (spec.delayMs !== undefined && (!Number.isFinite(spec.delayMs) || spec.delayMs < 0)) return 'fault delayMs must be a number >= 0';
  if (spec.retryAfterSeconds !== undefined && (!Number.isInteger(spec.retryAfterSeconds) || spec.retryAfterSeconds < 0))
    return 'fault retryAfterSeconds must be an integer >= 0';
  if ([spec.status !== undefined, spec.reset === true, spec.hang === true].filter(Boolean).length > 1) return 'a fault is one of status, reset or hang';
  return undefined;
}

export class FaultTable {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): FaultHandle {
    const problem = faultSpecProblem(spec);
    if (problem) throw new RangeError(problem);
    const fault: ActiveFault = { id: this.nextId++, spec: { ...spec }, remaining: spec.count, hits: 0 };
    this.faults.push(fault);
    return {
      id: fault.id,
      remaining: () => fault.remaining,
      hits: () => fault.hits,
      cancel: () => this.cancel(fault.id),
    };
  }

  /** Removes one fault; false when there is none with this id (any more). */
  cancel(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** Requests the active faults will still hit. */
  pending(): number {
    return this.faults.reduce((n, f) => n + f.remaining, 0);
  }

  /** Takes one use of the first fault matching this request, if any. */
  take(target: FaultTarget): FaultSpec | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && matches(f.spec, target));
    if (!fault) return undefined;
    fault.remaining--;
    fault.hits++;
    if (fault.remaining === 0) this.faults = this.faults.filter((x) => x !== fault);
    return fault.spec;
  }

  list(): FaultListing[] {
    return this.faults.map((f) => ({ id: f.id, remaining: f.remaining, hits: f.hits, spec: f.spec }));
  }
}

function matches(spec: FaultSpec, target: FaultTarget): boolean {
  if (spec.method !== undefined && spec.method.toUpperCase() !== target.method.toUpperCase()) return false;
  if (spec.route !== undefined && spec.route !== target.route) return false;
  if (spec.cluster !== undefined && spec.cluster.toLowerCase() !== target.cluster?.toLowerCase()) return false;
  const p = spec.pathPattern;
  if (p === undefined) return true;
  // a global or sticky RegExp keeps lastIndex between tests: test a fresh one
  return typeof p === 'string' ? target.path.toLowerCase().includes(p.toLowerCase()) : new RegExp(p.source, p.flags.replace(/[gy]/g, '')).test(target.path);
}

/** A short label for request logs: "429 retry-after 1", "delay 150ms", "reset", "hang", "delay 100ms, 503". */
export function describeFault(spec: FaultSpec): string {
  const parts: string[] = [];
  if (spec.delayMs !== undefined) parts.push(`delay ${spec.delayMs}ms`);
  if (spec.status !== undefined) parts.push(`${spec.status}${spec.retryAfterSeconds !== undefined ? ` retry-after ${spec.retryAfterSeconds}` : ''}`);
  if (spec.reset) parts.push('reset');
  if (spec.hang) parts.push('hang');
  return parts.join(', ');
}

/** The JSON form of a fault (a RegExp pattern as its source): what the admin APIs list. */
export function faultJson(listing: FaultListing): Record<string, unknown> {
  const { pathPattern, ...rest } = listing.spec;
  return {
    id: listing.id,
    remaining: listing.remaining,
    hits: listing.hits,
    spec: { ...rest, ...(pathPattern instanceof RegExp ? { pathRegex: pathPattern.source } : pathPattern !== undefined ? { pathPattern } : {}) },
  };
}

/**
 * A fault spec from an admin API JSON body: `pathPattern` (substring) or `pathRegex` (a regular
 * expression), the other fields as in FaultSpec; count defaults to 1. Throws a RangeError naming
 * the bad field.
 */
export function faultSpecFromJson(body: unknown): FaultSpec {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RangeError('a fault is a JSON object');
  const b = body as Record<string, unknown>;
  const known = [
    'method',
    'pathPattern',
    'pathRegex',
    'route',
    'cluster',
    'status',
    'retryAfterSeconds',
    'code',
    'message',
    'delayMs',
    'reset',
    'hang',
    'count',
  ];
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) throw new RangeError(`unknown fault field(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const text = (name: string): string | undefined => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new RangeError(`fault ${name} must be a string`);
    return v;
  };
  const num = (name: string): number | undefined => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw new RangeError(`fault ${name} must be a number`);
    return v;
  };
  const flag = (name: string): boolean | undefined => {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new RangeError(`fault ${name} must be true or false`);
    return v;
  };
  const regex = text('pathRegex');
  let pathPattern: RegExp | string | undefined = text('pathPattern');
  if (regex !== undefined) {
    if (pathPattern !== undefined) throw new RangeError('give pathPattern or pathRegex, not both');
    try {
      pathPattern = new RegExp(regex);
    } catch (e) {
      throw new RangeError(`fault pathRegex is not a regular expression: ${(e as Error).message}`, { cause: e });
    }
  }
  const spec: FaultSpec = { count: num('count') ?? 1 };
  const fields: Partial<FaultSpec> = {
    method: text('method'),
    pathPattern,
    route: text('route'),
    cluster: text('cluster'),
    status: num('status'),
    retryAfterSeconds: num('retryAfterSeconds'),
    code: text('code'),
    message: text('message'),
    delayMs: num('delayMs'),
    reset: flag('reset'),
    hang: flag('hang'),
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) Object.assign(spec, { [k]: v });
  const problem = faultSpecProblem(spec);
  if (problem) throw new RangeError(problem);
  return spec;
}

/** Requests a hang fault holds open, so an emulator can end them when it stops. */
export type HungRequests = Set<ServerResponse>;

/**
 * Applies a fault to a request: waits, then resets the connection, holds it open (hang) or
 * answers with the status through `answer` (the emulator's own error body and headers).
 * Returns true when the request is done; false when only a delay applied and the request is
 * to be served normally.
 */
export async function applyFault(
  spec: FaultSpec,
  req: IncomingMessage,
  res: ServerResponse,
  answer: (status: number, spec: FaultSpec) => void,
  hung: HungRequests,
): Promise<boolean> {
  if (spec.delayMs) await new Promise((r) => setTimeout(r, spec.delayMs));
  if (spec.reset) {
    req.socket.destroy();
    return true;
  }
  if (spec.hang) {
    req.resume();
    hung.add(res);
    res.on('close', () => hung.delete(res));
    return true;
  }
  if (spec.status !== undefined) {
    req.resume();
    answer(spec.status, spec);
    return true;
  }
  return false;
}

/** Ends the requests a hang fault holds (when the emulator stops). */
export function endHungRequests(hung: HungRequests): void {
  for (const res of hung) res.socket?.destroy();
  hung.clear();
}
