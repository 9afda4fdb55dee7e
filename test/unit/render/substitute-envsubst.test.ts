import * as assert from 'node:assert/strict';
import { substitute, substituteYaml } from '../../../shared/render/substitute';

const vars = (o: Record<string, string>) => new Map(Object.entries(o));
const envsubst = { syntax: 'envsubst' as const };
const where = (r: ReturnType<typeof substitute>) => r.errors.map((e) => [e.variable, e.line, e.column, e.kind ?? '']);

describe('substitute with variableSyntax: envsubst (the reference scripts)', () => {
  it('replaces bare $NAME and braced ${NAME} alike', () => {
    const r = substitute('image: $REPO/front:${TAG}\ntitle: "$TITLE"\n', vars({ REPO: 'acr.io/vote', TAG: 'v3', TITLE: 'Vote' }), [], envsubst);
    assert.equal(r.text, 'image: acr.io/vote/front:v3\ntitle: "Vote"\n');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.used, ['REPO', 'TAG', 'TITLE']);
  });

  it('takes the longest name after $: $A_B is A_B, ${A}_B is A then "_B"', () => {
    const v = vars({ A: 'a', A_B: 'ab' });
    assert.equal(substitute('$A_B ${A}_B $A-B $A.B $A/B', v, [], envsubst).text, 'ab a_B a-B a.B a/B');
  });

  it('applies ${NAME:=default} and ${NAME:-default}, with bare variables inside the default', () => {
    const v = vars({ EMPTY: '', D: 'dee' });
    assert.equal(substitute('${X:=one} ${EMPTY:-two} ${Y:-$D} ${Z:=x$D}', v, [], envsubst).text, 'one two dee xdee');
  });

  it('keeps $$NAME as the literal $NAME and $${NAME} as the literal ${NAME}, never evaluated', () => {
    const r = substitute('a: $$HOME b: $${HOME} c: $$', vars({}), [], envsubst);
    assert.equal(r.text, 'a: $HOME b: ${HOME} c: $$');
    assert.deepEqual(r.errors, []);
  });

  it('leaves $ not followed by a name alone: /$2, (/|$), $1, a trailing $', () => {
    const text = 'rewrite: /$2\npath: /api(/|$)(.*)\narg: $1 and $\n';
    const r = substitute(text, vars({}), [], envsubst);
    assert.equal(r.text, text);
    assert.deepEqual(r.errors, []);
  });

  it('reports an undefined $NAME at its line and column and never blanks it (the reference blanked it)', () => {
    const r = substitute('a: 1\nimage: $MISSING_REPO/app:$TAG\n', vars({ TAG: 't' }), [], envsubst);
    assert.equal(r.text, 'a: 1\nimage: $MISSING_REPO/app:t\n');
    assert.deepEqual(where(r), [['MISSING_REPO', 2, 8, '']]);
    assert.equal(
      r.errors[0].message,
      'variable "MISSING_REPO" is not defined and has no default (define it in the values file or the variables input, or write $$MISSING_REPO to keep it literal)',
    );
  });

  it('leaves Go template variables inside {{ }} to Helm', () => {
    const text = '{{- $fullName := include "x" . -}}\nname: {{ $fullName }}\nrepo: $REPO\n';
    const r = substitute(text, vars({ REPO: 'r' }), [], envsubst);
    assert.equal(r.text, '{{- $fullName := include "x" . -}}\nname: {{ $fullName }}\nrepo: r\n');
    assert.deepEqual(r.errors, []);
  });

  it('skips comments and documents that opt out, and counts lines across documents', () => {
    const text = '# uses $NOPE\na: $A\n---\nmetadata:\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nx: $NOPE\n---\ny: $MISSING\n';
    const r = substituteYaml(text, vars({ A: '1' }), envsubst);
    assert.equal(r.text, text.replace('a: $A', 'a: 1'));
    assert.deepEqual(
      r.errors.map((e) => [e.variable, e.line, e.column]),
      [['MISSING', 9, 4]],
    );
  });
});

describe('substitute with variableSyntax: flux, on $NAME', () => {
  it('reports a bare $NAME of a defined variable at file:line, naming both fixes, and leaves it as written', () => {
    const r = substitute('a: 1\ntitle: "$VOTE_APP_TITLE" x: ${TAG}\n', vars({ VOTE_APP_TITLE: 'Vote', TAG: 'v' }));
    assert.equal(r.text, 'a: 1\ntitle: "$VOTE_APP_TITLE" x: v\n');
    assert.deepEqual(where(r), [['VOTE_APP_TITLE', 2, 9, 'unbraced']]);
    assert.equal(
      r.errors[0].message,
      '"$VOTE_APP_TITLE" is not substituted: the flux variable syntax replaces only ${VOTE_APP_TITLE}; write ${VOTE_APP_TITLE}, or set variableSyntax: envsubst',
    );
  });

  it('is the default syntax', () => {
    assert.deepEqual(where(substituteYaml('x: $A\n', vars({ A: '1' }))), [['A', 1, 4, 'unbraced']]);
  });

  it('says nothing about other $ text: /$2, (/|$), $$, $$NAME, $UNDEFINED, template variables', () => {
    const text = 'rewrite: /$2\npath: /api(/|$)(.*)\nprice: $$ and $$A\nshell: $HOME\n{{ $A := 1 }}\n';
    const r = substitute(text, vars({ A: 'a' }));
    assert.equal(r.text, text);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.used, []);
  });

  it('reports each $NAME of a defined variable once per occurrence, with its column', () => {
    const r = substitute('x: $A-$B $A_C', vars({ A: '1', B: '2' }));
    assert.deepEqual(where(r), [
      ['A', 1, 4, 'unbraced'],
      ['B', 1, 7, 'unbraced'],
    ]);
  });
});
