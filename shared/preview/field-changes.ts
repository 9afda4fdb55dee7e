/**
 * Field-level changes between two versions of one object, as paths a reviewer reads
 * (`spec.template.spec.containers[web].image`). Lists of named items (containers, env, ports,
 * volumes) are matched by name, so inserting one item does not show every later one as changed.
 */
import { sameJson } from './secrets';

export interface FieldChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
}

type Segment = string | { name: string } | number;

export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(b: unknown, a: unknown, path: Segment[], out: FieldChange[]): void {
  if (sameJson(b, a)) return;
  if (b === undefined) {
    out.push({ path: format(path), change: 'added' });
    return;
  }
  if (a === undefined) {
    out.push({ path: format(path), change: 'removed' });
    return;
  }
  if (isMap(b) && isMap(a)) {
    for (const key of sortedUnion(Object.keys(b), Object.keys(a))) walk(b[key], a[key], [...path, key], out);
    return;
  }
  if (Array.isArray(b) && Array.isArray(a)) {
    const bNames = namesOf(b);
    const aNames = namesOf(a);
    if (bNames && aNames) {
      const bBy = new Map(b.map((item, i) => [bNames[i], item]));
      const aBy = new Map(a.map((item, i) => [aNames[i], item]));
      const order = [...aNames, ...bNames.filter((n) => !aBy.has(n))];
      for (const name of order) walk(bBy.get(name), aBy.get(name), [...path, { name }], out);
      // The same items in another order: the list itself changed.
      const sameItems = bNames.length === aNames.length && bNames.every((n) => aBy.has(n));
      if (sameItems && bNames.join('\0') !== aNames.join('\0')) out.push({ path: format(path), change: 'changed' });
      return;
    }
    const n = Math.max(b.length, a.length);
    for (let i = 0; i < n; i++) walk(b[i], a[i], [...path, i], out);
    return;
  }
  out.push({ path: format(path), change: 'changed' });
}

/** The `name` of every item, when every item is a map with a distinct string name. */
function namesOf(list: unknown[]): string[] | undefined {
  if (list.length === 0) return [];
  const names: string[] = [];
  for (const item of list) {
    if (!isMap(item) || typeof item.name !== 'string') return undefined;
    names.push(item.name);
  }
  return new Set(names).size === names.length ? names : undefined;
}

function format(path: Segment[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'object') out += `[${part.name}]`;
    else out += out === '' ? part : /^[A-Za-z0-9_-]+$/.test(part) ? `.${part}` : `["${part}"]`;
  }
  return out === '' ? '(whole object)' : out;
}

function sortedUnion(a: string[], b: string[]): string[] {
  const seen = new Set(a);
  return [...a, ...b.filter((k) => !seen.has(k))];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
