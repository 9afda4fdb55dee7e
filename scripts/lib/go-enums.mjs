// scripts/lib/go-enums.mjs: read the `+enum` string types of k8s.io/api's Go sources (gofmt-ed types.go files),
// their constants and the struct fields of those types, as the Kubernetes OpenAPI v3 documents' enums are made
// (k8s.io/kube-openapi's enum parser): a `type X string` whose doc comment has a `+enum` line has as enum every
// string constant of type X declared in its package; a struct field of type X, *X or []X (json tag `name`) gets it.
//
// Not a Go parser: gofmt's layout is relied upon and anything outside it that could carry an enum (a `+enum` not
// on a `type X string`, a constant of an enum type whose value is not a string literal, a map or grouped type
// declaration involving an enum type) is an error, never skipped.

function fail(file, line, message) {
  throw new Error(`generate-k8s-schemas: ${file}:${line}: ${message}`);
}

/**
 * Each line split into its code (comments removed, string literals kept), its comment text (of `//` or
 * `/* *\/`) and whether it has a comment, by a scan that knows Go's strings, raw strings and runes.
 */
function scanLines(source) {
  const lines = [];
  let code = '';
  let comment = '';
  let commented = false;
  let state = 'code'; // code | line | block | raw | string | rune
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\n') {
      lines.push({ code, comment, commented: commented || state === 'block' });
      code = '';
      comment = '';
      commented = false;
      if (state === 'line') state = 'code';
      if (state === 'string' || state === 'rune') state = 'code'; // unterminated: Go would not compile it
      if (state === 'raw') code += '\n';
      continue;
    }
    switch (state) {
      case 'code':
        if (c === '/' && source[i + 1] === '/') {
          state = 'line';
          commented = true;
          i++;
        } else if (c === '/' && source[i + 1] === '*') {
          state = 'block';
          commented = true;
          i++;
        } else {
          code += c;
          if (c === '"') state = 'string';
          else if (c === '`') state = 'raw';
          else if (c === "'") state = 'rune';
        }
        break;
      case 'line':
        comment += c;
        break;
      case 'block':
        if (c === '*' && source[i + 1] === '/') {
          state = 'code';
          i++;
        } else comment += c;
        break;
      case 'string':
      case 'rune':
        code += c;
        if (c === '\\') code += source[++i];
        else if ((state === 'string' && c === '"') || (state === 'rune' && c === "'")) state = 'code';
        break;
      case 'raw':
        code += c;
        if (c === '`') state = 'code';
        break;
    }
  }
  lines.push({ code, comment, commented });
  return lines;
}

/** A Go string literal's value ("..." or `...`), or undefined when the text is not one literal. */
function stringLiteral(text) {
  const t = text.trim();
  if (/^`[^`]*`$/.test(t)) return t.slice(1, -1);
  if (/^"(?:[^"\\]|\\.)*"$/.test(t)) {
    if (/\\[^"\\nt]/.test(t)) return undefined; // escapes JSON does not read alike (none in k8s.io/api)
    return JSON.parse(t);
  }
  return undefined;
}

/**
 * One Go file: { packageName, imports: {name: importPath}, enumTypes: Set, constants: [{name, type, value, line}],
 * fields: [{struct, json, type, line}], inline: [{struct, type}] } (fields: the struct fields with a json name, type as
 * written; inline: a struct of this package embedded with `json:",inline"`, whose fields are the struct's own).
 */
export function parseGoFile(source, file) {
  const lines = scanLines(source);
  const out = { packageName: undefined, imports: {}, enumTypes: new Set(), aliases: {}, constants: [], fields: [], inline: [] };
  let block; // 'import' | 'const' | 'struct'
  let struct;
  let depth = 0;
  for (let n = 0; n < lines.length; n++) {
    const { code, comment } = lines[n];
    const line = n + 1;
    const text = code.replace(/\s+$/, '');
    if (comment.trim() === '+enum') {
      // the doc comment of the next declaration: the comment lines below, then `type X string`
      let k = n + 1;
      while (k < lines.length && lines[k].code.trim() === '' && lines[k].commented) k++;
      const m = /^type (\w+) (= )?(\S+)$/.exec(lines[k]?.code.trim() ?? '');
      if (!m || lines[k].code !== lines[k].code.trimStart()) fail(file, line, '+enum is not the doc comment of a top-level type declaration');
      // an alias (`type ScopeType = v1.ScopeType`) is the other type, with that type's constants
      if (m[2] === undefined && m[3] !== 'string') fail(file, k + 1, `+enum type ${m[1]} is a ${m[3]}, not a string`);
      if (m[2] === undefined) out.enumTypes.add(m[1]);
    }
    if (block === 'import') {
      if (text === ')') block = undefined;
      else if (text.trim() !== '') {
        const m = /^\s*(?:(\w+|_|\.)\s+)?"([^"]+)"$/.exec(text);
        if (!m) fail(file, line, `import ${text.trim()}`);
        out.imports[m[1] ?? m[2].split('/').pop()] = m[2];
      }
      continue;
    }
    if (block === 'const') {
      if (text === ')') {
        block = undefined;
        continue;
      }
      const typed = /^\s*(\w+)\s+([\w.]+)\s*=\s*(.+)$/.exec(text);
      if (typed) out.constants.push({ name: typed[1], type: typed[2], value: typed[3], line });
      else {
        const bare = /^\s*(\w+)(?:\s+([\w.]+))?$/.exec(text);
        if (bare) out.constants.push({ name: bare[1], type: bare[2], value: undefined, line }); // iota-style repetition
      }
      continue;
    }
    if (block === 'struct') {
      depth += (text.match(/\{/g) ?? []).length - (text.match(/\}/g) ?? []).length;
      if (depth === 0) {
        block = undefined;
        continue;
      }
      const m = /^\t(\w+)\s+([^\s`]+)\s+`([^`]*)`$/.exec(text);
      const embedded = /^\t(\w+)\s+`([^`]*)`$/.exec(text);
      if (embedded && depth === 1 && /(?:^|\s)json:",inline"/.test(embedded[2])) out.inline.push({ struct, type: embedded[1] });
      if (m && depth === 1) {
        const tag = /(?:^|\s)json:"([^"]*)"/.exec(m[3]);
        const json = tag?.[1].split(',')[0];
        if (json && json !== '-') out.fields.push({ struct, json, type: m[2], line });
      }
      continue;
    }
    if (text === '') continue;
    let m;
    if ((m = /^package (\w+)$/.exec(text))) out.packageName = m[1];
    else if (text === 'import (') block = 'import';
    else if ((m = /^import (?:(\w+|_|\.)\s+)?"([^"]+)"$/.exec(text))) out.imports[m[1] ?? m[2].split('/').pop()] = m[2];
    else if (text === 'const (') block = 'const';
    else if ((m = /^type (\w+) = ([\w.]+)$/.exec(text))) out.aliases[m[1]] = m[2];
    else if ((m = /^const (\w+) ([\w.]+) = (.+)$/.exec(text))) out.constants.push({ name: m[1], type: m[2], value: m[3], line });
    else if ((m = /^type (\w+) struct \{$/.exec(text))) {
      block = 'struct';
      struct = m[1];
      depth = 1;
    } else if (/^type \($/.test(text)) fail(file, line, 'grouped type declaration');
  }
  if (!out.packageName) fail(file, 1, 'no package clause');
  return out;
}

const API_MODULE = 'k8s.io/api/';

/**
 * The enum of each struct field of the packages given, by Go package directory (`core/v1`):
 * Map `<dir> <Struct>` -> Map json name -> { values (sorted), shape (value, list: []X, map: map[K]X), type, file, line }.
 * `files`: [{ dir, file, source }], every file of a package that declares `+enum` types or their constants.
 */
export function readEnums(files) {
  const packages = new Map(); // dir -> { enumTypes: Map name -> Set values, parsed: [] }
  for (const { dir, file, source } of files) {
    const parsed = parseGoFile(source, file);
    let pkg = packages.get(dir);
    if (!pkg) packages.set(dir, (pkg = { enumTypes: new Map(), aliases: new Map(), parsed: [] }));
    pkg.parsed.push({ file, ...parsed });
    for (const [name, target] of Object.entries(parsed.aliases)) pkg.aliases.set(name, { target, parsed, file });
    for (const t of parsed.enumTypes) {
      if (pkg.enumTypes.has(t)) fail(file, 1, `+enum type ${t} declared twice in ${dir}`);
      pkg.enumTypes.set(t, new Set());
    }
  }
  const enumOf = (dir, parsed, type, file, line) => {
    const dot = type.indexOf('.');
    if (dot < 0) {
      const alias = packages.get(dir).aliases.get(type);
      if (alias) return enumOf(dir, alias.parsed, alias.target, alias.file, line);
      return packages.get(dir).enumTypes.get(type) && { dir, name: type };
    }
    const importPath = parsed.imports[type.slice(0, dot)];
    if (importPath === undefined) fail(file, line, `type ${type}: no import ${type.slice(0, dot)}`);
    if (!importPath.startsWith(API_MODULE)) return undefined; // apimachinery and others: no +enum types read here
    const other = importPath.slice(API_MODULE.length);
    const name = type.slice(dot + 1);
    if (!packages.has(other)) {
      // Only a package read here can say whether its type is an enum.
      fail(file, line, `type ${type} is from ${other}, whose sources are not among the pinned files`);
    }
    return enumOf(other, undefined, name, file, line);
  };
  for (const [dir, pkg] of packages) {
    for (const parsed of pkg.parsed) {
      for (const c of parsed.constants) {
        if (c.type === undefined) continue;
        let values = pkg.enumTypes.get(c.type);
        if (!values && pkg.aliases.has(c.type)) {
          // A constant of an alias of an enum type (`NeverReinvocationPolicy ReinvocationPolicyType = "Never"`, with
          // `type ReinvocationPolicyType = v1.ReinvocationPolicyType`) is one of the aliased type's; one that names the
          // aliased package's constant (`ClusterScope ScopeType = v1.ClusterScope`) is that constant again.
          const e = enumOf(dir, parsed, c.type, parsed.file, c.line);
          if (!e || /^\w+\.\w+$/.test(c.value?.trim() ?? '')) continue;
          values = packages.get(e.dir).enumTypes.get(e.name);
        }
        if (!values) continue;
        const value = c.value === undefined ? undefined : stringLiteral(c.value);
        if (value === undefined) fail(parsed.file, c.line, `constant ${c.name} of +enum type ${c.type} is not a string literal`);
        values.add(value);
      }
    }
  }
  const result = new Map();
  for (const [dir, pkg] of packages) {
    for (const parsed of pkg.parsed) {
      for (const f of parsed.fields) {
        // X, *X, []X (list), map[K]X (map: OpenAPI has no enum of keys, so K is not looked at)
        let type = f.type.replace(/^\*/, '');
        let shape = 'value';
        if (type.startsWith('[]')) {
          shape = 'list';
          type = type.slice(2).replace(/^\*/, '');
        } else if (type.startsWith('map[')) {
          const m = /^map\[[\w.]+\]\*?([\w.]+)$/.exec(type);
          if (!m) {
            const names = type.match(/[\w.]+/g).filter((t) => t !== 'map' && t !== 'string');
            if (names.some((t) => enumOf(dir, parsed, t, parsed.file, f.line)))
              fail(parsed.file, f.line, `field ${f.struct}.${f.json}: an enum type inside ${f.type}`);
            continue;
          }
          shape = 'map';
          type = m[1];
        }
        if (!/^[\w.]+$/.test(type)) {
          const names = type.match(/[\w.]+/g).filter((t) => t !== 'map' && t !== 'string');
          if (names.some((t) => enumOf(dir, parsed, t, parsed.file, f.line)))
            fail(parsed.file, f.line, `field ${f.struct}.${f.json}: an enum type inside ${f.type}`);
          continue;
        }
        const e = enumOf(dir, parsed, type, parsed.file, f.line);
        if (!e) continue;
        const values = [...packages.get(e.dir).enumTypes.get(e.name)].sort();
        if (values.length === 0) continue; // no constants: kube-openapi gives no enum either
        const key = `${dir} ${f.struct}`;
        if (!result.has(key)) result.set(key, new Map());
        result.get(key).set(f.json, { values, shape, type: `${e.dir}.${e.name}`, file: parsed.file, line: f.line });
      }
    }
  }
  // `EphemeralContainer` embeds `EphemeralContainerCommon` inline: its fields are EphemeralContainer's in the API.
  for (let changed = true; changed;) {
    changed = false;
    for (const [dir, pkg] of packages) {
      for (const { inline } of pkg.parsed) {
        for (const { struct, type } of inline) {
          const from = result.get(`${dir} ${type}`);
          if (!from) continue;
          const key = `${dir} ${struct}`;
          if (!result.has(key)) result.set(key, new Map());
          const to = result.get(key);
          for (const [json, e] of from) {
            if (!to.has(json)) {
              to.set(json, e);
              changed = true;
            }
          }
        }
      }
    }
  }
  return result;
}
