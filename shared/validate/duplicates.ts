import { apiGroup, describeObject, ManifestObject } from '../manifests/model';
import type { Finding } from '../manifests/finding';

/**
 * The same object twice in one environment: the API server would keep only the last one and Flux
 * refuses the set. Identity is group (not version), kind, namespace and name, as the server sees it.
 */
export function checkDuplicates(objects: ManifestObject[]): Finding[] {
  const first = new Map<string, ManifestObject>();
  const findings: Finding[] = [];
  for (const obj of objects) {
    const key = `${apiGroup(obj.apiVersion)}|${obj.kind}|${obj.namespace ?? ''}|${obj.name}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, obj);
      continue;
    }
    const where = earlier.source.line ? `${earlier.source.file}:${earlier.source.line}` : earlier.source.file;
    findings.push({
      rule: 'manifest/duplicate',
      severity: 'error',
      message: `${describeObject(obj)} is defined twice; the first definition is at ${where}`,
      object: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name },
      ...obj.source,
    });
  }
  return findings;
}
