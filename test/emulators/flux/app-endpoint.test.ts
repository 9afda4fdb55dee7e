import * as assert from 'node:assert/strict';
import type { KubeObject } from './build';
import { appAnswer, AppAnswerRule, imageFailureOf, imagesOf } from './app-endpoint';

const deployment = (name: string, namespace: string, image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: { template: { spec: { initContainers: [{ image: 'busybox:1' }], containers: [{ image }] } } },
});

describe('Flux simulation test doubles: image failures and the app endpoint', () => {
  const objects = [
    deployment('web', 'voting-dev', 'contosoacr.azurecr.io/voting/web:2.0.0'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'voting-dev' } },
    deployment('web', 'voting-stage', 'contosoacr.azurecr.io/voting/web:1.0.0'),
  ];

  it('reads the images of workloads only', () => {
    assert.deepEqual(imagesOf(objects[0]), ['busybox:1', 'contosoacr.azurecr.io/voting/web:2.0.0']);
    assert.deepEqual(imagesOf(objects[1]), []);
  });

  it('answers 200 with the images of the namespace, 404 for a namespace without workloads', () => {
    assert.deepEqual(appAnswer('arc-1', 'voting-dev', objects, [], []), {
      status: 200,
      body: '{"cluster":"arc-1","namespace":"voting-dev","images":["busybox:1","contosoacr.azurecr.io/voting/web:2.0.0"]}\n',
    });
    assert.deepEqual(appAnswer('arc-1', 'other', objects, [], []), { status: 404, body: 'no workload runs in namespace other on arc-1\n' });
  });

  it('answers 503 while an image that never becomes Ready is deployed there, on the clusters the failure names', () => {
    const failures = [{ pattern: /web:2\.0\.0$/, message: 'probe failed', cluster: 'arc-1' }];
    assert.equal(imageFailureOf(failures, 'ARC-1', objects[0])?.image, 'contosoacr.azurecr.io/voting/web:2.0.0');
    assert.equal(imageFailureOf(failures, 'aks-2', objects[0]), undefined);
    assert.deepEqual(appAnswer('arc-1', 'voting-dev', objects, failures, []), {
      status: 503,
      body: 'Deployment voting-dev/web is not ready: contosoacr.azurecr.io/voting/web:2.0.0: probe failed\n',
    });
    assert.equal(appAnswer('arc-1', 'voting-stage', objects, failures, []).status, 200);
  });

  it('gives a scripted answer the number of times asked, then the normal one', () => {
    const rules: AppAnswerRule[] = [{ image: /web:2\.0\.0$/, status: 500, body: 'warming up', times: 2 }];
    const statuses = [1, 2, 3].map(() => appAnswer('arc-1', 'voting-dev', objects, [], rules).status);
    assert.deepEqual(statuses, [500, 500, 200]);
    assert.equal(appAnswer('arc-1', 'voting-stage', objects, [], [{ image: /web:2/, status: 500 }]).status, 200, 'another tag there');
  });
});
