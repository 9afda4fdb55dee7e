/**
 * npm run package as a publisher runs it: the .vsix tfx makes, opened and read like the Marketplace
 * reads it. Its manifest lists only files that are in it; the details page is overview.md and the
 * licence LICENSE; every task folder is complete, with its own icon, version and GUID; nothing from
 * the tests, the scripts or node_modules is inside.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readZip } from '../../harness/zip';

const root = process.cwd();

interface Ext {
  publisher: string;
  id: string;
  version: string;
  targets: { id: string }[];
  galleryFlags?: string[];
  links?: Record<string, { uri: string }>;
  repository?: { type: string; uri: string };
  branding?: { color: string; theme: string };
  contributions: { id: string; type: string; properties: { name: string } }[];
}

describe('npm run package', function () {
  this.timeout(180_000);
  let out: string;
  let output: string;
  let vsix: string;
  let entries: Map<string, Buffer>;
  const ext = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')) as Ext;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-vsix-'));
    output = execFileSync(process.execPath, [path.join(root, 'scripts/package.mjs'), '--no-build', '--out', out], { cwd: root, encoding: 'utf8' });
    vsix = path.join(out, `${ext.publisher}.${ext.id}-${pkg.version}.vsix`);
    entries = readZip(fs.readFileSync(vsix));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('writes the .vsix at the package.json version into --out and says its size', () => {
    assert.ok(fs.existsSync(vsix), vsix);
    assert.match(output, /vsix \S+\.vsix \d+\.\d KiB/);
    // The figure for the listing: printed, not asserted beyond the Marketplace's limit.
    const size = fs.statSync(vsix).size;
    console.log(`      .vsix: ${(size / 1024).toFixed(1)} KiB, ${entries.size} files`);
    assert.ok(size < 25 * 1024 * 1024, 'well under the 25 MiB a task extension may weigh');
  });

  it('lists in its manifest only files that are in it, with overview.md as details page and LICENSE as licence', () => {
    const manifest = entries.get('extension.vsixmanifest')?.toString('utf8') ?? '';
    assert.ok(manifest, 'extension.vsixmanifest');
    const assets = [...manifest.matchAll(/<Asset Type="([^"]+)"[^>]*Path="([^"]+)"/g)].map((m) => ({ type: m[1], path: m[2] }));
    assert.ok(assets.length > 0);
    for (const a of assets) assert.ok(entries.has(a.path), `${a.type}: ${a.path} is not in the .vsix`);
    const asset = (type: string) => assets.find((a) => a.type === type)?.path;
    assert.equal(asset('Microsoft.VisualStudio.Services.Content.Details'), 'overview.md');
    assert.equal(entries.get('overview.md')?.toString('utf8'), fs.readFileSync(path.join(root, 'overview.md'), 'utf8'));
    assert.equal(asset('Microsoft.VisualStudio.Services.Content.License'), 'LICENSE');
    assert.match(entries.get('LICENSE')?.toString('utf8') ?? '', /^MIT License/);
    assert.equal(asset('Microsoft.VisualStudio.Services.Icons.Default'), 'images/extension-icon.png');
    // The listing's pictures (scripts/screenshots.mjs makes them from a demo run): the gallery's screenshots, shown on the details page too.
    const pictures = ['images/summary-tab.png', 'images/pr-statuses.png'];
    assert.deepEqual(
      pictures.map((_, i) => asset(`Microsoft.VisualStudio.Services.Screenshots.${i + 1}`)),
      pictures,
    );
    for (const picture of pictures) {
      const png = entries.get(picture);
      assert.ok(png && png.subarray(1, 4).toString('latin1') === 'PNG', `${picture} is a PNG in the .vsix`);
      assert.ok(png.length <= 200 * 1024, `${picture}: ${png.length} bytes, keep it under 200 KiB`);
      assert.ok(fs.readFileSync(path.join(root, 'overview.md'), 'utf8').includes(`](${picture})`), `overview.md shows ${picture}`);
    }
    assert.match(manifest, /<GalleryFlags>Preview<\/GalleryFlags>/);
    assert.match(manifest, /<InstallationTarget Id="Microsoft.VisualStudio.Services.Cloud"/);
    assert.doesNotMatch(
      manifest,
      /InstallationTarget Id="Microsoft.VisualStudio.Services"[ />]/,
      'not on Azure DevOps Server: REST 7.1, workload identity federation',
    );
    const property = (id: string) =>
      new RegExp(`<Property Id="Microsoft\\.VisualStudio\\.Services\\.${id.replace('.', '\\.')}" Value="([^"]*)"/>`).exec(manifest)?.[1];
    assert.equal(property('Links.Home'), 'https://github.com/gitops-flow/gitops-flow');
    assert.equal(property('Links.Getstarted'), 'https://github.com/gitops-flow/gitops-flow#setting-up-an-organization');
    assert.equal(property('Links.Support'), 'https://github.com/gitops-flow/gitops-flow/issues');
    assert.equal(property('Links.License'), 'https://github.com/gitops-flow/gitops-flow/blob/main/LICENSE');
    assert.equal(property('Links.GitHub'), ext.repository?.uri, 'repository');
    assert.equal(property('Branding.Color'), ext.branding?.color);
    assert.equal(property('Branding.Theme'), 'dark');
    assert.match(manifest, /<License>LICENSE<\/License>/);
    // The task contributions the extension manifest inside declares.
    const vso = JSON.parse(entries.get('extension.vsomanifest')?.toString('utf8') ?? '{}') as {
      contributions?: { id: string; properties: { name: string } }[];
    };
    assert.deepEqual(
      vso.contributions?.map((c) => c.properties.name),
      ext.contributions.map((c) => c.properties.name),
    );
  });

  it('holds each task complete: its files, task.json with the GUID and version, its own icon', () => {
    const icons = new Set<string>();
    for (const { properties } of ext.contributions) {
      const folder = path.join(root, 'dist/tasks', properties.name, 'v1');
      for (const file of fs.readdirSync(folder)) {
        const inside = entries.get(`${properties.name}/v1/${file}`);
        assert.ok(inside, `${properties.name}/v1/${file} in the .vsix`);
        assert.ok(inside.equals(fs.readFileSync(path.join(folder, file))), `${properties.name}/v1/${file} as built`);
      }
      const source = JSON.parse(fs.readFileSync(path.join(root, 'tasks', properties.name, 'v1', 'task.json'), 'utf8')) as { id: string; version: unknown };
      const packed = JSON.parse(entries.get(`${properties.name}/v1/task.json`)!.toString('utf8')) as { id: string; version: unknown; name: string };
      assert.equal(packed.name, properties.name);
      assert.equal(packed.id, source.id);
      assert.deepEqual(packed.version, source.version);
      const icon = entries.get(`${properties.name}/v1/icon.png`)!;
      assert.ok(icon.equals(fs.readFileSync(path.join(root, 'tasks', properties.name, 'v1', 'icon.png'))), `${properties.name}: its own icon`);
      assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
      icons.add(icon.toString('base64'));
    }
    assert.equal(icons.size, ext.contributions.length, 'every task has an icon of its own');
  });

  it('holds nothing from tests, scripts, sources or node_modules', () => {
    const stray = [...entries.keys()].filter(
      (name) => /(^|\/)(test|scripts|node_modules|shared|build)\//.test(name) || /\.(ts|map)$/.test(name) || name === 'README.md',
    );
    assert.deepEqual(stray, []);
  });
});
