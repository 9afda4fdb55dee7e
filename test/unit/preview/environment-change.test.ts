import * as assert from 'node:assert/strict';
import { environmentChange } from '../../../shared/preview/environment-change';
import { fieldChanges } from '../../../shared/preview/field-changes';
import { imagesOf } from '../../../shared/preview/images';
import { redactPair, SECRET_ADDED, SECRET_BEFORE, SECRET_CHANGED, SECRET_UNCHANGED } from '../../../shared/preview/secrets';
import { unifiedDiff } from '../../../shared/preview/unified-diff';
import { serializeObject } from '../../../shared/manifests/serialize';

const deployment = (image: string, replicas = 2, extraEnv: { name: string; value: string }[] = []) =>
  serializeObject({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'voting' },
    spec: {
      replicas,
      template: {
        spec: {
          initContainers: [{ name: 'migrate', image: 'tools/migrate:1' }],
          containers: [
            { name: 'web', image, env: [{ name: 'MODE', value: 'dev' }, ...extraEnv] },
            { name: 'proxy', image: 'envoy:1.30' },
          ],
        },
      },
    },
  });
const secret = (data: Record<string, string>) => serializeObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'voting' }, data });
const configMap = (name: string) => serializeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'voting' }, data: { a: '1' } });

describe('preview: environment change', () => {
  it('lists added, removed and changed objects with field paths and image changes', () => {
    const change = environmentChange(
      [
        { path: 'deployment-web.yaml', before: deployment('web:1.0'), after: deployment('web:1.1', 3, [{ name: 'DEBUG', value: '1' }]) },
        { path: 'configmap-new.yaml', after: configMap('new') },
        { path: 'configmap-old.yaml', before: configMap('old') },
      ],
      4,
    );
    assert.deepEqual(change.counts, { added: 1, changed: 1, removed: 1 });
    assert.deepEqual(
      change.objects.map((o) => [o.object, o.change, o.fields.map((f) => `${f.path} ${f.change}`), o.file]),
      [
        [
          'Deployment voting/web',
          'changed',
          ['spec.replicas changed', 'spec.template.spec.containers[web].image changed', 'spec.template.spec.containers[web].env[DEBUG] added'],
          'deployment-web.yaml',
        ],
        ['ConfigMap voting/new', 'added', [], 'configmap-new.yaml'],
        ['ConfigMap voting/old', 'removed', [], 'configmap-old.yaml'],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
    assert.deepEqual(change.images, [{ object: 'Deployment voting/web', container: 'web', before: 'web:1.0', after: 'web:1.1' }]);
    assert.equal(change.unchangedFiles, 4);
    assert.deepEqual(
      change.files.map((f) => [f.path, f.change, f.added, f.removed]),
      [
        ['deployment-web.yaml', 'edited', 4, 2],
        ['configmap-new.yaml', 'added', 7, 0],
        ['configmap-old.yaml', 'deleted', 0, 7],
      ],
    );
    assert.equal(
      change.files[1].text,
      "--- /dev/null\n+++ b/configmap-new.yaml\n@@ -0,0 +1,7 @@\n+apiVersion: v1\n+kind: ConfigMap\n+metadata:\n+  name: new\n+  namespace: voting\n+data:\n+  a: '1'\n",
    );
  });

  it('matches an object that moved to another file by identity: no add or remove', () => {
    const change = environmentChange(
      [
        { path: 'configmap-a.yaml', before: configMap('a') },
        { path: 'voting.configmap-a.yaml', after: configMap('a') },
      ],
      0,
    );
    assert.deepEqual(change.objects, []);
    assert.deepEqual(change.counts, { added: 0, changed: 0, removed: 0 });
    assert.equal(change.files.length, 2);
  });

  it('never shows a Secret value: only changed/unchanged labels, in fields and in the diff', () => {
    const before = secret({ password: 'b2xkLXBhc3N3b3Jk', user: 'YWRtaW4=' });
    const after = secret({ password: 'bmV3LXBhc3N3b3Jk', user: 'YWRtaW4=', token: 'dG9rZW4tdmFsdWU=' });
    const change = environmentChange([{ path: 'secret-db.yaml', before, after }], 0);
    assert.deepEqual(
      change.objects.map((o) => o.fields),
      [
        [
          { path: 'data.password', change: 'changed' },
          { path: 'data.token', change: 'added' },
        ],
      ],
    );
    const text = change.files[0].text;
    for (const value of ['b2xkLXBhc3N3b3Jk', 'bmV3LXBhc3N3b3Jk', 'YWRtaW4=', 'dG9rZW4tdmFsdWU=']) assert.ok(!text.includes(value), `${value} shown`);
    assert.equal(
      text,
      [
        '--- a/secret-db.yaml',
        '+++ b/secret-db.yaml',
        '@@ -4,5 +4,6 @@',
        '   name: db',
        '   namespace: voting',
        ' data:',
        `-  password: ${SECRET_BEFORE}`,
        `+  password: ${SECRET_CHANGED}`,
        `   user: ${SECRET_UNCHANGED}`,
        `+  token: ${SECRET_ADDED}`,
        '',
      ]
        .join('\n')
        .replace(/\[secret value[^\]]*\]/g, (m) => `'${m}'`),
    );
    assert.equal(change.files[0].note, 'secret values are shown only as changed/unchanged');
  });

  it('does not show a file that is not clean YAML objects (it might hold a secret)', () => {
    const change = environmentChange([{ path: 'odd.yaml', before: 'password: hunter2\n', after: configMap('x') }], 0);
    assert.equal(change.files[0].text, '');
    assert.match(change.files[0].note!, /^not shown: the current file is not a set of Kubernetes objects/);
  });

  it('masks secret pipeline variable values in the diff text', () => {
    const change = environmentChange([{ path: 'configmap-x.yaml', after: configMap('x').replace("a: '1'", 'a: s3cr3t-value') }], 0, (t) =>
      t.split('s3cr3t-value').join('***'),
    );
    assert.match(change.files[0].text, /\+ {2}a: \*\*\*\n/);
    assert.ok(!change.files[0].text.includes('s3cr3t-value'));
  });
});

describe('preview: secrets, fields, images, diffs', () => {
  it('redacts SealedSecret payloads and SOPS values', () => {
    const sealed = (v: string) => ({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 's' }, spec: { encryptedData: { k: v } } });
    assert.deepEqual(redactPair(sealed('AgBy1'), sealed('AgBy2')), {
      before: { ...sealed(SECRET_BEFORE) },
      after: { ...sealed(SECRET_CHANGED) },
    });
    const sops = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: v }, sops: { mac: v } });
    const r = redactPair(sops('ENC[AES256_GCM,data:abc]'), sops('ENC[AES256_GCM,data:abc]'));
    assert.deepEqual(r.after, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: SECRET_UNCHANGED }, sops: SECRET_UNCHANGED });
  });

  it('reports a reordered named list as a change of the list', () => {
    assert.deepEqual(fieldChanges({ l: [{ name: 'a' }, { name: 'b' }] }, { l: [{ name: 'b' }, { name: 'a' }] }), [{ path: 'l', change: 'changed' }]);
    assert.deepEqual(fieldChanges({ l: [1, 2] }, { l: [1, 3, 4] }), [
      { path: 'l[1]', change: 'changed' },
      { path: 'l[2]', change: 'added' },
    ]);
  });

  it('finds images in pod templates and job templates', () => {
    const cron = {
      spec: {
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1' }], initContainers: [{ name: 'i', image: 'alpine:3' }] } } } },
      },
    };
    assert.deepEqual(
      [...imagesOf(cron)],
      [
        ['c', 'busybox:1'],
        ['init:i', 'alpine:3'],
      ],
    );
  });

  it('writes a huge rewrite as one whole-file hunk instead of searching for the edit script', () => {
    const before = Array.from({ length: 20_000 }, (_, i) => `a${i}`).join('\n') + '\n';
    const after = Array.from({ length: 20_000 }, (_, i) => `b${i}`).join('\n') + '\n';
    const d = unifiedDiff('f.yaml', before, after);
    assert.equal(d.added, 20_000);
    assert.equal(d.removed, 20_000);
    assert.equal(d.text.split('\n')[2], '@@ -1,20000 +1,20000 @@');
  });
});
