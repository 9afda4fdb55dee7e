import { asRecord, report, type RuleContext } from './context';
import { unsupported } from './messages';
import type { FieldPath } from '../../manifests/model';

/**
 * Closed sets of values the API server accepts (pkg/apis/core/validation and its apps, batch, networking
 * siblings): `Unsupported value: "LoadBalancr": supported values: ...`. The OpenAPI documents of the built-in
 * kinds list some of these as enums but the client models the schema data comes from do not, so they are here.
 */
export const ENUMS = {
  serviceType: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
  protocol: ['SCTP', 'TCP', 'UDP'],
  imagePullPolicy: ['Always', 'IfNotPresent', 'Never'],
  podRestartPolicy: ['Always', 'OnFailure', 'Never'],
  terminationMessagePolicy: ['File', 'FallbackToLogsOnError'],
  dnsPolicy: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
  sessionAffinity: ['ClientIP', 'None'],
  trafficPolicy: ['Cluster', 'Local'],
  ipFamilyPolicy: ['PreferDualStack', 'RequireDualStack', 'SingleStack'],
  deploymentStrategy: ['Recreate', 'RollingUpdate'],
  setUpdateStrategy: ['OnDelete', 'RollingUpdate'],
  podManagementPolicy: ['OrderedReady', 'Parallel'],
  concurrencyPolicy: ['Allow', 'Forbid', 'Replace'],
  completionMode: ['Indexed', 'NonIndexed'],
  pathType: ['Exact', 'ImplementationSpecific', 'Prefix'],
  policyType: ['Egress', 'Ingress'],
  accessMode: ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'],
  selectorOperator: ['DoesNotExist', 'Exists', 'In', 'NotIn'],
} as const;

/** Reports `parent[field]` when it is set (a string) and not one of `allowed`. */
export function checkEnum(ctx: RuleContext, parent: unknown, field: string, path: FieldPath, allowed: readonly string[]): void {
  const value = asRecord(parent)?.[field];
  if (typeof value !== 'string' || allowed.includes(value)) return; // the path is built only for a finding
  report(ctx, 'k8s/enum', [...path, field], unsupported(value, allowed));
}

/** Reports a value (a string) that is not one of `allowed`, at `path`. */
export function checkEnumValue(ctx: RuleContext, value: unknown, path: FieldPath, allowed: readonly string[]): void {
  if (typeof value !== 'string' || allowed.includes(value)) return;
  report(ctx, 'k8s/enum', path, unsupported(value, allowed));
}
