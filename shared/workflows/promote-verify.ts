/**
 * Smoke checks from the agent after Flux reconciled: each verifyUrls line is `URL [status]
 * [~regex]` (status default 200), and every URL is asked again until all pass or the time is up.
 * Plain HTTP(S) from the agent: no cluster credentials needed, the agent's trust store (and
 * NODE_EXTRA_CA_CERTS) decides what HTTPS is trusted. Credentials in a URL (user:password@, or
 * a query value of a token-like name) are never shown.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { InputError } from '../util/errors';
import { Clock, formatDuration, sleep, systemClock } from '../util/time-budget';

/** One check of the verifyUrls input. */
export interface UrlCheck {
  url: string;
  /** The URL as it may be shown. */
  display: string;
  status: number;
  /** The body must match this (the `~regex` part). */
  pattern?: RegExp;
}

/** Query parameters whose values are secrets (shared access signatures, tokens, keys). */
const SECRET_QUERY = /^(sig|signature|token|access_token|code|key|apikey|api-key|password|pwd|secret|client_secret|auth)$/i;

/** The URL without its user info and with secret-looking query values as ***. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  const hadUser = copy.username !== '' || copy.password !== '';
  copy.username = '';
  copy.password = '';
  for (const name of [...copy.searchParams.keys()]) if (SECRET_QUERY.test(name)) copy.searchParams.set(name, '***');
  const text = copy.href;
  return hadUser ? text.replace('://', '://***@') : text;
}

/** The secrets a URL carries (to be masked in the log). */
export function urlSecrets(url: URL): string[] {
  const secrets = [url.password, ...[...url.searchParams].filter(([name]) => SECRET_QUERY.test(name)).map(([, v]) => v)];
  return secrets.map((s) => decodeURIComponent(s)).filter((s) => s.length >= 3);
}

/** The verifyUrls lines as checks; a line that is not `URL [status] [~regex]` is an input error naming it. */
export function parseVerifyUrls(lines: readonly string[]): UrlCheck[] {
  return lines.map((line, i) => {
    const where = `line ${i + 1}`;
    const m = /^(\S+)(?:\s+(\d{3}))?(?:\s+~(.+))?$/.exec(line.trim());
    let url: URL | undefined;
    try {
      url = m ? new URL(m[1]) : undefined;
    } catch {
      url = undefined;
    }
    if (!m || !url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      const shown = url ? redactUrl(url) : (line.split(/\s+/)[0] ?? '').replace(/\/\/[^/@]*@/, '//***@');
      throw new InputError('verifyUrls', `${where} ("${shown}...") is not "URL [status] [~regex]" with an http:// or https:// URL`);
    }
    const status = m[2] === undefined ? 200 : Number(m[2]);
    if (status < 100 || status > 599) throw new InputError('verifyUrls', `${where}: ${m[2]} is not an HTTP status`);
    let pattern: RegExp | undefined;
    if (m[3] !== undefined) {
      try {
        pattern = new RegExp(m[3].trim());
      } catch (err) {
        throw new InputError('verifyUrls', `${where}: ~${m[3].trim()} is not a regular expression (${(err as Error).message})`);
      }
    }
    return { url: url.href, display: redactUrl(url), status, pattern };
  });
}

/** One answer of a URL: its status and body, or why there was none. */
export type Answer = { status: number; body: Buffer } | { error: string };

export type Fetcher = (url: string, timeoutMs: number) => Promise<Answer>;

/** At most this much of a body is read (a smoke check answers small). */
const MAX_BODY = 64 * 1024;

/** GET with node's http/https (the process's trust store), a per-request timeout, no redirects followed. */
export const httpFetcher: Fetcher = (url, timeoutMs) =>
  new Promise((resolve) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.get(target, { timeout: timeoutMs, headers: { 'user-agent': 'gitops-flow-verify' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, MAX_BODY) }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${formatDuration(timeoutMs)}`)));
    req.on('error', (e) => resolve({ error: e.message }));
  });

/** How one answer is judged: undefined when it passes, else what was wrong with it. */
export function judgeAnswer(check: UrlCheck, answer: Answer): string | undefined {
  if ('error' in answer) return `no answer: ${answer.error}`;
  const text = answer.body.toString('utf8');
  const shown = JSON.stringify(answer.body.subarray(0, 200).toString('utf8'));
  if (answer.status !== check.status) return `status ${answer.status} (expected ${check.status}), body ${shown}`;
  if (check.pattern && !check.pattern.test(text)) return `status ${answer.status}, body does not match ~${check.pattern.source}: ${shown}`;
  return undefined;
}

export interface CheckOutcome {
  display: string;
  ok: boolean;
  /** The first failing answer (when it failed at least once), e.g. "status 503 (expected 200), body \"...\"". */
  firstFailure?: string;
  /** Answers read. */
  attempts: number;
}

export interface VerificationResult {
  ok: boolean;
  elapsedMs: number;
  rounds: number;
  checks: CheckOutcome[];
  /** One line: what passed, or which URL failed and how. */
  message: string;
}

export interface VerifyOptions {
  timeoutMs: number;
  /** Between rounds, default 2 s (less when the time left is shorter). */
  intervalMs?: number;
  /** Per request, default 10 s (less when the time left is shorter). */
  requestTimeoutMs?: number;
  fetch?: Fetcher;
  clock?: Clock;
  wait?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

/**
 * Asks every URL until each has passed once, or the time is up (at least one round is made).
 * A URL that passed is not asked again.
 */
export async function runVerification(checks: readonly UrlCheck[], options: VerifyOptions): Promise<VerificationResult> {
  const clock = options.clock ?? systemClock;
  const fetch = options.fetch ?? httpFetcher;
  const wait = options.wait ?? sleep;
  const start = clock();
  const outcomes: CheckOutcome[] = checks.map((c) => ({ display: c.display, ok: false, attempts: 0 }));
  let rounds = 0;
  for (;;) {
    rounds++;
    const left = () => options.timeoutMs - (clock() - start);
    await Promise.all(
      checks.map(async (check, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) return;
        const answer = await fetch(check.url, Math.max(1, Math.min(options.requestTimeoutMs ?? 10_000, left())));
        outcome.attempts++;
        const problem = judgeAnswer(check, answer);
        if (problem === undefined) {
          outcome.ok = true;
          options.log?.(`${check.display}: passed (answer ${outcome.attempts})`);
        } else {
          if (outcome.firstFailure === undefined) options.log?.(`${check.display}: ${problem}; asking again until the verification time is up`);
          outcome.firstFailure ??= problem;
        }
      }),
    );
    const elapsedMs = clock() - start;
    const failing = outcomes.filter((o) => !o.ok);
    if (failing.length === 0) {
      return { ok: true, elapsedMs, rounds, checks: outcomes, message: `${checks.length} URL(s) verified in ${formatDuration(elapsedMs)}` };
    }
    if (elapsedMs >= options.timeoutMs) {
      const first = failing[0];
      return {
        ok: false,
        elapsedMs,
        rounds,
        checks: outcomes,
        message: `Verification failed: ${first.display} did not pass within ${formatDuration(options.timeoutMs)} (${first.attempts} answer(s); first: ${first.firstFailure})${failing.length > 1 ? `; ${failing.length - 1} more URL(s) failing` : ''}`,
      };
    }
    await wait(Math.min(options.intervalMs ?? 2_000, Math.max(0, options.timeoutMs - elapsedMs)));
  }
}
