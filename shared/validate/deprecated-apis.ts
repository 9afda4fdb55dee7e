import { describeObject, ManifestObject } from '../manifests/model';
import type { Finding } from '../manifests/finding';
import { KubernetesVersion, parseKubernetesVersion } from './kubernetes-version';
import fluxData from './schemas/flux.json';

export { parseKubernetesVersion } from './kubernetes-version';
export type { KubernetesVersion } from './kubernetes-version';

/**
 * When one group/version/kind stopped being recommended and when the API server stopped serving it.
 * Versions are `1.<minor>` strings. `deprecatedIn` is left out where the exact release is not
 * known for certain; `removedIn` is left out for APIs that are deprecated but still served.
 */
export interface ApiLifecycle {
  apiVersion: string;
  kind: string;
  deprecatedIn?: string;
  removedIn?: string;
  /** The apiVersion to move to; absent when there is no drop-in replacement. */
  replacement?: string;
  /** The kind to move to, when it is not the same kind. */
  replacementKind?: string;
  /** What to do instead when there is no replacement apiVersion. */
  advice?: string;
}

function gvks(apiVersion: string, kinds: string[], rest: Omit<ApiLifecycle, 'apiVersion' | 'kind'>): ApiLifecycle[] {
  return kinds.map((kind) => ({ apiVersion, kind, ...rest }));
}

/**
 * Built-in API versions that are removed or deprecated, from the Kubernetes deprecated API
 * migration guide and the `prerelease-lifecycle-gen` tags of k8s.io/api (which is where the API
 * server's "X is deprecated in v1.N+, unavailable in v1.M+" warnings come from).
 *
 * Deliberately absent:
 * - autoscaling/v1 HorizontalPodAutoscaler: stable and still served (only the v2beta* versions went).
 * - resource.k8s.io (dynamic resource allocation): its alpha/beta versions were reshaped several
 *   times and alpha versions are off by default; not listed rather than guessed.
 * - Alpha versions in general: they are disabled by default, so a manifest using them fails on
 *   most clusters whatever this table says.
 */
export const API_LIFECYCLES: readonly ApiLifecycle[] = [
  // Removed in 1.16.
  ...gvks('extensions/v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet'], { deprecatedIn: '1.8', removedIn: '1.16', replacement: 'apps/v1' }),
  { apiVersion: 'extensions/v1beta1', kind: 'NetworkPolicy', deprecatedIn: '1.9', removedIn: '1.16', replacement: 'networking.k8s.io/v1' },
  {
    apiVersion: 'extensions/v1beta1',
    kind: 'PodSecurityPolicy',
    removedIn: '1.16',
    advice: 'PodSecurityPolicy itself was removed in 1.25; use Pod Security admission (pod-security.kubernetes.io/* namespace labels) or a policy engine',
  },
  ...gvks('apps/v1beta1', ['Deployment', 'StatefulSet', 'ReplicaSet', 'ControllerRevision'], {
    deprecatedIn: '1.8',
    removedIn: '1.16',
    replacement: 'apps/v1',
  }),
  ...gvks('apps/v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision'], {
    deprecatedIn: '1.9',
    removedIn: '1.16',
    replacement: 'apps/v1',
  }),

  // Removed in 1.22.
  { apiVersion: 'extensions/v1beta1', kind: 'Ingress', deprecatedIn: '1.14', removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  ...gvks('networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], { deprecatedIn: '1.19', removedIn: '1.22', replacement: 'networking.k8s.io/v1' }),
  ...gvks('rbac.authorization.k8s.io/v1beta1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], {
    deprecatedIn: '1.17',
    removedIn: '1.22',
    replacement: 'rbac.authorization.k8s.io/v1',
  }),
  ...gvks('admissionregistration.k8s.io/v1beta1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], {
    deprecatedIn: '1.16',
    removedIn: '1.22',
    replacement: 'admissionregistration.k8s.io/v1',
  }),
  {
    apiVersion: 'apiextensions.k8s.io/v1beta1',
    kind: 'CustomResourceDefinition',
    deprecatedIn: '1.16',
    removedIn: '1.22',
    replacement: 'apiextensions.k8s.io/v1',
  },
  { apiVersion: 'apiregistration.k8s.io/v1beta1', kind: 'APIService', removedIn: '1.22', replacement: 'apiregistration.k8s.io/v1' },
  { apiVersion: 'authentication.k8s.io/v1beta1', kind: 'TokenReview', removedIn: '1.22', replacement: 'authentication.k8s.io/v1' },
  ...gvks('authorization.k8s.io/v1beta1', ['LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SubjectAccessReview', 'SelfSubjectRulesReview'], {
    removedIn: '1.22',
    replacement: 'authorization.k8s.io/v1',
  }),
  {
    apiVersion: 'certificates.k8s.io/v1beta1',
    kind: 'CertificateSigningRequest',
    deprecatedIn: '1.19',
    removedIn: '1.22',
    replacement: 'certificates.k8s.io/v1',
  },
  { apiVersion: 'coordination.k8s.io/v1beta1', kind: 'Lease', deprecatedIn: '1.19', removedIn: '1.22', replacement: 'coordination.k8s.io/v1' },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kind: 'PriorityClass', deprecatedIn: '1.14', removedIn: '1.22', replacement: 'scheduling.k8s.io/v1' },
  ...gvks('storage.k8s.io/v1beta1', ['CSIDriver', 'StorageClass', 'VolumeAttachment'], {
    deprecatedIn: '1.19',
    removedIn: '1.22',
    replacement: 'storage.k8s.io/v1',
  }),
  { apiVersion: 'storage.k8s.io/v1beta1', kind: 'CSINode', deprecatedIn: '1.17', removedIn: '1.22', replacement: 'storage.k8s.io/v1' },

  // Removed in 1.25.
  { apiVersion: 'batch/v1beta1', kind: 'CronJob', deprecatedIn: '1.21', removedIn: '1.25', replacement: 'batch/v1' },
  { apiVersion: 'discovery.k8s.io/v1beta1', kind: 'EndpointSlice', deprecatedIn: '1.21', removedIn: '1.25', replacement: 'discovery.k8s.io/v1' },
  { apiVersion: 'events.k8s.io/v1beta1', kind: 'Event', deprecatedIn: '1.22', removedIn: '1.25', replacement: 'events.k8s.io/v1' },
  { apiVersion: 'autoscaling/v2beta1', kind: 'HorizontalPodAutoscaler', deprecatedIn: '1.22', removedIn: '1.25', replacement: 'autoscaling/v2' },
  { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', deprecatedIn: '1.21', removedIn: '1.25', replacement: 'policy/v1' },
  {
    apiVersion: 'policy/v1beta1',
    kind: 'PodSecurityPolicy',
    deprecatedIn: '1.21',
    removedIn: '1.25',
    advice: 'there is no replacement API: use Pod Security admission (pod-security.kubernetes.io/* namespace labels) or a policy engine',
  },
  { apiVersion: 'node.k8s.io/v1beta1', kind: 'RuntimeClass', deprecatedIn: '1.22', removedIn: '1.25', replacement: 'node.k8s.io/v1' },

  // Removed in 1.26.
  { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', deprecatedIn: '1.23', removedIn: '1.26', replacement: 'autoscaling/v2' },
  ...gvks('flowcontrol.apiserver.k8s.io/v1beta1', ['FlowSchema', 'PriorityLevelConfiguration'], {
    deprecatedIn: '1.23',
    removedIn: '1.26',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
  }),

  // Removed in 1.27.
  { apiVersion: 'storage.k8s.io/v1beta1', kind: 'CSIStorageCapacity', deprecatedIn: '1.24', removedIn: '1.27', replacement: 'storage.k8s.io/v1' },

  // Removed in 1.29 and 1.32 (flowcontrol.apiserver.k8s.io/v1 is served from 1.29).
  ...gvks('flowcontrol.apiserver.k8s.io/v1beta2', ['FlowSchema', 'PriorityLevelConfiguration'], {
    deprecatedIn: '1.26',
    removedIn: '1.29',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
  }),
  ...gvks('flowcontrol.apiserver.k8s.io/v1beta3', ['FlowSchema', 'PriorityLevelConfiguration'], {
    deprecatedIn: '1.29',
    removedIn: '1.32',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
  }),

  // Deprecated, still served, no removal scheduled.
  { apiVersion: 'v1', kind: 'ComponentStatus', deprecatedIn: '1.19', advice: 'it has no replacement; query component health endpoints directly' },
  { apiVersion: 'v1', kind: 'Endpoints', deprecatedIn: '1.33', replacement: 'discovery.k8s.io/v1', replacementKind: 'EndpointSlice' },
];

const byGvk = new Map<string, ApiLifecycle>(API_LIFECYCLES.map((entry) => [`${entry.apiVersion}|${entry.kind}`, entry]));

/** The lifecycle entry for an apiVersion and kind, if the table has one. */
export function findApiLifecycle(apiVersion: string, kind: string): ApiLifecycle | undefined {
  return byGvk.get(`${apiVersion}|${kind}`);
}

function atOrAfter(target: KubernetesVersion, release: string): boolean {
  const version = parseKubernetesVersion(release);
  return target.major !== version.major ? target.major > version.major : target.minor >= version.minor;
}

function instead(entry: ApiLifecycle): string {
  if (entry.replacement) return `use ${entry.replacement}${entry.replacementKind ? ` ${entry.replacementKind}` : ''}`;
  return entry.advice ?? 'there is no replacement API';
}

/**
 * A Flux apiVersion the microsoft.flux extension removed or deprecated (schemas/flux.json, from the CRDs of the
 * extension's controller versions and its release notes: scripts/generate-flux-schemas.mjs). Independent of the
 * Kubernetes version: the extension installs the CRDs.
 */
export interface FluxApiLifecycle {
  apiVersion: string;
  kind: string;
  removed: boolean;
  /** The CRD's deprecationWarning (deprecated versions only). */
  warning?: string;
  /** The CRD's storage version: the apiVersion to move to. */
  replacement: string;
  /** What to know before moving (e.g. the extension's older supported releases do not serve the replacement). */
  note?: string;
}

/** The extension and Flux release the Flux data describes, e.g. `microsoft.flux 1.23.0 (Flux 2.7)`. */
export const FLUX_RELEASE = `${fluxData.release.extension} (Flux ${fluxData.release.flux})`;

const fluxByGvk = new Map<string, FluxApiLifecycle>([
  ...(fluxData.removed as [string, string, string, string][]).map(([apiVersion, kind, replacement, note]): [string, FluxApiLifecycle] => [
    `${apiVersion}|${kind}`,
    { apiVersion, kind, removed: true, replacement, ...(note ? { note } : {}) },
  ]),
  ...(fluxData.deprecated as [string, string, string, string, string][]).map(([apiVersion, kind, warning, replacement, note]): [string, FluxApiLifecycle] => [
    `${apiVersion}|${kind}`,
    { apiVersion, kind, removed: false, warning, replacement, ...(note ? { note } : {}) },
  ]),
]);

/** The Flux lifecycle entry for an apiVersion and kind, if the data has one. */
export function findFluxApiLifecycle(apiVersion: string, kind: string): FluxApiLifecycle | undefined {
  return fluxByGvk.get(`${apiVersion}|${kind}`);
}

/** `api/removed` (error) or `api/deprecated` (warning) for a Flux object, as the extension's cluster would see it. */
function fluxApiFinding(obj: ManifestObject, entry: FluxApiLifecycle): Finding {
  const what = `${obj.apiVersion} ${obj.kind}`;
  const object = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name };
  const where = obj.locate(['apiVersion']);
  if (entry.removed) {
    return {
      rule: 'api/removed',
      severity: 'error',
      message: `${what} was removed in ${FLUX_RELEASE}: the cluster answers 'no matches for kind "${obj.kind}" in version "${obj.apiVersion}"'; use ${entry.replacement}${entry.note ? `; ${entry.note}` : ''} (${describeObject(obj)})`,
      object,
      ...where,
    };
  }
  return {
    rule: 'api/deprecated',
    severity: 'warning',
    message: `${what} is deprecated in ${FLUX_RELEASE} (${entry.warning}); use ${entry.replacement}${entry.note ? `; ${entry.note}` : ''} (${describeObject(obj)})`,
    object,
    ...where,
  };
}

/**
 * Built-in objects whose apiVersion the target cluster no longer serves (`api/removed`, an
 * error: the apply fails) or has deprecated (`api/deprecated`, a warning with the removal release
 * when one is scheduled). When the release that deprecated an API is not recorded, an API with a
 * scheduled removal is reported as deprecated for every version before that removal. Flux objects of an apiVersion
 * the microsoft.flux extension removed or deprecated get the same rules, whatever the Kubernetes version.
 */
export function checkApiVersions(objects: ManifestObject[], kubernetesVersion: string): Finding[] {
  const target = parseKubernetesVersion(kubernetesVersion);
  const findings: Finding[] = [];
  for (const obj of objects) {
    const entry = findApiLifecycle(obj.apiVersion, obj.kind);
    if (!entry) {
      const flux = findFluxApiLifecycle(obj.apiVersion, obj.kind);
      if (flux) findings.push(fluxApiFinding(obj, flux));
      continue;
    }
    const what = `${obj.apiVersion} ${obj.kind}`;
    const object = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name };
    const where = obj.locate(['apiVersion']);
    if (entry.removedIn && atOrAfter(target, entry.removedIn)) {
      findings.push({
        rule: 'api/removed',
        severity: 'error',
        message: `${what} was removed in Kubernetes ${entry.removedIn}; ${instead(entry)} (${describeObject(obj)}, target Kubernetes ${target.major}.${target.minor})`,
        object,
        ...where,
      });
      continue;
    }
    const deprecated = entry.deprecatedIn ? atOrAfter(target, entry.deprecatedIn) : entry.removedIn !== undefined;
    if (!deprecated) continue;
    const since = entry.deprecatedIn ? ` since Kubernetes ${entry.deprecatedIn}` : '';
    const removal = entry.removedIn ? ` and is removed in Kubernetes ${entry.removedIn}` : '';
    findings.push({
      rule: 'api/deprecated',
      severity: 'warning',
      message: `${what} is deprecated${since}${removal}; ${instead(entry)} (${describeObject(obj)}, target Kubernetes ${target.major}.${target.minor})`,
      object,
      ...where,
    });
  }
  return findings;
}
