import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitDocuments, substitute, substituteYaml, yamlCommentRanges } from '../../../shared/render/substitute';

const vars = (o: Record<string, string>) => new Map(Object.entries(o));

describe('substitute (Flux post-build semantics)', () => {
  it('replaces ${NAME} and keeps everything else byte for byte', () => {
    const r = substitute('image: ${REPO}:${TAG} # note\n', vars({ REPO: 'nginx', TAG: '1.27' }));
    assert.equal(r.text, 'image: nginx:1.27 # note\n');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.used, ['REPO', 'TAG']);
  });

  it('uses defaults for := and :- when unset or empty, for = and - only when unset', () => {
    const v = vars({ EMPTY: '', SET: 'x' });
    assert.equal(substitute('${A:=one} ${B:-two} ${EMPTY:=three} ${EMPTY=four} ${EMPTY-five} ${C=six} ${SET:=no}', v).text, 'one two three   six x');
  });

  it('resolves variables inside defaults', () => {
    assert.equal(substitute('${A:=${B}-suffix}', vars({ B: 'b' })).text, 'b-suffix');
  });

  it('keeps $${NAME} as the literal ${NAME} and leaves unbraced $NAME alone', () => {
    const r = substitute('echo $${HOSTNAME} $HOME $1 $', vars({}));
    assert.equal(r.text, 'echo ${HOSTNAME} $HOME $1 $');
    assert.deepEqual(r.errors, []);
  });

  it('reports an undefined variable with its line and column, and never blanks it', () => {
    const r = substitute('a: 1\nb: x-${MISSING}\n', vars({}));
    assert.equal(r.text, 'a: 1\nb: x-${MISSING}\n');
    assert.equal(r.errors.length, 1);
    assert.deepEqual({ variable: r.errors[0].variable, line: r.errors[0].line, column: r.errors[0].column }, { variable: 'MISSING', line: 2, column: 6 });
    assert.match(r.errors[0].message, /variable "MISSING" is not defined and has no default/);
  });

  it('reports several references of one document each at its own line and column, the same line twice included', () => {
    const r = substitute('a: ${A}\nb: ${B} ${C}\n\n\nd: x${D}\n', vars({}));
    assert.deepEqual(
      r.errors.map((e) => [e.variable, e.line, e.column]),
      [
        ['A', 1, 4],
        ['B', 2, 4],
        ['C', 2, 9],
        ['D', 5, 5],
      ],
    );
  });

  it('reports ${NAME:?message} as required, and invalid names and unterminated references', () => {
    assert.equal(substitute('${X:?set X in the values file}', vars({})).errors[0].message, 'variable "X" is required: set X in the values file');
    assert.match(substitute('${1ABC}', vars({})).errors[0].message, /not a valid variable reference/);
    assert.match(substitute('x: ${OPEN\n', vars({})).errors[0].message, /unterminated/);
  });

  it('supports the bash-like string functions Flux allows', () => {
    const v = vars({ S: 'Hello-World' });
    assert.equal(
      substitute('${S^^} ${S,,} ${S:0:5} ${S:6} ${S/o/0} ${S//o/0} ${#S} ${S#Hello-} ${S%-World}', v).text,
      'HELLO-WORLD hello-world Hello World Hell0-World Hell0-W0rld 11 World Hello',
    );
  });

  it('skips YAML documents that opt out with kustomize.toolkit.fluxcd.io/substitute: disabled, and counts lines across documents', () => {
    const text = 'a: ${A}\n---\nmetadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nx: ${NOPE}\n---\ny: ${MISSING}\n';
    const r = substituteYaml(text, vars({ A: '1' }));
    assert.equal(r.text, 'a: 1\n---\nmetadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nx: ${NOPE}\n---\ny: ${MISSING}\n');
    assert.deepEqual(
      r.errors.map((e) => [e.variable, e.line, e.column]),
      [['MISSING', 8, 4]],
    );
  });

  it('splits documents without losing a character', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a: 1\n', '---\n', '--- # c\n', 'b: ---\n', '----\n', '\n'), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        assert.equal(splitDocuments(text).join(''), text);
      }),
    );
  });

  it('never changes the number of lines when values have no newline (findings keep their line)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 10 }).filter((s) => !s.includes('\n')),
        (text, value) => {
          const r = substituteYaml(text, vars({ A: value }));
          assert.equal(r.text.split('\n').length, text.split('\n').length);
        },
      ),
    );
  });
});

describe('comments are not substituted (Flux substitutes kustomize output, which has none)', () => {
  it('leaves ${...} in comments alone, but substitutes block scalars and quoted # characters', () => {
    const text = [
      '# set ${UNDEFINED} in the values file',
      'a: ${A} # uses ${ALSO_UNDEFINED}',
      'b: "x # ${A}"',
      "c: 'it''s # ${A}'",
      "d: it's ${A}#not-a-comment",
      'script: |',
      '  # ${A} is data here',
      '  echo ${A}',
      'e: ${A}',
      '',
    ].join('\n');
    const r = substituteYaml(text, vars({ A: 'v' }));
    assert.deepEqual(r.errors, []);
    assert.equal(
      r.text,
      [
        '# set ${UNDEFINED} in the values file',
        'a: v # uses ${ALSO_UNDEFINED}',
        'b: "x # v"',
        "c: 'it''s # v'",
        "d: it's v#not-a-comment",
        'script: |',
        '  # v is data here',
        '  echo v',
        'e: v',
        '',
      ].join('\n'),
    );
  });
});

describe('yamlCommentRanges', () => {
  it('finds comments after blanks, not in quotes, not in block scalars, and the block scalar ends at its parent indentation', () => {
    const text = ['a: 1 # one', 'b: "# no" # two', 'c: |-', '  # data', '\t# data too', 'd: x#no', '  - |2 # three', '     # data', '# four'].join('\n');
    const comments = yamlCommentRanges(text).map(([s, e]) => text.slice(s, e));
    assert.deepEqual(comments, ['# one', '# two', '# three', '# four']);
  });

  it('gives the ranges of the line-by-line reference scan (split lines, \\S indent, one regular expression per line)', () => {
    // The reference: the first implementation, kept here as the specification of the faster scan.
    const reference = (text: string): [number, number][] => {
      const ranges: [number, number][] = [];
      let blockParentIndent = -1;
      let offset = 0;
      for (const line of text.split('\n')) {
        const indent = line.search(/\S/);
        if (blockParentIndent >= 0 && (indent < 0 || indent > blockParentIndent)) {
          offset += line.length + 1;
          continue;
        }
        blockParentIndent = -1;
        const withComment = yamlCommentRanges(line);
        const hash = withComment.length > 0 ? withComment[0][0] : -1;
        if (hash >= 0) ranges.push([offset + hash, offset + line.length]);
        const code = hash >= 0 ? line.slice(0, hash) : line;
        if (/(?:^|[:?-])\s*[|>][0-9+-]*\s*$/.test(code)) blockParentIndent = Math.max(indent, 0);
        offset += line.length + 1;
      }
      return ranges;
    };
    const piece = fc.constantFrom('a', ':', ' ', '\t', '\u00a0', '-', '?', '|', '>', '+', '2', '#', '"', "'", '\n', '\r', '{', ',');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        assert.deepEqual(yamlCommentRanges(text), reference(text));
      }),
      { numRuns: 2000 },
    );
  });
});
