// npm run build: version check, type-check + compile (build/, used by the tests), then one minified
// esbuild bundle per task into dist/tasks/<Task>/v<N>/ with its task.json and icon.png beside it.
// What a run may not need stays out of index.js (scripts/lib/lazy-parts.mjs): each lazy part is a
// file of its own in the same task folder, required at its first use; the schema data is a JSON file
// beside the bundle. Each task folder stays self-contained (the agent downloads one folder per task).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { root, taskJsonFiles, versionMismatches } from './lib/versions.mjs';
import { COPYABLE_MODULES, DATA_FILES, hostEntry, LAZY_PARTS, lazyPartsPlugin, partEntry, partFile } from './lib/lazy-parts.mjs';

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

const common = {
  bundle: true,
  minify: true,
  keepNames: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: root,
  // task-lib loads the task's own task.json at run time by an absolute path: that require stays dynamic.
  logOverride: { 'unsupported-require-call': 'silent' },
};

const dist = path.join(root, 'dist', 'tasks');
fs.rmSync(dist, { recursive: true, force: true });
for (const taskJson of taskJsonFiles()) {
  const taskDir = path.dirname(taskJson);
  const rel = path.relative(path.join(root, 'tasks'), taskDir);
  const out = path.join(dist, rel);
  const entry = path.join(taskDir, 'index.ts');
  // index.js first; then its parts, which take the project sources index.js holds from it (hostEntry
  // exports them); then index.js again, exporting those, until both sides agree on what index.js holds.
  let exposed = new Set();
  let plugin;
  let main = await buildMain(entry, out, exposed);
  let metafiles;
  for (;;) {
    plugin = main.plugin;
    const host = new Map(projectSources(main.result.metafile).map((key) => [path.join(root, key), key]));
    metafiles = [main.result.metafile];
    // Only the parts this task's code asks for are built into its folder, and those they ask for in turn.
    const built = new Set();
    for (let next; (next = LAZY_PARTS.find((p) => plugin.used.has(p.name) && !built.has(p.name)));) {
      built.add(next.name);
      const result = await esbuild.build({
        ...common,
        stdin: { contents: partEntry(next), resolveDir: root, sourcefile: `lazy part ${next.name}`, loader: 'js' },
        outfile: path.join(out, partFile(next)),
        plugins: [plugin.part(next, host)],
      });
      metafiles.push(result.metafile);
    }
    if ([...plugin.hostUsed].every((key) => exposed.has(key))) break;
    exposed = new Set([...exposed, ...plugin.hostUsed]);
    const again = await buildMain(entry, out, exposed);
    const same = projectSources(again.result.metafile).join('\n') === [...host.values()].join('\n');
    // Exporting a module whole may bring in what esbuild had left out: then the parts are built again.
    if (same) {
      metafiles[0] = again.result.metafile;
      break;
    }
    main = again;
  }
  for (const data of DATA_FILES.filter((d) => plugin.data.has(d.source))) fs.copyFileSync(path.join(root, data.source), path.join(out, data.file));
  checkSingleCopies(metafiles, rel);
  // The project test reads which sources went into the task (inputs read, outputs set): all its outputs.
  const merged = { inputs: Object.assign({}, ...metafiles.map((m) => m.inputs)), outputs: Object.assign({}, ...metafiles.map((m) => m.outputs)) };
  const metaFile = path.join(root, 'build', 'meta', `${rel.replace(/[\\/]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(metaFile), { recursive: true });
  fs.writeFileSync(metaFile, JSON.stringify(merged));
  fs.copyFileSync(taskJson, path.join(out, 'task.json'));
  fs.copyFileSync(path.join(taskDir, 'icon.png'), path.join(out, 'icon.png'));
  const size = (f) => `${(fs.statSync(path.join(out, f)).size / 1024).toFixed(1)} KiB`;
  const others = fs.readdirSync(out).filter((f) => f !== 'index.js' && /\.(js|json)$/.test(f) && f !== 'task.json');
  console.log(
    `bundle ${rel}/index.js ${size('index.js')}${others.length > 0 ? `, loaded when needed: ${others.map((f) => `${f} ${size(f)}`).join(', ')}` : ''}`,
  );
}
console.log(`build done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

/** index.js of a task: its entry, exporting the project sources in `exposed` for the parts (hostEntry). */
async function buildMain(entry, out, exposed) {
  const plugin = await lazyPartsPlugin();
  const result = await esbuild.build({
    ...common,
    stdin: { contents: hostEntry(entry, exposed), resolveDir: root, sourcefile: `index.js of ${path.relative(root, path.dirname(entry))}`, loader: 'js' },
    outfile: path.join(out, 'index.js'),
    plugins: [plugin.main],
  });
  return { plugin, result };
}

/** The project's own sources in a bundle, by their path from the root, sorted. */
function projectSources(metafile) {
  return Object.keys(metafile.inputs)
    .filter((input) => /^(shared|tasks)\//.test(input))
    .sort();
}

/**
 * Packages with module state (task-lib's secret vault) must be bundled once, never from two
 * node_modules roots nor into two files of a task; nor may a project source be in two files of a
 * task (a class in two copies breaks instanceof).
 */
function checkSingleCopies(metafiles, task) {
  for (const name of COPYABLE_MODULES) {
    // A copy is harmless only while the module stays free of imports, classes and module state.
    const text = fs.readFileSync(path.join(root, name), 'utf8');
    if (/^(import\s(?!type\b)|let\s|var\s|export\s+let\s)|\bclass\s|\brequire\(/m.test(text)) {
      console.error(`${task}: ${name} is in COPYABLE_MODULES (scripts/lib/lazy-parts.mjs) but has imports, classes or module state; bundle it once`);
      process.exit(1);
    }
  }
  const roots = new Map();
  const outputsOf = new Map();
  for (const [index, metafile] of metafiles.entries()) {
    for (const input of Object.keys(metafile.inputs)) {
      const m = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
      const name = m ? m[2] : input;
      if (m) {
        if (!roots.has(name)) roots.set(name, new Set());
        roots.get(name).add(m[1]);
      }
      if (!outputsOf.has(name)) outputsOf.set(name, new Set());
      outputsOf.get(name).add(index);
    }
  }
  const fail = (message) => {
    console.error(`${task}: ${message}`);
    process.exit(1);
  };
  for (const name of ['azure-pipelines-task-lib', '@azure/identity', '@azure/msal-node']) {
    if ((roots.get(name)?.size ?? 0) > 1) fail(`${name} is bundled from ${roots.get(name).size} places (${[...roots.get(name)].join(', ')}); dedupe it`);
    if ((outputsOf.get(name)?.size ?? 0) > 1) fail(`${name} is bundled into more than one file of the task; keep it in one lazy part`);
  }
  for (const [name, outputs] of outputsOf) {
    if (outputs.size > 1 && /^(shared|tasks)\//.test(name) && !COPYABLE_MODULES.includes(name))
      fail(`${name} is bundled into more than one file of the task; import it from one side only`);
  }
}
