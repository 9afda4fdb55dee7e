/** Small HTTP pieces shared by the ARM, login and IMDS endpoints: bodies, JSON answers, the request log. */
import type * as http from 'node:http';
import { sendJson as sendJsonAnswer } from '../common/json';

export { readBody } from '../common/json';

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

/** A JSON answer as ARM sends it (Cache-Control: no-cache). */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonAnswer(res, status, body, { 'Cache-Control': 'no-cache', ...headers });
}

export function queryOf(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (out[k] = v));
  return out;
}
