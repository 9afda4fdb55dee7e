#!/usr/bin/env node
// scripts/generate-k8s-schemas.mjs: build the offline schema data of the built-in Kubernetes kinds used by
// shared/validate/schema.ts.
//
//   node scripts/generate-k8s-schemas.mjs [--check]
//
// Writes shared/validate/schemas/kubernetes.json. With --check, writes nothing and exits 1 when the committed
// file differs from what would be generated (or a source is not what SOURCES pins). The output is
// deterministic (sorted, no timestamps): the same sources give a byte-identical file.
// (flux.json, the Flux kinds, comes from scripts/generate-flux-constraints.mjs' sources and generator.)
//
// Sources: the Kubernetes project's own OpenAPI document (Swagger 2.0, api/openapi-spec/swagger.json) of each
// minor version, committed gzipped in scripts/schema-sources/kubernetes-openapi/ (origin, tag, commit and blob
// id of each in SOURCES.md there). Before a document is read, the git blob id of its decompressed bytes is
// checked against SOURCES below. And for the enums, which the Swagger 2.0 documents do not carry: the Go API
// types of each version (k8s.io/api's types.go files, scripts/schema-sources/kubernetes-api-types/, pinned and
// verified by scripts/lib/kubernetes-api-types.mjs, read by scripts/lib/go-enums.mjs). Runs offline, from the
// committed files only.
//
// What is taken from each document:
//   kinds        definitions with one `x-kubernetes-group-version-kind` that the API serves for create or
//                replace (a `post`/`put` operation of that kind on a resource path, no subresource: this
//                leaves out lists, DeleteOptions/WatchEvent/Status, read-only kinds such as ComponentStatus
//                and subresource bodies such as Scale, Eviction, TokenRequest)
//   definitions  only those reachable from a kind (plus REF_ALIASES' targets); per property its type code
//                (below), `required`, and `x-kubernetes-list-type` (map with its
//                `x-kubernetes-list-map-keys`, set)
//   enums        from the Go types, as the OpenAPI v3 documents get them: a field of a `+enum` string type (X,
//                *X, []X, map[K]X) has as enum the string constants of that type in its package. Each such field
//                of a definition the document has must be a string property there (items or values for lists and
//                maps), or the generator fails: a mapping that does not hold is never skipped silently.
//   Not carried: descriptions, `x-kubernetes-patch-*` (strategic merge patch), `x-kubernetes-map-type`,
//   `x-kubernetes-unions` (not checked). The documents have no pattern or minimum/maximum.
//
// Type codes (shared/validate/schema.ts reads them):
//   s string, t date-time (Time, MicroTime), y base64 (format byte), i integer (int64), i32 int32, n number,
//   b boolean, a anything (RawExtension, JSON, FieldsV1, objects without properties), o IntOrString,
//   q Quantity (string or number),
//   []X list of X, [=]X set of X (no duplicate items), [k1|k2]X map list of X keyed by k1, k2 (no two items
//   with the same keys), {}X map of X, =v1|v2 one of these strings (an enum, values sorted; `=|v1` allows ""),
//   other: a definition's name.
// Definition names are the OpenAPI names' last three parts: io.k8s.api.apps.v1.Deployment -> apps.v1.Deployment,
// io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta -> meta.v1.ObjectMeta.
//
// kubernetes.json layout:
//   { format, sources: { "<version>": "<origin>" }, enumSources: { "<version>": "kubernetes/api@<tag> (commit ...)" },
//     versions: ["1.30", ...],
//     refAliases: { "V1ObjectMeta": "meta.v1.ObjectMeta", ... }   (names flux.json refers to as @V1ObjectMeta)
//     names: [definition names, sorted], defs: [definition string (see encodeDef), ...],
//     tables: { "<version>": [index into defs per entry of names, or -1] },
//     kinds: [[apiVersion, kind, definition name, bitmask of versions (bit i = versions[i])], ...] }
// Identical definitions are stored once and shared between versions.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { readEnums } from './lib/go-enums.mjs';
import { API_TYPES, API_TYPES_REPOSITORY, readApiTypes } from './lib/kubernetes-api-types.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.join(repoRoot, 'shared', 'validate', 'schemas', 'kubernetes.json');
const sourceDir = path.join(repoRoot, 'scripts', 'schema-sources', 'kubernetes-openapi');
const typesDir = path.join(repoRoot, 'scripts', 'schema-sources', 'kubernetes-api-types');

const ORIGIN = 'kubernetes-client/python';
const ORIGIN_PATH = 'kubernetes/swagger.json.unprocessed';

/**
 * Pinned sources, one per Kubernetes minor version: the kubernetes-client/python tag whose
 * kubernetes/swagger.json.unprocessed is the document, and that file's git blob id. (SOURCES.md names the
 * commits.) The only place to edit when adding a version, with its swagger-1.NN.json.gz.
 */
const SOURCES = {
  '1.30': { tag: 'v30.1.0', blob: '38a0006c3c8d725f5860beff08f690d3babfe505' },
  1.31: { tag: 'v31.0.0', blob: 'a2631d9570c8613e1be29478b87e7fc68f40a6c7' },
  1.32: { tag: 'v32.0.1', blob: 'ffbe70c72ef8abdf9587e5dda821b635c3a3fd16' },
  1.33: { tag: 'v33.1.0', blob: '369a1c2c52f17577d8454f5627092b56dedb2dc4' },
  1.34: { tag: 'v34.1.0', blob: '811e4422a658c5d305384c355dc7e25d5a27bcff' },
  1.35: { tag: 'v35.0.0', blob: '73b4d379633234ac817691c93adcc088e7986d16' },
  1.36: { tag: 'v36.0.3', blob: '67de7f202bb8168699e2faf088ac42cfe467a51e' },
};

/** Names flux.json refers to (`@V1ObjectMeta`, from the Flux CRD generator) -> definition names here. */
const REF_ALIASES = {
  V1Condition: 'meta.v1.Condition',
  V1LabelSelector: 'meta.v1.LabelSelector',
  V1ListMeta: 'meta.v1.ListMeta',
  V1ObjectMeta: 'meta.v1.ObjectMeta',
};

/** Definitions that are scalars on the wire, by OpenAPI name. */
const SCALAR_DEFS = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'q', // `cpu: 1` and `cpu: 500m` both decode
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'o',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 't',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 't',
};

function fail(message) {
  throw new Error(`generate-k8s-schemas: ${message}`);
}

/** git's blob id of a file's bytes: what `git rev-parse <commit>:<path>` prints. */
function gitBlobId(bytes) {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function readSource(version) {
  const { tag, blob } = SOURCES[version];
  const file = path.join(sourceDir, `swagger-${version}.json.gz`);
  if (!existsSync(file)) fail(`${path.relative(repoRoot, file)} is missing (see ${path.relative(repoRoot, sourceDir)}/SOURCES.md)`);
  const bytes = gunzipSync(readFileSync(file));
  const id = gitBlobId(bytes);
  if (id !== blob) fail(`${path.relative(repoRoot, file)}: blob ${id}, not ${blob} (${ORIGIN} ${tag}:${ORIGIN_PATH})`);
  const doc = JSON.parse(bytes.toString('utf8'));
  if (doc.swagger !== '2.0' || typeof doc.definitions !== 'object' || typeof doc.paths !== 'object') fail(`${path.basename(file)}: not a Swagger 2.0 document`);
  return doc;
}

/** io.k8s.api.apps.v1.Deployment -> apps.v1.Deployment */
function shortName(full) {
  return full.split('.').slice(-3).join('.');
}

function refName(ref, where) {
  const prefix = '#/definitions/';
  if (typeof ref !== 'string' || !ref.startsWith(prefix)) fail(`${where}: unsupported $ref ${ref}`);
  return ref.slice(prefix.length);
}

const RESOURCE_PATH = /^\/(?:api\/v1|apis\/[^/{}]+\/[^/{}]+)(?:\/namespaces\/\{namespace\})?\/[a-z0-9]+(?:\/\{name\})?$/;

function gvkKey({ group, version, kind }) {
  return `${group ? `${group}/` : ''}${version} ${kind}`;
}

/** [apiVersion, kind, OpenAPI definition name] of the kinds the document serves for create or replace. */
function readKinds(doc, version) {
  const writable = new Set();
  for (const [p, operations] of Object.entries(doc.paths)) {
    if (!RESOURCE_PATH.test(p)) continue;
    for (const op of Object.values(operations)) {
      const gvk = op?.['x-kubernetes-group-version-kind'];
      if (gvk && (op['x-kubernetes-action'] === 'post' || op['x-kubernetes-action'] === 'put')) writable.add(gvkKey(gvk));
    }
  }
  const kinds = new Map();
  for (const [name, def] of Object.entries(doc.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks) || gvks.length !== 1) continue;
    const key = gvkKey(gvks[0]);
    if (!writable.has(key) || !def.properties?.apiVersion || !def.properties?.kind) continue;
    if (kinds.has(key)) fail(`${version}: ${key} is both ${kinds.get(key)[2]} and ${name}`);
    const [apiVersion, kind] = key.split(' ');
    kinds.set(key, [apiVersion, kind, name]);
  }
  if (kinds.size < 50) fail(`${version}: only ${kinds.size} kinds found`);
  return [...kinds.values()];
}

/** The type code of a property (or items/additionalProperties) schema; definitions it refers to go to `refs`. */
function typeCode(doc, schema, where, refs) {
  if (schema.$ref) {
    const name = refName(schema.$ref, where);
    const def = doc.definitions[name];
    if (!def) fail(`${where}: no definition ${name}`);
    if (SCALAR_DEFS[name]) return SCALAR_DEFS[name];
    if (!def.properties) {
      // RawExtension, JSON, FieldsV1, Patch and the like: free-form (or empty structs the server treats alike)
      if (def.type !== undefined && def.type !== 'object') fail(`${where}: ${name} is a ${def.type} with no properties`);
      return 'a';
    }
    refs.push(name);
    return shortName(name);
  }
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date-time') return 't';
      if (schema.format === 'byte') return 'y';
      if (schema.format === 'int-or-string') return 'o';
      if (schema.format !== undefined) fail(`${where}: string format ${schema.format}`);
      return 's';
    case 'integer':
      if (schema.format === 'int32') return 'i32';
      if (schema.format === 'int64' || schema.format === undefined) return 'i';
      return fail(`${where}: integer format ${schema.format}`);
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'array': {
      if (!schema.items) fail(`${where}: array without items`);
      const item = typeCode(doc, schema.items, `${where}[]`, refs);
      const listType = schema['x-kubernetes-list-type'];
      if (listType === 'map') {
        const keys = schema['x-kubernetes-list-map-keys'];
        if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => !/^[A-Za-z0-9_$-]+$/.test(k)))
          fail(`${where}: map list keys ${JSON.stringify(keys)}`);
        return `[${keys.join('|')}]${item}`;
      }
      if (listType === 'set') return `[=]${item}`;
      if (listType !== undefined && listType !== 'atomic') fail(`${where}: list type ${listType}`);
      return `[]${item}`;
    }
    case 'object':
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return `{}${typeCode(doc, schema.additionalProperties, `${where}{}`, refs)}`;
      }
      return 'a';
    case undefined:
      return 'a';
    default:
      return fail(`${where}: type ${schema.type}`);
  }
}

/**
 * The enum properties of the document's definitions: Map OpenAPI definition name -> Map property -> type code
 * (`=a|b`, `[]=a|b`, `{}=a|b`), from the Go types' enum fields. A field whose struct the document has must be
 * there as a string property (or an array of strings, a map of strings for []X, map[K]X fields).
 */
export function enumProperties(doc, version, enums) {
  const out = new Map();
  for (const [key, fields] of enums) {
    const [dir, struct] = key.split(' ');
    const name = `io.k8s.api.${dir.replace('/', '.')}.${struct}`;
    const def = doc.definitions[name];
    if (!def) continue; // a Go struct the API does not serve as a definition (internal, or a group not in this version)
    const props = new Map();
    for (const [json, e] of fields) {
      const where = `${version} ${name}.${json} (${e.type}, ${e.file}:${e.line})`;
      const prop = def.properties?.[json];
      if (!prop) fail(`${where}: the OpenAPI document has no such property`);
      const inner = e.shape === 'list' ? prop.items : e.shape === 'map' ? prop.additionalProperties : prop;
      const outer = e.shape === 'list' ? 'array' : e.shape === 'map' ? 'object' : 'string';
      if (prop.type !== outer || inner?.type !== 'string' || inner.$ref !== undefined || inner.format !== undefined) {
        fail(`${where}: not a ${e.shape === 'value' ? 'string' : `${outer} of strings`} in the OpenAPI document: ${JSON.stringify(prop).slice(0, 200)}`);
      }
      for (const v of e.values) if (/[,|]/.test(v)) fail(`${where}: cannot encode enum value ${JSON.stringify(v)}`);
      props.set(json, `${e.shape === 'list' ? '[]' : e.shape === 'map' ? '{}' : ''}=${e.values.join('|')}`);
    }
    out.set(name, props);
  }
  return out;
}

/** A property's type code with its enum: `s` -> `=a|b`, `[]s` (or `[=]s`) -> `[]=a|b`, `{}s` -> `{}=a|b`. */
function withEnum(code, enumCode, where) {
  const values = enumCode.slice(enumCode.indexOf('='));
  if (enumCode.startsWith('[]') && /^\[=?\]s$/.test(code)) return `${code.slice(0, -1)}${values}`;
  if (enumCode.startsWith('{}') && code === '{}s') return `{}${values}`;
  if (enumCode.startsWith('=') && code === 's') return values;
  return fail(`${where}: enum ${enumCode} for a property of type code ${code}`);
}

/**
 * One definition as a string: `field:code` entries joined by `,`, sorted by field, with `!` after the name of a
 * required field, e.g. `image:s,name!:s,ports:[containerPort|protocol]core.v1.ContainerPort`. (Strings keep the
 * JSON cheap to load and to type-check.)
 */
function encodeDef(fields, required, where) {
  const req = new Set(required);
  for (const r of req) if (!(r in fields)) fail(`${where}: required field ${r} is not a property`);
  return Object.keys(fields)
    .sort()
    .map((f) => {
      if (/[,:!]/.test(f) || /,/.test(fields[f])) fail(`${where}: cannot encode field ${f}: ${fields[f]}`);
      return `${f}${req.has(f) ? '!' : ''}:${fields[f]}`;
    })
    .join(',');
}

/** Definition short name -> encoded definition, for every definition reachable from `roots`. */
function reachableDefs(doc, version, roots, enumProps) {
  const out = new Map();
  const fullNames = new Map();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.pop();
    const short = shortName(name);
    if (fullNames.has(short)) {
      if (fullNames.get(short) !== name) fail(`${version}: ${name} and ${fullNames.get(short)} have one short name ${short}`);
      continue;
    }
    fullNames.set(short, name);
    const def = doc.definitions[name];
    if (!def?.properties) fail(`${version}: ${name} is not an object definition`);
    const fields = {};
    const enums = enumProps.get(name);
    for (const [field, schema] of Object.entries(def.properties)) {
      const code = typeCode(doc, schema, `${version} ${name}.${field}`, queue);
      const enumCode = enums?.get(field);
      fields[field] = enumCode === undefined ? code : withEnum(code, enumCode, `${version} ${name}.${field}`);
    }
    out.set(short, encodeDef(fields, def.required ?? [], `${version} ${name}`));
  }
  return out;
}

export function buildKubernetes() {
  const versions = Object.keys(SOURCES).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const perVersion = versions.map((version) => {
    const doc = readSource(version);
    const kinds = readKinds(doc, version);
    const aliasTargets = Object.values(REF_ALIASES).map((short) => `io.k8s.apimachinery.pkg.apis.${short}`);
    const enumProps = enumProperties(doc, version, readEnums(readApiTypes(typesDir, version, repoRoot)));
    const defs = reachableDefs(doc, version, [...kinds.map((k) => k[2]), ...aliasTargets], enumProps);
    return { version, kinds: kinds.map(([apiVersion, kind, name]) => [apiVersion, kind, shortName(name)]), defs };
  });

  const names = [...new Set(perVersion.flatMap((v) => [...v.defs.keys()]))].sort();
  const pool = [];
  const poolIndex = new Map();
  const tables = {};
  for (const { version, defs } of perVersion) {
    tables[version] = names.map((n) => {
      const def = defs.get(n);
      if (def === undefined) return -1;
      let index = poolIndex.get(def);
      if (index === undefined) {
        index = pool.length;
        pool.push(def);
        poolIndex.set(def, index);
      }
      return index;
    });
  }
  const kindMap = new Map();
  perVersion.forEach(({ kinds }, i) => {
    for (const [apiVersion, kind, name] of kinds) {
      const key = `${apiVersion} ${kind} ${name}`;
      const entry = kindMap.get(key) ?? [apiVersion, kind, name, 0];
      entry[3] |= 1 << i;
      kindMap.set(key, entry);
    }
  });
  const kinds = [...kindMap.values()].sort((a, b) => (a.slice(0, 3).join(' ') < b.slice(0, 3).join(' ') ? -1 : 1));
  const sources = Object.fromEntries(versions.map((v) => [v, `${ORIGIN}@${SOURCES[v].tag}:${ORIGIN_PATH} (blob ${SOURCES[v].blob})`]));
  const enumSources = Object.fromEntries(versions.map((v) => [v, `${API_TYPES_REPOSITORY}@${API_TYPES[v].tag} (commit ${API_TYPES[v].commit})`]));
  return { format: 2, sources, enumSources, versions, refAliases: REF_ALIASES, names, defs: pool, tables, kinds };
}

/** `1.30 87, 1.31 89, ...`: the properties with an enum (in the definitions each version's kinds reach). */
function enumCounts(data) {
  return data.versions
    .map((v) => {
      let count = 0;
      for (const index of data.tables[v]) if (index >= 0) count += (data.defs[index].match(/:(?:\[=?\]|\{\})?=/g) ?? []).length;
      return `${v} ${count}`;
    })
    .join(', ');
}

function main() {
  const check = process.argv.includes('--check');
  const content = `${JSON.stringify(buildKubernetes())}\n`;
  const relative = path.relative(repoRoot, outFile);
  if (check) {
    const current = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
    if (current !== content) {
      process.stderr.write(`${relative} is out of date: run node scripts/generate-k8s-schemas.mjs\n`);
      process.exitCode = 1;
    }
    return;
  }
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, content);
  process.stdout.write(`${relative}: ${Buffer.byteLength(content)} bytes; enum fields: ${enumCounts(JSON.parse(content))}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    // fail() messages are enough on their own; anything else keeps its stack.
    process.stderr.write(`${String(e?.message).startsWith('generate-k8s-schemas: ') ? e.message : (e?.stack ?? e)}\n`);
    process.exitCode = 1;
  }
}
