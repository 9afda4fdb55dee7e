// What a task run may not need, kept out of its index.js (scripts/build.mjs). A lazy part is a file of
// its own in the task folder (lazy-<name>.js); the bundle requires it at the first use:
//  - packages: the sources already require() them inside the function that needs them; the bundle's
//    require of the package becomes a require of the part.
//  - modules (project sources imported statically): the bundle gets a stand-in whose exports are
//    getters, so the part loads at the first call, not at the import.
// Schema data goes beside the bundle as JSON files: JSON.parse reads them faster than V8 compiles the
// same data as a JavaScript literal, and they do not weigh on the compile of index.js.
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { root } from './versions.mjs';

export const LAZY_PARTS = [
  {
    name: 'azure-sdk',
    why: 'only a Flux wait talks to Azure Resource Manager: its client, @azure/identity with MSAL, the OIDC request',
    packages: ['@azure/identity', '@azure/arm-kubernetesconfiguration', '@azure/core-rest-pipeline'],
  },
  {
    name: 'dockerfile-lint',
    why: 'only a run with Dockerfiles to lint needs dockerfile-utils, dockerfile-ast and the language-server types',
    modules: ['shared/validate/dockerfile.ts'],
  },
];

export const DATA_FILES = [
  { source: 'shared/validate/schemas/kubernetes.json', file: 'schema-kubernetes.json' },
  { source: 'shared/validate/schemas/flux.json', file: 'schema-flux.json' },
];

export const partFile = (part) => `lazy-${part.name}.js`;

/** The key a part exports an entry under: the package name, or the module's path from the root. */
const entries = (part) => [...(part.packages ?? []).map((p) => [p, p]), ...(part.modules ?? []).map((m) => [m, path.join(root, m)])];

/** The entry of a part's own bundle: each package or module behind a getter, loaded when first asked for. */
export function partEntry(part) {
  const lines = ['const part = {};'];
  for (const [key, spec] of entries(part)) {
    lines.push(`Object.defineProperty(part, ${JSON.stringify(key)}, { enumerable: true, get: () => require(${JSON.stringify(spec)}) });`);
  }
  lines.push('module.exports = part;');
  return lines.join('\n');
}

/** The names a module exports (its own and re-exported), as esbuild reads them. */
async function exportNames(file) {
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: false,
    format: 'esm',
    write: false,
    metafile: true,
    outdir: path.join(root, 'build', 'lazy-exports'),
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).flatMap((o) => o.exports ?? []);
}

/**
 * Plugins for one task: `main` for index.js (stand-ins for the lazy parts, data files external),
 * `part` for a part's own bundle (data files external). `used` and `data` collect what the task's
 * bundle asked for, so only those parts and files are built into its folder.
 */
export async function lazyPartsPlugin() {
  const used = new Set();
  const data = new Set();
  const packageParts = new Map(LAZY_PARTS.flatMap((p) => (p.packages ?? []).map((name) => [name, p])));
  const moduleParts = new Map();
  for (const part of LAZY_PARTS) {
    for (const m of part.modules ?? []) {
      const file = path.join(root, m);
      // A moved or renamed module would silently end up in index.js again: say so instead.
      if (!fs.existsSync(file)) throw new Error(`lazy part ${part.name}: ${m} does not exist (moved? update scripts/lib/lazy-parts.mjs)`);
      moduleParts.set(file, { part, key: m, names: await exportNames(file) });
    }
  }
  for (const d of DATA_FILES)
    if (!fs.existsSync(path.join(root, d.source))) throw new Error(`data file ${d.source} does not exist (update scripts/lib/lazy-parts.mjs)`);
  const dataFiles = new Map(DATA_FILES.map((d) => [path.join(root, d.source), d]));

  /** A relative import as the file it names (.ts added as TypeScript resolves it). */
  const local = (args) => {
    if (!args.path.startsWith('.') || !args.resolveDir) return undefined;
    const abs = path.resolve(args.resolveDir, args.path);
    return [abs, `${abs}.ts`, path.join(abs, 'index.ts')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  };
  const dataExternal = (build) =>
    build.onResolve({ filter: /\.json$/ }, (args) => {
      const d = dataFiles.get(local(args) ?? '');
      if (!d) return undefined;
      data.add(d.source);
      return { path: `./${d.file}`, external: true };
    });

  const main = {
    name: 'lazy-parts',
    setup(build) {
      dataExternal(build);
      build.onResolve({ filter: /^\.\/lazy-[a-z0-9-]+\.js$/, namespace: 'lazy-stub' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /.*/ }, (args) => {
        const byPackage = packageParts.get(args.path);
        if (byPackage) {
          used.add(byPackage.name);
          return { path: args.path, namespace: 'lazy-stub', pluginData: { part: byPackage, key: args.path } };
        }
        const byModule = moduleParts.get(local(args) ?? '');
        if (!byModule) return undefined;
        used.add(byModule.part.name);
        return { path: `${byModule.key}#lazy`, namespace: 'lazy-stub', pluginData: { part: byModule.part, key: byModule.key, names: byModule.names } };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-stub' }, (args) => {
        const { part, key, names } = args.pluginData;
        const require = `require(${JSON.stringify(`./${partFile(part)}`)})[${JSON.stringify(key)}]`;
        if (!names) return { contents: `module.exports = ${require};`, loader: 'js', resolveDir: root };
        const lines = [
          'let loaded;',
          `const load = () => (loaded ??= ${require});`,
          "Object.defineProperty(exports, '__esModule', { value: true });",
          ...names.map((n) => `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`),
        ];
        return { contents: lines.join('\n'), loader: 'js', resolveDir: root };
      });
    },
  };
  const part = { name: 'lazy-part-data', setup: dataExternal };
  return { main, part, used, data };
}
