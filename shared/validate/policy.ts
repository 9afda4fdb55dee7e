import { apiGroup, describeObject, FieldPath, ManifestObject, ObjectRef } from '../manifests/model';
import type { Finding } from '../manifests/finding';
import { imagesWithRepository, imageVariable, ImageVariableSuffix } from '../images/image-list';
import { splitImageReference } from '../images/reference';

import { DEFAULT_POLICY_SEVERITIES, POLICY_RULES, PolicySetting, PolicySeverities } from './policy-settings';

export { DEFAULT_POLICY_SEVERITIES, POLICY_RULES } from './policy-settings';
export type { PolicyRuleId, PolicySetting, PolicySeverities, PolicySeverity } from './policy-settings';
/** What the policy rules know besides the objects. */
export interface PolicyContext {
  /** The environment's variables, to name the image variable an untagged image came from. */
  variables?: ReadonlyMap<string, string>;
}

type Json = Record<string, unknown>;

type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface PodTemplate {
  obj: ManifestObject;
  /** Path of the pod spec inside the object. */
  specPath: FieldPath;
  spec: Json;
  /** Whether the pods run until stopped (so readiness and liveness matter). */
  longRunning: boolean;
}

export interface PodContainer {
  list: ContainerList;
  index: number;
  body: Json;
  path: FieldPath;
  /** `container "web"`, `init container "migrate"`, `ephemeral container "debug"`. */
  label: string;
}

type Container = PodContainer;

const CONTAINER_LISTS: readonly ContainerList[] = ['initContainers', 'containers', 'ephemeralContainers'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * The pod spec of a built-in workload, or undefined. Kinds are matched together with their API
 * group so that a custom resource that happens to be called `Job` is not mistaken for one.
 */
export function podTemplateOf(obj: ManifestObject): PodTemplate | undefined {
  const group = apiGroup(obj.apiVersion);
  let specPath: FieldPath | undefined;
  let longRunning = true;
  if (group === '' && obj.kind === 'Pod') {
    specPath = ['spec'];
  } else if (group === '' && obj.kind === 'ReplicationController') {
    specPath = ['spec', 'template', 'spec'];
  } else if ((group === 'apps' || group === 'extensions') && ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(obj.kind)) {
    specPath = ['spec', 'template', 'spec'];
  } else if (group === 'batch' && obj.kind === 'Job') {
    specPath = ['spec', 'template', 'spec'];
    longRunning = false;
  } else if (group === 'batch' && obj.kind === 'CronJob') {
    specPath = ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    longRunning = false;
  }
  if (!specPath) return undefined;
  const spec = child(obj.body, ...(specPath as string[]));
  if (!isObject(spec)) return undefined;
  // A bare Pod that is not restarted is a one-off run, like a Job.
  if (obj.kind === 'Pod' && (spec.restartPolicy === 'Never' || spec.restartPolicy === 'OnFailure')) longRunning = false;
  return { obj, specPath, spec, longRunning };
}

export function containersOf(template: PodTemplate): Container[] {
  const out: Container[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = template.spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((body, index) => {
      if (!isObject(body)) return;
      const name = typeof body.name === 'string' && body.name !== '' ? `"${body.name}"` : `#${index}`;
      const prefix = list === 'initContainers' ? 'init container' : list === 'ephemeralContainers' ? 'ephemeral container' : 'container';
      out.push({ list, index, body, path: [...template.specPath, list, index], label: `${prefix} ${name}` });
    });
  }
  return out;
}

/** Init containers with `restartPolicy: Always` are sidecars: they keep running next to the app. */
function isSidecar(container: Container): boolean {
  return container.list === 'initContainers' && container.body.restartPolicy === 'Always';
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/**
 * Runs the policy rules over every pod template of the built-in workloads (Pod,
 * ReplicationController, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). Each rule's
 * severity comes from `severities`, keyed by setting name (`imageTag` for `policy/image-tag`, see
 * POLICY_RULES); missing entries take the default, `off` skips the rule, and an unknown setting
 * or severity throws.
 *
 * - `policy/image-tag`: every container (init and ephemeral too) whose image has no tag or the
 *   `latest` tag; an image pinned by digest passes. A missing or non-string image is left to the
 *   schema check. Points at the `image` line. An untagged image that is the value of an image
 *   variable NAME_IMAGE (in `context.variables`) is named as such, with NAME_REF as the fix.
 * - `policy/resources`: containers and init containers (ephemeral containers may not set
 *   resources) must set `requests.cpu`, `requests.memory` and `limits.memory`. A CPU limit is not
 *   required: it only throttles, whereas a missing memory limit lets one pod exhaust its node.
 *   Points at `resources` (or the container entry when it has none).
 * - `policy/privileged`: `securityContext.privileged: true`, `allowPrivilegeEscalation: true`, or
 *   `capabilities.add` holding SYS_ADMIN or ALL, on any container. One finding per field, at it.
 * - `policy/run-as-root`: a container setting wins over the pod-level `securityContext` for
 *   `runAsUser` and `runAsNonRoot`, as in Kubernetes. Reported when the effective `runAsUser` is 0
 *   (at the line that sets it), or when neither `runAsNonRoot: true` nor a non-zero `runAsUser` is
 *   in effect (at an explicit `runAsNonRoot: false`, else the container's `securityContext`, else
 *   the container entry). Pods with `spec.os.name: windows` are skipped.
 * - `policy/host-path`: each `hostPath` volume, at its `hostPath` key, naming the containers that
 *   mount it.
 * - `policy/probes`: long-running workloads only (not Jobs, CronJobs or Pods with restartPolicy
 *   Never/OnFailure): every app container and every sidecar init container needs a
 *   `readinessProbe` and a `livenessProbe` (a `startupProbe` does not replace either). Points at
 *   the container entry.
 */
export function checkPolicy(
  objects: ManifestObject[],
  severities: Partial<PolicySeverities> = DEFAULT_POLICY_SEVERITIES,
  context: PolicyContext = {},
): Finding[] {
  const variables = context.variables ?? new Map<string, string>();
  const effective = resolveSeverities(severities);
  const findings: Finding[] = [];
  for (const obj of objects) {
    const template = podTemplateOf(obj);
    if (!template) continue;
    const object: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name };
    const subject = describeObject(obj);
    const report = (setting: PolicySetting, path: FieldPath, message: string): void => {
      const severity = effective[setting];
      if (severity === 'off') return;
      findings.push({ rule: POLICY_RULES[setting], severity, message, object, ...obj.locate(path) });
    };
    const containers = containersOf(template);
    for (const container of containers) {
      const who = `${container.label} in ${subject}`;
      if (effective.imageTag !== 'off') checkImageTag(container, who, variables, report);
      if (effective.resources !== 'off') checkResources(container, who, report);
      if (effective.privileged !== 'off') checkPrivileged(container, who, report);
      if (effective.runAsRoot !== 'off') checkRunAsRoot(template, container, who, report);
      if (effective.probes !== 'off' && template.longRunning) checkProbes(container, who, report);
    }
    if (effective.hostPath !== 'off') checkHostPaths(template, containers, subject, report);
  }
  return findings;
}

function resolveSeverities(severities: Partial<PolicySeverities>): PolicySeverities {
  const out: PolicySeverities = { ...DEFAULT_POLICY_SEVERITIES };
  for (const [setting, severity] of Object.entries(severities) as [string, unknown][]) {
    if (!Object.hasOwn(POLICY_RULES, setting)) {
      throw new Error(`Unknown policy setting ${JSON.stringify(setting)}; known settings: ${Object.keys(POLICY_RULES).join(', ')}`);
    }
    if (severity === undefined) continue;
    if (severity !== 'error' && severity !== 'warning' && severity !== 'off') {
      throw new Error(`Severity of ${setting} (${POLICY_RULES[setting as PolicySetting]}) must be error, warning or off, not ${JSON.stringify(severity)}`);
    }
    out[setting as PolicySetting] = severity;
  }
  return out;
}

type Report = (setting: PolicySetting, path: FieldPath, message: string) => void;

function checkImageTag(container: Container, who: string, variables: ReadonlyMap<string, string>, report: Report): void {
  const image = container.body.image;
  if (typeof image !== 'string' || image.trim() === '') return;
  const { tag, digest } = splitImageReference(image);
  if (digest !== undefined) return; // pinned by digest
  const path = [...container.path, 'image'];
  if (tag === undefined) {
    const [name] = imagesWithRepository(image, variables);
    const ref = (suffix: ImageVariableSuffix) => `\${${imageVariable({ name }, suffix)}}`;
    const fix = name ? `${ref('IMAGE')} is the repository only: write ${ref('REF')} or ${ref('IMAGE')}:${ref('TAG')}` : 'pin a version tag or a digest';
    report('imageTag', path, `${who} uses image ${image} without a tag, which pulls :latest; ${fix}`);
  } else if (tag === 'latest') {
    report('imageTag', path, `${who} uses image ${image} with the mutable latest tag; pin a version tag or a digest`);
  }
}

const REQUIRED_RESOURCES: ReadonlyArray<readonly ['requests' | 'limits', 'cpu' | 'memory']> = [
  ['requests', 'cpu'],
  ['requests', 'memory'],
  ['limits', 'memory'],
];

function checkResources(container: Container, who: string, report: Report): void {
  if (container.list === 'ephemeralContainers') return;
  const resources = container.body.resources;
  const missing = REQUIRED_RESOURCES.filter(([section, name]) => !isSet(child(resources, section, name))).map(([section, name]) => `${section}.${name}`);
  if (missing.length === 0) return;
  report('resources', [...container.path, 'resources'], `${who} does not set resources ${missing.join(', ')}`);
}

const DANGEROUS_CAPABILITIES = new Set(['SYS_ADMIN', 'ALL']);

function checkPrivileged(container: Container, who: string, report: Report): void {
  const securityContext = container.body.securityContext;
  if (!isObject(securityContext)) return;
  const base = [...container.path, 'securityContext'];
  if (securityContext.privileged === true) {
    report('privileged', [...base, 'privileged'], `${who} runs privileged (securityContext.privileged: true)`);
  }
  if (securityContext.allowPrivilegeEscalation === true) {
    report('privileged', [...base, 'allowPrivilegeEscalation'], `${who} allows privilege escalation (securityContext.allowPrivilegeEscalation: true)`);
  }
  const added = child(securityContext, 'capabilities', 'add');
  if (Array.isArray(added)) {
    added.forEach((capability, index) => {
      if (typeof capability !== 'string') return;
      const name = capability.toUpperCase().replace(/^CAP_/, '');
      if (DANGEROUS_CAPABILITIES.has(name)) {
        report('privileged', [...base, 'capabilities', 'add', index], `${who} adds the ${name} capability, which amounts to root on the node`);
      }
    });
  }
}

function checkRunAsRoot(template: PodTemplate, container: Container, who: string, report: Report): void {
  if (child(template.spec, 'os', 'name') === 'windows') return;
  const podContext = template.spec.securityContext;
  const containerContext = container.body.securityContext;
  const podPath = [...template.specPath, 'securityContext'];
  const containerPath = [...container.path, 'securityContext'];
  // A container-level field overrides the pod-level one.
  const pick = (field: string): { value: unknown; path: FieldPath } | undefined => {
    if (isObject(containerContext) && isSet(containerContext[field])) return { value: containerContext[field], path: [...containerPath, field] };
    if (isObject(podContext) && isSet(podContext[field])) return { value: podContext[field], path: [...podPath, field] };
    return undefined;
  };
  const runAsUser = pick('runAsUser');
  if (runAsUser && Number(runAsUser.value) === 0) {
    report('runAsRoot', runAsUser.path, `${who} runs as root (runAsUser: 0)`);
    return;
  }
  const runAsNonRoot = pick('runAsNonRoot');
  if (runAsNonRoot?.value === true) return;
  if (runAsUser && typeof runAsUser.value === 'number' && runAsUser.value > 0) return;
  const where = runAsNonRoot ? runAsNonRoot.path : isObject(containerContext) ? containerPath : container.path;
  report('runAsRoot', where, `${who} may run as root: set securityContext.runAsNonRoot: true or a non-zero runAsUser (on the container or the pod)`);
}

function checkProbes(container: Container, who: string, report: Report): void {
  if (container.list === 'ephemeralContainers') return;
  if (container.list === 'initContainers' && !isSidecar(container)) return;
  const missing = ['readinessProbe', 'livenessProbe'].filter((probe) => !isObject(container.body[probe]));
  if (missing.length === 0) return;
  report('probes', container.path, `${who} has no ${missing.join(' and no ')}`);
}

function checkHostPaths(template: PodTemplate, containers: Container[], subject: string, report: Report): void {
  const volumes = template.spec.volumes;
  if (!Array.isArray(volumes)) return;
  volumes.forEach((volume, index) => {
    if (!isObject(volume) || !isObject(volume.hostPath)) return;
    const name = typeof volume.name === 'string' ? volume.name : `#${index}`;
    const hostPath = typeof volume.hostPath.path === 'string' ? ` ${volume.hostPath.path}` : '';
    const users = containers
      .filter((c) => Array.isArray(c.body.volumeMounts) && c.body.volumeMounts.some((m) => isObject(m) && m.name === name))
      .map((c) => c.label);
    const mounted = users.length > 0 ? `, mounted by ${users.join(', ')}` : '';
    report(
      'hostPath',
      [...template.specPath, 'volumes', index, 'hostPath'],
      `volume "${name}" in ${subject} mounts the host path${hostPath} into the pod${mounted}`,
    );
  });
}
