import { strict as assert } from 'node:assert';
import type { Finding } from '../../../shared/manifests/finding';
import { parseManifests } from '../../../shared/manifests/parse';
import { DEFAULT_POLICY_SEVERITIES } from '../../../shared/validate/policy';
import { validateSchemas } from '../../../shared/validate/schema';
import { base64Problem, dateTimeProblem, duplicateItems, int32Problem } from '../../../shared/validate/schema-formats';
import { validateManifests } from '../../../shared/validate/validate-manifests';

const FILE = 'deploy/app.yaml';

function findings(text: string, kubernetesVersion = '1.32'): string[] {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return brief(validateSchemas(parsed.objects, { kubernetesVersion }));
}

function brief(list: Finding[]): string[] {
  return list.map((f) => `${f.rule} ${f.file}:${f.line}:${f.column} ${f.message}`);
}

const deployment = (containers: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
${containers}`;

describe('schema formats and list types (from the Kubernetes OpenAPI documents)', () => {
  describe('x-kubernetes-list-type: map (schema/duplicate-key)', () => {
    it('reports two env vars of one name at the second, with the API server wording', () => {
      const text = deployment(`        - name: web
          image: nginx:1.27
          env:
            - name: MODE
              value: a
            - name: LEVEL
              value: b
            - name: MODE
              value: c
`);
      assert.deepEqual(findings(text), [
        `schema/duplicate-key ${FILE}:22:15 spec.template.spec.containers[0].env[2]: Duplicate value: map[string]interface {}{"name":"MODE"} (the same key as env[0]; env is a list keyed by name: server-side apply, as Flux applies, rejects duplicate keys)`,
      ]);
      assert.deepEqual(findings(text.replace('- name: MODE\n              value: c', '- name: MODE2\n              value: c')), []);
    });

    it('keys container ports by containerPort and protocol: the same port over UDP is fine, twice over TCP is not', () => {
      const ports = (third: string) =>
        deployment(`        - name: dns
          image: coredns:1.11
          ports:
            - containerPort: 53
              protocol: TCP
            - containerPort: 53
              protocol: UDP
${third}`);
      assert.deepEqual(findings(ports('')), []);
      assert.deepEqual(findings(ports('            - containerPort: 53\n              protocol: TCP\n')), [
        `schema/duplicate-key ${FILE}:22:15 spec.template.spec.containers[0].ports[2]: Duplicate value: map[string]interface {}{"containerPort":53, "protocol":"TCP"} (the same key as ports[0]; ports is a list keyed by containerPort, protocol: server-side apply, as Flux applies, rejects duplicate keys)`,
      ]);
    });

    it('reports two volumeMounts at one mountPath, and two Service ports with one port and protocol', () => {
      const text = `${deployment(`        - name: web
          image: nginx:1.27
          volumeMounts:
            - name: a
              mountPath: /data
            - name: b
              mountPath: /data
`)}      volumes:
        - name: a
          emptyDir: {}
        - name: b
          emptyDir: {}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: http
      port: 80
    - name: http-alt
      port: 80
`;
      assert.deepEqual(findings(text), [
        `schema/duplicate-key ${FILE}:20:15 spec.template.spec.containers[0].volumeMounts[1]: Duplicate value: map[string]interface {}{"mountPath":"/data"} (the same key as volumeMounts[0]; volumeMounts is a list keyed by mountPath: server-side apply, as Flux applies, rejects duplicate keys)`,
        `schema/duplicate-key ${FILE}:36:7 spec.ports[1]: Duplicate value: map[string]interface {}{"port":80} (the same key as ports[0]; ports is a list keyed by port, protocol: server-side apply, as Flux applies, rejects duplicate keys)`,
      ]);
    });

    it('leaves duplicate container and volume names to the API rules: one finding per problem', () => {
      const parsed = parseManifests(
        deployment(`        - name: web
          image: nginx:1.27
        - name: web
          image: nginx:1.27
`),
        FILE,
        { yaml: '1.2' },
      );
      const { findings: all } = validateManifests(parsed.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES });
      assert.deepEqual(brief(all.filter((f) => f.severity === 'error' && !f.rule.startsWith('policy/'))), [
        `k8s/duplicate-name ${FILE}:17:11 spec.template.spec.containers[1].name: Duplicate value: "web"`,
      ]);
    });
  });

  describe('x-kubernetes-list-type: set (schema/duplicate-key)', () => {
    it('reports a finalizer listed twice', () => {
      const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  finalizers:\n    - example.com/a\n    - example.com/b\n    - example.com/a\n';
      assert.deepEqual(findings(text), [
        `schema/duplicate-key ${FILE}:8:7 metadata.finalizers[2]: Duplicate value: "example.com/a" (the same as finalizers[0]; finalizers is a set: server-side apply, as Flux applies, rejects duplicates)`,
      ]);
      assert.deepEqual(findings(text.replace('    - example.com/a\n', '    - example.com/c\n')), []);
    });
  });

  describe('format: int32, date-time, byte (schema/format)', () => {
    it('reports an int32 field beyond 2147483647 (the decoder rejects it), not one within', () => {
      const text = deployment('        - name: web\n          image: nginx:1.27\n').replace('spec:\n  selector', 'spec:\n  replicas: 3000000000\n  selector');
      assert.deepEqual(findings(text), [
        `schema/format ${FILE}:6:3 spec.replicas: Invalid value: 3000000000: must fit in a 32-bit integer (-2147483648 to 2147483647)`,
      ]);
      assert.deepEqual(findings(text.replace('3000000000', '2147483647')), []);
      // int64 fields take it
      assert.deepEqual(findings(text.replace('replicas: 3000000000', 'progressDeadlineSeconds: 600\n  revisionHistoryLimit: 10')), []);
    });

    it('reports a port beyond int32 once, as the decoder does (schema/format), and one beyond 65535 once (k8s/port)', () => {
      const service = (port: string, targetPort: string) =>
        `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: ${port}\n      targetPort: ${targetPort}\n`;
      const errors = (text: string) => {
        const parsed = parseManifests(text, FILE, { yaml: '1.2' });
        const { findings: all } = validateManifests(parsed.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES });
        return brief(all.filter((f) => f.severity === 'error'));
      };
      assert.deepEqual(errors(service('3000000000', '4000000000')), [
        `schema/format ${FILE}:7:7 spec.ports[0].port: Invalid value: 3000000000: must fit in a 32-bit integer (-2147483648 to 2147483647)`,
        `schema/format ${FILE}:8:7 spec.ports[0].targetPort: Invalid value: 4000000000: must fit in a 32-bit integer (-2147483648 to 2147483647)`,
      ]);
      assert.deepEqual(errors(service('70000', '80000')), [
        `k8s/port ${FILE}:7:7 spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
        `k8s/port ${FILE}:8:7 spec.ports[0].targetPort: Invalid value: 80000: must be between 1 and 65535, inclusive`,
      ]);
    });

    it('reports a date-time that is not RFC 3339 in a built-in kind, accepts RFC 3339 and null', () => {
      const text = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  creationTimestamp: ${value}\n`;
      assert.deepEqual(findings(text('"2024-01-31"')), [
        `schema/format ${FILE}:5:3 metadata.creationTimestamp: Invalid value: "2024-01-31": must be an RFC 3339 date-time such as "2024-01-31T12:00:00Z"`,
      ]);
      for (const ok of ['null', '2024-01-31T12:00:00Z', '"2024-02-29T23:59:59.123456+01:00"']) assert.deepEqual(findings(text(ok)), [], ok);
    });

    it('does not apply the RFC 3339 check to Flux objects (the CRD format is more lenient)', () => {
      const text =
        'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n  creationTimestamp: "2024-01-31"\n' +
        'spec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n';
      assert.deepEqual(findings(text), []);
    });

    it("reports Secret data that is not base64 with Go's offset and without the value; quotes ConfigMap binaryData", () => {
      const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  good: cGFzc3dvcmQ=\n  bad: hunter2 secret\n';
      assert.deepEqual(findings(secret), [`schema/format ${FILE}:7:3 data.bad: Invalid value: (value not shown): illegal base64 data at input byte 7`]);
      const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nbinaryData:\n  blob: abc\n  ok: |\n    YWJj\n    ZA==\n';
      assert.deepEqual(findings(configMap), [`schema/format ${FILE}:6:3 binaryData.blob: Invalid value: "abc": illegal base64 data at input byte 0`]);
    });

    it('validates a SOPS-encrypted document as Flux applies it once decrypted: ENC[...] values and the sops block pass, plaintext is still checked', () => {
      const enc = (type: string) => `ENC[AES256_GCM,data:bmV3LWNpcGhlcnRleHQ=,iv:aXY=,tag:dGFn,type:${type}]`;
      const sops = 'sops:\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n  version: 3.9.0\n';
      const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ${enc('str')}\n  plain: not base64!\n`;
      assert.deepEqual(findings(secret + sops), [
        `schema/format ${FILE}:7:3 data.plain: Invalid value: (value not shown): illegal base64 data at input byte 3`,
      ]);
      // Without the sops block Flux decrypts nothing: the ENC[...] text reaches the API server as it is.
      assert.deepEqual(findings(secret), [
        `schema/format ${FILE}:6:3 data.password: Invalid value: (value not shown): illegal base64 data at input byte 3`,
        `schema/format ${FILE}:7:3 data.plain: Invalid value: (value not shown): illegal base64 data at input byte 3`,
      ]);
      const replicas = deployment('        - name: web\n          image: nginx:1.27\n').replace(
        'spec:\n  selector',
        `spec:\n  replicas: ${enc('int')}\n  selector`,
      );
      assert.deepEqual(findings(replicas + sops), []);
      assert.deepEqual(findings(replicas), [`schema/type ${FILE}:6:3 spec.replicas: expected integer, got string "ENC[AES256_GCM,data:bmV3LWNpcGhlcnRle..."`]);
    });
  });

  describe('the checks themselves', () => {
    it("base64: Go's base64.StdEncoding (padding required, newlines skipped) and its error offsets", () => {
      for (const ok of ['', 'YQ==', 'YWI=', 'YWJj', 'YW\nJj', 'YWJj\r\n', 'YW==']) assert.equal(base64Problem(ok), undefined, JSON.stringify(ok));
      const at = (s: string) => base64Problem(s)?.replace('illegal base64 data at input byte ', '');
      assert.equal(at('not base64!'), '3'); // the space
      assert.equal(at('YQ'), '0'); // no padding
      assert.equal(at('YQ='), '3'); // half the padding
      assert.equal(at('Y==='), '1'); // padding too early
      assert.equal(at('YQ==YQ=='), '4'); // data after the padding
      assert.equal(at('YWJj-A=='), '4'); // URL alphabet
      assert.equal(at('YWJjé'), '4');
    });

    it('date-time: the RFC 3339 forms Go parses, with ranges', () => {
      for (const ok of ['2024-01-31T12:00:00Z', '2024-01-31T12:00:00.5Z', '2024-01-31T12:00:00-07:30', '2024-02-29T00:00:00Z'])
        assert.equal(dateTimeProblem(ok), undefined, ok);
      for (const bad of [
        '2024-01-31',
        '2024-01-31 12:00:00Z',
        '2024-01-31t12:00:00z',
        '2024-01-31T12:00:00',
        '2023-02-29T00:00:00Z',
        '2024-13-01T00:00:00Z',
        '2024-01-31T24:00:00Z',
        '2024-01-31T12:00:00+0100',
      ]) {
        assert.ok(dateTimeProblem(bad), bad);
      }
    });

    it('int32: both ends', () => {
      assert.equal(int32Problem(2147483647), undefined);
      assert.equal(int32Problem(-2147483648), undefined);
      assert.ok(int32Problem(2147483648));
      assert.ok(int32Problem(-2147483649));
      assert.ok(int32Problem(10n ** 12n));
    });

    it('unique items: keys compared with their types, a missing key equal only to a missing key', () => {
      const dup = (items: unknown[], unique: readonly string[] | 'set') => (duplicateItems(items, unique) ?? []).map(([i, first]) => `${i}=${first}`);
      // a long list takes the hashed path: the same answers
      const long = (items: unknown[], unique: readonly string[] | 'set') => {
        const padded = [...items, ...Array.from({ length: 40 }, (_, i) => (unique === 'set' ? `pad-${i}` : { [unique[0]]: `pad-${i}` }))];
        return dup(padded, unique);
      };
      assert.deepEqual(dup([{ port: 80 }, { port: '80' }, { port: 80, protocol: 'TCP' }], ['port', 'protocol']), []);
      assert.deepEqual(dup([{ port: 80 }, { port: 80 }, { port: 80, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }], ['port', 'protocol']), ['1=0', '3=2']);
      assert.deepEqual(dup(['a', 1, '1', 'a', true, 'true'], 'set'), ['3=0']);
      assert.deepEqual(dup(['x', { name: 'a' }, { name: 'a' }], ['name']), ['2=1']);
      assert.deepEqual(dup([1, 1n, { a: 1 }, { a: 1 }], 'set'), ['1=0', '3=2']);
      for (const [items, unique] of [
        [
          [{ port: 80 }, { port: '80' }, { port: 80, protocol: 'TCP' }],
          ['port', 'protocol'],
        ],
        [
          [{ port: 80 }, { port: 80 }, { port: 80, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }],
          ['port', 'protocol'],
        ],
        [['a', 1, '1', 'a', true, 'true'], 'set'],
        [[1, 1n, { a: 1 }, { a: 1 }], 'set'],
      ] as [unknown[], readonly string[] | 'set'][]) {
        assert.deepEqual(
          long(items, unique),
          dup(items, unique),
          JSON.stringify(items, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
        );
      }
    });
  });
});
