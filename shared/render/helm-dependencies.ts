import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { Finding } from '../manifests/finding';
import { InputError } from '../util/errors';
import { toPosix } from '../util/paths';
import { commonAncestor, isInside } from './kustomize-closure';
import { ociHost, writeHelmAuthConfig, HelmCredential, RegistryCredentialSource } from './registry-auth';
import type { ToolRunner } from './tools';

/** One entry of Chart.yaml's `dependencies` (or Chart.lock's). */
export interface ChartDependency {
  name: string;
  version: string;
  repository: string;
  alias?: string;
}

/**
 * How the render step gets a chart's dependencies into its `charts/` folder.
 * - `resolve` (the PR gate and CI): archives missing from `charts/` are fetched with
 *   `helm dependency build` from Chart.lock (`helm dependency update` without a lock, only when
 *   `allowUpdate`); this is where repositories and registries are reached.
 * - `bundled` (GitOpsPromote): every archive must already be in `charts/` (the release bundle
 *   holds them); helm is never asked to fetch anything.
 */
export interface HelmDependencySettings {
  mode: 'resolve' | 'bundled';
  allowUpdate?: boolean;
  credentials?: readonly HelmCredential[];
  /** Credentials asked for per OCI registry without one in `credentials` (Azure Container Registry through an AzureRM connection). */
  registryCredentials?: RegistryCredentialSource;
}

export const RESOLVE_DEPENDENCIES: HelmDependencySettings = { mode: 'resolve' };

/** The dependencies a Chart.yaml declares; [] when it declares none or cannot be read (helm reports that). */
export function readChartDependencies(chartDir: string): ChartDependency[] {
  return dependencyList(readYaml(path.join(chartDir, 'Chart.yaml')), 'dependencies');
}

/** Chart.lock's dependencies, or undefined without a lock (requirements.lock for apiVersion v1 charts). */
export function readChartLock(chartDir: string): ChartDependency[] | undefined {
  for (const name of ['Chart.lock', 'requirements.lock']) {
    const file = path.join(chartDir, name);
    if (fs.existsSync(file)) return dependencyList(readYaml(file), 'dependencies');
  }
  return undefined;
}

function readYaml(file: string): unknown {
  try {
    return parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function dependencyList(doc: unknown, key: string): ChartDependency[] {
  const list = (doc as Record<string, unknown> | null | undefined)?.[key];
  if (!Array.isArray(list)) return [];
  return list
    .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object' && typeof (d as { name?: unknown }).name === 'string')
    .map((d) => ({
      name: d.name as string,
      version: d.version === undefined || d.version === null ? '' : String(d.version as string | number),
      repository: typeof d.repository === 'string' ? d.repository : '',
      ...(typeof d.alias === 'string' ? { alias: d.alias } : {}),
    }));
}

/** The folder of a `file://` dependency, or undefined for any other repository. */
export function localDependencyDir(chartDir: string, dependency: ChartDependency): string | undefined {
  if (!dependency.repository.startsWith('file://')) return undefined;
  return path.resolve(chartDir, dependency.repository.slice('file://'.length));
}

/**
 * The chart folder and the folders of its `file://` dependencies, transitively: what a copy of the
 * chart needs so that `helm dependency build` finds `file://../common` beside it.
 */
export function chartClosure(chartDir: string): string[] {
  const seen: string[] = [];
  const visit = (dir: string) => {
    const resolved = path.resolve(dir);
    if (seen.includes(resolved) || !fs.existsSync(path.join(resolved, 'Chart.yaml'))) return;
    seen.push(resolved);
    for (const dependency of readChartDependencies(resolved)) {
      const local = localDependencyDir(resolved, dependency);
      if (local) visit(local);
    }
  };
  visit(chartDir);
  return seen;
}

/**
 * Where a render copies a chart inside `workDir`: `workDir/chart`, or, when `file://` dependencies
 * lie outside the chart folder, `workDir/src/<path>` with those dependencies copied (unchanged) at
 * the same relative places. Returns the folder the chart itself goes to (the caller copies it).
 */
export function copyChartDependencies(chartDir: string, repoRoot: string, workDir: string): string {
  const chart = path.resolve(chartDir);
  const outside = chartClosure(chart).filter((dir) => !isInside(dir, chart));
  if (outside.length === 0) return path.join(workDir, 'chart');
  const root = commonAncestor([chart, ...outside]);
  if (!isInside(root, path.resolve(repoRoot))) {
    throw new InputError(
      'templates',
      `the Helm chart "${toPosix(path.relative(repoRoot, chart))}" has a file:// dependency outside the repository (${toPosix(outside.find((d) => !isInside(d, path.resolve(repoRoot)))!)})`,
    );
  }
  const copyRoot = path.join(workDir, 'src');
  for (const dir of outside) {
    if (isInside(chart, dir)) continue; // the chart itself lies in it; copied by the caller
    fs.cpSync(dir, path.join(copyRoot, path.relative(root, dir)), { recursive: true, filter: (f) => path.basename(f) !== '.git' });
  }
  return path.join(copyRoot, path.relative(root, chart));
}

/** The source folders of a chart's `file://` dependencies by the name helm gives them in its output (alias or name). */
export function dependencySources(chartDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of readChartDependencies(chartDir)) {
    const local = localDependencyDir(chartDir, d);
    if (local) out.set(d.alias ?? d.name, local);
  }
  return out;
}

/** The archive (or unpacked folder) in `charts/` that satisfies a dependency, if any. */
function presentInCharts(chartDir: string, dependency: ChartDependency, locked: ChartDependency | undefined): string | undefined {
  const charts = path.join(chartDir, 'charts');
  if (!fs.existsSync(charts)) return undefined;
  const version = locked?.version ?? dependency.version;
  const exact = path.join(charts, `${dependency.name}-${version}.tgz`);
  if (fs.existsSync(exact)) return exact;
  const unpacked = path.join(charts, dependency.name);
  if (fs.existsSync(path.join(unpacked, 'Chart.yaml'))) return unpacked;
  if (locked) return undefined;
  // Without a lock the constraint may be a range: any archive of the chart vendored in charts/.
  const pattern = new RegExp(`^${escape(dependency.name)}-\\d[^/]*\\.tgz$`);
  const any = fs
    .readdirSync(charts)
    .filter((f) => pattern.test(f))
    .sort();
  return any.length > 0 ? path.join(charts, any[any.length - 1]) : undefined;
}

export interface DependencyContext {
  settings: HelmDependencySettings;
  tools: ToolRunner;
  helm: string;
  /** An empty folder for helm's repository config, cache and registry config; removed by the caller. */
  workDir: string;
  /** Repository-relative name of a copied folder, for messages (the copy's path means nothing to the user). */
  displayPath: (dir: string) => string;
}

/**
 * Makes `charts/` of a chart copy complete: its `file://` dependencies first (depth first), then the
 * chart itself, as the settings allow. Returns error findings naming the dependency and its repository;
 * none when the chart can be rendered.
 */
export async function ensureHelmDependencies(chartDir: string, context: DependencyContext, visited = new Set<string>()): Promise<Finding[]> {
  const resolved = path.resolve(chartDir);
  if (visited.has(resolved)) return [];
  visited.add(resolved);
  const dependencies = readChartDependencies(resolved);
  if (dependencies.length === 0) return [];
  const chartFile = `${context.displayPath(resolved)}/Chart.yaml`;
  const lock = readChartLock(resolved);
  const findings: Finding[] = [];
  const error = (message: string): Finding => ({ rule: 'render/helm-dependency', severity: 'error', message, file: chartFile });

  // A file:// subchart with dependencies of its own is completed before it is packaged into its parent.
  for (const dependency of dependencies) {
    const local = localDependencyDir(resolved, dependency);
    if (!local) continue;
    if (!fs.existsSync(path.join(local, 'Chart.yaml'))) {
      if (!presentInCharts(resolved, dependency, undefined))
        findings.push(error(`Helm dependency "${dependency.name}" (repository ${dependency.repository}): no chart at ${context.displayPath(local)}`));
      continue;
    }
    if (context.settings.mode === 'resolve') findings.push(...(await ensureHelmDependencies(local, context, visited)));
  }
  if (findings.length > 0) return findings;

  const missing = dependencies.filter(
    (d) =>
      !presentInCharts(
        resolved,
        d,
        lock?.find((l) => l.name === d.name),
      ),
  );
  if (missing.length === 0) return [];
  if (context.settings.mode === 'bundled') {
    return missing.map((d) =>
      error(
        `Helm dependency "${d.name}" ${d.version} (repository ${d.repository}) is not in charts/ of the release bundle; GitOpsPromote@1 never fetches dependencies: publish the release again with GitOpsCiPublish@1`,
      ),
    );
  }
  for (const d of dependencies) {
    if (d.repository.startsWith('@') || d.repository.startsWith('alias:'))
      findings.push(
        error(
          `Helm dependency "${d.name}" names its repository "${d.repository}", a local \`helm repo add\` name the pipeline does not have; write the repository URL (https://... or oci://...) in Chart.yaml`,
        ),
      );
    else if (d.repository === '' && !presentInCharts(resolved, d, undefined))
      findings.push(error(`Helm dependency "${d.name}" has no repository and is not in charts/`));
  }
  if (findings.length > 0) return findings;

  let command: 'build' | 'update';
  if (lock) {
    for (const d of dependencies) {
      const locked = lock.find((l) => l.name === d.name);
      if (!locked)
        findings.push(
          error(
            `Helm dependency "${d.name}" ${d.version} (repository ${d.repository}) is not in Chart.lock: run \`helm dependency update\` and commit Chart.lock`,
          ),
        );
      else if (locked.repository !== d.repository)
        findings.push(
          error(
            `Helm dependency "${d.name}": Chart.yaml names repository ${d.repository} but Chart.lock has ${locked.repository}: run \`helm dependency update\` and commit Chart.lock`,
          ),
        );
    }
    if (findings.length > 0) return findings;
    command = 'build';
  } else if (context.settings.allowUpdate) {
    command = 'update';
  } else {
    return [
      error(
        `the chart declares dependencies (${dependencies.map((d) => `"${d.name}" from ${d.repository}`).join(', ')}) but has no Chart.lock: run \`helm dependency update\` and commit Chart.lock, or set helmDependencyUpdate to true to pick the newest matching versions on every run`,
      ),
    ];
  }

  const credentials = [...(context.settings.credentials ?? [])];
  const source = context.settings.registryCredentials;
  if (source) {
    const hosts = [...new Set(dependencies.filter((d) => /^oci:\/\//i.test(d.repository)).map((d) => ociHost(d.repository)))];
    for (const host of hosts.filter((h) => !credentials.some((c) => !/^https?:\/\//i.test(c.url) && ociHost(c.url) === h))) {
      try {
        const credential = await source(host);
        if (credential) credentials.push(credential);
      } catch (err) {
        return dependencies
          .filter((d) => /^oci:\/\//i.test(d.repository) && ociHost(d.repository) === host)
          .map((d) =>
            error(`Helm dependency "${d.name}" ${lock?.find((l) => l.name === d.name)?.version ?? d.version} from ${d.repository}: ${(err as Error).message}`),
          );
      }
    }
  }
  const auth = writeHelmAuthConfig(path.join(context.workDir, `helm-${visited.size}`), dependencies, credentials);
  const args = ['dependency', command, resolved, ...auth.args];
  const run = await context.tools.exec(context.helm, args, { cwd: context.workDir });
  if (run.code === 0) return [];
  return [error(describeHelmDependencyFailure(repositoryUpdateFailure(run.stdout) ?? (run.stderr || run.stdout), dependencies, lock, command))];
}

/**
 * helm reports a repository it could not refresh on stdout and then fails on the missing index
 * file; the first says what happened (401, connection refused).
 */
function repositoryUpdateFailure(stdout: string): string | undefined {
  const m = /Unable to get an update from the "[^"]*" chart repository \(([^)]+)\):\s*\n\s*(.+)/.exec(stdout);
  return m ? `${m[2].trim()}` : undefined;
}

/** helm's error, with the dependency and repository it is about named in front when helm does not say. */
export function describeHelmDependencyFailure(text: string, dependencies: ChartDependency[], lock: ChartDependency[] | undefined, command: string): string {
  const message = text.trim().replace(/^Error: /, '') || `helm dependency ${command} failed without a message`;
  if (/out of sync/.test(message)) {
    const drift = dependencies
      .map((d) => ({ d, locked: lock?.find((l) => l.name === d.name) }))
      .filter(({ d, locked }) => locked && locked.version !== d.version)
      .map(({ d, locked }) => `"${d.name}" asks for ${d.version} (repository ${d.repository}), Chart.lock pins ${locked!.version}`);
    return `Chart.lock does not match the dependencies of Chart.yaml${drift.length > 0 ? ` (${drift.join('; ')})` : ''}: run \`helm dependency update\` and commit Chart.lock (helm: ${message})`;
  }
  const about = dependencies.filter(
    (d) => d.repository !== '' && (message.includes(hostOf(d.repository)) || new RegExp(`\\b${escape(d.name)}\\b`).test(message)),
  );
  // helm does not always say which one ("could not find : entry not found"); a file:// one is never fetched from a repository.
  const remote = dependencies.filter((d) => !d.repository.startsWith('file://'));
  const named = (about.length > 0 ? about : remote.length > 0 ? remote : dependencies).map(
    (d) => `"${d.name}" ${lock?.find((l) => l.name === d.name)?.version ?? d.version} from ${d.repository}`,
  );
  const reason = /connection refused|no such host|dial tcp|i\/o timeout|TLS handshake|EOF/.test(message)
    ? 'repository unreachable'
    : /401|403|unauthorized|forbidden|authentication required|access denied|authorization failed/i.test(message)
      ? 'access denied by the repository (check the credentials of the service connection)'
      : /not found|404/i.test(message)
        ? 'not found in the repository'
        : 'could not be fetched';
  return `Helm dependency ${named.join(', ')}: ${reason}: ${message}`;
}

function hostOf(repository: string): string {
  const m = /^[a-z]+:\/\/([^/]+)/i.exec(repository);
  return m ? m[1] : repository;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ResolvedArchive {
  /** The dependency's name. */
  name: string;
  version: string;
  repository: string;
  /** Path of the archive below the chart folder, e.g. `charts/common-0.2.0.tgz`. */
  file: string;
}

/** The archives a chart's `charts/` holds for its declared dependencies (after ensureHelmDependencies). */
export function resolvedArchives(chartDir: string): ResolvedArchive[] {
  const lock = readChartLock(chartDir);
  const out: ResolvedArchive[] = [];
  for (const d of readChartDependencies(chartDir)) {
    const locked = lock?.find((l) => l.name === d.name);
    const present = presentInCharts(chartDir, d, locked);
    if (present && present.endsWith('.tgz'))
      out.push({ name: d.name, version: locked?.version ?? d.version, repository: d.repository, file: toPosix(path.relative(chartDir, present)) });
  }
  return out;
}

export interface VendorOptions {
  repoRoot: string;
  settings: HelmDependencySettings;
  tools: ToolRunner;
  helm: string;
  /** An empty folder for the copy; removed by the caller. */
  workDir: string;
}

/**
 * Resolves a chart's dependencies in a temporary copy and puts the archives into `charts/` of
 * `chartDir` itself (GitOpsCiPublish: the release bundle's copy of the chart), so that every later
 * render, this task's and GitOpsPromote's, uses exactly these archives without fetching anything.
 */
export async function vendorHelmDependencies(chartDir: string, options: VendorOptions): Promise<{ findings: Finding[]; archives: ResolvedArchive[] }> {
  const chart = path.resolve(chartDir);
  if (readChartDependencies(chart).length === 0) return { findings: [], archives: [] };
  const copy = copyChartDependencies(chart, options.repoRoot, options.workDir);
  fs.cpSync(chart, copy, { recursive: true, filter: (f) => path.basename(f) !== '.git' });
  const findings = await ensureHelmDependencies(copy, {
    settings: options.settings,
    tools: options.tools,
    helm: options.helm,
    workDir: path.join(options.workDir, 'helm-config'),
    displayPath: (dir) => toPosix(path.relative(options.repoRoot, path.resolve(chart, path.relative(copy, dir)))) || '.',
  });
  if (findings.length > 0) return { findings, archives: [] };
  for (const archive of resolvedArchives(copy)) {
    const target = path.join(chart, ...archive.file.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(copy, ...archive.file.split('/')), target);
  }
  return { findings: [], archives: resolvedArchives(chart) };
}
