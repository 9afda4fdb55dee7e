import * as assert from 'node:assert/strict';
import { describeFault, faultJson, faultSpecFromJson, FaultTable } from './faults';

describe('emulator faults: the shared vocabulary', () => {
  it('matches by method, route, cluster (case-insensitive) and path substring (case-insensitive) or RegExp, for N requests', () => {
    const table = new FaultTable();
    table.add({ method: 'get', route: 'flux.get', cluster: 'ARC', status: 503, count: 2 });
    table.add({ pathPattern: '/Items', delayMs: 10, count: 1 });
    table.add({ pathPattern: /refs\?filter=heads/g, reset: true, count: 2 });
    const arc = { method: 'GET', path: '/x', route: 'flux.get', cluster: 'arc' };
    assert.equal(table.take({ ...arc, method: 'PUT' }), undefined);
    assert.equal(table.take({ ...arc, cluster: 'aks' }), undefined);
    assert.equal(table.take({ ...arc, route: 'flux.list' }), undefined);
    assert.equal(table.take(arc)?.status, 503);
    assert.equal(table.take({ method: 'GET', path: '/repo/items?path=/a' })?.delayMs, 10);
    assert.equal(table.take({ method: 'GET', path: '/repo/items?path=/a' }), undefined, 'the delay was for one request');
    // a global RegExp keeps no state between requests
    assert.equal(table.take({ method: 'GET', path: '/refs?filter=heads/main' })?.reset, true);
    assert.equal(table.take({ method: 'GET', path: '/refs?filter=heads/main' })?.reset, true);
    assert.equal(table.take({ method: 'GET', path: '/refs?filter=heads/main' }), undefined);
    assert.deepEqual(
      table.list().map((f) => [f.remaining, f.hits]),
      [[1, 1]],
    );
    assert.equal(table.pending(), 1);
  });

  it('handles count and cancel; list and JSON show a RegExp as pathRegex', () => {
    const table = new FaultTable();
    const a = table.add({ pathPattern: /x+/, status: 429, retryAfterSeconds: 3, count: 3 });
    table.add({ pathPattern: 'y', hang: true, count: 1 });
    table.take({ method: 'GET', path: 'xx' });
    assert.deepEqual([a.remaining(), a.hits()], [2, 1]);
    assert.deepEqual(table.list().map(faultJson), [
      { id: 1, remaining: 2, hits: 1, spec: { pathRegex: 'x+', status: 429, retryAfterSeconds: 3, count: 3 } },
      { id: 2, remaining: 1, hits: 0, spec: { pathPattern: 'y', hang: true, count: 1 } },
    ]);
    a.cancel();
    assert.equal(table.cancel(1), false);
    assert.equal(table.cancel(2), true);
    assert.deepEqual(table.list(), []);
  });

  it('describes faults for request logs', () => {
    assert.deepEqual(
      [
        { status: 429, retryAfterSeconds: 1, count: 1 },
        { status: 500, count: 1 },
        { delayMs: 150, count: 1 },
        { delayMs: 100, status: 503, count: 1 },
        { reset: true, count: 1 },
        { hang: true, count: 1 },
      ].map(describeFault),
      ['429 retry-after 1', '500', 'delay 150ms', 'delay 100ms, 503', 'reset', 'hang'],
    );
  });

  it('rejects bad specs with the reason', () => {
    const table = new FaultTable();
    const cases: Array<[Parameters<FaultTable['add']>[0], string]> = [
      [{ status: 503, count: 0 }, 'fault count must be a positive integer'],
      [{ count: 1 }, 'a fault needs a status, a delay, reset or hang'],
      [{ status: 200, count: 1 }, 'fault status must be an integer from 400 to 599'],
      [{ delayMs: -1, count: 1 }, 'fault delayMs must be a number >= 0'],
      [{ status: 429, retryAfterSeconds: 1.5, count: 1 }, 'fault retryAfterSeconds must be an integer >= 0'],
      [{ reset: true, hang: true, count: 1 }, 'a fault is one of status, reset or hang'],
    ];
    for (const [spec, message] of cases) assert.throws(() => table.add(spec), { name: 'RangeError', message });
  });

  it('reads the admin JSON form: count defaults to 1, pathRegex becomes a RegExp, wrong types and unknown fields are named', () => {
    assert.deepEqual(faultSpecFromJson({ method: 'POST', pathRegex: '/pushes$', status: 503 }), {
      method: 'POST',
      pathPattern: /\/pushes$/,
      status: 503,
      count: 1,
    });
    assert.deepEqual(faultSpecFromJson({ route: 'token', cluster: 'arc', delayMs: 5, count: 2 }), { route: 'token', cluster: 'arc', delayMs: 5, count: 2 });
    const cases: Array<[unknown, RegExp]> = [
      [[], /a fault is a JSON object/],
      [{ status: 503, count: '2' }, /fault count must be a number/],
      [{ reset: 'yes' }, /fault reset must be true or false/],
      [{ status: 503, pathRegex: '(' }, /fault pathRegex is not a regular expression/],
      [{ status: 503, pathRegex: 'a', pathPattern: 'a' }, /give pathPattern or pathRegex, not both/],
      [{ status: 503, times: 2 }, /unknown fault field\(s\) times/],
    ];
    for (const [body, message] of cases) assert.throws(() => faultSpecFromJson(body), message);
  });
});
