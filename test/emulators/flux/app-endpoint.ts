/**
 * Test doubles for what runs on a simulated cluster, so smoke checks and rollbacks are tested for
 * real: image patterns that never become Ready (a Kustomization with `wait: true` applying them
 * stays Not Ready, HealthCheckFailed), and a small HTTP endpoint per cluster and namespace whose
 * answer depends on the image tags deployed there. Not Kubernetes: no pods, no probes; the answer
 * is computed from the objects the simulation applied.
 */
import type { KubeObject } from './build';

/** Images matching `pattern` never become Ready (on every cluster, or one). */
export interface ImageFailure {
  pattern: RegExp;
  message: string;
  cluster?: string;
}

/** A scripted answer of the endpoint while a matching image is deployed: `times` answers (every one when omitted). */
export interface AppAnswerRule {
  image: RegExp;
  status: number;
  body?: string;
  times?: number;
  cluster?: string;
  namespace?: string;
}

export interface AppAnswer {
  status: number;
  body: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** The container images of a workload object (pod template, CronJob's job template, or a Pod). */
export function imagesOf(o: KubeObject): string[] {
  if (!WORKLOAD_KINDS.has(o.kind)) return [];
  type PodSpec = { containers?: { image?: unknown }[]; initContainers?: { image?: unknown }[] };
  const spec = (o as { spec?: Record<string, unknown> }).spec ?? {};
  const pod: PodSpec | undefined =
    o.kind === 'Pod'
      ? spec
      : o.kind === 'CronJob'
        ? (spec.jobTemplate as { spec?: { template?: { spec?: PodSpec } } } | undefined)?.spec?.template?.spec
        : (spec.template as { spec?: PodSpec } | undefined)?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].map((c) => c.image).filter((i): i is string => typeof i === 'string');
}

/** The first image failure that applies to an object on a cluster. */
export function imageFailureOf(failures: readonly ImageFailure[], cluster: string, o: KubeObject): { image: string; failure: ImageFailure } | undefined {
  for (const failure of failures) {
    if (failure.cluster !== undefined && failure.cluster.toLowerCase() !== cluster.toLowerCase()) continue;
    const image = imagesOf(o).find((i) => failure.pattern.test(i));
    if (image !== undefined) return { image, failure };
  }
  return undefined;
}

/**
 * The endpoint's answer for the workloads of one namespace: 404 when none runs there, 503 while an
 * image that never becomes Ready is deployed, a scripted answer while one applies, else 200 with
 * the images (so a smoke check can match the tag: `~web:1\.5\.0`).
 */
export function appAnswer(
  cluster: string,
  namespace: string,
  objects: readonly KubeObject[],
  failures: readonly ImageFailure[],
  rules: AppAnswerRule[],
): AppAnswer {
  const workloads = objects.filter((o) => (o.metadata.namespace ?? '') === namespace && imagesOf(o).length > 0);
  if (workloads.length === 0) return { status: 404, body: `no workload runs in namespace ${namespace} on ${cluster}\n` };
  const images = [...new Set(workloads.flatMap(imagesOf))].sort();
  for (const o of workloads) {
    const failed = imageFailureOf(failures, cluster, o);
    if (failed) return { status: 503, body: `${o.kind} ${namespace}/${o.metadata.name} is not ready: ${failed.image}: ${failed.failure.message}\n` };
  }
  const rule = rules.find(
    (r) =>
      (r.times === undefined || r.times > 0) &&
      (r.cluster === undefined || r.cluster.toLowerCase() === cluster.toLowerCase()) &&
      (r.namespace === undefined || r.namespace === namespace) &&
      images.some((i) => r.image.test(i)),
  );
  if (rule) {
    if (rule.times !== undefined) rule.times--;
    return { status: rule.status, body: rule.body ?? `scripted answer ${rule.status}\n` };
  }
  return { status: 200, body: `${JSON.stringify({ cluster, namespace, images })}\n` };
}
