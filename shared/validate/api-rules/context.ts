import type { Finding, Severity } from '../../manifests/finding';
import { formatPath, type FieldPath, type ManifestObject, type ObjectRef } from '../../manifests/model';

/** What a rule sees of one object, and where it reports. */
export interface RuleContext {
  readonly obj: ManifestObject;
  /** The target Kubernetes minor version (32 for 1.32): some rules changed between versions. */
  readonly minor: number;
  readonly findings: Finding[];
}

export function refOf(obj: ManifestObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.name };
  if (obj.namespace !== undefined) ref.namespace = obj.namespace;
  return ref;
}

/** A finding at a field, worded as the API server's field errors: `spec.type: Unsupported value: ...`. */
export function report(ctx: RuleContext, rule: string, path: FieldPath, detail: string, severity: Severity = 'error'): void {
  const where = ctx.obj.locate(path);
  const finding: Finding = { rule, severity, message: `${formatPath(path) || '(object)'}: ${detail}`, file: where.file, object: refOf(ctx.obj) };
  if (where.line !== undefined) finding.line = where.line;
  if (where.column !== undefined) finding.column = where.column;
  ctx.findings.push(finding);
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) ? (value as Record<string, unknown>) : undefined;
}

/** A scalar as text (labels compared as the API server's strings); undefined for maps, lists and null. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The API server's built-in apiVersions the rules of this folder know (custom resources have their own schemas). */
export const BUILTIN = {
  core: 'v1',
  apps: 'apps/v1',
  batch: 'batch/v1',
  networking: 'networking.k8s.io/v1',
  rbac: 'rbac.authorization.k8s.io/v1',
  policy: 'policy/v1',
  autoscaling: 'autoscaling/v2',
} as const;
