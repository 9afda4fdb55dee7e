import { asRecord, report, type RuleContext } from './context';
import { unsupported } from './messages';
import type { FieldPath } from '../../manifests/model';

/**
 * Closed sets of values the API server accepts (pkg/apis/core/validation and its apps, batch, networking
 * siblings) that the schema data does not carry: `Unsupported value: "Sometimes": supported values: ...`.
 * The enums of the Kubernetes API types (`+enum`: Service type, protocol, imagePullPolicy, dnsPolicy, strategy
 * types, accessModes, ... ) are the schema data's (schema.ts reports them under this rule id, k8s/enum); here are
 * only the sets that depend on the owning kind (a Deployment's pods restart Always) and those whose Go types are
 * not `+enum` (Ingress pathType, a label selector's operator).
 */
export const ENUMS = {
  /** Every restartPolicy of a pod (core/v1 RestartPolicy): the schema data reports any other value. */
  podRestartPolicy: ['Always', 'OnFailure', 'Never'],
  pathType: ['Exact', 'ImplementationSpecific', 'Prefix'],
  selectorOperator: ['DoesNotExist', 'Exists', 'In', 'NotIn'],
} as const;

/** Reports `parent[field]` when it is set (a string) and not one of `allowed`. */
export function checkEnum(ctx: RuleContext, parent: unknown, field: string, path: FieldPath, allowed: readonly string[]): void {
  const value = asRecord(parent)?.[field];
  if (typeof value !== 'string' || allowed.includes(value)) return; // the path is built only for a finding
  report(ctx, 'k8s/enum', [...path, field], unsupported(value, allowed));
}

/**
 * A pod's restartPolicy against what its owner allows (`allowed`: Always for a Deployment's pods, OnFailure or
 * Never for a Job's). Only a value that some pod may have is reported here: any other value is not a
 * restartPolicy at all, which the schema data's enum reports, once.
 */
export function checkRestartPolicy(ctx: RuleContext, spec: Record<string, unknown>, path: FieldPath, allowed: readonly string[]): void {
  const value = spec.restartPolicy;
  if (typeof value !== 'string' || allowed.includes(value) || !(ENUMS.podRestartPolicy as readonly string[]).includes(value)) return;
  report(ctx, 'k8s/enum', [...path, 'restartPolicy'], unsupported(value, allowed));
}
