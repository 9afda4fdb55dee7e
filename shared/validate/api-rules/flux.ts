/**
 * The value constraints of the Flux CRDs' openAPIV3Schema, as the API server enforces them for custom resources:
 * `pattern` (e.g. every duration field: `interval: 5 minutes` gets `spec.interval in body should match ...`),
 * `minLength`/`maxLength`, `minimum`/`maximum`, `minItems`/`maxItems`, and duplicate keys in map lists.
 * The data (schemas/flux-constraints.json) is generated from the CRDs of the controllers' releases by
 * scripts/generate-flux-schemas.mjs. Not here: enums (the Flux schema of schema.ts reports them),
 * `x-kubernetes-validations` CEL rules (./flux-rules.ts evaluates them).
 */
import type { FieldPath } from '../../manifests/model';
import constraintData from '../schemas/flux-constraints.json';
import { asRecord, report, scalarText, type RuleContext } from './context';
import { duplicate, invalid } from './messages';
import { forEachAtSchemaPath, schemaPathSteps } from './schema-path';
import { formatPath } from '../../manifests/model';

interface Constraint {
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  mapKeys?: string[];
}

interface Compiled {
  /** Field names, `[]` (each item) and `{}` (each map value). */
  steps: string[];
  constraint: Constraint;
  pattern?: RegExp;
}

const KINDS = constraintData.kinds as unknown as Record<string, [string, Constraint & { enum?: unknown[] }][]>;

const compiled = new Map<string, Compiled[]>();

function constraintsOf(apiVersion: string, kind: string): Compiled[] {
  const exact = `${apiVersion} ${kind}`;
  let list = compiled.get(exact);
  if (list) return list;
  // Every apiVersion the extension serves has its own data; a removed one has none (deprecated-apis reports it).
  const entries = KINDS[exact] ?? [];
  list = [];
  for (const [path, raw] of entries) {
    const constraint: Constraint = { ...raw };
    delete (constraint as { enum?: unknown }).enum;
    if (Object.keys(constraint).length === 0) continue;
    let pattern: RegExp | undefined;
    if (constraint.pattern !== undefined) {
      try {
        pattern = new RegExp(constraint.pattern, 'u');
      } catch {
        delete constraint.pattern; // a Go RE2 construct JavaScript lacks: not checked
      }
    }
    list.push({ steps: schemaPathSteps(path), constraint, pattern });
  }
  compiled.set(exact, list);
  return list;
}

export function isFluxKind(apiVersion: string): boolean {
  return apiVersion.includes('.toolkit.fluxcd.io/');
}

export function checkFluxConstraints(ctx: RuleContext): void {
  for (const entry of constraintsOf(ctx.obj.apiVersion, ctx.obj.kind))
    forEachAtSchemaPath(ctx.obj.body, entry.steps, (value, path) => check(ctx, value, entry, path));
}

function check(ctx: RuleContext, value: unknown, { constraint: c, pattern }: Compiled, path: FieldPath): void {
  const field = formatPath(path);
  if (typeof value === 'string') {
    if (pattern && !pattern.test(value)) report(ctx, 'schema/pattern', path, invalid(value, `${field} in body should match '${c.pattern}'`));
    if (c.minLength !== undefined && [...value].length < c.minLength) {
      report(ctx, 'schema/length', path, invalid(value, `${field} in body should be at least ${c.minLength} chars long`));
    }
    if (c.maxLength !== undefined && [...value].length > c.maxLength) report(ctx, 'schema/length', path, `Too long: may not be more than ${c.maxLength} bytes`);
  } else if (typeof value === 'number') {
    if (c.minimum !== undefined && value < c.minimum)
      report(ctx, 'schema/range', path, invalid(value, `${field} in body should be greater than or equal to ${c.minimum}`));
    if (c.maximum !== undefined && value > c.maximum)
      report(ctx, 'schema/range', path, invalid(value, `${field} in body should be less than or equal to ${c.maximum}`));
  } else if (Array.isArray(value)) {
    if (c.minItems !== undefined && value.length < c.minItems)
      report(ctx, 'schema/items', path, invalid(value.length, `${field} in body should have at least ${c.minItems} items`));
    if (c.maxItems !== undefined && value.length > c.maxItems)
      report(ctx, 'schema/items', path, `Too many: ${value.length}: must have at most ${c.maxItems} items`);
    if (c.mapKeys) checkMapKeys(ctx, value, c.mapKeys, path);
  }
}

/** x-kubernetes-list-type: map: no two items with the same key fields. */
function checkMapKeys(ctx: RuleContext, items: unknown[], keys: readonly string[], path: FieldPath): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const record = asRecord(item);
    if (!record) return;
    const identity = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(scalarText(record[k]) ?? null)}`).join(', ');
    if (seen.has(identity))
      report(
        ctx,
        'schema/duplicate-key',
        [...path, i],
        duplicate({ ...Object.fromEntries(keys.map((k) => [k, record[k]])) }).replace('map[string]string', 'map[string]interface {}'),
      );
    seen.add(identity);
  });
}
