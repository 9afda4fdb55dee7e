import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../util/paths';

export { isInside } from '../util/paths';
import { parse } from 'yaml';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export function kustomizationFile(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The local folders and files a kustomization needs (its resources, components, patches, generator
 * files, ...), followed transitively. The render step copies their common ancestor so that overlays
 * referring to `../../base` still build from the temporary copy. Remote references are skipped.
 */
export function kustomizationClosure(dir: string): string[] {
  const seen = new Set<string>();
  const paths: string[] = [];
  const visit = (folder: string) => {
    const resolved = path.resolve(folder);
    if (seen.has(resolved)) return;
    seen.add(resolved);
    paths.push(resolved);
    const file = kustomizationFile(resolved);
    if (!file) return;
    let doc: unknown;
    try {
      doc = parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return; // kustomize itself reports the syntax error with its own words
    }
    for (const ref of localReferences(doc)) {
      const target = path.resolve(resolved, ref);
      if (!fs.existsSync(target)) continue;
      if (fs.statSync(target).isDirectory()) visit(target);
      else paths.push(target);
    }
  };
  visit(dir);
  return paths;
}

function localReferences(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const k = doc as Record<string, unknown>;
  const refs: string[] = [];
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  for (const key of ['resources', 'bases', 'components', 'crds', 'configurations', 'patchesStrategicMerge', 'transformers', 'generators', 'validators']) {
    refs.push(...strings(k[key]));
  }
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    if (Array.isArray(k[key])) for (const p of k[key] as unknown[]) if (isRecord(p) && typeof p.path === 'string') refs.push(p.path);
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    if (!Array.isArray(k[key])) continue;
    for (const g of k[key] as unknown[]) {
      if (!isRecord(g)) continue;
      for (const f of [...strings(g.files), ...strings(g.envs)]) refs.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      if (typeof g.env === 'string') refs.push(g.env);
    }
  }
  if (isRecord(k.helmGlobals) && typeof k.helmGlobals.chartHome === 'string') refs.push(k.helmGlobals.chartHome);
  else if (Array.isArray(k.helmCharts) && k.helmCharts.length > 0) refs.push('charts');
  if (isRecord(k.openapi) && typeof k.openapi.path === 'string') refs.push(k.openapi.path);
  // Inline YAML (a transformer written in place) contains newlines; URLs and git references are remote.
  return refs.filter((r) => !r.includes('\n') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(r) && !/^(git@|github\.com\/|gitlab\.com\/)/.test(r));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The deepest folder that contains every path. */
export function commonAncestor(paths: string[]): string {
  const dirOf = (p: string) => (fs.existsSync(p) && fs.statSync(p).isDirectory() ? p : path.dirname(p));
  let common = dirOf(paths[0]);
  for (const p of paths) {
    const dir = dirOf(p);
    while (!isInside(dir, common)) common = path.dirname(common);
  }
  return common;
}
