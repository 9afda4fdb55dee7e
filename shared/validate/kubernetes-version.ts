/** A Kubernetes minor release: `{ major: 1, minor: 31 }` for `v1.31.2`. */
export interface KubernetesVersion {
  major: number;
  minor: number;
}

const VERSION = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/;

/**
 * Reads `1.31`, `v1.31`, `1.31.2` or `v1.31.2` (the patch is ignored: APIs change only between
 * minor releases). Anything else, including pre-release suffixes and major versions other than 1,
 * is an error that names the `kubernetesVersion` input.
 */
export function parseKubernetesVersion(input: string): KubernetesVersion {
  const match = VERSION.exec(typeof input === 'string' ? input.trim() : '');
  if (!match || Number(match[1]) !== 1) {
    throw new Error(`kubernetesVersion ${JSON.stringify(input)} is not a Kubernetes version: use a form like 1.31, v1.31 or 1.31.2`);
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}
