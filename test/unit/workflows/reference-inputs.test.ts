import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { readRenderAndValidateInputs } from '../../../shared/workflows/pr-validate-inputs';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';

const PROMOTE = {
  bundle: 'b',
  environment: 'dev',
  gitopsRepository: 'gitops',
  targetFolder: 'clusters/manifests/{environment}',
  waitForReconciliation: 'false',
};

describe("the inputs of the reference scripts' workflow", () => {
  let repo: string;
  before(() => (repo = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-inputs-'))));
  after(() => fs.rmSync(repo, { recursive: true, force: true }));
  const read = (inputs: Record<string, string>) =>
    readRenderAndValidateInputs(new MemoryAgent({ inputs: { templates: 'app/helm', dockerfiles: '', ...inputs } }), repo);

  it('variableSyntax defaults to flux, takes envsubst, and refuses anything else', () => {
    assert.equal(read({}).variableSyntax, 'flux');
    assert.equal(read({ variableSyntax: 'envsubst' }).variableSyntax, 'envsubst');
    assert.throws(() => read({ variableSyntax: 'bash' }), /^InputError: Input "variableSyntax": expected one of flux, envsubst, got "bash"$/);
  });

  it('helm-kustomize needs the kustomization folder inside the repository; helmOutput defaults to manifests.yaml', () => {
    const options = read({ renderer: 'helm-kustomize', kustomization: 'app/kustomize/base' });
    assert.deepEqual([options.renderer, options.kustomization, options.helmOutput], ['helm-kustomize', 'app/kustomize/base', 'manifests.yaml']);
    assert.equal(read({ renderer: 'helm-kustomize', kustomization: 'k', helmOutput: '../base/out.yml' }).helmOutput, '../base/out.yml');
    assert.throws(() => read({ renderer: 'helm-kustomize' }), /^InputError: Input "kustomization": is required with renderer: helm-kustomize/);
    assert.throws(
      () => read({ renderer: 'helm-kustomize', kustomization: '../outside' }),
      /^InputError: Input "kustomization": "\.\.\/outside" is outside the repository/,
    );
    assert.throws(
      () => read({ renderer: 'helm-kustomize', kustomization: 'k', helmOutput: 'out.json' }),
      /^InputError: Input "helmOutput": expected a YAML file name/,
    );
    // Other renderers ignore the kustomization input.
    assert.equal(read({ renderer: 'helm', kustomization: 'k' }).kustomization, undefined);
  });

  it('GitOpsPromote layout defaults to filePerObject; templatesFolder must lie apart from the target folder', () => {
    const promote = (inputs: Record<string, string>) => readPromoteInputs(new MemoryAgent({ inputs: { ...PROMOTE, ...inputs } }));
    assert.deepEqual([promote({}).layout, promote({}).templatesFolder], ['filePerObject', undefined]);
    assert.equal(
      promote({ layout: 'singleFile', templatesFolder: 'clusters/templates/{environment}/{app}' }).templatesFolder,
      'clusters/templates/{environment}/{app}',
    );
    assert.throws(() => promote({ layout: 'oneFile' }), /^InputError: Input "layout": expected one of filePerObject, singleFile, got "oneFile"$/);
    assert.throws(
      () => promote({ templatesFolder: 'clusters/manifests/{environment}/t' }),
      /^InputError: Input "templatesFolder": "clusters\/manifests\/dev\/t" lies inside the target folder "clusters\/manifests\/dev"/,
    );
    assert.throws(
      () => promote({ templatesFolder: 'clusters' }),
      /^InputError: Input "templatesFolder": "clusters" holds the target folder "clusters\/manifests\/dev"/,
    );
    assert.throws(() => promote({ templatesFolder: '/' }), /^InputError: Input "templatesFolder": must name a folder, not the repository root$/);
  });
});
