import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { CORE_SCHEMA, loadAll, mergeTag, Schema, YAML11_SCHEMA } from 'js-yaml';
import { stringify } from 'yaml';
import { eventOffsets, lineColumn, syntaxTreeOffsets, type OffsetIndex } from '../../../shared/manifests/locations';
import type { FieldPath } from '../../../shared/manifests/model';

const repoRoot = process.cwd();
// Plain schemas: enough to compare offsets (the key resolution is pinned by the YAML 1.1 and 1.2 cases below).
const SCHEMAS = { '1.1': new Schema(YAML11_SCHEMA.tags), '1.2': CORE_SCHEMA.withTags(mergeTag) } as const;
const TREE_VERSION = { '1.1': { version: '1.1' }, '1.2': { version: '1.2', merge: true } } as const;

/** Every path of a value, and one more that does not exist below each. */
function paths(value: unknown, prefix: FieldPath = [], out: FieldPath[] = []): FieldPath[] {
  out.push(prefix, [...prefix, 'no-such-field']);
  if (Array.isArray(value)) {
    value.forEach((item, i) => paths(item, [...prefix, i], out));
    out.push([...prefix, value.length]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths(item, [...prefix, key], out);
  }
  return out;
}

interface Compared {
  paths: number;
  fallbacks: number;
}

/** Compares the event offsets with the syntax tree's for every path of every document of `text`; undefined when js-yaml rejects it. */
function compare(text: string, yaml: '1.1' | '1.2', label: string): Compared | undefined {
  let values: unknown[];
  try {
    values = loadAll(text, { schema: SCHEMAS[yaml] });
  } catch {
    return undefined;
  }
  const content = values.flatMap((v, i) => (v === null || v === undefined || v === '' ? [] : [i]));
  const tree = syntaxTreeOffsets(text, TREE_VERSION[yaml]);
  let fallbacks = 0;
  const counting: OffsetIndex = {
    offsetOf: (index, p) => {
      fallbacks++;
      return tree.offsetOf(index, p);
    },
  };
  const events = eventOffsets(text, SCHEMAS[yaml], content, () => counting);
  let count = 0;
  content.forEach((document, index) => {
    for (const p of paths(values[document])) {
      count++;
      assert.equal(events.offsetOf(index, p), tree.offsetOf(index, p), `${label} (YAML ${yaml}), document ${index}, path ${JSON.stringify(p)}`);
    }
  });
  return { paths: count, fallbacks };
}

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : yamlFiles(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  });
}

describe('field offsets from js-yaml events', () => {
  it('are the syntax tree offsets for every field of every YAML file of the fixtures and examples', () => {
    let total = 0;
    let fallbacks = 0;
    for (const file of [...yamlFiles(path.join(repoRoot, 'test/fixtures')), ...yamlFiles(path.join(repoRoot, 'examples'))]) {
      const text = fs.readFileSync(file, 'utf8');
      for (const yaml of ['1.1', '1.2'] as const) {
        const r = compare(text, yaml, path.relative(repoRoot, file));
        total += r?.paths ?? 0;
        fallbacks += r?.fallbacks ?? 0;
      }
    }
    assert.ok(total > 5000, `compared ${total} paths`);
    // Block scalars and anchors are rare: nearly every answer comes from the events.
    assert.ok(fallbacks < total / 20, `${fallbacks} of ${total} paths needed the syntax tree`);
  });

  it('are the syntax tree offsets for quoted and flow keys, block scalars, anchors, aliases, merges, tags and empty documents', () => {
    const text = [
      '# leading comment',
      '---',
      '---',
      'plain: 1',
      '"double": {a: 1, "b": [x, "y", \'z\']}',
      "'single': &anchor",
      '  k: v',
      'alias: *anchor',
      'merged:',
      '  <<: *anchor',
      '  own: 2',
      'tagged: !!str 3',
      '? complex',
      ': value',
      'list:',
      '  - |',
      '    literal',
      '  - >-',
      '    folded',
      '  - &item {x: 1}',
      '  - !!map {y: 2}',
      '  -',
      '  - "q"',
      '  - - nested',
      '    - seq',
      '0x10: hex',
      'yes: bool',
      '~: null key',
      '1.50: float',
      '...',
      '--- "scalar document"',
      '--- !!map',
      'tagged-root: 1',
      '--- &root',
      'anchored-root: 1',
      '',
    ].join('\n');
    for (const yaml of ['1.1', '1.2'] as const) {
      assert.ok(compare(text, yaml, 'edge cases'));
      assert.ok(compare(text.replace(/\n/g, '\r\n'), yaml, 'edge cases with CRLF line ends'));
    }
  });

  it('are the syntax tree offsets for YAML written in every style (property)', () => {
    const key = fc.oneof(fc.constantFrom('a', 'b', 'name', 'on', 'yes', 'null', '1', '010', '0x1F', 'k-8', 'with space', '', 'é'), fc.string({ maxLength: 6 }));
    const scalar = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('line\nbreak', 'trailing\n', ' lead', '#x', 'a: b'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    })).map;
    const options = fc.record({
      flowLevel: fc.constantFrom(-1, 0, 1, 2),
      indent: fc.constantFrom(2, 4),
      indentSeq: fc.boolean(),
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
      defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
    } as const);
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 3 }), options, fc.constantFrom('1.1', '1.2'), (docs, o, yaml) => {
        const text = docs.map((d) => stringify(d, { ...o, version: yaml })).join('---\n');
        compare(text, yaml, JSON.stringify(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('lineColumn', () => {
  it('gives 1-based lines and columns, a line starting after each newline', () => {
    const at = lineColumn('ab\n\ncd\r\nef');
    assert.deepEqual(
      [0, 1, 2, 3, 4, 7, 8, 9].map((o) => at(o)),
      [
        { line: 1, column: 1 },
        { line: 1, column: 2 },
        { line: 1, column: 3 },
        { line: 2, column: 1 },
        { line: 3, column: 1 },
        { line: 3, column: 4 },
        { line: 4, column: 1 },
        { line: 4, column: 2 },
      ],
    );
  });
});
