import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectSourceFiles, completeBundle, discardBundle, imagesYaml, resolveBundleFolder, sha256, stageBundle } from '../../../shared/release/bundle';
import { readPreviousImages, RELEASE_KIND } from '../../../shared/release/release-manifest';
import { stableJson } from '../../../shared/release/stable-json';
import { sampleManifest } from './release-fixture';

const app = path.join(process.cwd(), 'examples/app');
const fixtures = path.join(process.cwd(), 'test/fixtures/repos');

const manifest = () => sampleManifest();

describe('release bundle', () => {
  const dirs: string[] = [];
  const tmp = (prefix: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('resolveBundleFolder', () => {
    it('takes relative folders from the staging directory and accepts folders inside it', () => {
      const staging = tmp('gitops-staging-');
      assert.equal(resolveBundleFolder('release', staging), path.join(staging, 'release'));
      assert.equal(resolveBundleFolder(path.join(staging, 'a/b'), staging), path.join(staging, 'a/b'));
    });

    it('rejects the staging directory itself, folders outside it and folders holding other files', () => {
      const staging = tmp('gitops-staging-');
      assert.throws(() => resolveBundleFolder(staging, staging), /Input "bundleFolder": ".*" is the artifact staging directory itself/);
      assert.throws(() => resolveBundleFolder('../elsewhere', staging), {
        message: `Input "bundleFolder": "../elsewhere" is outside the artifact staging directory ${staging} (Build.ArtifactStagingDirectory); write the bundle to a folder inside it, e.g. $(Build.ArtifactStagingDirectory)/release`,
      });
      assert.throws(() => resolveBundleFolder('/tmp', staging), /is outside the artifact staging directory/);
      fs.mkdirSync(path.join(staging, 'busy'));
      fs.writeFileSync(path.join(staging, 'busy', 'notes.txt'), 'x');
      assert.throws(() => resolveBundleFolder('busy', staging), /already holds other files; the task only replaces a bundle it wrote before/);
      fs.writeFileSync(path.join(staging, 'file'), 'x');
      assert.throws(() => resolveBundleFolder('file', staging), /exists and is not a folder/);
    });

    it('accepts a folder holding a previous bundle', () => {
      const staging = tmp('gitops-staging-');
      fs.mkdirSync(path.join(staging, 'release'));
      fs.writeFileSync(path.join(staging, 'release', 'release.json'), JSON.stringify({ kind: RELEASE_KIND }));
      assert.equal(resolveBundleFolder('release', staging), path.join(staging, 'release'));
    });
  });

  describe('collectSourceFiles', () => {
    it('takes the Kustomize tree an overlay uses and each environment values file', () => {
      const files = collectSourceFiles({
        repoRoot: app,
        templates: 'deploy/kustomize/overlays/{environment}',
        renderer: 'auto',
        environments: ['dev', 'prod'],
        valuesFile: 'deploy/environments/{environment}.yaml',
        helmValuesFiles: [],
      });
      assert.ok(files.includes('deploy/kustomize/base/web-deployment.yaml'));
      assert.ok(files.includes('deploy/kustomize/overlays/prod/pdb.yaml'));
      assert.ok(files.includes('deploy/environments/dev.yaml') && files.includes('deploy/environments/prod.yaml'));
      assert.ok(!files.includes('deploy/environments/stage.yaml'), 'only the listed environments');
      assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('deploy/helm/')));
      assert.deepEqual(files, [...files].sort());
    });

    it('takes the whole Helm chart and the Helm values files; missing files are left to the renderer to report', () => {
      const files = collectSourceFiles({
        repoRoot: app,
        templates: 'deploy/helm/voting-app',
        renderer: 'helm',
        environments: ['dev', 'qa'],
        valuesFile: 'deploy/environments/{environment}.yaml',
        helmValuesFiles: ['deploy/helm/values-{environment}.yaml'],
      });
      assert.deepEqual(
        files.filter((f) => !f.startsWith('deploy/helm/voting-app/templates/')),
        [
          'deploy/environments/dev.yaml',
          'deploy/helm/values-dev.yaml',
          'deploy/helm/voting-app/.helmignore',
          'deploy/helm/voting-app/Chart.yaml',
          'deploy/helm/voting-app/values.yaml',
        ],
      );
      assert.ok(files.includes('deploy/helm/voting-app/templates/_helpers.tpl'));
    });

    it('takes a plain YAML folder', () => {
      assert.deepEqual(
        collectSourceFiles({
          repoRoot: path.join(fixtures, 'removed-api'),
          templates: 'deploy/manifests',
          renderer: 'auto',
          environments: ['dev'],
          valuesFile: 'deploy/environments/{environment}.yaml',
          helmValuesFiles: [],
        }),
        ['deploy/environments/dev.yaml', 'deploy/manifests/ingress.yaml'],
      );
    });
  });

  describe('stageBundle and completeBundle', () => {
    it('copies files at their repository paths, checksums every file and moves the bundle into place', () => {
      const staging = tmp('gitops-staging-');
      const target = path.join(staging, 'release');
      const staged = stageBundle(target, path.join(fixtures, 'removed-api'), ['deploy/environments/dev.yaml', 'deploy/manifests/ingress.yaml']);
      assert.ok(!fs.existsSync(target), 'nothing at the target until complete');
      assert.ok(fs.existsSync(path.join(staged.sourceRoot, 'deploy/manifests/ingress.yaml')));
      const written = completeBundle(staged, manifest());
      assert.ok(!fs.existsSync(staged.dir));
      assert.deepEqual(fs.readdirSync(staging), ['release'], 'no partial folder left');
      assert.deepEqual(Object.keys(written.files), ['images.yaml', 'source/deploy/environments/dev.yaml', 'source/deploy/manifests/ingress.yaml']);
      assert.equal(
        written.files['source/deploy/manifests/ingress.yaml'],
        sha256(fs.readFileSync(path.join(fixtures, 'removed-api/deploy/manifests/ingress.yaml'))),
      );
      const json = fs.readFileSync(path.join(target, 'release.json'), 'utf8');
      assert.equal(json, stableJson(written));
      assert.equal(
        fs.readFileSync(path.join(target, 'images.yaml'), 'utf8'),
        '# Image variables of this release, written by GitOpsCiPublish@1. They override the environment values.\nWEB_IMAGE: "a.io/web"\nWEB_TAG: "7"\n',
      );
      assert.deepEqual(readPreviousImages(target, 'previousRelease'), new Map([['WEB', 'a.io/web:7']]));
      assert.deepEqual(readPreviousImages(path.join(target, 'release.json'), 'previousRelease'), new Map([['WEB', 'a.io/web:7']]));
    });

    it('writes identical bytes for identical inputs and replaces a previous bundle', () => {
      const staging = tmp('gitops-staging-');
      const target = path.join(staging, 'release');
      const write = () => {
        completeBundle(stageBundle(target, app, ['deploy/environments/dev.yaml']), manifest());
        return fs.readFileSync(path.join(target, 'release.json'));
      };
      const first = write();
      fs.writeFileSync(path.join(target, 'stale.txt'), 'from an earlier run');
      const second = write();
      assert.ok(first.equals(second));
      assert.ok(!fs.existsSync(path.join(target, 'stale.txt')));
    });

    it('masks secrets in release.json and images.yaml as it writes them', () => {
      const staging = tmp('gitops-staging-');
      const target = path.join(staging, 'release');
      const value = 'S3cret-Passw0rd';
      const m = manifest();
      m.render.variables = { DB_PASSWORD: value };
      m.images[0].variables = { ...m.images[0].variables, WEB_NOTE: value };
      const written = completeBundle(stageBundle(target, app, ['deploy/environments/dev.yaml']), m, (text) => text.split(value).join('***'));
      const json = fs.readFileSync(path.join(target, 'release.json'), 'utf8');
      const images = fs.readFileSync(path.join(target, 'images.yaml'), 'utf8');
      assert.ok(!json.includes(value) && !images.includes(value));
      assert.match(json, /"DB_PASSWORD": "\*\*\*"/);
      assert.match(images, /^WEB_NOTE: "\*\*\*"$/m);
      assert.equal(written.files['images.yaml'], sha256(images), 'the checksum is of the file as written');
    });

    it('discards a staged bundle without touching the target', () => {
      const staging = tmp('gitops-staging-');
      const staged = stageBundle(path.join(staging, 'release'), app, ['deploy/environments/dev.yaml']);
      discardBundle(staged);
      assert.deepEqual(fs.readdirSync(staging), []);
    });
  });

  describe('readPreviousImages', () => {
    it('is undefined for a missing release and an error for a foreign file', () => {
      const dir = tmp('gitops-prev-');
      assert.equal(readPreviousImages(path.join(dir, 'none.json'), 'previousRelease'), undefined);
      fs.writeFileSync(path.join(dir, 'bad.json'), '{');
      assert.throws(() => readPreviousImages(path.join(dir, 'bad.json'), 'previousRelease'), /Input "previousRelease": ".*bad.json" is not valid JSON/);
      fs.writeFileSync(path.join(dir, 'other.json'), '{"images": []}');
      assert.throws(() => readPreviousImages(path.join(dir, 'other.json'), 'previousRelease'), /is not a release.json written by GitOpsCiPublish@1/);
    });
  });

  describe('stableJson and imagesYaml', () => {
    it('sorts keys at every level, drops undefined and ends with one newline', () => {
      assert.equal(
        stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } }),
        '{\n  "a": {\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
      );
    });

    it('quotes every value', () => {
      assert.equal(
        imagesYaml(
          new Map([
            ['B_TAG', '1.10'],
            ['A_IMAGE', 'x: "y"'],
          ]),
        )
          .split('\n')
          .slice(1)
          .join('\n'),
        'A_IMAGE: "x: \\"y\\""\nB_TAG: "1.10"\n',
      );
    });
  });
});
