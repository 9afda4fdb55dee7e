import { Document, LineCounter, Node, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Finding } from '../validate/finding';
import { FieldPath, ManifestObject, SourceLocation } from './model';

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
}

/**
 * Parses a multi-document YAML stream into Kubernetes objects, keeping enough of the syntax tree
 * to point any field back at its line. YAML 1.1 because that is what the API server's decoder
 * (go-yaml) reads: `on`/`yes` are booleans there.
 */
export function parseManifests(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, version: '1.1', prettyErrors: false, uniqueKeys: true });
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
      const where = at(first.pos[0]);
      errors.push({
        rule: first.code === 'DUPLICATE_KEY' ? 'yaml/duplicate-key' : 'yaml/syntax',
        severity: 'error',
        message: `YAML ${first.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${firstLine(first.message)}`,
        ...where,
      });
      continue;
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) continue;
    const start = at(contents.range[0]);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      errors.push({ rule: 'yaml/syntax', severity: 'error', message: `YAML error: ${(err as Error).message}`, ...start });
      continue;
    }
    if (!isPlainObject(value)) {
      errors.push({ rule: 'manifest/not-an-object', severity: 'error', message: 'YAML document is not a mapping, so it is not a Kubernetes object', ...start });
      continue;
    }
    collectObjects(value, [], doc, at, objects, errors);
  }
  return { objects, errors };
}

function collectObjects(
  body: Record<string, unknown>,
  prefix: FieldPath,
  doc: Document.Parsed,
  at: (offset: number, path?: FieldPath) => SourceLocation,
  objects: ManifestObject[],
  errors: Finding[],
): void {
  const locate = (path: FieldPath): SourceLocation => at(offsetOf(doc, [...prefix, ...path]), path);
  const start = locate([]);
  const apiVersion = body.apiVersion;
  const kind = body.kind;
  if (typeof apiVersion !== 'string' || apiVersion === '' || typeof kind !== 'string' || kind === '') {
    const missing = [typeof apiVersion !== 'string' || apiVersion === '' ? 'apiVersion' : '', typeof kind !== 'string' || kind === '' ? 'kind' : ''].filter(Boolean).join(' and ');
    errors.push({ rule: 'manifest/missing-type', severity: 'error', message: `Object has no ${missing}`, ...start });
    return;
  }
  // `kind: List` (what `kubectl get -o yaml` writes) carries its objects in items.
  if (kind === 'List' || (apiVersion === 'v1' && kind.endsWith('List') && Array.isArray(body.items))) {
    const items = Array.isArray(body.items) ? body.items : [];
    items.forEach((item, index) => {
      if (isPlainObject(item)) collectObjects(item, [...prefix, 'items', index], doc, at, objects, errors);
    });
    return;
  }
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : '';
  if (name === '') {
    errors.push({ rule: 'manifest/missing-name', severity: 'error', message: `${kind} has no metadata.name`, object: { apiVersion, kind, name: '' }, ...start });
    return;
  }
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  objects.push({ apiVersion, kind, name, namespace, body, source: start, locate });
}

/** Offset of the deepest node of `path` that exists: the key of a map entry, or the item of a list. */
function offsetOf(doc: Document.Parsed, path: FieldPath): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
