/**
 * Variable substitution with the semantics of Flux's post-build substitution (kustomize-controller,
 * `flux envsubst --strict`): only the braced form `${NAME...}` is replaced, `$NAME` and `$${NAME}`
 * are left for the shell (the latter written out as `${NAME}`), and, unlike envsubst, a variable
 * that is not defined and has no default is an error, never an empty string.
 *
 * The `envsubst` syntax (templates written for the reference scripts' `envsubst`) also replaces the
 * bare `$NAME`, just as strictly; `$$NAME` and `$${NAME}` keep a literal `$NAME` / `${NAME}`, and a
 * bare `$name` inside a Go template action (`{{ $x := . }}`) is Helm's, not a variable. In the
 * default `flux` syntax a bare `$NAME` naming a defined variable is reported: it would reach the
 * cluster unsubstituted.
 */
import { VARIABLE_NAME, VariableSyntax } from './variable-syntax';

// The names the input readers need live in ./variable-syntax (small, loaded at a task's start); here for the rest.
export { VARIABLE_NAME, VARIABLE_SYNTAXES } from './variable-syntax';
export type { VariableSyntax } from './variable-syntax';

export type Variables = ReadonlyMap<string, string>;

export interface SubstituteOptions {
  syntax?: VariableSyntax;
}

export interface SubstitutionError {
  variable: string;
  message: string;
  /** `unbraced`: a `$NAME` of a defined variable that the flux syntax does not substitute. */
  kind?: 'unbraced';
  /** 1-based line and column of the `${` in the input text. */
  line: number;
  column: number;
}

export interface SubstitutionResult {
  text: string;
  errors: SubstitutionError[];
  /** Names of the variables the text referred to (defined or not), in order of first use. */
  used: string[];
}

const DISABLE_MARKER = /kustomize\.toolkit\.fluxcd\.io\/substitute["']?\s*:\s*["']?disabled\b/;

/**
 * Substitutes every YAML document of `text`, except documents that opt out with the Flux label or
 * annotation `kustomize.toolkit.fluxcd.io/substitute: disabled`, and except comments: Flux
 * substitutes the output of kustomize build, where comments no longer exist. Line structure is
 * preserved so that findings in the result still point at the right line of the source file.
 */
export function substituteYaml(text: string, variables: Variables, options: SubstituteOptions = {}): SubstitutionResult {
  const errors: SubstitutionError[] = [];
  const used = new Set<string>();
  const out: string[] = [];
  let lineOffset = 0;
  for (const doc of splitDocuments(text)) {
    // A document without `$` has nothing to substitute: skip the comment scan and the copy.
    if (!doc.includes('$') || DISABLE_MARKER.test(doc)) {
      out.push(doc);
    } else {
      const result = substitute(doc, variables, yamlCommentRanges(doc), options);
      out.push(result.text);
      for (const e of result.errors) errors.push({ ...e, line: e.line + lineOffset });
      for (const name of result.used) used.add(name);
    }
    lineOffset += countNewlines(doc);
  }
  return { text: out.join(''), errors, used: [...used] };
}

/** Substitutes one piece of text, leaving the `skip` ranges (sorted [start, end) offsets) as they are. */
export function substitute(
  text: string,
  variables: Variables,
  skip: ReadonlyArray<readonly [number, number]> = [],
  options: SubstituteOptions = {},
): SubstitutionResult {
  const syntax = options.syntax ?? 'flux';
  const actions = text.includes('{{') ? templateActionRanges(text) : [];
  const errors: SubstitutionError[] = [];
  const used = new Set<string>();
  const position = lineTracker(text);
  let out = '';
  let i = 0;
  let nextSkip = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    while (nextSkip < skip.length && skip[nextSkip][1] <= dollar) nextSkip++;
    if (nextSkip < skip.length && skip[nextSkip][0] <= dollar) {
      out += text.slice(i, skip[nextSkip][1]);
      i = skip[nextSkip][1];
      continue;
    }
    out += text.slice(i, dollar);
    // `$${...}` is the escape: it renders as `${...}` and is never evaluated.
    if (text.startsWith('$${', dollar)) {
      out += '$';
      i = dollar + 2;
      const close = text.indexOf('}', i);
      const end = close < 0 ? text.length : close + 1;
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      const bare = BARE_NAME.exec(text.slice(dollar + (text[dollar + 1] === '$' ? 2 : 1)))?.[0];
      const inAction = bare !== undefined && actions.some(([s, e]) => s <= dollar && dollar < e);
      if (text[dollar + 1] === '$' && bare !== undefined && !inAction) {
        // `$$NAME`: the escape of envsubst mode, a literal `$NAME`; flux leaves both dollars alone.
        out += syntax === 'envsubst' ? '$' + bare : '$$' + bare;
        i = dollar + 2 + bare.length;
        continue;
      }
      if (bare === undefined || inAction || text[dollar + 1] === '$') {
        out += '$';
        i = dollar + 1;
        continue;
      }
      const { line, column } = position(dollar);
      const value = variables.get(bare);
      used.add(bare);
      if (syntax === 'envsubst') {
        if (value === undefined) {
          errors.push({ variable: bare, message: undefinedBare(bare), line, column });
          out += '$' + bare;
        } else {
          out += value;
        }
      } else {
        if (value !== undefined) {
          errors.push({
            variable: bare,
            kind: 'unbraced',
            message: `"$${bare}" is not substituted: the flux variable syntax replaces only \${${bare}}; write \${${bare}}, or set variableSyntax: envsubst`,
            line,
            column,
          });
        } else {
          used.delete(bare);
        }
        out += '$' + bare;
      }
      i = dollar + 1 + bare.length;
      continue;
    }
    const close = findClosingBrace(text, dollar + 2);
    const { line, column } = position(dollar);
    if (close < 0) {
      errors.push({ variable: '', message: 'unterminated "${": no closing "}" on the same line', line, column });
      out += text.slice(dollar);
      break;
    }
    const expression = text.slice(dollar + 2, close);
    const evaluated = evaluate(expression, variables, options);
    if (evaluated.name) used.add(evaluated.name);
    if (evaluated.error !== undefined) {
      errors.push({ variable: evaluated.name, message: evaluated.error, line, column });
      out += text.slice(dollar, close + 1);
    } else {
      out += evaluated.value;
    }
    i = close + 1;
  }
  return { text: out, errors, used: [...used] };
}

interface Evaluated {
  name: string;
  value?: string;
  error?: string;
}

/** Evaluates the inside of `${...}`: NAME, NAME:=default, NAME:-default, and the bash-like forms Flux accepts. */
function evaluate(expression: string, variables: Variables, options: SubstituteOptions): Evaluated {
  if (expression.startsWith('#')) {
    const name = expression.slice(1);
    if (!VARIABLE_NAME.test(name)) return { name, error: `"\${${expression}}" is not a valid expression` };
    const value = variables.get(name);
    return value === undefined ? undefined_(name) : { name, value: String([...value].length) };
  }
  const match = /^([_a-zA-Z][_a-zA-Z0-9]*)(.*)$/s.exec(expression);
  if (!match) {
    return { name: expression, error: `"\${${expression}}" is not a valid variable reference (names are letters, digits and _, not starting with a digit)` };
  }
  const [, name, rest] = match;
  const value = variables.get(name);
  if (rest === '') return value === undefined ? undefined_(name) : { name, value };

  const op = /^(:=|:-|=|-|:\?|\?|\^\^|\^|,,|,|\/\/|\/|##|#|%%|%|:)(.*)$/s.exec(rest);
  if (!op) return { name, error: `"\${${expression}}" uses an operator Flux does not support` };
  const [, operator, argument] = op;
  switch (operator) {
    case ':=':
    case ':-':
    case '=':
    case '-': {
      const unset = value === undefined || (operator.startsWith(':') && value === '');
      if (!unset) return { name, value };
      // A default may itself refer to variables: ${A:=${B}}.
      const inner = substitute(argument, variables, [], options);
      if (inner.errors.length > 0) return { name, error: inner.errors[0].message };
      return { name, value: inner.text };
    }
    case ':?':
    case '?':
      if (value === undefined || (operator === ':?' && value === '')) {
        return { name, error: `variable "${name}" is required${argument ? `: ${argument}` : ''}` };
      }
      return { name, value };
  }
  if (value === undefined) return undefined_(name);
  switch (operator) {
    case '^^':
      return { name, value: value.toUpperCase() };
    case '^':
      return { name, value: value.charAt(0).toUpperCase() + value.slice(1) };
    case ',,':
      return { name, value: value.toLowerCase() };
    case ',':
      return { name, value: value.charAt(0).toLowerCase() + value.slice(1) };
    case '//':
    case '/': {
      const slash = argument.indexOf('/');
      const search = slash < 0 ? argument : argument.slice(0, slash);
      const replacement = slash < 0 ? '' : argument.slice(slash + 1);
      if (search === '') return { name, value };
      return { name, value: operator === '//' ? value.split(search).join(replacement) : value.replace(search, () => replacement) };
    }
    case '##':
    case '#':
      return { name, value: value.startsWith(argument) ? value.slice(argument.length) : value };
    case '%%':
    case '%':
      return { name, value: value.endsWith(argument) ? value.slice(0, value.length - argument.length) : value };
    case ':': {
      const parts = /^\s*(-?\d+)\s*(?::\s*(\d+)\s*)?$/.exec(argument);
      if (!parts) return { name, error: `"\${${expression}}": substring offset and length must be integers` };
      const chars = [...value];
      let start = Number(parts[1]);
      if (start < 0) start = Math.max(0, chars.length + start);
      const end = parts[2] === undefined ? chars.length : start + Number(parts[2]);
      return { name, value: chars.slice(start, end).join('') };
    }
  }
  return { name, error: `"\${${expression}}" uses an operator Flux does not support` };
}

function undefined_(name: string): Evaluated {
  return { name, error: `variable "${name}" is not defined and has no default (write \${${name}:=value} for a default, or $\${${name}} to keep it literal)` };
}

function undefinedBare(name: string): string {
  return `variable "${name}" is not defined and has no default (define it in the values file or the variables input, or write $$${name} to keep it literal)`;
}

/** A bare variable name after `$`: envsubst's (and the shell's) `[A-Za-z_][A-Za-z0-9_]*`, longest match. */
const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The `{{ ... }}` actions of a Go template (Helm), as [start, end) offsets: their `$name` are template variables. */
function templateActionRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (let open = text.indexOf('{{'); open >= 0; open = text.indexOf('{{', open + 2)) {
    const close = text.indexOf('}}', open + 2);
    if (close < 0) break;
    ranges.push([open, close + 2]);
    open = close;
  }
  return ranges;
}

/** The `}` that closes a `${` at `from`, allowing nested `${...}` in defaults; -1 when the line ends first. */
function findClosingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') return -1;
    if (c === '{' && text[i - 1] === '$') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/**
 * 1-based line and column of an offset, for offsets asked in increasing order (each `$` after the last): the
 * scan goes on from the previous answer, so a large document with many references stays linear.
 */
function lineTracker(text: string): (offset: number) => { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  return (offset) => {
    if (offset < lineStart) {
      line = 1;
      lineStart = 0;
    }
    for (let i = text.indexOf('\n', lineStart); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, column: offset - lineStart + 1 };
  };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Splits a YAML stream at `---` document markers, keeping every character (markers stay with the following document). */
export function splitDocuments(text: string): string[] {
  const docs: string[] = [];
  const marker = /^---(?=[ \t]|\r?$)/gm;
  let start = 0;
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    if (m.index > start) docs.push(text.slice(start, m.index));
    start = m.index;
  }
  docs.push(text.slice(start));
  return docs.filter((d, i) => d !== '' || i === 0);
}

/**
 * The comments of a YAML text as [start, end) offsets: `#` at the start of a line or after a blank,
 * outside quoted scalars and outside block scalars (`key: |` content is data, `#` and all).
 */
export function yamlCommentRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  // Without a `#` there is no comment (the block-scalar tracking below only serves to find them).
  if (!text.includes('#')) return ranges;
  let blockParentIndent = -1;
  for (let offset = 0; offset <= text.length;) {
    const newline = text.indexOf('\n', offset);
    const end = newline < 0 ? text.length : newline;
    const indent = firstNonSpace(text, offset, end);
    if (blockParentIndent >= 0 && (indent < 0 || indent > blockParentIndent)) {
      offset = end + 1;
      continue;
    }
    blockParentIndent = -1;
    const hashAt = text.indexOf('#', offset);
    const hash = hashAt >= 0 && hashAt < end ? commentStart(text.slice(offset, end)) : -1;
    if (hash >= 0) ranges.push([offset + hash, end]);
    if (opensBlockScalar(text, offset, hash >= 0 ? offset + hash : end)) blockParentIndent = Math.max(indent, 0);
    offset = end + 1;
  }
  return ranges;
}

/** Column of the first character of text[start, end) that is not white space (JavaScript's \s), or -1. */
function firstNonSpace(text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) if (!isSpace(text.charCodeAt(i))) return i - start;
  return -1;
}

/**
 * Whether text[start, end) ends with a block scalar indicator: line start or one of `:?-`, white space, `|` or
 * `>`, chomping/indentation indicators `[0-9+-]`, white space. Scanned backwards (each part's characters differ
 * from the next one's, so there is one way to match): a per-line regular expression was the slow part.
 */
function opensBlockScalar(text: string, start: number, end: number): boolean {
  let i = end - 1;
  while (i >= start && isSpace(text.charCodeAt(i))) i--;
  while (i >= start && isIndicatorDigit(text.charCodeAt(i))) i--;
  if (i < start || (text[i] !== '|' && text[i] !== '>')) return false;
  i--;
  while (i >= start && isSpace(text.charCodeAt(i))) i--;
  return i < start || text[i] === ':' || text[i] === '?' || text[i] === '-';
}

function isIndicatorDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2b /* + */ || c === 0x2d; /* - */
}

/** JavaScript's \s: ASCII white space, NBSP, the Unicode space separators, line/paragraph separators, BOM. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

function commentStart(line: string): number {
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = '';
    } else if (quote === "'") {
      if (c === "'") {
        if (line[i + 1] === "'") i++;
        else quote = '';
      }
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(line[i - 1]))) {
      // A quote opens a scalar only where one can start; `it's` inside a plain scalar is text.
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return i;
    }
  }
  return -1;
}
