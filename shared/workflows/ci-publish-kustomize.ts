import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import type { Finding } from '../manifests/finding';
import { kustomizationClosure, kustomizationFile } from '../render/kustomize-closure';
import { unpinnedRemoteWarnings } from '../render/kustomize-remote';
import { BundledKustomizeChart, bundleKustomizeHelmCharts } from '../render/kustomize-helm-charts';
import { hasKustomizeRemotes, remoteCredentials, vendorKustomizeRemotes, VendoredRemote } from '../render/kustomize-vendor';
import type { ToolRunner } from '../render/tools';
import { forEnvironment } from '../util/paths';

export interface KustomizeRemoteSelection {
  /** Repository-relative, may hold `{environment}`. */
  templates: string;
  kustomization?: string;
  environments: readonly string[];
}

export interface BundledKustomizeRemotes {
  remotes: VendoredRemote[];
  /** The charts of the kustomizations' `helmCharts`, fetched into their chartHome. */
  helmCharts: BundledKustomizeChart[];
  /**
   * The unpinned-remote warnings of each environment, as the gate reports them: once the bundle's
   * kustomizations point at the fetched copies the render no longer sees the remote references.
   */
  warnings: Map<string, Finding[]>;
}

/**
 * Fetches the remote parts of the staged bundle's kustomizations (kustomize-vendor.ts) and the charts
 * of their `helmCharts` (kustomize-helm-charts.ts) into the bundle, so that CI validates, and
 * GitOpsPromote renders, the very files fetched now. Nothing to do (and no git or helm lookup) when no
 * kustomization lists a remote part or a chart from a repository.
 */
export async function bundleKustomizeRemotes(
  agent: Agent,
  sourceRoot: string,
  selection: KustomizeRemoteSelection,
  tools: ToolRunner,
  workDir: string,
): Promise<BundledKustomizeRemotes> {
  const warnings = new Map<string, Finding[]>();
  const remotes = hasKustomizeRemotes(sourceRoot) ? await fetchRemotes(agent, sourceRoot, selection, tools, workDir, warnings) : [];
  // After the remote parts: a remote base may list helmCharts of its own.
  const helmCharts = await bundleKustomizeHelmCharts(sourceRoot, tools);
  for (const c of helmCharts)
    agent.info(`Kustomize helmCharts ${c.name}${c.version ? ` ${c.version}` : ''} from ${c.repo} (${c.kustomization}): bundled as source/${c.path}`);
  return { remotes, helmCharts, warnings };
}

async function fetchRemotes(
  agent: Agent,
  sourceRoot: string,
  selection: KustomizeRemoteSelection,
  tools: ToolRunner,
  workDir: string,
  warnings: Map<string, Finding[]>,
): Promise<VendoredRemote[]> {
  for (const environment of selection.environments) {
    const roots = [selection.templates, selection.kustomization]
      .filter((p): p is string => typeof p === 'string' && p !== '')
      .map((p) => path.join(sourceRoot, ...forEnvironment(p, environment).split('/')));
    warnings.set(environment, unpinnedRemoteWarnings(kustomizationFolders(roots), sourceRoot));
  }
  for (const secret of remoteCredentials(sourceRoot)) agent.setSecret(secret); // git's command line is logged
  const remotes = await vendorKustomizeRemotes(sourceRoot, { tools, workDir });
  for (const r of remotes) {
    const at = r.kind === 'git' ? ` at ${r.ref ? `"${r.ref}" = ` : ''}${r.commit}` : '';
    agent.info(`Kustomize remote ${r.kind === 'git' ? 'base' : 'file'} ${r.url}${at} (${r.kustomization}): bundled as source/${r.path}`);
  }
  return remotes;
}

/** Every kustomization folder under the roots (a plain folder's subfolders too) and the folders they use. */
function kustomizationFolders(roots: string[]): string[] {
  const out = new Set<string>();
  const walk = (dir: string) => {
    if (kustomizationFile(dir)) for (const p of kustomizationClosure(dir)) out.add(p);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory() && entry.name !== '.git') walk(path.join(dir, entry.name));
  };
  for (const root of roots) if (fs.existsSync(root) && fs.statSync(root).isDirectory()) walk(root);
  return [...out];
}
