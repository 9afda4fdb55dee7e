import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { MASK, Masker, maskSecrets, secretForms } from '../../../shared/agent/masking';

describe('masking', () => {
  it('knows a secret as written, JSON-escaped, XML-escaped and URL-encoded', () => {
    assert.deepEqual(secretForms('plain-value'), ['plain-value']);
    assert.deepEqual(secretForms('a"b<c&d'), ['a"b<c&d', 'a\\"b<c&d', 'a&quot;b&lt;c&amp;d', 'a%22b%3Cc%26d']);
  });

  it('masks every form, the longest secret first, and leaves other text alone', () => {
    const masker = new Masker(['abcdefgh', 'abcdefgh-and-more', 'p"w<1&x']);
    assert.equal(masker.mask('x abcdefgh-and-more y abcdefgh'), 'x *** y ***');
    assert.equal(masker.mask('{"m":"got p\\"w<1&x"}'), '{"m":"got ***"}');
    assert.equal(masker.mask('<failure message="p&quot;w&lt;1&amp;x"/>'), '<failure message="***"/>');
    assert.equal(masker.mask('nothing secret here'), 'nothing secret here');
    assert.equal(new Masker(['', '  ']).mask('a  b'), 'a  b');
    assert.ok(new Masker([' ']).empty);
  });

  it('masks the start of a secret cut short by an ellipsis, from 8 characters on', () => {
    const secret = 'S3cret-Passw0rd-0123456789-abcdefghijklmnopqrstuv';
    assert.equal(maskSecrets(`got string "${secret.slice(0, 37)}..."`, [secret]), 'got string "***..."');
    assert.equal(maskSecrets(`value ${secret.slice(0, 12)}… and more`, [secret]), 'value ***… and more');
    // Seven characters of it say too little to mask (and would mask ordinary words).
    assert.equal(maskSecrets(`got "${secret.slice(0, 7)}..."`, [secret]), `got "${secret.slice(0, 7)}..."`);
    // An ellipsis after text that is not the start of a secret stays.
    assert.equal(maskSecrets('wait for it... done', [secret]), 'wait for it... done');
    // Two cut-short quotes, each masked.
    assert.equal(maskSecrets(`"${secret.slice(0, 9)}..." "${secret.slice(0, 20)}..."`, [secret]), '"***..." "***..."');
  });

  it('never leaves a secret in text, in any of the forms it is written in (property)', () => {
    const alphabet = fc.constantFrom(...'abcXYZ0189-_"<>&\' /'.split(''));
    const secret = fc.string({ unit: alphabet, minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '');
    fc.assert(
      fc.property(secret, fc.string(), fc.string(), (s, before, after) => {
        const text = `${before}${s}${after}`;
        const masker = new Masker([s]);
        assert.ok(!masker.mask(text).includes(s));
        assert.ok(!masker.mask(JSON.stringify({ text })).includes(JSON.stringify(s).slice(1, -1)));
        assert.ok(masker.mask(text).includes(MASK));
      }),
    );
  });
});
