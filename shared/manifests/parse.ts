import { CORE_SCHEMA, defineScalarTag, intCoreTag, loadAll, mergeTag, NOT_RESOLVED, Schema, timestampTag, YAML11_SCHEMA } from 'js-yaml';
import { Document, LineCounter, parseAllDocuments } from 'yaml';
import type { Finding } from './finding';
import { eventOffsets, isEmptyNode, lineColumn, syntaxTreeOffsets, treeOffset } from './locations';
import { FieldPath, LazilyLocatedObject, ManifestObject, SourceLocation } from './model';

export interface ParseResult {
  objects: ManifestObject[];
  /** YAML syntax errors and documents that are not Kubernetes objects. */
  errors: Finding[];
}

export interface ParseOptions {
  /**
   * Maps a location in `text` to the location reported to the user. Rendered output uses it to
   * point back at the template file; plain YAML keeps the identity.
   */
  mapLocation?: (location: SourceLocation, path: FieldPath | undefined) => SourceLocation;
  /**
   * How plain scalars resolve. `1.1` (the default): as Helm and kubectl decode YAML (go-yaml v2: `yes`, `on`,
   * `n` are booleans). `1.2`: as Flux reads a repository (kustomize's kyaml, go-yaml v3): only `true`/`false`
   * are booleans, so `enabled: yes` and `country: NO` stay strings (kustomize writes them quoted).
   */
  yaml?: '1.1' | '1.2';
}

/**
 * YAML 1.1, as the API server's decoder (go-yaml) reads manifests: `on`/`yes` are booleans, 0755 is
 * octal, `<<` merges. Timestamps stay strings, as they do in the JSON the server builds.
 */
const KUBERNETES_YAML = new Schema(YAML11_SCHEMA.tags.filter((tag) => tag !== timestampTag));

/**
 * YAML 1.2 as go-yaml v3 resolves plain scalars (what kustomize, and so Flux, reads): the core schema's null,
 * bool (true/false only) and float, `<<` merges, and go-yaml v3's integers: Go's base-prefixed syntax (0x, 0o,
 * 0b) plus 1.1-style octals (0755) and underscores (1_000), "for compatibility" as its README says.
 */
const GO_INT = /^[-+]?(?:0[bB][01_]+|0[oO][0-7_]+|0[xX][0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)$/;
const goYamlV3IntTag = defineScalarTag<number>('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: ['-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  resolve(source) {
    if (!GO_INT.test(source) || source.endsWith('_')) return NOT_RESOLVED;
    const text = source.replace(/_/g, '');
    const sign = text[0] === '-' ? -1 : 1;
    const digits = text[0] === '-' || text[0] === '+' ? text.slice(1) : text;
    const prefix = digits.slice(0, 2).toLowerCase();
    const radix = prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : digits.length > 1 && digits[0] === '0' ? 8 : 10;
    const body = radix === 10 || (radix === 8 && prefix !== '0o') ? digits : digits.slice(2);
    return sign * parseInt(body, radix);
  },
  identify: (data) => typeof data === 'number' && Number.isInteger(data),
});
const FLUX_YAML = new Schema([...CORE_SCHEMA.tags.map((tag) => (tag === intCoreTag ? goYamlV3IntTag : tag)), mergeTag]);

type Locator = (path: FieldPath) => SourceLocation;

/**
 * Parses a multi-document YAML stream into Kubernetes objects. Values come from js-yaml (an order
 * of magnitude faster than building a syntax tree); where a field is (its line and column) is worked
 * out only when a finding asks, from js-yaml's events of the same text (see ./locations).
 */
export function parseManifests(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const schema = options.yaml === '1.2' ? FLUX_YAML : KUBERNETES_YAML;
  let values: unknown[];
  try {
    values = loadAll(text, { schema });
  } catch {
    return parseWithSyntaxTree(text, file, options);
  }
  const objects: ManifestObject[] = [];
  const errors: Finding[] = [];
  const contentDocuments: number[] = [];
  let locations: Locations | undefined;
  const at = () => (locations ??= buildLocations(text, file, schema, contentDocuments, options));
  for (let document = 0; document < values.length; document++) {
    const value = values[document];
    if (isEmptyDocument(value)) continue;
    const index = contentDocuments.push(document) - 1;
    const locate: Locator = (path) => at().locate(index, path);
    if (!isPlainObject(value)) {
      errors.push({
        rule: 'manifest/not-an-object',
        severity: 'error',
        message: 'YAML document is not a mapping, so it is not a Kubernetes object',
        ...locate([]),
      });
      continue;
    }
    collectObjects(value, [], locate, objects, errors);
  }
  return { objects, errors };
}

interface Locations {
  /** Location of a field of the index-th document that has content. */
  locate(index: number, path: FieldPath): SourceLocation;
}

function buildLocations(text: string, file: string, schema: Schema, contentDocuments: readonly number[], options: ParseOptions): Locations {
  const offsets = eventOffsets(text, schema, contentDocuments, () => syntaxTreeOffsets(text, syntaxTreeVersion(options)));
  const position = lineColumn(text);
  const map = options.mapLocation ?? ((location: SourceLocation) => location);
  return {
    locate(index, path) {
      const { line, column } = position(offsets.offsetOf(index, path));
      return map({ file, line, column }, path);
    },
  };
}

/** The slow path for text with errors: every document on its own, so one bad document does not hide the others. */
function parseWithSyntaxTree(text: string, file: string, options: ParseOptions): ParseResult {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, ...syntaxTreeVersion(options), prettyErrors: false, uniqueKeys: true });
  const objects: ManifestObject[] = [];
  const errors: Finding[] = [];
  const map = options.mapLocation ?? ((location: SourceLocation) => location);
  const at = (offset: number, path?: FieldPath): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return map({ file, line: pos.line, column: pos.col }, path);
  };

  // parseAllDocuments returns an EmptyStream (array-like, no documents) for empty input.
  for (const doc of Array.from(documents as Iterable<Document.Parsed>)) {
    if (doc.errors.length > 0) {
      // Later errors in the same document are usually consequences of the first.
      const first = doc.errors[0];
      const duplicate = first.code === 'DUPLICATE_KEY';
      const key = duplicate ? text.slice(first.pos[0], first.pos[1]).trim() : '';
      errors.push({
        rule: duplicate ? 'yaml/duplicate-key' : 'yaml/syntax',
        severity: 'error',
        message: duplicate ? `YAML duplicate key${key ? ` "${key}"` : ''}: a mapping may hold each key once` : `YAML syntax error: ${firstLine(first.message)}`,
        ...at(first.pos[0]),
      });
      continue;
    }
    if (isEmptyNode(doc.contents)) continue;
    const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
    const locate: Locator = (path) => at(treeOffset(doc, path), path);
    if (!isPlainObject(value)) {
      errors.push({
        rule: 'manifest/not-an-object',
        severity: 'error',
        message: 'YAML document is not a mapping, so it is not a Kubernetes object',
        ...locate([]),
      });
      continue;
    }
    collectObjects(value, [], locate, objects, errors);
  }
  return { objects, errors };
}

/** The `yaml` library's settings closest to the chosen resolution (it only builds locations, and values of text with errors). */
function syntaxTreeVersion(options: ParseOptions): { version: '1.1' } | { version: '1.2'; merge: true } {
  return options.yaml === '1.2' ? { version: '1.2', merge: true } : { version: '1.1' };
}

function isEmptyDocument(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

function collectObjects(body: Record<string, unknown>, prefix: FieldPath, locateInDocument: Locator, objects: ManifestObject[], errors: Finding[]): void {
  const locate: Locator = (path) => locateInDocument([...prefix, ...path]);
  const apiVersion = body.apiVersion;
  const kind = body.kind;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const missing = [typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : '', typeof kind !== 'string' || kind === '' ? 'kind' : '']
      .filter(Boolean)
      .join(' and ');
    errors.push({ rule: 'manifest/missing-type', severity: 'error', message: `Object has no ${missing}`, ...locate([]) });
    return;
  }
  // `kind: List` (what `kubectl get -o yaml` writes) carries its objects in items.
  if (kind === 'List' || (apiVersion === 'v1' && kind.endsWith('List') && Array.isArray(body.items))) {
    const items = Array.isArray(body.items) ? body.items : [];
    items.forEach((item, index) => {
      if (isPlainObject(item)) collectObjects(item, [...prefix, 'items', index], locateInDocument, objects, errors);
    });
    return;
  }
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '';
  if (name === '') {
    errors.push({
      rule: 'manifest/missing-name',
      severity: 'error',
      message: `${kind} has no metadata.name`,
      object: { apiVersion, kind, name: '' },
      ...locate([]),
    });
    return;
  }
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  objects.push(new LazilyLocatedObject(apiVersion, kind, name, namespace, body, locate));
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
