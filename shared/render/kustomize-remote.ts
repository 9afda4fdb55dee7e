import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { Finding } from '../manifests/finding';
import { toPosix } from '../util/paths';
import { kustomizationFile } from './kustomize-closure';

/** A remote reference of a kustomization: a URL, a `git::` source, or `github.com/...`. */
export function isRemoteReference(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^git::/i.test(ref) || /^(git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)/i.test(ref);
}

/**
 * The ref a remote reference pins, or undefined without one: `?ref=` / `?version=`, or the
 * `//path@ref` form kustomize accepts as well.
 */
export function remoteRef(ref: string): string | undefined {
  const query = /[?&](?:ref|version)=([^&]+)/.exec(ref);
  if (query) return decodeURIComponent(query[1]);
  return undefined;
}

/** A commit id or a version tag is reproducible; a branch name (or nothing) follows whatever is pushed next. */
export function isPinnedRef(ref: string | undefined): boolean {
  if (!ref) return false;
  return /^[0-9a-f]{40}$/i.test(ref) || /^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$/.test(ref);
}

/**
 * Warnings for the remote git references of a kustomization and the local kustomizations it uses
 * (`folders`: its closure): a branch or no ref renders differently as that branch moves. Plain file
 * URLs (https://…/x.yaml) are not git references and are left alone.
 */
export function unpinnedRemoteWarnings(folders: readonly string[], repoRoot: string): Finding[] {
  const findings: Finding[] = [];
  for (const folder of folders) {
    const file = fs.existsSync(folder) && fs.statSync(folder).isDirectory() ? kustomizationFile(folder) : undefined;
    if (!file) continue;
    let doc: unknown;
    try {
      doc = parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const k = (doc ?? {}) as Record<string, unknown>;
    for (const key of ['resources', 'bases', 'components']) {
      const list = Array.isArray(k[key]) ? (k[key] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
      for (const ref of list) {
        if (!isRemoteReference(ref) || /\.ya?ml(\?.*)?$/i.test(ref.split('//').pop() ?? '')) continue;
        const pinned = remoteRef(ref);
        if (isPinnedRef(pinned)) continue;
        const index = lines.findIndex((l) => l.includes(ref));
        findings.push({
          rule: 'render/unpinned-remote',
          severity: 'warning',
          message: `Remote ${key === 'components' ? 'component' : 'base'} "${ref}" ${pinned ? `follows the branch or name "${pinned}"` : 'has no ref'}: it renders whatever is pushed there next, so the release is not reproducible; pin a commit id or a version tag (?ref=v1.2.3)`,
          file: toPosix(path.relative(repoRoot, file)),
          ...(index >= 0 ? { line: index + 1 } : {}),
        });
      }
    }
  }
  return findings;
}
