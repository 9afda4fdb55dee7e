import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import type { ManifestObject } from '../../../shared/manifests/model';
import { checkSecrets } from '../../../shared/validate/secrets';

const FILE = 'clusters/prod/secrets.yaml';
const ADVICE = 'GitOps repositories must not hold plaintext secrets: encrypt it with SOPS or use a SealedSecret / external secret';

function parse(text: string): ManifestObject[] {
  const result = parseManifests(text, FILE);
  assert.deepEqual(result.errors, []);
  return result.objects;
}

const PLAINTEXT = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
type: Opaque
data:
  password: aHVudGVyMg==
  username: YWRtaW4=
stringData:
  token: s3cr3t-t0ken-value
`;

const SOPS_BLOCK = `sops:
  age:
    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-05-01T10:00:00Z"
  mac: ENC[AES256_GCM,data:q1w2e3r4,iv:abcd,tag:efgh,type:str]
  encrypted_regex: ^(data|stringData)$
  version: 3.8.1
`;

describe('secrets', () => {
  it('reports plaintext data and stringData at their keys, naming keys but never values', () => {
    const findings = checkSecrets(parse(PLAINTEXT));
    assert.deepEqual(findings, [
      {
        rule: 'secret/plaintext',
        severity: 'error',
        message: `Secret prod/db holds plaintext data (keys: password, username); ${ADVICE}`,
        object: { apiVersion: 'v1', kind: 'Secret', namespace: 'prod', name: 'db' },
        file: FILE,
        line: 7,
        column: 1,
      },
      {
        rule: 'secret/plaintext',
        severity: 'error',
        message: `Secret prod/db holds plaintext stringData (keys: token); ${ADVICE}`,
        object: { apiVersion: 'v1', kind: 'Secret', namespace: 'prod', name: 'db' },
        file: FILE,
        line: 10,
        column: 1,
      },
    ]);
    for (const f of findings) {
      for (const value of ['aHVudGVyMg==', 'YWRtaW4=', 'hunter2', 's3cr3t-t0ken-value']) assert.ok(!f.message.includes(value), value);
    }
  });

  it('accepts a SOPS-encrypted Secret', () => {
    const text = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
data:
  password: ENC[AES256_GCM,data:Tr0Kx9w1yQ==,iv:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8=,tag:AbCdEfGhIjKlMnOpQrStUv==,type:str]
stringData:
  port: ENC[AES256_GCM,data:MTIz,iv:aXY=,tag:dGFn,type:int]
${SOPS_BLOCK}`;
    assert.deepEqual(checkSecrets(parse(text)), []);
  });

  it('reports each plaintext value of a Secret with a sops block at its own key', () => {
    const text = `apiVersion: v1
kind: Secret
metadata:
  name: api
data:
  encrypted: ENC[AES256_GCM,data:Tr0Kx9w1yQ==,iv:aXY=,tag:dGFn,type:str]
  apiKey: c3VwZXJzZWNyZXQ=
stringData:
  port: 5432
${SOPS_BLOCK}`;
    const findings = checkSecrets(parse(text));
    assert.deepEqual(
      findings.map((f) => [f.rule, f.severity, f.file, f.line, f.column, f.message]),
      [
        ['secret/plaintext', 'error', FILE, 7, 3, `Secret api has a sops block but data.apiKey is not encrypted; ${ADVICE}`],
        ['secret/plaintext', 'error', FILE, 9, 3, `Secret api has a sops block but stringData.port is not encrypted; ${ADVICE}`],
      ],
    );
    assert.ok(findings.every((f) => !f.message.includes('c3VwZXJzZWNyZXQ=') && !f.message.includes('5432')));
  });

  it('does not take a sops key without metadata, or a look-alike value, as encryption', () => {
    const text = `apiVersion: v1
kind: Secret
metadata:
  name: fake
data:
  password: ENC[not really]
sops: {}
`;
    const findings = checkSecrets(parse(text));
    assert.deepEqual(
      findings.map((f) => [f.line, f.message.slice(0, 38)]),
      [[5, 'Secret fake holds plaintext data (keys']],
    );
  });

  it('passes SealedSecrets, empty Secrets and service-account token Secrets without data', () => {
    const text = `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db
  namespace: prod
spec:
  encryptedData:
    password: AgBy3i4OJSWK+PiTySYZZA==
---
apiVersion: v1
kind: Secret
metadata:
  name: sa-token
  annotations:
    kubernetes.io/service-account.name: deployer
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata:
  name: empty
data: {}
stringData:
---
apiVersion: v1
kind: Secret
metadata:
  name: blank-values
data:
  placeholder: ""
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  password: not-a-secret-object
`;
    assert.deepEqual(checkSecrets(parse(text)), []);
  });

  it('still reports a service-account token Secret that carries data', () => {
    const text = `apiVersion: v1
kind: Secret
metadata:
  name: sa-token
type: kubernetes.io/service-account-token
data:
  token: ZXlKaGJHY2lPaUpTVXpJMU5pSjk=
`;
    assert.deepEqual(
      checkSecrets(parse(text)).map((f) => [f.rule, f.line]),
      [['secret/plaintext', 6]],
    );
  });
});
