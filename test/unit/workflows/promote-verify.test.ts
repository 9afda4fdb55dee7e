import * as assert from 'node:assert/strict';
import { Answer, judgeAnswer, parseVerifyUrls, redactUrl, runVerification, urlSecrets } from '../../../shared/workflows/promote-verify';
import { InputError } from '../../../shared/util/errors';

describe('verifyUrls: smoke checks from the agent', () => {
  it('reads `URL [status] [~regex]` lines, status 200 by default', () => {
    const checks = parseVerifyUrls(['https://web.dev.contoso.com/healthz', 'http://api/ready 204', 'https://web/ 200 ~version: 1\\.5\\.0', 'https://x/ ~ok$']);
    assert.deepEqual(
      checks.map((c) => [c.url, c.status, c.pattern?.source]),
      [
        ['https://web.dev.contoso.com/healthz', 200, undefined],
        ['http://api/ready', 204, undefined],
        ['https://web/', 200, 'version: 1\\.5\\.0'],
        ['https://x/', 200, 'ok$'],
      ],
    );
  });

  it('names the line of a bad entry, without the credentials in it', () => {
    const bad = (line: string, message: string) =>
      assert.throws(
        () => parseVerifyUrls(['https://ok/', line]),
        (e: Error) => e instanceof InputError && e.message === `Input "verifyUrls": ${message}`,
      );
    bad('ftp://user:pw@host/x', 'line 2 ("ftp://***@host/x...") is not "URL [status] [~regex]" with an http:// or https:// URL');
    bad('not a url', 'line 2 ("not...") is not "URL [status] [~regex]" with an http:// or https:// URL');
    bad('https://h/ 200 ~(', 'line 2: ~( is not a regular expression (Invalid regular expression: /(/: Unterminated group)');
    bad('https://h/ 999', 'line 2: 999 is not an HTTP status');
  });

  it('never shows user info or secret-looking query values, and lists them as secrets', () => {
    const url = new URL('https://deploy:p%40ss@web/health?sig=abc123&v=1&token=t0k3n');
    assert.equal(redactUrl(url), 'https://***@web/health?sig=***&v=1&token=***');
    assert.deepEqual(urlSecrets(url), ['p@ss', 'abc123', 't0k3n']);
    assert.equal(parseVerifyUrls(['https://a:b@h/']).map((c) => c.display)[0], 'https://***@h/');
  });

  it('judges status and body, showing the first 200 bytes of a failing answer', () => {
    const [check] = parseVerifyUrls(['https://h/ 200 ~web:2']);
    assert.equal(judgeAnswer(check, { status: 200, body: Buffer.from('web:2.0.0') }), undefined);
    assert.equal(judgeAnswer(check, { status: 503, body: Buffer.from('x'.repeat(300)) }), `status 503 (expected 200), body "${'x'.repeat(200)}"`);
    assert.equal(judgeAnswer(check, { status: 200, body: Buffer.from('web:1') }), 'status 200, body does not match ~web:2: "web:1"');
    assert.equal(judgeAnswer(check, { error: 'connect ECONNREFUSED' }), 'no answer: connect ECONNREFUSED');
  });

  it('asks failing URLs again until all passed, not asking a passed one again', async () => {
    let now = 0;
    const answers: Record<string, Answer[]> = {
      'https://a/': [
        { status: 503, body: Buffer.from('warming') },
        { status: 200, body: Buffer.from('ok') },
      ],
      'https://b/': [{ status: 200, body: Buffer.from('ok') }],
    };
    const asked: string[] = [];
    const result = await runVerification(parseVerifyUrls(['https://a/', 'https://b/']), {
      timeoutMs: 60_000,
      intervalMs: 2_000,
      clock: () => now,
      wait: (ms) => Promise.resolve(void (now += ms)),
      fetch: (url) => {
        asked.push(url);
        return Promise.resolve(answers[url].shift()!);
      },
    });
    assert.deepEqual(asked, ['https://a/', 'https://b/', 'https://a/']);
    assert.deepEqual(result, {
      ok: true,
      elapsedMs: 2_000,
      rounds: 2,
      message: '2 URL(s) verified in 2 s',
      checks: [
        { display: 'https://a/', ok: true, attempts: 2, firstFailure: 'status 503 (expected 200), body "warming"' },
        { display: 'https://b/', ok: true, attempts: 1 },
      ],
    });
  });

  it('fails when the time is up, with the first failing answer', async () => {
    let now = 0;
    let n = 0;
    const result = await runVerification(parseVerifyUrls(['https://a/ 200']), {
      timeoutMs: 5_000,
      intervalMs: 2_000,
      clock: () => now,
      wait: (ms) => Promise.resolve(void (now += ms)),
      fetch: () => Promise.resolve({ status: 500 + n++, body: Buffer.from('down') }),
    });
    assert.equal(result.ok, false);
    assert.equal(result.rounds, 4);
    assert.equal(result.message, 'Verification failed: https://a/ did not pass within 5 s (4 answer(s); first: status 500 (expected 200), body "down")');
  });
});
