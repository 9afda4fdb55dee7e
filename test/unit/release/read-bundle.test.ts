import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { completeBundle, stageBundle } from '../../../shared/release/bundle';
import { readReleaseBundle, releaseImageVariables } from '../../../shared/release/read-bundle';
import { RELEASE_KIND, type ReleaseManifest } from '../../../shared/release/release-manifest';
import { sampleManifest } from './release-fixture';

const app = path.join(process.cwd(), 'examples/app');

const manifest = () =>
  sampleManifest({
    render: {
      templates: 'deploy/kustomize/overlays/{environment}',
      renderer: 'kustomize',
      valuesFile: 'deploy/environments/{environment}.yaml',
      helmValuesFiles: [],
      kubernetesVersion: '1.32',
      variables: {},
    },
    environments: [{ name: 'dev', renderer: 'kustomize', objects: 7, errors: 0, warnings: 0 }],
  });

describe('readReleaseBundle', () => {
  let dir: string;
  let bundle: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-bundle-'));
    bundle = path.join(dir, 'release');
    const staged = stageBundle(bundle, app, ['deploy/environments/dev.yaml', 'deploy/kustomize/base/kustomization.yaml']);
    completeBundle(staged, manifest());
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens a complete bundle by its folder or its release.json', () => {
    for (const given of [bundle, path.join(bundle, 'release.json')]) {
      const opened = readReleaseBundle(given, 'bundle');
      assert.equal(opened.dir, bundle);
      assert.equal(opened.sourceRoot, path.join(bundle, 'source'));
      assert.equal(opened.manifest.app, 'voting-app');
      assert.deepEqual(Object.keys(opened.manifest.files).sort(), [
        'images.yaml',
        'source/deploy/environments/dev.yaml',
        'source/deploy/kustomize/base/kustomization.yaml',
      ]);
    }
  });

  it('names every file that was changed, removed or added since the release was written', () => {
    fs.appendFileSync(path.join(bundle, 'source/deploy/environments/dev.yaml'), 'X: 1\n');
    fs.rmSync(path.join(bundle, 'images.yaml'));
    fs.writeFileSync(path.join(bundle, 'source/extra.yaml'), 'kind: Secret\n');
    assert.throws(
      () => readReleaseBundle(bundle, 'bundle'),
      (err: Error) => {
        assert.equal(
          err.message,
          `Input "bundle": the release bundle "${bundle}" does not match its release.json (3 file(s)):\n  - images.yaml: missing\n  - source/deploy/environments/dev.yaml: changed since the release was published\n  - source/extra.yaml: not part of the release`,
        );
        return true;
      },
    );
  });

  it('refuses a release.json that lists a file outside the bundle', () => {
    const file = path.join(bundle, 'release.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as ReleaseManifest;
    doc.files['../outside.yaml'] = 'x';
    fs.writeFileSync(file, JSON.stringify(doc));
    assert.throws(() => readReleaseBundle(bundle, 'bundle'), /\(1 file\(s\)\):\n {2}- \.\.\/outside\.yaml: outside the bundle$/);
  });

  it('says what is wrong with a folder that is not a release', () => {
    assert.throws(
      () => readReleaseBundle(path.join(dir, 'nope'), 'bundle'),
      /^InputError: Input "bundle": ".*nope" does not exist \(download the release artifact first/,
    );
    fs.mkdirSync(path.join(dir, 'empty'));
    assert.throws(() => readReleaseBundle(path.join(dir, 'empty'), 'bundle'), /holds no release\.json: point it at the folder GitOpsCiPublish@1 published/);
    fs.writeFileSync(path.join(dir, 'empty', 'release.json'), '{"kind":"something/else"}');
    assert.throws(
      () => readReleaseBundle(path.join(dir, 'empty'), 'bundle'),
      /is not a release\.json written by GitOpsCiPublish@1 \(kind gitops-flow\/release\/v1\)/,
    );
    fs.writeFileSync(path.join(dir, 'empty', 'release.json'), '{"kind":');
    assert.throws(() => readReleaseBundle(path.join(dir, 'empty'), 'bundle'), /release\.json" is not valid JSON/);
    fs.writeFileSync(path.join(dir, 'empty', 'release.json'), JSON.stringify({ kind: RELEASE_KIND, app: 'a' }));
    assert.throws(() => readReleaseBundle(path.join(dir, 'empty'), 'bundle'), /release\.json" lacks render, environments, images, files, build, source$/);
  });

  it('collects the image variables of every image', () => {
    assert.deepEqual(
      [...releaseImageVariables(readReleaseBundle(bundle, 'bundle').manifest)],
      [
        ['WEB_IMAGE', 'a.io/web'],
        ['WEB_TAG', '7'],
      ],
    );
  });
});
