import * as assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TimeBudget } from '../../../shared/util/time-budget';

/** A full garbage collection now (the flag is set for this process, as --expose-gc would). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe("a time budget's signal survives garbage collection", () => {
  it('a signal combined with a parent still aborts at the deadline after a collection (Node 20 dropped the timeout signal)', async () => {
    const parent = new AbortController();
    const signal = new TimeBudget(300).signal(parent.signal);
    const outcome = await new Promise<string>((resolve) => {
      signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      setTimeout(collectGarbage, 50);
      setTimeout(() => resolve('never aborted'), 3000);
    });
    assert.equal(outcome, 'aborted');
    assert.equal(parent.signal.aborted, false);
  });
});
