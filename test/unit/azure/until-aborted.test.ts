import * as assert from 'node:assert/strict';
import { untilAborted } from '../../../shared/azure/wait';

describe('untilAborted', () => {
  it('with a signal already aborted, rejects with its reason and leaves no unhandled rejection when the request fails later', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const stop = new AbortController();
      stop.abort(new Error('deadline'));
      let fail!: (e: Error) => void;
      const request = new Promise<string>((_, reject) => (fail = reject));
      await assert.rejects(untilAborted(request, stop.signal), /^Error: deadline$/);
      fail(new Error('The operation was aborted.'));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('passes an answer through while the signal is not aborted, and the reason once it aborts', async () => {
    const stop = new AbortController();
    assert.equal(await untilAborted(Promise.resolve('read'), stop.signal), 'read');
    const pending = untilAborted(new Promise<string>(() => undefined), stop.signal);
    stop.abort(new Error('cut'));
    await assert.rejects(pending, /^Error: cut$/);
  });
});
