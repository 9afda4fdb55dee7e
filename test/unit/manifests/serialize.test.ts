import * as assert from 'node:assert/strict';
import { ManifestObject } from '../../../shared/manifests/model';
import { parseManifests } from '../../../shared/manifests/parse';
import { manifestFiles, serializeObject } from '../../../shared/manifests/serialize';

const object = (apiVersion: string, kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}): ManifestObject => {
  const body = { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra };
  return { apiVersion, kind, name, namespace, body, source: { file: 'x.yaml' }, locate: () => ({ file: 'x.yaml' }) };
};

describe('manifestFiles', () => {
  it('writes one file per object, named kind-name, sorted', () => {
    const files = manifestFiles([object('apps/v1', 'Deployment', 'web', 'app'), object('v1', 'Service', 'web', 'app'), object('v1', 'Namespace', 'app')]);
    assert.deepEqual([...files.keys()], ['deployment-web.yaml', 'namespace-app.yaml', 'service-web.yaml']);
    assert.equal(files.get('service-web.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: app\n');
  });

  it('qualifies names only where two objects would share a file: namespace first, then API group', () => {
    const files = manifestFiles([
      object('v1', 'ConfigMap', 'settings', 'a'),
      object('v1', 'ConfigMap', 'settings', 'b'),
      object('networking.k8s.io/v1', 'Ingress', 'web', 'a'),
      object('extensions.example.com/v1', 'Ingress', 'web', 'a'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:reader'),
    ]);
    assert.deepEqual(
      [...files.keys()],
      [
        'a.configmap-settings.yaml',
        'a.ingress-web.extensions.example.com.yaml',
        'a.ingress-web.networking.k8s.io.yaml',
        'b.configmap-settings.yaml',
        'clusterrole-system_reader.yaml',
      ],
    );
  });

  it('refuses an object rendered twice', () => {
    assert.throws(
      () => manifestFiles([object('v1', 'ConfigMap', 'x', 'a'), object('v1', 'ConfigMap', 'x', 'a')]),
      /^Error: ConfigMap a\/x \(v1\) is rendered more than once; remove the duplicate before promoting$/,
    );
  });

  it('gives the same bytes for the same objects', () => {
    const make = () => manifestFiles([object('v1', 'ConfigMap', 'c', 'n', { data: { b: '2', a: '1' } })]);
    assert.deepEqual([...make()], [...make()]);
  });
});

describe('serializeObject', () => {
  it('quotes every string YAML 1.1 or 1.2 would read as something else, so Kubernetes reads back the same values', () => {
    const data = {
      a: 'yes',
      b: '0755',
      c: '2024-01-01',
      d: 'on',
      e: '1e3',
      f: '0x1F',
      g: '~',
      h: 'null',
      i: 'multi\nline\n',
      j: '12:30',
      k: 'n',
      l: 'plain text',
      m: '',
      long: 'x'.repeat(300),
    };
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data, spec: { replicas: 3, enabled: true, ratio: 0.5, empty: null } };
    const text = serializeObject(body);
    assert.match(text, /^ {2}a: 'yes'$/m);
    assert.match(text, /^ {2}e: '1e3'$/m);
    assert.match(text, /^ {2}k: 'n'$/m);
    assert.match(text, new RegExp(`^  long: ${'x'.repeat(300)}$`, 'm'), 'long strings stay on one line');
    const back = parseManifests(text, 'c.yaml');
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.objects[0].body, body);
  });
});
