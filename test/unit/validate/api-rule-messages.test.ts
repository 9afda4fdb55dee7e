import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue, isQualifiedName } from '../../../shared/validate/api-rules/messages';

// Texts near every limit and every character class of the rules; each check is asked twice (the second answer may come from its cache).
const text = fc.oneof(
  fc.stringMatching(/^[-a-zA-Z0-9._/]{0,70}$/),
  fc.stringMatching(/^[a-z0-9]{60,66}$/),
  fc.stringMatching(/^[a-z0-9.]{250,256}$/),
  fc.constantFrom('app', 'app.kubernetes.io/name', '-a', 'a-', 'A', 'a_b', '', '/', 'a/b/c', 'example.com/', '/name'),
);

function expect(errors: readonly string[], expected: (string | RegExp)[]): void {
  assert.equal(errors.length, expected.length, JSON.stringify(errors));
  expected.forEach((e, i) => (typeof e === 'string' ? assert.equal(errors[i], e) : assert.match(errors[i], e)));
}

describe('API server name and label checks (messages)', () => {
  it('give the length and format errors of apimachinery, the same when asked again', () => {
    fc.assert(
      fc.property(text, (value) => {
        const tooLong = (n: number) => (value.length > n ? [`must be no more than ${n} characters`] : []);
        for (let round = 0; round < 2; round++) {
          expect(isDns1123Label(value), [...tooLong(63), ...(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) ? [] : [/^a lowercase RFC 1123 label must/])]);
          expect(isDns1123Subdomain(value), [
            ...tooLong(253),
            ...(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value) ? [] : [/^a lowercase RFC 1123 subdomain must/]),
          ]);
          expect(isDns1035Label(value), [...tooLong(63), ...(/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value) ? [] : [/^a DNS-1035 label must/])]);
          expect(isLabelValue(value), [...tooLong(63), ...(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value) ? [] : [/^a valid label must/])]);
          if (!value.includes('/')) {
            expect(isQualifiedName(value), [
              ...(value === '' ? ['name part must be non-empty'] : value.length > 63 ? ['name part must be no more than 63 characters'] : []),
              ...(/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(value) ? [] : [/^name part must consist of/]),
            ]);
          } else if (value.split('/').length === 2 && /^[a-z0-9.]+\/[a-z]+$/.test(value) && !value.startsWith('.')) {
            assert.ok(isQualifiedName(value).every((e) => e.startsWith('prefix part ')));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
