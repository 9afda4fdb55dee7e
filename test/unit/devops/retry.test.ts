import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { backoffDelay, parseRetryAfter, retryDelay, RetriesExhaustedError, withRetry } from '../../../shared/util/retry';
import { formatDuration, sleep, TimeBudget } from '../../../shared/util/time-budget';
import { classifyIdempotent, isTransientFailure, retryAfterOf } from '../../../shared/devops/transient';

const httpError = (statusCode: number, headers: Record<string, string> = {}, typeKey?: string) =>
  Object.assign(new Error(`Failed request: (${statusCode})`), {
    statusCode,
    responseHeaders: headers,
    result: typeKey ? { typeKey, message: 'm' } : undefined,
  });

describe('backoff schedule', () => {
  it('doubles the ceiling per retry with equal jitter, capped', () => {
    const low = (n: number) => backoffDelay(n, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    const high = (n: number) => backoffDelay(n, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(low), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(high), [100, 200, 400, 800, 1000, 1000]);
  });

  it('never waits less than Retry-After, and adds at most a second of spread to it', () => {
    assert.equal(retryDelay(1, { retry: true, retryAfterMs: 3000 }, { baseDelayMs: 100, random: () => 0.5 }), 3000);
    assert.equal(retryDelay(8, { retry: true, retryAfterMs: 2000 }, { baseDelayMs: 1000, maxDelayMs: 60_000, random: () => 0.5 }), 3000);
    assert.equal(retryDelay(1, { retry: true }, { baseDelayMs: 100, random: () => 0.5 }), 75);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('0.5', now), 500);
    assert.equal(parseRetryAfter(['7'], now), 7000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  });
  it('ignores what it cannot read', () => {
    for (const v of [undefined, '', 'soon', '-1', {}]) assert.equal(parseRetryAfter(v, now), undefined);
  });
});

describe('transient failures', () => {
  it('retries 429, 5xx (not 501/505), resets and timeouts; not 4xx', () => {
    for (const s of [429, 500, 502, 503, 504]) assert.equal(isTransientFailure(httpError(s)), true, `${s}`);
    for (const s of [400, 401, 403, 404, 409, 501, 505]) assert.equal(isTransientFailure(httpError(s)), false, `${s}`);
    assert.equal(isTransientFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
    assert.equal(isTransientFailure(new Error('socket hang up')), true);
    assert.equal(isTransientFailure(new Error('Request timeout: /org/_apis/git')), true);
    assert.equal(isTransientFailure(new Error('Failed to find api location for area: git')), false);
  });

  it('takes Retry-After from the response headers, else from the client rateLimit', () => {
    assert.equal(retryAfterOf(httpError(429, { 'retry-after': '2' })), 2000);
    assert.equal(retryAfterOf(Object.assign(httpError(429), { rateLimit: { retryAfter: 4 } })), 4000);
    assert.equal(retryAfterOf(httpError(503)), undefined);
    assert.deepEqual(classifyIdempotent(httpError(429, { 'retry-after': '1' })), { retry: true, retryAfterMs: 1000, reason: 'HTTP 429' });
    assert.deepEqual(classifyIdempotent(httpError(409, {}, 'GitReferenceStaleException')), { retry: false });
  });
});

describe('withRetry (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
  });
  afterEach(() => clock.restore());

  it('waits Retry-After, then the backoff, and returns the first success', async () => {
    const calls: number[] = [];
    const failures = [httpError(429, { 'retry-after': '2' }), httpError(503)];
    const op = () => {
      calls.push(Date.now());
      const f = failures.shift();
      return f ? Promise.reject(f) : Promise.resolve('ok');
    };
    const result = withRetry(op, { classify: (e) => classifyIdempotent(e, Date.now()), baseDelayMs: 100, random: () => 0 });
    await clock.tickAsync(10_000);
    assert.equal(await result, 'ok');
    const t0 = calls[0];
    assert.deepEqual(
      calls.map((t) => t - t0),
      [0, 2000, 2100],
    );
  });

  it('stops at once on a failure that is not retryable', async () => {
    const op = sinon.stub().rejects(httpError(403));
    await assert.rejects(withRetry(op, { classify: (e) => classifyIdempotent(e) }), /Failed request: \(403\)/);
    assert.equal(op.callCount, 1);
  });

  it('gives up when the next wait would not fit the budget, saying what the server asked', async () => {
    const op = sinon.stub().rejects(httpError(429, { 'retry-after': '120' }));
    const p = withRetry(op, { classify: (e) => classifyIdempotent(e, Date.now()), budgetMs: 60_000 });
    await assert.rejects(p, (e: Error) => e instanceof RetriesExhaustedError && /asked to wait 2 min/.test(e.message) && /HTTP 429/.test(e.message));
    assert.equal(op.callCount, 1);
  });

  it('gives up after maxAttempts', async () => {
    const op = sinon.stub().rejects(httpError(500));
    const onRetry = sinon.spy();
    const p = withRetry(op, { classify: (e) => classifyIdempotent(e), maxAttempts: 3, baseDelayMs: 10, onRetry });
    const check = assert.rejects(
      p,
      (e: Error) => e instanceof RetriesExhaustedError && e.attempts === 3 && /gave up after 3 attempts \(last: HTTP 500\)/.test(e.message),
    );
    await clock.tickAsync(1000);
    await check;
    assert.equal(op.callCount, 3);
    assert.equal(onRetry.callCount, 2);
  });
});

describe('time budget and sleep', () => {
  it('counts down with the given clock', () => {
    let now = 1000;
    const b = new TimeBudget(500, () => now);
    assert.equal(b.remainingMs(), 500);
    now = 1400;
    assert.equal(b.remainingMs(), 100);
    assert.equal(b.elapsedMs(), 400);
    now = 2000;
    assert.equal(b.expired(), true);
    assert.throws(() => new TimeBudget(-1), RangeError);
  });

  it('sleep can be aborted', async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error('cancelled'));
    await assert.rejects(p, /cancelled/);
  });

  it('formats durations for people', () => {
    assert.deepEqual([250, 1500, 5960, 6000, 60_000, 125_000].map(formatDuration), ['250 ms', '1.5 s', '6 s', '6 s', '1 min', '2 min 5 s']);
  });
});
