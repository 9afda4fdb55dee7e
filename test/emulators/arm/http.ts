/** Small HTTP pieces shared by the ARM, login and IMDS endpoints: bodies, JSON answers, request log, faults. */
import type * as http from 'node:http';

export interface LoggedRequest {
  at: number;
  server: 'arm' | 'login' | 'imds';
  method: string;
  path: string;
  query: Record<string, string>;
  /** A stable name for the kind of request, e.g. "flux.get", "token", "oidc", "openid-configuration". */
  route: string;
  status: number;
  /** Cluster name for ARM routes. */
  cluster?: string;
  fault?: string;
}

export type Fault =
  /** An error status. For 429 and 503, `retryAfterSeconds` adds Retry-After (omit it for "without Retry-After"). */
  | { kind: 'status'; status: number; retryAfterSeconds?: number; code?: string; message?: string }
  /** Answer normally after this long. */
  | { kind: 'delay'; ms: number }
  /** Destroy the connection without an answer (the client sees ECONNRESET / socket hang up). */
  | { kind: 'reset' };

export interface FaultRule {
  /** Route name (see LoggedRequest.route), e.g. "flux.get"; all routes when omitted. */
  route?: string;
  method?: string;
  /** Substring of the path (case-insensitive) or a pattern. */
  path?: string | RegExp;
  cluster?: string;
  /** How many matching requests get the fault. */
  times: number;
  fault: Fault;
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    if (!(rule.times > 0)) throw new RangeError('a fault rule needs times >= 1');
    this.rules.push({ ...rule });
  }

  clear(): void {
    this.rules = [];
  }

  pending(): number {
    return this.rules.reduce((n, r) => n + r.times, 0);
  }

  /** The fault for this request, consuming one use of the first matching rule. */
  take(request: { route: string; method: string; path: string; cluster?: string }): Fault | undefined {
    const rule = this.rules.find(
      (r) =>
        r.times > 0 &&
        (r.route === undefined || r.route === request.route) &&
        (r.method === undefined || r.method.toUpperCase() === request.method.toUpperCase()) &&
        (r.cluster === undefined || r.cluster.toLowerCase() === request.cluster?.toLowerCase()) &&
        (r.path === undefined || (typeof r.path === 'string' ? request.path.toLowerCase().includes(r.path.toLowerCase()) : r.path.test(request.path))),
    );
    if (!rule) return undefined;
    rule.times--;
    this.rules = this.rules.filter((r) => r.times > 0);
    return rule.fault;
  }
}

export function describeFault(fault: Fault): string {
  if (fault.kind === 'status') return `${fault.status}${fault.retryAfterSeconds !== undefined ? ` retry-after ${fault.retryAfterSeconds}` : ''}`;
  if (fault.kind === 'delay') return `delay ${fault.ms}ms`;
  return 'reset';
}

export async function readBody(req: http.IncomingMessage, limit = 4 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache',
    ...headers,
  });
  res.end(text);
}

export function queryOf(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (out[k] = v));
  return out;
}

export const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
