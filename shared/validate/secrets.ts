import { describeObject, ManifestObject, ObjectRef } from '../manifests/model';
import type { Finding } from '../manifests/finding';
import { hasSopsMetadata, isSopsValue } from '../manifests/sops';

const ADVICE = 'GitOps repositories must not hold plaintext secrets: encrypt it with SOPS or use a SealedSecret / external secret';

const SECRET_FIELDS = ['data', 'stringData'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An empty value gives nothing away, so it does not count as a plaintext secret. */
function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

/**
 * Plaintext `v1 Secret` values in the repository (`secret/plaintext`, an error). A Secret passes
 * when its `data` and `stringData` are absent or hold only empty values, or when it is
 * SOPS-encrypted: a `sops` metadata block and every non-empty value in `ENC[...]` form. With a
 * `sops` block, each value left in plaintext is reported at its own key. Without one, each
 * non-empty `data` / `stringData` block is reported at its key, naming the keys it holds. Other
 * kinds (SealedSecret, ExternalSecret, ...) are not Secrets and pass. No message ever contains a
 * value.
 */
export function checkSecrets(objects: ManifestObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const obj of objects) {
    if (obj.apiVersion !== 'v1' || obj.kind !== 'Secret') continue;
    const object: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.namespace, name: obj.name };
    const subject = describeObject(obj);
    const sops = hasSopsMetadata(obj.body);
    for (const field of SECRET_FIELDS) {
      const values = obj.body[field];
      if (!isObject(values)) continue;
      const keys = Object.keys(values).filter((key) => !isEmpty(values[key]));
      if (keys.length === 0) continue;
      if (sops) {
        for (const key of keys) {
          const value = values[key];
          if (isSopsValue(value)) continue;
          findings.push({
            rule: 'secret/plaintext',
            severity: 'error',
            message: `${subject} has a sops block but ${field}.${key} is not encrypted; ${ADVICE}`,
            object,
            ...obj.locate([field, key]),
          });
        }
      } else {
        findings.push({
          rule: 'secret/plaintext',
          severity: 'error',
          message: `${subject} holds plaintext ${field} (keys: ${keys.join(', ')}); ${ADVICE}`,
          object,
          ...obj.locate([field]),
        });
      }
    }
  }
  return findings;
}
