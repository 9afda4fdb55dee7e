#!/usr/bin/env node
// scripts/generate-flux-constraints.mjs: the value constraints of the Flux CRDs' openAPIV3Schema, for
// shared/validate/api-rules/flux.ts.
//
//   node scripts/generate-flux-constraints.mjs [--check]
//
// Reads scripts/schema-sources/flux-crds/*.yaml (copied unchanged from the controllers' repositories at the
// release tags and commits named in SOURCES.md there) and writes shared/validate/schemas/flux-constraints.json.
// With --check it writes nothing and exits 1 when the committed file differs from what the CRDs give.
// Deterministic: sorted, no timestamps.
//
// Layout: { format, sources: { "<file>": "<sha256 of the CRD file>" },
//   kinds: { "<apiVersion> <Kind>": [[path, constraint], ...] },
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
const target = path.join(repoRoot, 'shared', 'validate', 'schemas', 'flux-constraints.json');

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

function build() {
  const files = readdirSync(sourceDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  if (files.length === 0) throw new Error(`no CRD files in ${sourceDir}`);
  const sources = {};
  const kinds = {};
  const cel = {};
  for (const file of files) {
    const text = readFileSync(path.join(sourceDir, file), 'utf8');
    sources[file] = createHash('sha256').update(text).digest('hex');
    for (const doc of parseAllDocuments(text)) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const { group, names, versions } = crd.spec;
      for (const version of versions) {
        if (version.served === false) continue;
        const key = `${group}/${version.name} ${names.kind}`;
        const out = [];
        const rules = [];
        walk(version.schema?.openAPIV3Schema, '', out, rules);
        kinds[key] = out;
        if (rules.length > 0) cel[key] = rules;
      }
    }
  }
  const sorted = (o) =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  return { format: 1, sources, kinds: sorted(kinds), cel: sorted(cel) };
}

const content = `${JSON.stringify(build())}\n`;
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== content) {
    process.stderr.write(`${path.relative(repoRoot, target)} is out of date: run node scripts/generate-flux-constraints.mjs\n`);
    process.exit(1);
  }
  process.stdout.write(`${path.relative(repoRoot, target)} is what the CRDs give\n`);
} else {
  writeFileSync(target, content);
  process.stdout.write(`${path.relative(repoRoot, target)}: ${Buffer.byteLength(content)} bytes\n`);
}
