import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseManifests } from '../../../shared/manifests/parse';
import { environmentFiles, singleFileName, stableOrder, templateFiles } from '../../../shared/workflows/promote-layout';

const OBJECTS = parseManifests(
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: dev}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: dev}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: dev}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: dev}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: dev}
`,
  'x.yaml',
).objects;

describe('promotion folder layouts', () => {
  it('filePerObject is one file per object, as before', () => {
    assert.deepEqual(
      [...environmentFiles(OBJECTS, 'filePerObject', 'vote').keys()],
      ['configmap-a.yaml', 'configmap-b.yaml', 'deployment-web.yaml', 'namespace-dev.yaml', 'service-web.yaml', 'widget-w.yaml'],
    );
  });

  it('singleFile is one {app}.yaml with the objects in dependency order, then by name', () => {
    const files = environmentFiles(OBJECTS, 'singleFile', 'azure-vote');
    assert.deepEqual([...files.keys()], ['azure-vote.yaml']);
    const text = files.get('azure-vote.yaml')!;
    assert.deepEqual(
      parseManifests(text, 'azure-vote.yaml').objects.map((o) => `${o.kind}/${o.name}`),
      ['Namespace/dev', 'ConfigMap/a', 'ConfigMap/b', 'Service/web', 'Deployment/web', 'Widget/w'],
    );
    assert.ok(text.startsWith('---\napiVersion: v1\nkind: Namespace\n'));
  });

  it('gives the same bytes whatever order the renderer produced', () => {
    const expected = environmentFiles(OBJECTS, 'singleFile', 'app').get('app.yaml');
    fc.assert(
      fc.property(fc.shuffledSubarray([...OBJECTS], { minLength: OBJECTS.length }), (shuffled) => {
        assert.equal(environmentFiles(shuffled, 'singleFile', 'app').get('app.yaml'), expected);
        assert.deepEqual(stableOrder(shuffled), stableOrder(OBJECTS));
      }),
    );
  });

  it('refuses the same object twice in either layout, and makes the app a safe file name', () => {
    assert.throws(() => environmentFiles([OBJECTS[0], OBJECTS[0]], 'singleFile', 'a'), /is rendered more than once/);
    assert.equal(singleFileName('Azure Vote/App'), 'azure_vote_app.yaml');
  });

  it('writes the substituted templates relative to the folder they share', () => {
    const files = templateFiles(
      new Map([
        ['src/azure-vote/kustomize/base/kustomization.yaml', 'k'],
        ['src/azure-vote/helm/values.yaml', 'v'],
      ]),
    );
    assert.deepEqual(
      [...files],
      [
        ['helm/values.yaml', 'v'],
        ['kustomize/base/kustomization.yaml', 'k'],
      ],
    );
    assert.deepEqual([...templateFiles(new Map([['values.yaml', 'v']]))], [['values.yaml', 'v']]);
    assert.deepEqual([...templateFiles(new Map())], []);
  });
});
