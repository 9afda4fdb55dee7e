import * as fs from 'node:fs';
import * as path from 'node:path';
import { HelmDependencySettings, vendorHelmDependencies } from '../render/helm-dependencies';
import type { ToolRunner } from '../render/tools';
import { InputError } from '../util/errors';
import { toPosix } from '../util/paths';
import { sha256 } from './bundle';
import { SOURCE_FOLDER } from './release-manifest';

/** A Helm chart dependency archive the release bundle holds, as release.json lists it. */
export interface ReleaseDependency {
  /** The chart that depends on it, repository-relative. */
  chart: string;
  name: string;
  version: string;
  repository: string;
  /** Bundle-relative path of the archive, e.g. `source/deploy/chart/charts/common-0.2.0.tgz`. */
  file: string;
  sha256: string;
}

export interface BundleDependencyOptions {
  settings: HelmDependencySettings;
  tools: ToolRunner;
  /** An empty folder; removed by the caller. */
  workDir: string;
}

/**
 * Fetches the dependencies of each Helm chart of the staged bundle (`bundleDir/source/<chart>`) into
 * its `charts/`, where they become files of the bundle: GitOpsPromote renders with them and never
 * reaches a repository. Charts that do not resolve are left as they are; rendering reports why.
 */
export async function bundleHelmDependencies(bundleDir: string, charts: readonly string[], options: BundleDependencyOptions): Promise<ReleaseDependency[]> {
  const sourceRoot = path.join(bundleDir, SOURCE_FOLDER);
  const chartsHere = [...new Set(charts)].sort().filter((chart) => fs.existsSync(path.join(sourceRoot, ...chart.split('/'), 'Chart.yaml')));
  if (chartsHere.length === 0) return []; // plain YAML or Kustomize: no helm lookup (it would load the tool runner)
  const helm = options.tools.which('helm');
  if (!helm) return []; // rendering stops with the missing-tool error
  const out: ReleaseDependency[] = [];
  for (const [index, chart] of chartsHere.entries()) {
    const chartDir = path.join(sourceRoot, ...chart.split('/'));
    let vendored: Awaited<ReturnType<typeof vendorHelmDependencies>>;
    try {
      vendored = await vendorHelmDependencies(chartDir, {
        repoRoot: sourceRoot,
        settings: options.settings,
        tools: options.tools,
        helm,
        workDir: path.join(options.workDir, `chart-${index}`),
      });
    } catch (err) {
      if (err instanceof InputError) continue; // the render reports the same input error
      throw err;
    }
    for (const archive of vendored.archives) {
      const abs = path.join(chartDir, ...archive.file.split('/'));
      out.push({
        chart,
        name: archive.name,
        version: archive.version,
        repository: archive.repository,
        file: toPosix(path.relative(bundleDir, abs)),
        sha256: sha256(fs.readFileSync(abs)),
      });
    }
  }
  return out;
}

/** Every dependency release.json lists must be a file of the bundle with the same digest (checked against `files`). */
export function dependencyProblems(dependencies: readonly ReleaseDependency[] | undefined, files: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const d of dependencies ?? []) {
    if (!d || typeof d.file !== 'string') problems.push('helmDependencies: malformed entry');
    else if (files[d.file] === undefined) problems.push(`${d.file}: Helm dependency "${d.name}" is not a file of the release`);
    else if (files[d.file] !== d.sha256) problems.push(`${d.file}: Helm dependency "${d.name}" has another digest than release.json records for it`);
  }
  return problems;
}
