import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = process.cwd();

describe('npm run package', function () {
  this.timeout(120_000);

  it('makes a .vsix with every task folder and every file in it (bundle, lazily loaded parts, data, task.json, icon), at the package.json version', () => {
    const output = execFileSync(process.execPath, [path.join(root, 'scripts/package.mjs'), '--no-build'], { cwd: root, encoding: 'utf8' });
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const ext = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')) as {
      publisher: string;
      id: string;
      contributions: { properties: { name: string } }[];
    };
    const vsix = path.join(root, 'out', `${ext.publisher}.${ext.id}-${pkg.version}.vsix`);
    assert.match(output, new RegExp(`vsix out/${ext.publisher}\\.${ext.id}-${pkg.version.replace(/\./g, '\\.')}\\.vsix \\d+\\.\\d KiB`));
    // Entry names are stored uncompressed in a zip's headers.
    const bytes = fs.readFileSync(vsix).toString('latin1');
    for (const { properties } of ext.contributions) {
      // Every file of the task folder: the bundle, the parts it loads when needed, the schema data.
      const files = fs.readdirSync(path.join(root, 'dist/tasks', properties.name, 'v1'));
      for (const file of ['task.json', 'index.js', 'icon.png']) assert.ok(files.includes(file), `dist/tasks/${properties.name}/v1/${file}`);
      for (const file of files) assert.ok(bytes.includes(`${properties.name}/v1/${file}`), `${properties.name}/v1/${file} in the vsix`);
    }
    assert.ok(bytes.includes('extension.vsixmanifest'));
    assert.ok(bytes.includes('images/extension-icon.png'));
  });
});
