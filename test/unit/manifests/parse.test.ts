import * as assert from 'node:assert/strict';
import { LazilyLocatedObject } from '../../../shared/manifests/model';
import { parseManifests } from '../../../shared/manifests/parse';

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

describe('parseManifests', () => {
  it('identifies objects and locates any field at its line', () => {
    const r = parseManifests(deployment, 'deploy/web.yaml');
    assert.deepEqual(r.errors, []);
    assert.equal(r.objects.length, 1);
    const o = r.objects[0];
    assert.deepEqual([o.apiVersion, o.kind, o.namespace, o.name], ['apps/v1', 'Deployment', 'prod', 'web']);
    assert.deepEqual(o.source, { file: 'deploy/web.yaml', line: 1, column: 1 });
    assert.deepEqual(o.locate(['spec', 'replicas']), { file: 'deploy/web.yaml', line: 7, column: 3 });
    assert.deepEqual(o.locate(['spec', 'template', 'spec', 'containers', 0, 'image']), { file: 'deploy/web.yaml', line: 12, column: 11 });
    // A field that does not exist points at its deepest existing parent.
    assert.deepEqual(o.locate(['spec', 'template', 'spec', 'volumes']), { file: 'deploy/web.yaml', line: 9, column: 5 });
  });

  it('reads every document, skipping empty ones, with lines across documents', () => {
    const r = parseManifests(`---\n# only a comment\n---\n${deployment}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n`, 'all.yaml');
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.name, o.source.line]),
      [
        ['Deployment', 'web', 4],
        ['ConfigMap', 'settings', 17],
      ],
    );
  });

  it('expands kind: List into its items', () => {
    const r = parseManifests('apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: a\n', 'list.yaml');
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.name, o.source.line]),
      [['ConfigMap', 'a', 4]],
    );
    assert.equal(r.objects[0].locate(['metadata', 'name']).line, 7);
  });

  it('reports the first syntax error of a document with its line', () => {
    const r = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: 1\n y: 2\n', 'bad.yaml');
    assert.equal(r.objects.length, 0);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].rule, 'yaml/syntax');
    assert.equal(r.errors[0].file, 'bad.yaml');
    assert.equal(r.errors[0].line, 7);
  });

  it('reports duplicate keys, missing kind and missing name', () => {
    assert.deepEqual(
      parseManifests('apiVersion: v1\nkind: ConfigMap\nkind: Secret\n', 'd.yaml').errors.map((e) => [e.rule, e.line]),
      [['yaml/duplicate-key', 3]],
    );
    assert.deepEqual(
      parseManifests('apiVersion: v1\nmetadata:\n  name: a\n', 'k.yaml').errors.map((e) => [e.rule, e.message, e.line]),
      [['manifest/missing-type', 'Object has no kind', 1]],
    );
    assert.deepEqual(
      parseManifests('apiVersion: v1\nkind: ConfigMap\ndata: {}\n', 'n.yaml').errors.map((e) => [e.rule, e.message]),
      [['manifest/missing-name', 'ConfigMap has no metadata.name']],
    );
    assert.deepEqual(
      parseManifests('- a\n- b\n', 's.yaml').errors.map((e) => e.rule),
      ['manifest/not-an-object'],
    );
  });

  it('reads YAML 1.1 as the API server does (yes is a boolean)', () => {
    const r = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  flag: yes\n', 'y.yaml');
    assert.equal((r.objects[0].body.data as Record<string, unknown>).flag, true);
  });

  it('reads YAML 1.2 as kustomize (and so Flux) does: only true/false are booleans; go-yaml v3 integers', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  enabled: yes\n  country: NO\n  y: y\n  debug: off\n  on: true\n';
    const r = parseManifests(text, 'y.yaml', { yaml: '1.2' });
    assert.deepEqual(r.objects[0].body.data, { enabled: 'yes', country: 'NO', y: 'y', debug: 'off', on: true });
    const numbers = parseManifests(
      'apiVersion: v1\nkind: X\nmetadata:\n  name: a\nv: [0755, 0o17, 0x1F, 1_000, -12, 1.5, 09, ~]\nm:\n  <<: {a: 1}\n  b: 2\n',
      'n.yaml',
      {
        yaml: '1.2',
      },
    );
    assert.deepEqual(numbers.objects[0].body.v, [493, 15, 31, 1000, -12, 1.5, 9, null]);
    assert.deepEqual(numbers.objects[0].body.m, { a: 1, b: 2 });
  });

  it('locates fields and reports syntax errors the same way in YAML 1.2', () => {
    const r = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  enabled: yes\n', 'y.yaml', { yaml: '1.2' });
    assert.deepEqual(r.objects[0].locate(['data', 'enabled']), { file: 'y.yaml', line: 6, column: 3 });
    const bad = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: 1\n y: 2\n', 'bad.yaml', { yaml: '1.2' });
    assert.deepEqual(
      bad.errors.map((e) => [e.rule, e.line]),
      [['yaml/syntax', 7]],
    );
  });
});

describe('LazilyLocatedObject', () => {
  it('works out its source once, on first use, from locate([]) or the given source', () => {
    const asked: unknown[] = [];
    const locate = (path: readonly (string | number)[]) => {
      asked.push(path);
      return { file: 'a.yaml', line: path.length + 1 };
    };
    const obj = new LazilyLocatedObject('v1', 'ConfigMap', 'a', undefined, {}, locate);
    assert.deepEqual(asked, []);
    assert.deepEqual(
      [obj.source, obj.source],
      [
        { file: 'a.yaml', line: 1 },
        { file: 'a.yaml', line: 1 },
      ],
    );
    assert.deepEqual(asked, [[]]);
    const elsewhere = new LazilyLocatedObject('v1', 'ConfigMap', 'a', 'ns', {}, locate, () => ({ file: 'b.yaml', line: 9 }));
    assert.deepEqual(elsewhere.source, { file: 'b.yaml', line: 9 });
    assert.deepEqual(elsewhere.locate(['data']), { file: 'a.yaml', line: 2 });
  });
});
