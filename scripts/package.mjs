// npm run package: build, lay the extension out in dist/vsix (manifest, overview.md, LICENSE, images, one folder
// per task), then make the .vsix with tfx, offline, into out/ (or --out <folder>).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readJson, root } from './lib/versions.mjs';

if (!process.argv.includes('--no-build')) execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

const staging = path.join(root, 'dist', 'vsix');
fs.rmSync(staging, { recursive: true, force: true });
fs.mkdirSync(staging, { recursive: true });
// overview.md is the Marketplace details page (README.md is the developers' guide); LICENSE the licence.
for (const file of ['vss-extension.json', 'overview.md', 'LICENSE']) {
  if (!fs.existsSync(path.join(root, file))) throw new Error(`${file} is missing: the listing needs it`);
  fs.copyFileSync(path.join(root, file), path.join(staging, file));
}
fs.cpSync(path.join(root, 'images'), path.join(staging, 'images'), { recursive: true });
fs.cpSync(path.join(root, 'dist', 'tasks'), staging, { recursive: true });

// --out <folder>: where to write the .vsix (default out/).
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'out');
fs.mkdirSync(out, { recursive: true });
const ext = readJson(path.join(root, 'vss-extension.json'));
const vsix = path.join(out, `${ext.publisher}.${ext.id}-${ext.version}.vsix`);
fs.rmSync(vsix, { force: true });
const tfx = path.join(root, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
const result = execFileSync(
  process.execPath,
  [tfx, 'extension', 'create', '--root', staging, '--manifest-globs', 'vss-extension.json', '--output-path', vsix, '--no-prompt', '--no-color'],
  {
    cwd: staging,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
// tfx only warns about an invalid task.json or a missing task folder and still exits 0: fail on any warning.
const warnings = result.split('\n').filter((l) => /warning/i.test(l));
if (warnings.length > 0 || !fs.existsSync(vsix)) {
  console.error(warnings.length > 0 ? warnings.join('\n') : `tfx did not write ${vsix}:\n${result}`);
  process.exit(1);
}
console.log(`vsix ${path.relative(root, vsix) || vsix} ${(fs.statSync(vsix).size / 1024).toFixed(1)} KiB`);
