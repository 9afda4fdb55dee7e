#!/usr/bin/env node
// scripts/generate-flux-schemas.mjs: the Flux schema data of shared/validate, from the Flux CRDs' openAPIV3Schema.
//
//   node scripts/generate-flux-schemas.mjs [--check]
//
// Reads scripts/schema-sources/flux-crds/*.yaml (copied unchanged from the controllers' repositories at the
// release tags and commits named in SOURCES.md there: the controller versions of the microsoft.flux extension
// named in EXTENSION below) and writes
//   shared/validate/schemas/flux.json              fields, types, enums and required fields (shared/validate/schema.ts)
//                                                   and which apiVersions the extension removed or deprecated
//                                                   (shared/validate/deprecated-apis.ts)
//   shared/validate/schemas/flux-constraints.json  value constraints and CEL rules (shared/validate/api-rules/flux*.ts)
// With --check it writes nothing and exits 1 when a committed file differs from what the CRDs give.
// Deterministic: sorted, no timestamps. Reads only committed files (no network).
//
// Which versions: every version a CRD serves, except the apiVersions of REMOVED (the extension removed them
// although the upstream CRDs of its Flux release still serve some of them). A served version the CRD marks
// `deprecated` keeps its schema and is listed under `deprecated` with the CRD's deprecationWarning.
//
// flux.json layout (the layout schema.ts reads; type codes are described there):
//   { format, sources: { "<file>": "<sha256 of the CRD file>" }, release: { extension, flux },
//     defs: { name: definition }, kinds: [[apiVersion, kind, name], ...],
//     removed: [[apiVersion, kind, replacement apiVersion, note on the replacement or ''], ...],
//     deprecated: [[apiVersion, kind, deprecationWarning, replacement apiVersion, note on the replacement or ''], ...] }
//   A definition is `field:code` entries joined by `,`, sorted by field, `!` after a required field's name
//   (as scripts/generate-k8s-schemas.mjs encodes them). Type codes from the schema nodes: string `s` (`t` with
//   format date-time, `=a|b` with an enum), integer `i`, number `n`, boolean `b`, x-kubernetes-int-or-string
//   `o`, array `[]X`, object with properties: a definition, object with additionalProperties only: `{}X`,
//   object with x-kubernetes-preserve-unknown-fields and no properties: `{}a` (any fields), a node with no type
//   (a JSON value, x-kubernetes-preserve-unknown-fields): `a`. The top-level `metadata` (the CRD says only
//   `type: object`; the API server validates it as ObjectMeta) is `@V1ObjectMeta`, a model of kubernetes.json.
//   Conditions keep the CRD's own schema (the same metav1.Condition fields, without depending on one more
//   kubernetes.json model name). Identical definitions are shared; a definition is named by the first
//   path that has it, e.g. `HelmRelease.v2.spec.chart.spec`, `Kustomization.v1.spec.dependsOn[]`.
//
// flux-constraints.json layout: { format, sources, kinds: { "<apiVersion> <Kind>": [[path, constraint], ...] },
//   cel: { "<apiVersion> <Kind>": [[path, rule, message, defaults?], ...] } }   (x-kubernetes-validations)
// A path is the fields joined with `.`, `[]` standing for every item of a list and `{}` for every value of a
// map, e.g. `spec.install.timeout`, `spec.dependsOn[].name`. A constraint holds what the schema node says among
// pattern, enum, minimum, maximum, minLength, maxLength, minItems, maxItems, mapKeys (x-kubernetes-list-map-keys
// of an x-kubernetes-list-type: map list). A CEL rule's defaults are the `default` values of the schema below
// the node it is attached to, which the API server fills in before it evaluates the rule: { "<field>": { d: value }
// or { p: defaults of the field's own fields } or { i: defaults of each item } }; absent when there are none.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.join(repoRoot, 'scripts', 'schema-sources', 'flux-crds');
const schemaTarget = path.join(repoRoot, 'shared', 'validate', 'schemas', 'flux.json');
const constraintTarget = path.join(repoRoot, 'shared', 'validate', 'schemas', 'flux-constraints.json');

/** The extension whose controller versions the CRDs are (its release notes, June 2026). */
const EXTENSION = { extension: 'microsoft.flux 1.23.0', flux: '2.7' };

/**
 * apiVersions microsoft.flux 1.23.0 removed, from its release notes' "Deprecation and removal notice" (`no matches
 * for kind "HelmRepository" in version "source.toolkit.fluxcd.io/v1beta1"` on the cluster), with the kinds they had.
 * The v1beta2/v2beta2 versions are still served, deprecated, by the upstream CRDs of Flux 2.7.5 (upstream removed
 * them in Flux 2.8), but the extension's notice lists them as removed: the gate follows the extension.
 * The v1beta1/v2beta1 versions are no longer in the CRDs; their kinds are those the Flux 2.6 CRDs served.
 */
const REMOVED = {
  'source.toolkit.fluxcd.io/v1beta1': ['Bucket', 'GitRepository', 'HelmChart', 'HelmRepository'],
  'source.toolkit.fluxcd.io/v1beta2': ['Bucket', 'GitRepository', 'HelmChart', 'HelmRepository', 'OCIRepository'],
  'kustomize.toolkit.fluxcd.io/v1beta1': ['Kustomization'],
  'kustomize.toolkit.fluxcd.io/v1beta2': ['Kustomization'],
  'helm.toolkit.fluxcd.io/v2beta1': ['HelmRelease'],
  'helm.toolkit.fluxcd.io/v2beta2': ['HelmRelease'],
  'notification.toolkit.fluxcd.io/v1beta1': ['Alert', 'Provider', 'Receiver'],
  'image.toolkit.fluxcd.io/v1beta1': ['ImagePolicy', 'ImageRepository', 'ImageUpdateAutomation'],
};

/**
 * Replacement apiVersions that the extension's previous supported releases do not serve yet (N-2 support: 1.22.x runs
 * Flux 2.6.4, whose image-reflector v0.35.2 and image-automation v0.41.2 CRDs serve image v1beta1/v1beta2 only):
 * the deprecation warning says so, since moving a manifest shared by several clusters would break those.
 */
const NOT_IN_PREVIOUS_RELEASES = {
  'image.toolkit.fluxcd.io/v1': {
    deprecated: 'microsoft.flux 1.22.x (Flux 2.6) does not serve it: move once every cluster runs 1.23.0',
    removed: 'microsoft.flux 1.22.x (Flux 2.6) does not serve it: image.toolkit.fluxcd.io/v1beta2 works on both',
  },
};

function fail(message) {
  throw new Error(`generate-flux-schemas: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------
// Constraints (flux-constraints.json)

const KEYS = ['pattern', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'];

function walk(node, at, out, cel) {
  if (!node || typeof node !== 'object') return;
  const constraint = {};
  for (const key of KEYS) if (node[key] !== undefined) constraint[key] = node[key];
  if (node['x-kubernetes-list-type'] === 'map' && Array.isArray(node['x-kubernetes-list-map-keys'])) constraint.mapKeys = node['x-kubernetes-list-map-keys'];
  if (Object.keys(constraint).length > 0 && at !== '') out.push([at, constraint]);
  for (const v of node['x-kubernetes-validations'] ?? []) {
    const defaults = defaultsBelow(node);
    cel.push(defaults ? [at, v.rule, v.message ?? v.messageExpression ?? '', defaults] : [at, v.rule, v.message ?? v.messageExpression ?? '']);
  }
  for (const name of Object.keys(node.properties ?? {}).sort()) {
    // apiVersion/kind/metadata are checked elsewhere (the kind lookup, the API rules of every object).
    if (at === '' && (name === 'apiVersion' || name === 'kind' || name === 'metadata' || name === 'status')) continue;
    walk(node.properties[name], at ? `${at}.${name}` : name, out, cel);
  }
  if (node.items) walk(node.items, `${at}[]`, out, cel);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${at}{}`, out, cel);
}

/** The defaults of a schema node's fields, nested as the CEL rules' data holds them; undefined when there are none. */
function defaultsBelow(node) {
  const out = {};
  for (const name of Object.keys(node.properties ?? {}).sort()) {
    const child = node.properties[name];
    if (child.default !== undefined) out[name] = { d: child.default };
    else {
      const nested = defaultsBelow(child);
      if (nested) out[name] = { p: nested };
      else if (child.items) {
        const items = defaultsBelow(child.items);
        if (items) out[name] = { i: items };
      }
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Fields and types (flux.json)

/** Definitions shared by content: definition string -> name, and name -> definition string. */
class Definitions {
  byContent = new Map();
  byName = new Map();

  add(name, def) {
    const existing = this.byContent.get(def);
    if (existing !== undefined) return existing;
    if (this.byName.has(name)) fail(`two definitions named ${name}`);
    this.byContent.set(def, name);
    this.byName.set(name, def);
    return name;
  }
}

/** The type code of a schema node at `where` (the path that names the definitions below it). */
function typeCode(node, where, defs) {
  if (!node || typeof node !== 'object') fail(`${where}: no schema`);
  if (node['x-kubernetes-int-or-string']) return 'o';
  if (node.enum !== undefined && node.type !== 'string') fail(`${where}: enum on type ${node.type}`);
  switch (node.type) {
    case 'string':
      if (node.enum) {
        for (const v of node.enum) if (typeof v !== 'string' || /[|,]/.test(v) || v === '') fail(`${where}: cannot encode enum value ${JSON.stringify(v)}`);
        return `=${node.enum.join('|')}`;
      }
      return node.format === 'date-time' ? 't' : 's';
    case 'integer':
      return 'i';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'array':
      return `[]${node.items ? typeCode(node.items, `${where}[]`, defs) : 'a'}`;
    case 'object': {
      const hasProperties = node.properties && Object.keys(node.properties).length > 0;
      if (hasProperties) {
        if (node['x-kubernetes-preserve-unknown-fields'] || node.additionalProperties) fail(`${where}: properties with unknown fields kept cannot be encoded`);
        return objectDef(node, where, defs);
      }
      if (node.additionalProperties === true || node['x-kubernetes-preserve-unknown-fields']) return '{}a';
      if (node.additionalProperties && typeof node.additionalProperties === 'object') return `{}${typeCode(node.additionalProperties, `${where}{}`, defs)}`;
      return objectDef(node, where, defs); // no fields: every field is unknown
    }
    case undefined:
      if (node['x-kubernetes-preserve-unknown-fields']) return 'a';
      return fail(`${where}: no type`);
    default:
      return fail(`${where}: unsupported type ${node.type}`);
  }
}

function objectDef(node, where, defs) {
  const required = new Set(node.required ?? []);
  const entries = [];
  for (const name of Object.keys(node.properties ?? {}).sort()) {
    if (/[,:!]/.test(name)) fail(`${where}: cannot encode field ${name}`);
    entries.push(`${name}${required.has(name) ? '!' : ''}:${typeCode(node.properties[name], `${where}.${name}`, defs)}`);
  }
  for (const name of required) if (!(name in (node.properties ?? {}))) fail(`${where}: required field ${name} has no schema`);
  return defs.add(where, entries.join(','));
}

/** The definition of a kind's root: as typeCode, with `metadata` the Kubernetes ObjectMeta. */
function rootDef(schema, where, defs) {
  if (schema?.type !== 'object' || !schema.properties?.metadata) fail(`${where}: not an object with metadata`);
  const { metadata, ...rest } = schema.properties;
  if (metadata.type !== 'object' || metadata.properties) fail(`${where}.metadata: expected a plain object`);
  const placeholder = { ...schema, properties: { ...rest, metadata: { type: 'string', format: '@V1ObjectMeta' } } };
  const required = new Set(schema.required ?? []);
  const entries = Object.keys(placeholder.properties)
    .sort()
    .map((name) => {
      const code = name === 'metadata' ? '@V1ObjectMeta' : typeCode(rest[name], `${where}.${name}`, defs);
      return `${name}${required.has(name) ? '!' : ''}:${code}`;
    });
  return defs.add(where, entries.join(','));
}

// ---------------------------------------------------------------------------------------------------------

function sorted(o) {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

const byKey = (a, b) => (`${a[0]} ${a[1]}` < `${b[0]} ${b[1]}` ? -1 : `${a[0]} ${a[1]}` > `${b[0]} ${b[1]}` ? 1 : 0);

function build() {
  const files = readdirSync(sourceDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  if (files.length === 0) fail(`no CRD files in ${sourceDir}`);
  const sources = {};
  const constraintKinds = {};
  const cel = {};
  const defs = new Definitions();
  const kinds = [];
  const deprecated = [];
  /** `group Kind` -> storage version's apiVersion */
  const storage = new Map();
  const seenRemoved = new Set();
  for (const file of files) {
    const text = readFileSync(path.join(sourceDir, file), 'utf8');
    sources[file] = createHash('sha256').update(text).digest('hex');
    for (const doc of parseAllDocuments(text)) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const { group, names, versions } = crd.spec;
      const stored = versions.find((v) => v.storage);
      if (!stored) fail(`${file}: no storage version`);
      storage.set(`${group} ${names.kind}`, `${group}/${stored.name}`);
      for (const version of versions) {
        if (version.served === false) continue;
        const apiVersion = `${group}/${version.name}`;
        if (REMOVED[apiVersion]) {
          if (!REMOVED[apiVersion].includes(names.kind)) fail(`${file}: ${apiVersion} ${names.kind} is served but not in REMOVED's kinds`);
          seenRemoved.add(`${apiVersion} ${names.kind}`);
          continue;
        }
        const key = `${apiVersion} ${names.kind}`;
        const out = [];
        const rules = [];
        walk(version.schema?.openAPIV3Schema, '', out, rules);
        constraintKinds[key] = out;
        if (rules.length > 0) cel[key] = rules;
        kinds.push([apiVersion, names.kind, rootDef(version.schema?.openAPIV3Schema, `${names.kind}.${version.name}`, defs)]);
        const replacement = `${group}/${stored.name}`;
        if (version.deprecated)
          deprecated.push([apiVersion, names.kind, version.deprecationWarning ?? '', replacement, NOT_IN_PREVIOUS_RELEASES[replacement]?.deprecated ?? '']);
      }
    }
  }
  const removed = [];
  for (const [apiVersion, kindNames] of Object.entries(REMOVED)) {
    const group = apiVersion.slice(0, apiVersion.lastIndexOf('/'));
    for (const kind of kindNames) {
      const replacement = storage.get(`${group} ${kind}`);
      if (!replacement) fail(`REMOVED ${apiVersion} ${kind}: no CRD for ${group} ${kind}`);
      removed.push([apiVersion, kind, replacement, NOT_IN_PREVIOUS_RELEASES[replacement]?.removed ?? '']);
    }
  }
  for (const r of removed)
    if (r[0].endsWith('beta2') && !seenRemoved.has(`${r[0]} ${r[1]}`)) process.stderr.write(`note: ${r[0]} ${r[1]} is not served by the CRDs either\n`);
  const fluxData = {
    format: 1,
    sources,
    release: EXTENSION,
    defs: sorted(Object.fromEntries(defs.byName)),
    kinds: kinds.sort(byKey),
    removed: removed.sort(byKey),
    deprecated: deprecated.sort(byKey),
  };
  const constraintData = { format: 1, sources, kinds: sorted(constraintKinds), cel: sorted(cel) };
  return [
    [schemaTarget, `${JSON.stringify(fluxData)}\n`],
    [constraintTarget, `${JSON.stringify(constraintData)}\n`],
  ];
}

try {
  const outputs = build();
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [target, content] of outputs) {
    const name = path.relative(repoRoot, target);
    if (check) {
      const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
      if (current !== content) {
        stale = true;
        process.stderr.write(`${name} is out of date: run node scripts/generate-flux-schemas.mjs\n`);
      } else process.stdout.write(`${name} is what the CRDs give\n`);
    } else {
      writeFileSync(target, content);
      process.stdout.write(`${name}: ${Buffer.byteLength(content)} bytes\n`);
    }
  }
  if (stale) process.exitCode = 1;
} catch (e) {
  process.stderr.write(`${String(e?.message).startsWith('generate-flux-schemas: ') ? e.message : (e?.stack ?? e)}\n`);
  process.exitCode = 1;
}
