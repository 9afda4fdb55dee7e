import * as assert from 'node:assert/strict';
import { missingRenderTools, RenderToolsRequest } from '../../../shared/workflows/render-tools';

const request = (renderer: RenderToolsRequest['renderer']): RenderToolsRequest => ({ repoRoot: '/repo', templates: 'deploy', renderer, environments: ['dev'] });
const onPath = (...names: string[]) => ({
  which: (name: string) => (names.includes(name) ? `/usr/bin/${name}` : undefined),
  exec: () => Promise.reject(new Error('not run')),
});

describe('render tools: what a renderer needs from PATH', () => {
  it('helm-kustomize needs helm and kustomize (or kubectl)', () => {
    assert.deepEqual(missingRenderTools(request('helm-kustomize'), onPath()), ['helm', 'kubectl']);
    assert.deepEqual(missingRenderTools(request('helm-kustomize'), onPath('helm')), ['kubectl']);
    assert.deepEqual(missingRenderTools(request('helm-kustomize'), onPath('helm', 'kubectl')), []);
  });

  it('helm needs helm only, kustomize kustomize or kubectl, plain nothing', () => {
    assert.deepEqual(missingRenderTools(request('helm'), onPath('kubectl')), ['helm']);
    assert.deepEqual(missingRenderTools(request('kustomize'), onPath('kustomize')), []);
    assert.deepEqual(missingRenderTools(request('kustomize'), onPath('helm')), ['kubectl']);
    assert.deepEqual(missingRenderTools(request('plain'), onPath()), []);
  });
});
