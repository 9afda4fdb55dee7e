import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { DEFAULT_POLICY_SEVERITIES } from '../../../shared/validate/policy';
import { validateManifests } from '../../../shared/validate/validate-manifests';
import { processTools, toolsBin } from '../../harness/process-tools';

const repoRoot = path.join(process.cwd(), 'test/fixtures/repos/flux-layout');

function request(): RenderRequest {
  return {
    repoRoot,
    templates: path.join(repoRoot, 'clusters/dev'),
    renderer: 'auto',
    environment: 'dev',
    variables: new Map([['CLUSTER', 'dev']]),
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'fleet',
    workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'flux-layout-test-')),
    tools: processTools([toolsBin()]),
  };
}

describe('plain folders read as Flux reads them', () => {
  it("builds a subfolder holding a kustomization.yaml with kustomize (Flux's own clusters/<name>/flux-system layout)", async () => {
    const r = await renderEnvironment(request());
    assert.equal(r.renderer, 'plain');
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.objects.map((o) => [o.kind, o.namespace, o.name, o.source.file]),
      [
        ['Kustomization', 'flux-system', 'apps', 'clusters/dev/apps.yaml'],
        ['Namespace', undefined, 'flux-system', 'clusters/dev/flux-system/gotk-components.yaml'],
        ['ServiceAccount', 'flux-system', 'kustomize-controller', 'clusters/dev/flux-system/gotk-components.yaml'],
        // in kustomize's output order
        ['Kustomization', 'flux-system', 'flux-system', 'clusters/dev/flux-system/gotk-sync.yaml'],
        ['GitRepository', 'flux-system', 'flux-system', 'clusters/dev/flux-system/gotk-sync.yaml'],
        ['ConfigMap', 'flux-system', 'settings', 'clusters/dev/settings.yaml'],
      ],
    );
    // kustomize's file list is the build's (kustomization.yaml and its two resources), plus the two plain files.
    assert.equal(r.files, 5);
  });

  it('reads plain YAML as kustomize does (YAML 1.2): yes, NO and off are strings, so the ConfigMap is valid', async () => {
    const r = await renderEnvironment(request());
    const settings = r.objects.find((o) => o.kind === 'ConfigMap')!;
    assert.deepEqual(settings.body.data, { enabled: 'yes', country: 'NO', debug: 'off' });
    const validation = validateManifests(r.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES });
    assert.deepEqual(
      validation.findings.filter((f) => f.severity === 'error'),
      [],
    );
  });
});
