import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { toPosix } from '../util/paths';
import { KUSTOMIZATION_FILES, kustomizationFile } from './kustomize-closure';
import { MissingToolError, ToolRunner } from './tools';

/** A `helmCharts` entry of a kustomization, as far as fetching it goes. */
export interface KustomizeHelmChart {
  name: string;
  version?: string;
  repo?: string;
}

/** A chart of a kustomization's `helmCharts`, fetched by GitOpsCiPublish into the bundle; release.json lists them. */
export interface BundledKustomizeChart extends KustomizeHelmChart {
  /** The kustomization file listing it, relative to `source/`. */
  kustomization: string;
  /** The chart folder in the bundle (under the kustomization's chartHome), relative to `source/`. */
  path: string;
}

interface HelmChartsKustomization {
  helmCharts: KustomizeHelmChart[];
  chartHome: string;
}

/** The `helmCharts` of a kustomization folder and its chartHome (helmGlobals.chartHome, default `charts`), or undefined without any. */
export function readHelmCharts(folder: string): HelmChartsKustomization | undefined {
  const file = kustomizationFile(folder);
  if (!file) return undefined;
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // kustomize reports the syntax error with its own words
  }
  const k = (doc ?? {}) as Record<string, unknown>;
  if (!Array.isArray(k.helmCharts) || k.helmCharts.length === 0) return undefined;
  const helmCharts = (k.helmCharts as unknown[])
    .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && typeof (c as Record<string, unknown>).name === 'string')
    .map((c) => ({
      name: c.name as string,
      ...(typeof c.version === 'string' && c.version !== '' ? { version: c.version } : {}),
      ...(typeof c.repo === 'string' && c.repo !== '' ? { repo: c.repo } : {}),
    }));
  const globals = k.helmGlobals as Record<string, unknown> | undefined;
  const chartHome = typeof globals?.chartHome === 'string' && globals.chartHome !== '' ? globals.chartHome : 'charts';
  return { helmCharts, chartHome };
}

/**
 * The arguments kustomize needs for the `helmCharts` of the folders a build uses (its closure):
 * `--enable-helm` and the resolved helm (kustomize runs `helm` from PATH otherwise, which the agent's
 * installer task need not have put there). None when no kustomization has helmCharts.
 */
export function kustomizeHelmArgs(folders: readonly string[], tools: ToolRunner): string[] {
  const uses = folders.some((f) => fs.existsSync(f) && fs.statSync(f).isDirectory() && readHelmCharts(f) !== undefined);
  if (!uses) return [];
  const helm = tools.which('helm');
  if (!helm) throw new MissingToolError('helm', 'inflate the helmCharts of the kustomization');
  return ['--enable-helm', '--helm-command', helm];
}

/** Where kustomize looks for a chart before pulling it: `chartHome/<name>-<version>/<name>`, or `chartHome/<name>` without a version. */
export function localChartFolder(kustomizationFolder: string, chartHome: string, chart: KustomizeHelmChart): string {
  const home = path.resolve(kustomizationFolder, chartHome);
  return chart.version ? path.join(home, `${chart.name}-${chart.version}`, chart.name) : path.join(home, chart.name);
}

/**
 * Fetches the charts of every kustomization's `helmCharts` under `root` (the bundle's `source/`) into
 * its chartHome, where kustomize finds them instead of pulling: kustomize itself pulls them (a build
 * with `--enable-helm` whose output is not used), so the layout is the one it reads. Charts already
 * in chartHome stay as they are; a build that fails leaves its charts to the render, which reports why.
 */
export async function bundleKustomizeHelmCharts(root: string, tools: ToolRunner): Promise<BundledKustomizeChart[]> {
  const folders = kustomizationFolders(root).filter((f) => readHelmCharts(f)?.helmCharts.some((c) => c.repo));
  if (folders.length === 0) return [];
  const helm = tools.which('helm');
  if (!helm) throw new MissingToolError('helm', 'inflate the helmCharts of the kustomization');
  const kustomize = tools.which('kustomize');
  const kubectl = kustomize ? undefined : tools.which('kubectl');
  if (!kustomize && !kubectl) throw new MissingToolError('kustomize', 'build the Kustomize overlay');
  const out: BundledKustomizeChart[] = [];
  for (const folder of folders) {
    const { helmCharts, chartHome } = readHelmCharts(folder)!;
    const missing = helmCharts.filter((c) => c.repo && !fs.existsSync(localChartFolder(folder, chartHome, c)));
    if (missing.length > 0) {
      const args = ['--enable-helm', '--helm-command', helm, folder];
      await tools.exec(kustomize ?? kubectl!, kustomize ? ['build', ...args] : ['kustomize', ...args], { cwd: folder });
    }
    for (const chart of helmCharts) {
      const local = localChartFolder(folder, chartHome, chart);
      if (!chart.repo || !fs.existsSync(local)) continue;
      out.push({ kustomization: toPosix(path.relative(root, kustomizationFile(folder)!)), ...chart, path: toPosix(path.relative(root, local)) });
    }
  }
  return out;
}

function kustomizationFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (entries.some((e) => e.isFile() && KUSTOMIZATION_FILES.includes(e.name))) out.push(dir);
    for (const entry of entries) if (entry.isDirectory() && entry.name !== '.git') walk(path.join(dir, entry.name));
  };
  walk(root);
  return out;
}
