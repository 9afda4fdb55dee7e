// What a task run may not need, kept out of its index.js (scripts/build.mjs). A lazy part is a file of
// its own in the task folder (lazy-<name>.js), holding the packages or modules listed. Wherever the
// bundle imports one of them it gets a stand-in whose exports are getters: the part loads at the
// first use of an export, not at the import (the Azure SDK is also require()d only inside the
// functions that need it). A part must not hold a module index.js also holds (scripts/build.mjs
// checks it for the project's sources and the packages with state): two copies of a class break
// instanceof.
// Schema data goes beside the bundle as JSON files: JSON.parse reads them faster than V8 compiles the
// same data as a JavaScript literal, and they do not weigh on the compile of index.js.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { root } from './versions.mjs';

export const LAZY_PARTS = [
  {
    name: 'pr-validate',
    why: "GitOpsPrValidate@1's workflow (rendering, validation, reports, the preview) loads once the task has read and checked its inputs",
    modules: ['shared/workflows/pr-validate.ts'],
  },
  {
    name: 'ci-publish',
    why: "GitOpsCiPublish@1's workflow (image tags, rendering, validation, the release bundle) loads once the task has read and checked its inputs",
    modules: ['shared/workflows/ci-publish.ts'],
  },
  {
    name: 'promote',
    why: "GitOpsPromote@1's workflow (rendering, the GitOps repository, Flux) loads once the task has read and checked its inputs",
    modules: ['shared/workflows/promote.ts'],
  },
  {
    name: 'task-lib',
    why: 'the agent speaks the logging protocol itself (shared/agent); task-lib only matches files and runs tools',
    packages: ['azure-pipelines-task-lib/task'],
  },
  {
    name: 'yaml',
    why: 'YAML is parsed once the inputs are read: a run starts (and reports bad inputs) without evaluating the parser (js-yaml stays: shared/manifests/parse.ts builds its schema as it loads)',
    packages: ['yaml'],
  },
  {
    name: 'devops-git',
    why: 'the Git client of Azure DevOps and its REST client are needed once a promotion reaches the repository, after its inputs are read (GitInterfaces stays: shared/devops maps its enums as it loads)',
    packages: ['azure-devops-node-api/GitApi', 'azure-devops-node-api/handlers/bearertoken', 'azure-devops-node-api/handlers/personalaccesstoken'],
  },
  {
    name: 'azure-sdk',
    why: 'only a Flux wait talks to Azure Resource Manager (its client), and only an ACR dependency with helmRegistryAzureSubscription needs an Entra token: @azure/identity with MSAL, the OIDC request',
    packages: ['@azure/identity', '@azure/arm-kubernetesconfiguration', '@azure/core-rest-pipeline'],
  },
  {
    name: 'devops-work-items',
    why: 'only a promotion that links work items needs the work item tracking client',
    packages: ['azure-devops-node-api/WorkItemTrackingApi', 'azure-devops-node-api/interfaces/WorkItemTrackingInterfaces'],
  },
  {
    name: 'devops-policy',
    why: 'only a merge wait that times out reads the policy evaluations to say what holds the pull request',
    packages: ['azure-devops-node-api/PolicyApi'],
  },
  {
    name: 'devops-build',
    why: "only GitOpsCiPublish@1 with previousRelease: lastSuccessfulRun reads the Build API (the last successful run's release.json)",
    packages: ['azure-devops-node-api/BuildApi', 'azure-devops-node-api/interfaces/BuildInterfaces'],
  },
  {
    name: 'ntlm',
    why: 'typed-rest-client loads every credential handler; the tasks never authenticate with NTLM (underscore, des.js, js-md4)',
    modules: ['node_modules/typed-rest-client/handlers/ntlm.js'],
  },
  {
    name: 'tool-installer',
    why: 'only a run whose helm or kubectl is missing from PATH downloads it (azure-pipelines-tool-lib, its REST client and semver)',
    modules: ['shared/agent/tool-installer.ts'],
  },
  {
    name: 'cel',
    why: 'only a Flux object whose CRD has x-kubernetes-validations rules needs the CEL evaluator (@marcbachmann/cel-js)',
    packages: ['@marcbachmann/cel-js'],
  },
  {
    name: 'dockerfile-lint',
    why: 'only a run with Dockerfiles to lint needs dockerfile-utils, dockerfile-ast and the language-server types',
    modules: ['shared/validate/dockerfile/index.ts'],
  },
];

/**
 * Project modules a lazy part may hold a copy of as well as index.js: pure functions and constants
 * with no imports, no classes and no module state, so two copies behave as one (the image reference
 * parser is used by the policy checks in index.js and by the Dockerfile linter's part; the tool download data
 * by the render-tools step in index.js and by the tool installer's part).
 */
export const COPYABLE_MODULES = ['shared/images/reference.ts', 'shared/render/tool-downloads.ts'];

export const DATA_FILES = [
  { source: 'shared/validate/schemas/kubernetes.json', file: 'schema-kubernetes.json' },
  { source: 'shared/validate/schemas/flux.json', file: 'schema-flux.json' },
];

export const partFile = (part) => `lazy-${part.name}.js`;

/** The key a part exports an entry under: the package name, or the module's path from the root. */
const entries = (part) => [...(part.packages ?? []).map((p) => [p, p]), ...(part.modules ?? []).map((m) => [m, path.join(root, m)])];

/**
 * The entry of a part's own bundle. A part of project modules imports them: esbuild hoists their
 * code into the part's top level, and they run as the part loads (at the first use of one of their
 * exports); a require() of each would have esbuild wrap every module they import in a lazy
 * initializer, which costs a run a few milliseconds. A part of packages holds each behind a getter,
 * loaded when first asked for (task-lib logs as it loads).
 */
export function partEntry(part) {
  if (!part.packages?.length) {
    const modules = part.modules.map((m, i) => [`module${i}`, m]);
    return [
      ...modules.map(([id, m]) => `import * as ${id} from ${JSON.stringify(path.join(root, m))};`),
      `export { ${modules.map(([id, m]) => `${id} as ${JSON.stringify(m)}`).join(', ')} };`,
    ].join('\n');
  }
  const lines = ['const part = {};'];
  for (const [key, spec] of entries(part)) {
    lines.push(`Object.defineProperty(part, ${JSON.stringify(key)}, { enumerable: true, get: () => require(${JSON.stringify(spec)}) });`);
  }
  lines.push('module.exports = part;');
  return lines.join('\n');
}

/**
 * The names a module or package exports: a CommonJS one as it loads (in a child process: task-lib
 * takes the build's environment and logs as it loads), a TypeScript one as esbuild reads it.
 */
const packageNames = new Map();
async function exportNames(file) {
  if (!file.endsWith('.ts')) {
    if (!packageNames.has(file)) {
      const script = `const m = require(${JSON.stringify(file)}); process.stderr.write(JSON.stringify([...(m.__esModule ? ['__esModule'] : []), ...Object.keys(m)]));`;
      const child = spawnSync(process.execPath, ['-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`cannot load ${file} to read its exports:\n${child.stderr}`);
      packageNames.set(file, JSON.parse(child.stderr));
    }
    return packageNames.get(file);
  }
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: false,
    format: 'esm',
    write: false,
    metafile: true,
    outdir: path.join(root, 'build', 'lazy-exports'),
    logLevel: 'silent',
  });
  return ['__esModule', ...Object.values(result.metafile.outputs).flatMap((o) => o.exports ?? [])];
}

/**
 * Plugins for one task: `main` for index.js (stand-ins for the lazy parts, data files external),
 * `part(p)` for part p's own bundle (stand-ins for the other parts, data files external). `used` and `data` collect what the task's
 * bundle asked for, so only those parts and files are built into its folder.
 */
export async function lazyPartsPlugin() {
  const used = new Set();
  const data = new Set();
  const hostUsed = new Set();
  const packageParts = new Map();
  const moduleParts = new Map();
  for (const part of LAZY_PARTS) {
    for (const name of part.packages ?? []) packageParts.set(name, { part, key: name, names: await exportNames(name) });
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
    return [abs, `${abs}.ts`, `${abs}.js`, path.join(abs, 'index.ts')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  };
  const dataExternal = (build) =>
    build.onResolve({ filter: /\.json$/ }, (args) => {
      const d = dataFiles.get(local(args) ?? '');
      if (!d) return undefined;
      data.add(d.source);
      return { path: `./${d.file}`, external: true };
    });

  /**
   * Stand-ins for every part's packages and modules but those of `own` (the part being built, if any).
   * In a part, a project source index.js holds (`host`: its path from the root, by file) is a stand-in
   * too, for index.js's own copy (hostEntry): one copy of each source, its classes and state, per run.
   */
  const stubs = (own, host = new Map()) => ({
    name: own ? `lazy-parts-in-${own.name}` : 'lazy-parts',
    setup(build) {
      dataExternal(build);
      build.onResolve({ filter: /^\.\/lazy-[a-z0-9-]+\.js$/, namespace: 'lazy-stub' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /^\.\/index\.js$/, namespace: 'lazy-host' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /.*/ }, (args) => {
        const file = local(args) ?? '';
        if (own && host.has(file)) {
          hostUsed.add(host.get(file));
          return { path: `${host.get(file)}#host`, namespace: 'lazy-host', pluginData: { file, key: host.get(file) } };
        }
        const lazy = packageParts.get(args.path) ?? moduleParts.get(file);
        if (!lazy || lazy.part === own) return undefined;
        used.add(lazy.part.name);
        return { path: `${lazy.key}#lazy`, namespace: 'lazy-stub', pluginData: lazy };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-stub' }, (args) => {
        const { part, key, names } = args.pluginData;
        // A stand-in: each export a getter that loads the part at its first use, not at the import.
        return { contents: standIn(`require(${JSON.stringify(`./${partFile(part)}`)})[${JSON.stringify(key)}]`, names), loader: 'js', resolveDir: root };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-host' }, async (args) => {
        const { file, key } = args.pluginData;
        // index.js is loaded (it loads the part): require() gives its exports, the run's one copy of the module.
        return { contents: standIn(`require('./index.js').${HOST_EXPORT}(${JSON.stringify(key)})`, await exportNames(file)), loader: 'js', resolveDir: root };
      });
    },
  });
  // A part gets the stand-ins of the other parts too (the Git client's REST client loads NTLM only when asked).
  return { main: stubs(undefined), part: (own, host) => stubs(own, host), used, data, hostUsed };
}

/**
 * A stand-in module: its exports `names`, each a getter that evaluates `load` (once) at the first use
 * of any. A loop over the names, not a statement each: index.js compiles and runs these as it starts.
 */
function standIn(load, names) {
  return [
    'let loaded;',
    `const load = () => (loaded ??= ${load});`,
    ...(names.includes('__esModule') ? ["Object.defineProperty(exports, '__esModule', { value: true });"] : []),
    `for (const name of ${JSON.stringify(names.filter((n) => n !== '__esModule'))})`,
    '  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });',
  ].join('\n');
}

/** The function index.js exports for its parts: a project source's module object by its path from the root. */
const HOST_EXPORT = '__lazyPartsHost';

/**
 * The entry of a task's index.js: the task's own entry, then (for the parts that use them) the
 * modules it holds, by their path from the root. esbuild sets module.exports before any module runs
 * and the function is hoisted, so a part loaded while index.js still runs finds them.
 */
export function hostEntry(taskEntry, exposed) {
  const keys = [...exposed].sort();
  return [
    `import ${JSON.stringify(taskEntry)};`,
    ...keys.map((key, i) => `import * as host${i} from ${JSON.stringify(path.join(root, key))};`),
    `export function ${HOST_EXPORT}(key) {`,
    '  switch (key) {',
    ...keys.map((key, i) => `    case ${JSON.stringify(key)}: return host${i};`),
    '  }',
    '  throw new Error(`index.js holds no module ${key}`);',
    '}',
  ].join('\n');
}
