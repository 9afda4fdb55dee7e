/**
 * SOPS-encrypted documents as Flux's kustomize-controller sees them: it decrypts every value written as
 * `ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]` and drops the top-level `sops` block before applying.
 */

/** A value SOPS wrote: `ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`. */
const SOPS_VALUE = /^ENC\[[A-Z0-9_]+,data:[^,\]]*,.*type:[a-z]+\]$/;

export function isSopsValue(value: unknown): boolean {
  return typeof value === 'string' && SOPS_VALUE.test(value);
}

/** A top-level `sops` block carrying SOPS metadata (its MAC, version or last-modified stamp). */
export function hasSopsMetadata(body: Record<string, unknown>): boolean {
  const sops = body.sops;
  return typeof sops === 'object' && sops !== null && !Array.isArray(sops) && ('mac' in sops || 'version' in sops || 'lastmodified' in sops);
}
