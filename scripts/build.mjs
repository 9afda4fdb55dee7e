// npm run build: version check, type-check + compile (build/, used by the tests), then one minified
// esbuild bundle per task into dist/tasks/<Task>/v<N>/ with its task.json and icon.png beside it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { root, taskJsonFiles, versionMismatches } from './lib/versions.mjs';

const started = Date.now();
const mismatches = versionMismatches();
if (mismatches.length > 0) {
  console.error(`Version mismatch (package.json is the one source):\n  ${mismatches.join('\n  ')}`);
  process.exit(1);
}

if (!process.argv.includes('--bundles-only')) {
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  } catch {
    console.error('Type check failed');
    process.exit(1);
  }
}

const dist = path.join(root, 'dist', 'tasks');
fs.rmSync(dist, { recursive: true, force: true });
for (const taskJson of taskJsonFiles()) {
  const taskDir = path.dirname(taskJson);
  const rel = path.relative(path.join(root, 'tasks'), taskDir);
  const out = path.join(dist, rel);
  const result = await esbuild.build({
    entryPoints: [path.join(taskDir, 'index.ts')],
    outfile: path.join(out, 'index.js'),
    bundle: true,
    minify: true,
    keepNames: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    // task-lib loads the task's own task.json at run time by an absolute path: that require stays dynamic.
    logOverride: { 'unsupported-require-call': 'silent' },
  });
  checkSingleCopies(result.metafile, rel);
  // The project test reads which sources went into each bundle (inputs read, outputs set).
  const metaFile = path.join(root, 'build', 'meta', `${rel.replace(/[\\/]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(metaFile), { recursive: true });
  fs.writeFileSync(metaFile, JSON.stringify(result.metafile));
  fs.copyFileSync(taskJson, path.join(out, 'task.json'));
  fs.copyFileSync(path.join(taskDir, 'icon.png'), path.join(out, 'icon.png'));
  const size = fs.statSync(path.join(out, 'index.js')).size;
  console.log(`bundle ${rel}/index.js ${(size / 1024).toFixed(1)} KiB`);
}
console.log(`build done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

/** Packages with module state (task-lib's secret vault) must be bundled once, never from two node_modules roots. */
function checkSingleCopies(metafile, task) {
  const roots = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!m) continue;
    const [, prefix, name] = m;
    if (!roots.has(name)) roots.set(name, new Set());
    roots.get(name).add(prefix);
  }
  for (const name of ['azure-pipelines-task-lib', '@azure/identity', '@azure/msal-node']) {
    if ((roots.get(name)?.size ?? 0) > 1) {
      console.error(`${task}: ${name} is bundled from ${roots.get(name).size} places (${[...roots.get(name)].join(', ')}); dedupe it`);
      process.exit(1);
    }
  }
}
