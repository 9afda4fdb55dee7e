import * as assert from 'node:assert/strict';
import { parseValuesFile, parseVariableLines } from '../../../shared/render/variables';

describe('environment values files', () => {
  it('reads a flat map keeping plain scalars as written', () => {
    const r = parseValuesFile('TAG: 1.10\nREPLICAS: 3\nDEBUG: yes\nTITLE: "My app"\nEMPTY:\n# comment\n', 'deploy/environments/dev.yaml');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      [...r.variables],
      [
        ['TAG', '1.10'],
        ['REPLICAS', '3'],
        ['DEBUG', 'yes'],
        ['TITLE', 'My app'],
        ['EMPTY', ''],
      ],
    );
  });

  it('names the file and line of a nested value, a bad name and a syntax error', () => {
    const r = parseValuesFile('OK: 1\nNESTED:\n  a: 1\nbad-name: 2\n', 'env.yaml');
    assert.deepEqual(
      r.errors.map((e) => [e.rule, e.file, e.line]),
      [
        ['values/not-flat', 'env.yaml', 2],
        ['values/bad-name', 'env.yaml', 4],
      ],
    );
    const syntax = parseValuesFile('A: 1\nB: [\n', 'env.yaml');
    assert.equal(syntax.errors[0].rule, 'values/syntax');
    assert.equal(syntax.errors[0].file, 'env.yaml');
  });

  it('rejects a file that is not a map', () => {
    assert.equal(parseValuesFile('- a\n- b\n', 'env.yaml').errors[0].rule, 'values/not-a-map');
  });
});

describe('the variables input', () => {
  it('reads NAME=value lines, skipping blanks and comments, values may contain =', () => {
    const r = parseVariableLines('IMAGE_TAG=abc123\n\n# comment\nQUERY = a=b \n', 'variables');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      [...r.variables],
      [
        ['IMAGE_TAG', 'abc123'],
        ['QUERY', 'a=b'],
      ],
    );
  });

  it('names the input and line of a malformed entry', () => {
    const r = parseVariableLines('A=1\nnot a pair\n', 'variables');
    assert.equal(r.errors[0].message, 'Input "variables", line 2: expected NAME=value, got "not a pair"');
  });
});
