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

/** The entry of a part's own bundle: each package or module behind a getter, loaded when first asked for. */
export function partEntry(part) {
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

  /** Stand-ins for every part's packages and modules but those of `own` (the part being built, if any). */
  const stubs = (own) => ({
    name: own ? `lazy-parts-in-${own.name}` : 'lazy-parts',
    setup(build) {
      dataExternal(build);
      build.onResolve({ filter: /^\.\/lazy-[a-z0-9-]+\.js$/, namespace: 'lazy-stub' }, (args) => ({ path: args.path, external: true }));
      build.onResolve({ filter: /.*/ }, (args) => {
        const lazy = packageParts.get(args.path) ?? moduleParts.get(local(args) ?? '');
        if (!lazy || lazy.part === own) return undefined;
        used.add(lazy.part.name);
        return { path: `${lazy.key}#lazy`, namespace: 'lazy-stub', pluginData: lazy };
      });
      build.onLoad({ filter: /.*/, namespace: 'lazy-stub' }, (args) => {
        const { part, key, names } = args.pluginData;
        const require = `require(${JSON.stringify(`./${partFile(part)}`)})[${JSON.stringify(key)}]`;
        // A stand-in: each export a getter that loads the part at its first use, not at the import.
        const lines = [
          'let loaded;',
          `const load = () => (loaded ??= ${require});`,
          ...names.map((n) =>
            n === '__esModule'
              ? "Object.defineProperty(exports, '__esModule', { value: true });"
              : `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`,
          ),
        ];
        return { contents: lines.join('\n'), loader: 'js', resolveDir: root };
      });
    },
  });
  // A part gets the stand-ins of the other parts too (the Git client's REST client loads NTLM only when asked).
  return { main: stubs(undefined), part: (own) => stubs(own), used, data };
}
