/**
 * The Flux CRDs' `x-kubernetes-validations` rules (CEL), evaluated as the API server does for custom resources: at
 * the field the rule is attached to, with `self` bound to that field's value after the schema's defaults are filled
 * in and null fields dropped, a rule that yields `false` rejecting the object with the CRD's message. The data
 * (`cel` of schemas/flux-constraints.json) comes from the CRDs through scripts/generate-flux-schemas.mjs; the
 * evaluator is @marcbachmann/cel-js (a lazy part of the bundles: it loads with the first Flux object that has rules).
 *
 * Never reported as passed when not evaluated: a transition rule (it compares with `oldSelf`, the object in the
 * cluster, which an offline gate does not have), a rule the library cannot compile, and an evaluation that does not
 * yield a boolean (a field the rule reads is missing: the schema's own checks report that) give no finding, and
 * README lists which rules are checked.
 */
import { parse } from '@marcbachmann/cel-js';
import type { FieldPath } from '../../manifests/model';
import constraintData from '../schemas/flux-constraints.json';
import { asRecord, report, type RuleContext } from './context';
import { invalid } from './messages';
import { forEachAtSchemaPath, schemaPathSteps } from './schema-path';

/** Defaults of a node's fields: `d` the field's default, `p` its own fields' defaults, `i` its items' defaults. */
type Defaults = Record<string, { d?: unknown; p?: Defaults; i?: Defaults }>;
type RuleData = [path: string, rule: string, message: string, defaults?: Defaults];

interface CompiledRule {
  steps: string[];
  rule: string;
  message: string;
  defaults?: Defaults;
  evaluate?: (context: { self: unknown }) => unknown;
}

const RULES = (constraintData as unknown as { cel: Record<string, RuleData[]> }).cel;

/** A transition rule: it needs the object as stored in the cluster. */
export function isTransitionRule(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

const compiled = new Map<string, CompiledRule[]>();

function rulesOf(apiVersion: string, kind: string): CompiledRule[] {
  const key = `${apiVersion} ${kind}`;
  let list = compiled.get(key);
  if (list) return list;
  list = (RULES[key] ?? []).map(([path, rule, message, defaults]) => {
    const entry: CompiledRule = { steps: schemaPathSteps(path), rule, message, defaults };
    if (!isTransitionRule(rule)) {
      try {
        entry.evaluate = parse(rule);
      } catch {
        // Not compiled: not checked (README lists the rules that are).
      }
    }
    return entry;
  });
  compiled.set(key, list);
  return list;
}

/** Whether the data has rules for this apiVersion and kind (other versions of a kind are not checked). */
export function hasValidationRules(apiVersion: string, kind: string): boolean {
  return RULES[`${apiVersion} ${kind}`] !== undefined;
}

export function checkFluxValidationRules(ctx: RuleContext): void {
  if (!hasValidationRules(ctx.obj.apiVersion, ctx.obj.kind)) return;
  for (const rule of rulesOf(ctx.obj.apiVersion, ctx.obj.kind))
    if (rule.evaluate) forEachAtSchemaPath(ctx.obj.body, rule.steps, (value, path) => evaluateAt(ctx, value, rule, path));
}

function evaluateAt(ctx: RuleContext, value: unknown, rule: CompiledRule, path: FieldPath): void {
  let result: unknown;
  try {
    result = rule.evaluate?.({ self: asServerSees(value, rule.defaults) });
  } catch {
    return; // no boolean: not checked
  }
  if (result === false) report(ctx, 'schema/cel', path, invalid(schemaType(value), rule.message));
}

/**
 * The value as the API server evaluates rules on it: null fields dropped (pruned before defaulting), then the
 * schema's defaults filled into the objects that exist. A copy: the object itself stays as written.
 */
export function asServerSees(value: unknown, defaults: Defaults | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => asServerSees(item, undefined));
  const record = asRecord(value);
  if (!record) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const field = record[key];
    if (field === null) continue;
    const below = defaults?.[key];
    out[key] = Array.isArray(field) ? field.map((item) => asServerSees(item, below?.i)) : asServerSees(field, below?.p);
  }
  if (defaults) for (const key of Object.keys(defaults)) if (out[key] === undefined && defaults[key].d !== undefined) out[key] = defaults[key].d;
  return out;
}

/** The schema type the API server prints as the invalid value of a rule (`Invalid value: "object": ...`). */
function schemaType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}
