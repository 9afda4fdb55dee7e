import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fc from 'fast-check';
import { SecretStore } from '../../../shared/agent/job-environment';

/** The store's private fields, to check what it holds in memory. */
interface StoreInternals {
  key: Buffer;
  iv: Buffer;
  values: Map<string, { block: bigint; data: Buffer }>;
}

describe('the secret store of the job environment (one AES-256-CTR key stream)', () => {
  it('gives back every value last stored under a name, whatever the lengths, characters and order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('INPUT_A', 'input_a', 'INPUT_B', 'SECRET_C', 'ENDPOINT_AUTH_D', 'INPUT_E'),
            fc.string({ minLength: 1, maxLength: 70, unit: 'binary' }),
          ),
          { maxLength: 30 },
        ),
        (pairs) => {
          const store = new SecretStore();
          const expected = new Map<string, string>();
          for (const [name, value] of pairs) {
            store.store(name, value);
            expected.set(name.toLowerCase(), value);
          }
          for (const name of ['INPUT_A', 'INPUT_B', 'SECRET_C', 'ENDPOINT_AUTH_D', 'INPUT_E'])
            assert.equal(store.retrieve(name), expected.get(name.toLowerCase()), name);
        },
      ),
    );
  });

  it('never uses a block of the key stream twice: each value is its plain text XOR its own blocks', () => {
    const store = new SecretStore();
    const values = ['a', 'exactly 16 bytes', 'seventeen bytes!!', 'pässwörd-ü', 'x'.repeat(40), 'a'];
    values.forEach((v, i) => store.store(`INPUT_${i}`, v));
    const { key, iv, values: held } = store as unknown as StoreInternals;
    const blocks = [...held.values()].map((v) => v.block);
    // 1, 1, 2, 1, 3, 1 blocks: each value starts where the previous one's blocks end.
    assert.deepEqual(blocks, [0n, 1n, 2n, 4n, 5n, 8n]);
    const stream = crypto.createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(9 * 16));
    values.forEach((v, i) => {
      const { block, data } = held.get(`input_${i}`)!;
      const plain = Buffer.from(v, 'utf8');
      const own = stream.subarray(Number(block) * 16, Number(block) * 16 + plain.length);
      assert.deepEqual(Buffer.from(data.map((b, j) => b ^ own[j])), plain, v);
      assert.ok(!data.includes(plain), `${v} is not held as plain text`);
    });
    // The two 'a' values are encrypted with different blocks.
    assert.notDeepEqual(held.get('input_0')!.data, held.get('input_5')!.data);
  });

  it('counts the CTR counter over all 128 bits (a counter about to wrap)', () => {
    const store = new SecretStore();
    const internals = store as unknown as { iv: Buffer; cipher: crypto.Cipher; key: Buffer };
    // A fresh store whose counter starts two blocks before 2^128.
    const iv = Buffer.from('ff'.repeat(15) + 'fe', 'hex');
    internals.iv = iv;
    internals.cipher = crypto.createCipheriv('aes-256-ctr', internals.key, iv);
    const values = ['first value, two blocks long..', 'after the wrap'];
    values.forEach((v, i) => store.store(`INPUT_${i}`, v));
    values.forEach((v, i) => assert.equal(store.retrieve(`INPUT_${i}`), v));
  });

  it('forgets a deleted value', () => {
    const store = new SecretStore();
    store.store('SECRET_X', 'value');
    store.delete('secret_x');
    assert.equal(store.retrieve('SECRET_X'), undefined);
  });
});
