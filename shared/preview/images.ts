/**
 * The container images an object runs: every `containers`, `initContainers` and
 * `ephemeralContainers` list anywhere in it (Pods, workloads' pod templates, CronJobs' job
 * templates, custom resources that embed a pod spec), by container name.
 */

export interface ImageChange {
  /** `Deployment voting/web`. */
  object: string;
  container: string;
  /** undefined: the container (or object) is new. */
  before?: string;
  /** undefined: the container (or object) is gone. */
  after?: string;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Container label (`web`, `init:migrate`) -> image. */
export function imagesOf(body: unknown): Map<string, string> {
  const images = new Map<string, string>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (CONTAINER_LISTS.has(key) && Array.isArray(value)) {
        value.forEach((c, i) => {
          if (typeof c !== 'object' || c === null) return;
          const { name, image } = c as { name?: unknown; image?: unknown };
          if (typeof image !== 'string') return;
          const label = `${key === 'containers' ? '' : `${key === 'initContainers' ? 'init' : 'ephemeral'}:`}${typeof name === 'string' ? name : `#${i}`}`;
          images.set(label, image);
        });
      } else walk(value);
    }
  };
  walk(body);
  return images;
}

/** The images that differ between two versions of one object (either may be missing). */
export function imageChanges(object: string, before: unknown, after: unknown): ImageChange[] {
  const b = before === undefined ? new Map<string, string>() : imagesOf(before);
  const a = after === undefined ? new Map<string, string>() : imagesOf(after);
  const out: ImageChange[] = [];
  for (const container of [...new Set([...a.keys(), ...b.keys()])]) {
    if (b.get(container) !== a.get(container)) out.push({ object, container, before: b.get(container), after: a.get(container) });
  }
  return out;
}
