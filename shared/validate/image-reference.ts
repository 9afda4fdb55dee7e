import { parseImageReference } from '../images/reference';
import { describeObject, ManifestObject } from '../manifests/model';
import type { Finding } from '../manifests/finding';
import { containersOf, podTemplateOf } from './policy';

/**
 * Every container, init container and ephemeral container image of the built-in workloads must
 * parse as an image reference: one that does not (`$REPO/web:v3` left unsubstituted, an uppercase
 * path, a bad tag or digest) can never be pulled, so the rollout would hang in InvalidImageName.
 * A missing or non-string image is left to the schema check. Points at the `image` line.
 */
export function checkImageReferences(objects: readonly ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const obj of objects) {
    const template = podTemplateOf(obj);
    if (!template) continue;
    for (const container of containersOf(template)) {
      const image = container.body.image;
      if (typeof image !== 'string') continue;
      try {
        parseImageReference(image);
      } catch (err) {
        findings.push({
          rule: 'manifest/image-reference',
          severity: 'error',
          message: `${container.label} in ${describeObject(obj)}: ${(err as Error).message}; the image can never be pulled`,
          object: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name },
          ...obj.locate([...container.path, 'image']),
        });
      }
    }
  }
  return findings;
}
