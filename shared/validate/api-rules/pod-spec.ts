import type { FieldPath } from '../../manifests/model';
import { asArray, asRecord, report, scalarText, type RuleContext } from './context';
import { checkRestartPolicy } from './enums';
import { duplicate, invalid, isDns1123Label, isEnvVarName, isPortName, isBadPortNumber, notFound, PORT_RANGE } from './messages';
import { parseQuantity, QUANTITY_MESSAGE } from './quantity';

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/**
 * A pod spec (a Pod's, or a workload's template): container and volume names, ports, restartPolicy, environment
 * variable names, resource quantities, volume mounts and probes. `restartPolicies` is what the owning kind
 * allows (a Deployment's pods must restart Always, a Job's must not); `claimTemplates`, a StatefulSet's
 * volumeClaimTemplates names.
 */
export function checkPodSpec(
  ctx: RuleContext,
  spec: Record<string, unknown>,
  path: FieldPath,
  restartPolicies: readonly string[],
  claimTemplates: readonly string[] = [],
): void {
  checkRestartPolicy(ctx, spec, path, restartPolicies);

  // A StatefulSet's volumeClaimTemplates are volumes of its pods too.
  const volumes = new Set<string>(claimTemplates);
  asArray(spec.volumes).forEach((v, i) => {
    const name = asRecord(v)?.name;
    if (typeof name !== 'string') return;
    const at = [...path, 'volumes', i, 'name'];
    const errs = isDns1123Label(name);
    if (errs.length > 0) report(ctx, 'k8s/name', at, invalid(name, errs.join('; ')));
    if (volumes.has(name)) report(ctx, 'k8s/duplicate-name', at, duplicate(name));
    volumes.add(name);
  });

  // Container names are unique across init, app and ephemeral containers of a pod.
  const containerNames = new Set<string>();
  for (const list of CONTAINER_LISTS) {
    asArray(spec[list]).forEach((c, i) => {
      const container = asRecord(c);
      if (!container) return;
      const at: FieldPath = [...path, list, i];
      const name = container.name;
      if (typeof name === 'string') {
        const errs = isDns1123Label(name);
        if (errs.length > 0) report(ctx, 'k8s/name', [...at, 'name'], invalid(name, errs.join('; ')));
        if (containerNames.has(name)) report(ctx, 'k8s/duplicate-name', [...at, 'name'], duplicate(name));
        containerNames.add(name);
      }
      checkContainer(ctx, container, at, volumes);
    });
  }
  checkResourceList(ctx, asRecord(spec.overhead), [...path, 'overhead']);
}

function checkContainer(ctx: RuleContext, container: Record<string, unknown>, path: FieldPath, volumes: ReadonlySet<string>): void {
  const portNames = new Set<string>();
  asArray(container.ports).forEach((p, i) => {
    const port = asRecord(p);
    if (!port) return;
    const at: FieldPath = [...path, 'ports', i];
    const containerPort = port.containerPort;
    if (typeof containerPort === 'number' && isBadPortNumber(containerPort))
      report(ctx, 'k8s/port', [...at, 'containerPort'], invalid(containerPort, PORT_RANGE));
    const hostPort = port.hostPort;
    if (typeof hostPort === 'number' && hostPort !== 0 && isBadPortNumber(hostPort))
      report(ctx, 'k8s/port', [...at, 'hostPort'], invalid(hostPort, PORT_RANGE));
    const name = port.name;
    if (typeof name === 'string') {
      const errs = isPortName(name);
      if (errs.length > 0) report(ctx, 'k8s/port-name', [...at, 'name'], invalid(name, errs.join('; ')));
      if (portNames.has(name)) report(ctx, 'k8s/duplicate-name', [...at, 'name'], duplicate(name));
      portNames.add(name);
    }
  });

  asArray(container.env).forEach((e, i) => {
    const name = asRecord(e)?.name;
    if (typeof name !== 'string') return;
    const errs = isEnvVarName(name, ctx.minor);
    if (errs.length > 0) report(ctx, 'k8s/env-name', [...path, 'env', i, 'name'], invalid(name, errs.join('; ')));
  });
  asArray(container.envFrom).forEach((e, i) => {
    const prefix = asRecord(e)?.prefix;
    if (typeof prefix !== 'string' || prefix === '') return;
    const errs = isEnvVarName(prefix, ctx.minor);
    if (errs.length > 0) report(ctx, 'k8s/env-name', [...path, 'envFrom', i, 'prefix'], invalid(prefix, errs.join('; ')));
  });

  asArray(container.volumeMounts).forEach((m, i) => {
    const name = asRecord(m)?.name;
    if (typeof name === 'string' && !volumes.has(name)) report(ctx, 'k8s/volume-mount', [...path, 'volumeMounts', i, 'name'], notFound(name));
  });

  const resources = asRecord(container.resources);
  if (resources) checkResources(ctx, resources, [...path, 'resources']);

  for (const probe of PROBES) {
    const handler = asRecord(container[probe]);
    if (!handler) continue;
    for (const action of ['httpGet', 'tcpSocket', 'grpc'] as const) {
      const port = asRecord(handler[action])?.port;
      if (port === undefined) continue;
      checkProbePort(ctx, port, [...path, probe, action, 'port'], portNames);
    }
  }
}

/**
 * A probe's port: a number in range, or the name of one of the container's ports. The API server checks only
 * the name's syntax; an undeclared name is accepted, but the kubelet cannot resolve it and the probe always
 * fails, so the pod never becomes ready (or is restarted by its liveness probe).
 */
function checkProbePort(ctx: RuleContext, port: unknown, path: FieldPath, portNames: ReadonlySet<string>): void {
  if (typeof port === 'number') {
    if (isBadPortNumber(port)) report(ctx, 'k8s/port', path, invalid(port, PORT_RANGE));
    return;
  }
  if (typeof port !== 'string') return;
  const errs = isPortName(port);
  if (errs.length > 0) report(ctx, 'k8s/port-name', path, invalid(port, errs.join('; ')));
  else if (!portNames.has(port))
    report(ctx, 'k8s/probe-port', path, invalid(port, 'the container declares no port with this name, so the probe cannot connect'));
}

function checkResources(ctx: RuleContext, resources: Record<string, unknown>, path: FieldPath): void {
  const limits = checkResourceList(ctx, asRecord(resources.limits), [...path, 'limits']);
  const requests = checkResourceList(ctx, asRecord(resources.requests), [...path, 'requests']);
  if (!limits || !requests) return;
  for (const [resource, request] of requests) {
    const limit = limits.get(resource);
    if (limit === undefined || request.value <= limit.value) continue;
    report(
      ctx,
      'k8s/requests-limits',
      [...path, 'requests', resource],
      invalid(request.text, `must be less than or equal to ${resource} limit of ${limit.text}`),
    );
  }
}

interface Amount {
  value: number;
  text: string;
}

/** Quantity syntax and sign of a requests/limits/overhead map; the parsed amounts for comparison. */
function checkResourceList(ctx: RuleContext, list: Record<string, unknown> | undefined, path: FieldPath): Map<string, Amount> | undefined {
  if (!list) return undefined;
  const amounts = new Map<string, Amount>();
  for (const resource of Object.keys(list)) {
    const raw = list[resource];
    if (raw === null || raw === undefined) continue;
    const value = parseQuantity(raw);
    if (value === undefined) {
      if (typeof raw === 'string') report(ctx, 'k8s/quantity', [...path, resource], invalid(raw, QUANTITY_MESSAGE));
      continue; // other types: the schema's finding
    }
    if (value < 0) {
      report(ctx, 'k8s/quantity', [...path, resource], invalid(scalarText(raw), 'must be greater than or equal to 0'));
      continue;
    }
    amounts.set(resource, { value, text: scalarText(raw) ?? '' });
  }
  return amounts;
}
