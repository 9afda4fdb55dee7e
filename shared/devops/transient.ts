/**
 * Which Azure DevOps failures are worth another try, and how long the server asked us to wait.
 * azure-devops-node-api runs with allowRetries false (its own retry skips 429 and ignores
 * Retry-After), so every retry decision is made here.
 */
import { parseRetryAfter, RetryDecision } from '../util/retry';
import { asHttpFailure } from './errors';

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** Throttled (429) or a server-side failure (5xx) or the connection broke or timed out. */
export function isTransientFailure(error: unknown): boolean {
  const f = asHttpFailure(error);
  if (f.statusCode !== undefined) return f.statusCode === 429 || (f.statusCode >= 500 && f.statusCode !== 501 && f.statusCode !== 505);
  if (f.code && NETWORK_CODES.has(f.code)) return true;
  const message = f.message ?? '';
  return /^Request timeout: /.test(message) || /socket hang up/i.test(message);
}

/** Retry-After of a failed response, in ms (seconds or HTTP date), if the server sent one. */
export function retryAfterOf(error: unknown, now: number = Date.now()): number | undefined {
  const f = asHttpFailure(error);
  const header = f.responseHeaders?.['retry-after'];
  const fromHeader = parseRetryAfter(header, now);
  if (fromHeader !== undefined) return fromHeader;
  const fromClient = f.rateLimit?.retryAfter;
  return typeof fromClient === 'number' && Number.isFinite(fromClient) ? fromClient * 1000 : undefined;
}

export function transientReason(error: unknown): string {
  const f = asHttpFailure(error);
  if (f.statusCode !== undefined) return `HTTP ${f.statusCode}`;
  if (f.code) return f.code;
  const message = f.message ?? '';
  // ours says how long it waited ("Request timeout: no answer within 6 s"); the client's names only the path
  if (/^Request timeout: no answer within /.test(message)) return message.slice('Request timeout: '.length);
  return /^Request timeout/.test(message) ? 'request timed out' : message || 'network error';
}

/**
 * The retry rule for a request that is safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE, or a PATCH
 * that sets absolute values): retry every transient failure, honouring Retry-After.
 */
export function classifyIdempotent(error: unknown, now: number = Date.now()): RetryDecision {
  if (!isTransientFailure(error)) return { retry: false };
  return { retry: true, retryAfterMs: retryAfterOf(error, now), reason: transientReason(error) };
}
