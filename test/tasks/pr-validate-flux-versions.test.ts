/**
 * GitOpsPrValidate@1 (the built bundle) on Flux objects checked against what the microsoft.flux 1.23.0 extension
 * (Flux 2.7 CRDs) serves: a removed apiVersion fails the pull request at its apiVersion line, a deprecated one warns,
 * and a field only later Flux releases have is an unknown field.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBuiltTask, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';

const root = process.cwd();

describe('GitOpsPrValidate@1 bundle: Flux apiVersions and fields of microsoft.flux 1.23.0', function () {
  this.timeout(120_000);
  let run: TaskRun | undefined;
  after(() => {
    if (run) fs.rmSync(run.folders.work, { recursive: true, force: true });
  });

  it('fails on a removed apiVersion and a field newer than Flux 2.7, and warns on a deprecated apiVersion', async () => {
    run = await runBuiltTask({
      taskDir: path.join(root, 'dist/tasks/GitOpsPrValidate/v1'),
      inputs: { dockerfiles: '', templates: 'deploy/manifests', environments: 'dev', kubernetesVersion: '1.32' },
      variables: { 'Build.SourcesDirectory': path.join(root, 'test/fixtures/repos/flux-api-versions') },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    assert.equal(run.result, 'Failed', run.stdout);
    assert.deepEqual(
      run.issues
        .filter((i) => i.code !== undefined) // the run's closing summary has no rule
        .map((i) => `${i.type} ${i.code} ${i.sourcepath}:${i.linenumber}`)
        .sort(),
      [
        'error api/removed deploy/manifests/sources.yaml:12',
        'error schema/unknown-field deploy/manifests/apps.yaml:14',
        'warning api/deprecated deploy/manifests/apps.yaml:17',
      ],
      run.stdout,
    );
    assert.ok(
      run.stdout.includes(
        `source.toolkit.fluxcd.io/v1beta2 HelmRepository was removed in microsoft.flux 1.23.0 (Flux 2.7): the cluster answers 'no matches for kind "HelmRepository" in version "source.toolkit.fluxcd.io/v1beta2"'; use source.toolkit.fluxcd.io/v1 (HelmRepository flux-system/charts)`,
      ),
      run.stdout,
    );
    assert.ok(run.stdout.includes('unknown field spec.waitStrategy (not in the Flux 2.7 schema of helm.toolkit.fluxcd.io/v2 HelmRelease)'), run.stdout);
    assert.ok(
      run.stdout.includes(
        'image.toolkit.fluxcd.io/v1beta2 ImagePolicy is deprecated in microsoft.flux 1.23.0 (Flux 2.7) (v1beta2 ImagePolicy is deprecated, upgrade to v1); use image.toolkit.fluxcd.io/v1; microsoft.flux 1.22.x (Flux 2.6) does not serve it: move once every cluster runs 1.23.0 (ImagePolicy flux-system/web)',
      ),
      run.stdout,
    );
  });
});
