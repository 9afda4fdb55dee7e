/**
 * Paths of the Flux constraint data (`spec.rules[].matches{}.name`, as scripts/generate-flux-schemas.mjs
 * writes them) and the walk to every value an object holds at one: `[]` is each item of a list, `{}` each
 * value of a map. Shared by the CRD constraints (flux.ts) and the CRD validation rules (flux-rules.ts).
 */
import { asRecord } from './context';

/** `spec.rules[].name` -> ['spec', 'rules', '[]', 'name']. */
export function schemaPathSteps(path: string): string[] {
  return path.replace(/\[\]/g, '.[]').replace(/\{\}/g, '.{}').split('.');
}

/** Calls `visit` with each value present (not null) at `steps` below `value`, and its path from `value`. */
export function forEachAtSchemaPath(value: unknown, steps: readonly string[], visit: (found: unknown, path: (string | number)[]) => void): void {
  walk(value, steps, 0, [], visit);
}

function walk(
  value: unknown,
  steps: readonly string[],
  step: number,
  path: (string | number)[],
  visit: (found: unknown, path: (string | number)[]) => void,
): void {
  if (value === undefined || value === null) return;
  if (step === steps.length) {
    visit(value, path);
    return;
  }
  const name = steps[step];
  if (name === '[]') {
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, steps, step + 1, [...path, i], visit));
  } else if (name === '{}') {
    const map = asRecord(value);
    if (map) for (const key of Object.keys(map)) walk(map[key], steps, step + 1, [...path, key], visit);
  } else {
    const parent = asRecord(value);
    if (parent) walk(parent[name], steps, step + 1, [...path, name], visit);
  }
}
