import { EVENT_ID, getScalarValue, NOT_RESOLVED, parseEvents, SCALAR_STYLE, type Event, type ScalarEvent, type Schema } from 'js-yaml';
import { Document, Node, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { FieldPath } from './model';

/**
 * Where the fields of a parsed YAML text are: the offset of a path's deepest existing node (the key of a map
 * entry, or the item of a list), as the `yaml` package's syntax tree gives it. Built only when a finding asks.
 */
export interface OffsetIndex {
  /** Offset of `path` in the `index`-th document that has content (empty documents are not counted). */
  offsetOf(index: number, path: FieldPath): number;
}

/** 1-based line and column of an offset (the line starts after each `\n`, as the `yaml` package's LineCounter counts). */
export function lineColumn(text: string): (offset: number) => { line: number; column: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (!starts) {
      starts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - starts[low] + 1 };
  };
}

/**
 * Offsets from js-yaml's event stream (a flat list of nodes with their source offsets, about 8 times cheaper than
 * the `yaml` package's syntax tree). Where an event does not give the syntax tree's offset for sure (a block
 * scalar's indicator, a node with an anchor or tag, an empty node, a key with properties), it hands the whole text
 * to `fallback`, built once. `schema` is the one the values were read with, so that keys compare as they were
 * constructed (`0x10:` is the key "16"); `contentDocuments` are the positions, in the stream, of the documents
 * that have content (from the values js-yaml read from the same events).
 */
export function eventOffsets(text: string, schema: Schema, contentDocuments: readonly number[], fallback: () => OffsetIndex): OffsetIndex {
  const events = parseEvents(text, {});
  // The event after each DOCUMENT event is the document's root node (or its closing POP when it is empty).
  const roots: number[] = [];
  for (let i = 0; i < events.length; i++) if (events[i].type === EVENT_ID.DOCUMENT) roots.push(i + 1);
  const resolveKey = plainKeyResolver(schema);
  let slow: OffsetIndex | undefined;

  // Index of the event after the node that starts at `i` (its subtree skipped).
  const skip = (i: number): number => {
    let depth = 0;
    do {
      const type = events[i].type;
      if (type === EVENT_ID.MAPPING || type === EVENT_ID.SEQUENCE) depth++;
      else if (type === EVENT_ID.POP) depth--;
      i++;
    } while (depth > 0);
    return i;
  };

  const walk = (index: number, path: FieldPath): number | undefined => {
    const document = contentDocuments[index];
    if (document === undefined) return 0;
    let i = roots[document];
    const root = events[i];
    if (root === undefined || root.type === EVENT_ID.POP) return 0;
    let offset = nodeStart(root);
    if (offset === undefined) return undefined;
    for (const part of path) {
      const node = events[i];
      if (node.type === EVENT_ID.MAPPING) {
        const wanted = String(part);
        let found = -1;
        for (let k = i + 1; events[k].type !== EVENT_ID.POP;) {
          const key = events[k];
          const value = skip(k);
          if (key.type === EVENT_ID.SCALAR) {
            if (hasProperties(key) || key.valueStart < 0) return undefined;
            if (keyText(text, key, resolveKey) === wanted) {
              offset = scalarStart(key);
              found = value;
              break;
            }
          } else if (key.type === EVENT_ID.ALIAS) {
            return undefined;
          }
          // A collection as a key is never a field of a Kubernetes object: passed over, as the syntax tree does.
          k = skip(value);
        }
        if (found < 0 || offset === undefined) break;
        i = found;
      } else if (node.type === EVENT_ID.SEQUENCE && typeof part === 'number') {
        let k = i + 1;
        for (let n = 0; n < part && events[k].type !== EVENT_ID.POP; n++) k = skip(k);
        if (events[k].type === EVENT_ID.POP) break;
        const start = nodeStart(events[k]);
        if (start === undefined) return undefined;
        offset = start;
        i = k;
      } else {
        break;
      }
    }
    return offset;
  };

  return {
    offsetOf(index, path) {
      return walk(index, path) ?? (slow ??= fallback()).offsetOf(index, path);
    },
  };
}

function hasProperties(event: { anchorStart: number; tagStart: number }): boolean {
  return event.anchorStart >= 0 || event.tagStart >= 0;
}

/** The syntax tree's start of a node (a quoted scalar starts at its quote), or undefined where events do not say it. */
function nodeStart(event: Event): number | undefined {
  switch (event.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return hasProperties(event) ? undefined : event.start;
    case EVENT_ID.SCALAR:
      return hasProperties(event) || event.valueStart < 0 ? undefined : scalarStart(event);
    default:
      return undefined;
  }
}

function scalarStart(event: ScalarEvent): number | undefined {
  switch (event.style) {
    case SCALAR_STYLE.PLAIN:
      return event.valueStart;
    case SCALAR_STYLE.SINGLE_QUOTED:
    case SCALAR_STYLE.DOUBLE_QUOTED:
      return event.valueStart - 1;
    default:
      // A block scalar's events start at its content, the syntax tree at its `|` or `>` indicator.
      return undefined;
  }
}

function keyText(text: string, key: ScalarEvent, resolvePlain: (source: string) => string): string {
  const source = getScalarValue(text, key);
  return key.style === SCALAR_STYLE.PLAIN ? resolvePlain(source) : source;
}

/**
 * A plain key as the object's property name: the first implicit scalar tag of the schema that resolves it (in the
 * schema's order, among those its first character allows), else the text; then String(), as js-yaml's map does.
 */
function plainKeyResolver(schema: Schema): (source: string) => string {
  const implicit = schema.tags.filter((tag) => tag.nodeKind === 'scalar' && tag.implicit);
  return (source) => {
    const first = source.charAt(0);
    for (const tag of implicit) {
      if (tag.nodeKind !== 'scalar' || (tag.implicitFirstChars !== null && !tag.implicitFirstChars.includes(first))) continue;
      const value: unknown = tag.resolve(source, false, tag.tagName);
      if (value !== NOT_RESOLVED) return String(value);
    }
    return source;
  };
}

/** Offsets from the `yaml` package's syntax tree: every case, at about 8 times the cost of the events. */
export function syntaxTreeOffsets(text: string, version: { version: '1.1' } | { version: '1.2'; merge: true }): OffsetIndex {
  const documents = Array.from(parseAllDocuments(text, version) as Iterable<Document.Parsed>).filter((d) => !isEmptyNode(d.contents));
  return {
    offsetOf(index, path) {
      const doc = documents[index];
      return doc ? treeOffset(doc, path) : 0;
    },
  };
}

export function isEmptyNode(node: unknown): boolean {
  return node === null || (isScalar(node) && (node.value === null || node.value === ''));
}

/** Offset of the deepest node of `path` that exists in a syntax tree: the key of a map entry, or the item of a list. */
export function treeOffset(doc: Document.Parsed, path: FieldPath): number {
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
