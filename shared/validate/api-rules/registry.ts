/**
 * The API server's static validation, offline: what `kubectl apply` (or Flux's server-side apply) would reject
 * for the objects an environment renders, with the server's wording and the file:line:column of the field.
 * One module per area; this registry says which checks run on which objects.
 *
 * Rules (README "What is checked" lists them too):
 *   k8s/name             error    object, namespace, container, volume names (DNS-1123 subdomain/label, DNS-1035
 *                                 label for Services, path segment for RBAC), CronJob names ≤ 52
 *   k8s/label            error    label keys and values (metadata, templates, selectors)
 *   k8s/annotation       error    annotation keys, total annotation size
 *   k8s/enum             error    closed value sets that depend on the owner (a pod's restartPolicy) or are not in the
 *                                 schema data (Ingress pathType, selector operators); the schema check reports
 *                                 the API types' enums (Service type, protocol, imagePullPolicy, ...) under this id
 *   k8s/quantity         error    resource quantities that do not parse, or are negative
 *   k8s/requests-limits  error    a request above its limit
 *   k8s/selector         error    a workload's selector that does not select its template's labels; empty selectors
 *   k8s/port             error    port numbers outside 1–65535
 *   k8s/port-name        error    port names (IANA_SVC_NAME; DNS-1123 label for Service ports, required with several)
 *   k8s/duplicate-name   error    two containers, volumes, container ports or Service ports with one name
 *   k8s/volume-mount     error    a volumeMount naming no volume of the pod
 *   k8s/probe-port       error    a probe naming a port the container does not declare
 *   k8s/env-name         error    environment variable names (the rule of the target Kubernetes version)
 *   k8s/cron-schedule    error    CronJob schedules the API server cannot parse
 *   k8s/service          error    an ExternalName Service without externalName
 *   schema/pattern       error    Flux CRD patterns (every duration field: interval, timeout, retryInterval, ...)
 *   schema/length, schema/range, schema/items, schema/duplicate-key
 *                        error    Flux CRD minLength/maxLength, minimum/maximum, minItems/maxItems, map-list keys
 *   ref/service-selector warning  a Service selecting no rendered pod template
 *   ref/config-map, ref/secret, ref/pvc  warning  a pod referring to a ConfigMap/Secret/PVC not rendered
 */
import type { Finding } from '../../manifests/finding';
import type { ManifestObject } from '../../manifests/model';
import { BUILTIN, type RuleContext } from './context';
import { checkCrossObject } from './cross-object';
import { checkFluxConstraints, isFluxKind } from './flux';
import { checkFluxValidationRules } from './flux-rules';
import { checkMetadata } from './metadata';
import { checkIngress, checkNetworkPolicy, checkService } from './service';
import { checkPodTemplate, checkSelector, checkWorkloadSpec } from './workloads';

export interface ApiRuleOptions {
  /** Target cluster version: `1.32`, `v1.32.4`, ... (decides version-dependent rules). */
  kubernetesVersion: string;
}

type Check = (ctx: RuleContext) => void;

const WORKLOAD: Check[] = [checkPodTemplate, checkSelector, checkWorkloadSpec];

/** apiVersion -> kind -> checks beyond metadata. */
const CHECKS = new Map<string, Map<string, Check[]>>([
  [
    BUILTIN.core,
    new Map<string, Check[]>([
      ['Pod', [checkPodTemplate]],
      ['PodTemplate', [checkPodTemplate]],
      ['ReplicationController', WORKLOAD],
      ['Service', [checkService]],
    ]),
  ],
  [
    BUILTIN.apps,
    new Map<string, Check[]>([
      ['Deployment', WORKLOAD],
      ['ReplicaSet', WORKLOAD],
      ['StatefulSet', WORKLOAD],
      ['DaemonSet', WORKLOAD],
    ]),
  ],
  [
    BUILTIN.batch,
    new Map<string, Check[]>([
      ['Job', WORKLOAD],
      ['CronJob', [checkPodTemplate, checkWorkloadSpec]],
    ]),
  ],
  [
    BUILTIN.networking,
    new Map<string, Check[]>([
      ['Ingress', [checkIngress]],
      ['NetworkPolicy', [checkNetworkPolicy]],
    ]),
  ],
]);

const NEWEST_MINOR = 36;

/** 32 for `v1.32.4`; the newest known minor when the version does not parse (the schema module reports that). */
export function kubernetesMinor(version: string): number {
  const m = /^v?1\.(\d+)/.exec(version.trim());
  return m ? Number(m[1]) : NEWEST_MINOR;
}

/** Every API rule on every object, then the cross-object warnings. */
export function checkApiRules(objects: readonly ManifestObject[], options: ApiRuleOptions): Finding[] {
  const minor = kubernetesMinor(options.kubernetesVersion);
  const findings: Finding[] = [];
  for (const obj of objects) {
    const ctx: RuleContext = { obj, minor, findings };
    checkMetadata(ctx);
    const checks = CHECKS.get(obj.apiVersion)?.get(obj.kind);
    if (checks) for (const check of checks) check(ctx);
    else if (isFluxKind(obj.apiVersion)) {
      checkFluxConstraints(ctx);
      checkFluxValidationRules(ctx);
    }
  }
  for (const f of checkCrossObject(objects, minor)) findings.push(f);
  return findings;
}
