import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import { validateSchemas } from '../../../shared/validate/schema';

/** Type errors in a Secret's data name the type, never the value (it is the secret). */
describe('schema type errors in Secret data', () => {
  const messages = (text: string) => {
    const parsed = parseManifests(text, 'deploy/secret.yaml');
    assert.deepEqual(parsed.errors, []);
    return validateSchemas(parsed.objects, { kubernetesVersion: '1.32' }).map((f) => `${f.rule} ${f.message}`);
  };

  it('names the type only under data and stringData of a v1 Secret', () => {
    assert.deepEqual(
      messages('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: 73915502\n  flag: true\ndata:\n  key: 12.5\n').sort(),
      [
        'schema/type data.key: expected base64 string, got number',
        'schema/type stringData.flag: expected string, got boolean',
        'schema/type stringData.password: expected string, got integer',
      ].sort(),
    );
    assert.deepEqual(messages('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata: plain-text-secret\n'), [
      'schema/type data: expected object, got string',
    ]);
  });

  it('still quotes the value elsewhere (a ConfigMap, a Secret type field)', () => {
    assert.deepEqual(messages('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  count: 73915502\n'), [
      'schema/type data.count: expected string, got integer 73915502',
    ]);
    assert.deepEqual(messages('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nimmutable: "yes"\n'), [
      'schema/type immutable: expected boolean, got string "yes"',
    ]);
  });
});
