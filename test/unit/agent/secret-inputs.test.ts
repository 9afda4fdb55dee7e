import * as assert from 'node:assert/strict';
import { MIN_SECRET_LENGTH, refuseSecretValues } from '../../../shared/agent/inputs';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { logFinding } from '../../../shared/agent/report';
import { InputError } from '../../../shared/util/errors';

const agent = new MemoryAgent({ secrets: { dbPassword: 'S3cret-Passw0rd', pin: '1234', spaced: '  padded-secret  ' } });

describe('refuseSecretValues', () => {
  it('refuses a value equal to a secret variable, naming the input, the entry and the variable, never the value', () => {
    assert.throws(
      () => refuseSecretValues(agent, 'variables', new Map([['DB_PASSWORD', 'S3cret-Passw0rd']])),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.input, 'variables');
        assert.equal(
          err.message,
          'Input "variables": DB_PASSWORD holds the value of the secret pipeline variable "dbPassword"; a GitOps repository must not hold plaintext secrets. Keep secrets out of the rendered manifests: encrypt them with SOPS or use sealed secrets (or an external secret store).',
        );
        assert.ok(!err.message.includes('S3cret'));
        return true;
      },
    );
  });

  it('refuses a value holding a secret (a connection string), and a secret given with blanks around it', () => {
    assert.throws(
      () => refuseSecretValues(agent, 'variables', new Map([['DSN', 'postgres://app:S3cret-Passw0rd@db:5432/app']])),
      /DSN holds the value of the secret pipeline variable "dbPassword"/,
    );
    assert.throws(
      () => refuseSecretValues(agent, 'variables', new Map([['X', 'padded-secret']])),
      /X holds the value of the secret pipeline variable "spaced"/,
    );
  });

  it(`passes other values, and ignores secrets shorter than ${MIN_SECRET_LENGTH} characters`, () => {
    assert.doesNotThrow(() =>
      refuseSecretValues(
        agent,
        'variables',
        new Map([
          ['PORT', '1234'],
          ['MODE', 'S3cret'],
          ['EMPTY', ''],
        ]),
      ),
    );
    assert.doesNotThrow(() => refuseSecretValues(new MemoryAgent(), 'variables', new Map([['A', 'S3cret-Passw0rd']])));
  });
});

describe('logFinding masking', () => {
  it('masks a secret variable quoted by a finding, also cut short', () => {
    const long = 'S3cret-Passw0rd-0123456789-abcdefghijklmnopqrstuv';
    const a = new MemoryAgent({ secrets: { token: long } });
    logFinding(a, { rule: 'schema/type', severity: 'error', message: `got string "${long.slice(0, 37)}..."`, file: 'a.yaml', line: 3 });
    assert.deepEqual(a.issues, [
      { type: 'error', message: '[schema/type] got string "***..."', file: 'a.yaml', line: 3, column: undefined, code: 'schema/type' },
    ]);
  });
});
