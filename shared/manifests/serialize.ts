import { dump } from 'js-yaml';
import { apiGroup, describeObject, ManifestObject, ObjectRef } from './model';

/**
 * Rendered objects as the files of a GitOps folder: one YAML file per object, named after what it
 * is (`deployment-web.yaml`), so a promotion's pull request shows one diff per object and a removed
 * object is a deleted file. Names are qualified (namespace, then API group) only where two objects
 * would share one. The same objects always give the same bytes, so an unchanged release is no commit.
 */
export function manifestFiles(objects: readonly ManifestObject[]): Map<string, string> {
  const names = objects.map((o) => fileName(o, 0));
  for (let level = 1; level <= 2; level++) {
    const counts = countOf(names);
    objects.forEach((o, i) => {
      if (counts.get(names[i])! > 1) names[i] = fileName(o, level);
    });
  }
  const counts = countOf(names);
  const clash = objects.find((_, i) => counts.get(names[i])! > 1);
  if (clash) throw new Error(`${describeObject(clash)} (${clash.apiVersion}) is rendered more than once; remove the duplicate before promoting`);

  const files = new Map<string, string>();
  objects.forEach((o, i) => files.set(names[i], serializeObject(o.body)));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * One object as YAML that Kubernetes tooling reads back to the same values: every string that
 * YAML 1.1 or 1.2 would take for something else (`yes`, `on`, `0755`, `1e3`, `2024-01-01`) is
 * quoted, long strings are never folded, and no anchors are made.
 */
export function serializeObject(body: Record<string, unknown>): string {
  return dump(body, { lineWidth: -1, noRefs: true });
}

/** `kind-name.yaml`, then `namespace.kind-name.yaml`, then with the API group as well. */
function fileName(o: ObjectRef, level: number): string {
  const parts = [`${o.kind}-${o.name}`];
  if (level >= 1) parts.unshift(o.namespace ?? '_cluster');
  if (level >= 2) parts.push(apiGroup(o.apiVersion) || 'core');
  return `${parts.map(safe).join('.')}.yaml`;
}

function safe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._-]+/g, '_');
}

function countOf(names: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}
