import { isMap, isPair, isScalar, parseDocument, Scalar } from 'yaml';
import type { Finding } from '../manifests/finding';
import { VARIABLE_NAME } from './variable-syntax';

export interface VariablesResult {
  variables: Map<string, string>;
  errors: Finding[];
}

/**
 * Reads an environment values file: a flat YAML map of NAME: value. Plain scalars keep the text
 * as written (`TAG: 1.10` stays "1.10", not 1.1) because the value is pasted into YAML again.
 */
export function parseValuesFile(text: string, file: string): VariablesResult {
  const variables = new Map<string, string>();
  const errors: Finding[] = [];
  const lineOf = (offset: number) => 1 + countNewlinesBefore(text, offset);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    errors.push({
      rule: 'values/syntax',
      severity: 'error',
      message: `Values file is not valid YAML: ${e.message.split('\n')[0]}`,
      file,
      line: lineOf(e.pos[0]),
    });
    return { variables, errors };
  }
  if (doc.contents === null) return { variables, errors };
  if (!isMap(doc.contents)) {
    errors.push({ rule: 'values/not-a-map', severity: 'error', message: 'Values file must be a flat YAML map of NAME: value', file, line: 1 });
    return { variables, errors };
  }
  for (const pair of doc.contents.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const line = lineOf(pair.key.range?.[0] ?? 0);
    if (!VARIABLE_NAME.test(name)) {
      errors.push({
        rule: 'values/bad-name',
        severity: 'error',
        message: `"${name}" is not a valid variable name (letters, digits and _, not starting with a digit)`,
        file,
        line,
      });
      continue;
    }
    const value = pair.value;
    if (value === null || (isScalar(value) && value.value === null && !value.source)) {
      variables.set(name, '');
    } else if (isScalar(value)) {
      variables.set(name, scalarText(value));
    } else {
      errors.push({ rule: 'values/not-flat', severity: 'error', message: `Variable "${name}" must be a single value, not a map or list`, file, line });
    }
  }
  return { variables, errors };
}

/** Reads `NAME=value` lines (the task's `variables` input); blank lines and `#` comments are skipped. */
export function parseVariableLines(text: string, inputName: string): VariablesResult {
  const variables = new Map<string, string>();
  const errors: Finding[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq).trim();
    if (eq < 0 || !VARIABLE_NAME.test(name)) {
      errors.push({ rule: 'input/variables', severity: 'error', message: `Input "${inputName}", line ${index + 1}: expected NAME=value, got "${line}"` });
      return;
    }
    variables.set(name, line.slice(eq + 1).trim());
  });
  return { variables, errors };
}

function scalarText(scalar: Scalar): string {
  if (scalar.type === Scalar.PLAIN && typeof scalar.source === 'string') return scalar.source;
  return String(scalar.value);
}

function countNewlinesBefore(text: string, offset: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
