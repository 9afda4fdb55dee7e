import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { FieldPath, ManifestObject, SourceLocation } from '../manifests/model';
import { parseManifests } from '../manifests/parse';
import type { Finding } from '../manifests/finding';
import { InputError } from '../util/errors';
import { toPosix } from '../util/paths';
import {
  copyChartDependencies,
  dependencySources,
  HelmDependencySettings,
  RESOLVE_DEPENDENCIES,
  ensureHelmDependencies,
  readChartDependencies,
} from './helm-dependencies';
import { commonAncestor, isInside, kustomizationClosure, kustomizationFile } from './kustomize-closure';
import { substituteYaml, VariableSyntax, Variables } from './substitute';
import { renderHelmKustomize } from './helm-kustomize';
import { kustomizeHelmArgs } from './kustomize-helm-charts';
import { unpinnedRemoteWarnings } from './kustomize-remote';
import { MissingToolError, ToolRunner } from './tools';
import { valuesFileMatcher } from './values-files';
import { locatedAt, matchingSource } from './locate-at-source';

export type RendererKind = 'helm' | 'kustomize' | 'plain' | 'helm-kustomize';

export interface RenderRequest {
  /** The repository checkout; every file in a finding is relative to it. */
  repoRoot: string;
  /** Absolute folder holding the templates for this environment. */
  templates: string;
  renderer: 'auto' | RendererKind;
  environment: string;
  variables: Variables;
  /** Absolute Helm values files for this environment, in order. */
  helmValuesFiles: string[];
  /**
   * The valuesFile and helmValuesFiles patterns (relative to repoRoot or absolute, `{environment}`
   * standing for any environment): the files they name are values, never manifests, so the plain
   * renderer skips them when they lie inside the templates folder.
   */
  valuesFiles: readonly string[];
  /** Helm release name. */
  releaseName: string;
  /** Helm `--namespace`, when given. */
  namespace?: string;
  /** Passed to `helm template --kube-version`. */
  kubernetesVersion?: string;
  /** An empty folder this render may use; removed afterwards. */
  workDir: string;
  tools: ToolRunner;
  /** `flux` (default): only `${NAME}` is substituted; `envsubst`: `$NAME` too (the reference scripts' templates). */
  variableSyntax?: VariableSyntax;
  /**
   * Files the render writes into its copy as given, not substituted (absolute repository paths ->
   * content): the Helm output the helm-kustomize renderer puts into the kustomization.
   */
  generatedFiles?: ReadonlyMap<string, string>;
  /** helm-kustomize: the kustomization folder (absolute) to build after the Helm output is written. */
  kustomization?: string;
  /** helm-kustomize: where the Helm output goes, relative to `kustomization` (default `manifests.yaml`). */
  helmOutput?: string;
  /** Receives each template file's substituted text (repository-relative path), e.g. for GitOpsPromote's templatesFolder. */
  onSubstituted?: (file: string, text: string) => void;
  /** How a chart's dependencies get into charts/; fetched when missing unless said otherwise (helm-dependencies.ts). */
  helmDependencies?: HelmDependencySettings;
}

export interface RenderedEnvironment {
  environment: string;
  renderer: RendererKind;
  objects: ManifestObject[];
  /** Substitution, rendering and YAML errors. Validation findings come later. */
  findings: Finding[];
  /** Number of template files read. */
  files: number;
}

const YAML_FILE = /\.ya?ml$/i;

/** Picks the renderer for a templates folder: a Helm chart, a kustomization, or plain YAML. */
export function detectRenderer(templates: string): RendererKind {
  if (fs.existsSync(path.join(templates, 'Chart.yaml'))) return 'helm';
  if (kustomizationFile(templates)) return 'kustomize';
  return 'plain';
}

/**
 * Renders one environment: copies the templates to a work folder, substitutes the environment's
 * variables in every YAML file (strictly), then runs helm or kustomize, or reads plain YAML.
 * Every object keeps a way back to the template file it came from.
 */
export async function renderEnvironment(request: RenderRequest): Promise<RenderedEnvironment> {
  const templates = path.resolve(request.templates);
  if (!fs.existsSync(templates) || !fs.statSync(templates).isDirectory()) {
    throw new InputError(
      'templates',
      `the templates folder "${toPosix(path.relative(request.repoRoot, templates) || templates)}" does not exist${request.environment ? ` (environment "${request.environment}")` : ''}`,
    );
  }
  const renderer = request.renderer === 'auto' ? detectRenderer(templates) : request.renderer;
  fs.mkdirSync(request.workDir, { recursive: true });
  try {
    switch (renderer) {
      case 'plain':
        return await renderPlain(request, templates);
      case 'helm':
        return await renderHelm(request, templates);
      case 'kustomize':
        return await renderKustomize(request, templates);
      case 'helm-kustomize':
        return await renderHelmKustomize(request, templates, renderEnvironment);
    }
  } finally {
    fs.rmSync(request.workDir, { recursive: true, force: true });
  }
}

/**
 * Plain YAML, read as Flux's kustomize-controller reads a path without a kustomization.yaml: it generates one
 * listing every YAML file, except that a subfolder holding a kustomization.yaml is one kustomize build (a
 * resource of the generated kustomization) whose files are not read one by one. YAML is read as kustomize reads
 * it (YAML 1.2: `yes` and `no` are strings).
 */
async function renderPlain(request: RenderRequest, templates: string): Promise<RenderedEnvironment> {
  const result: RenderedEnvironment = { environment: request.environment, renderer: 'plain', objects: [], findings: [], files: 0 };
  const isValuesFile = valuesFileMatcher(request.repoRoot, request.valuesFiles);
  let builds = 0;
  for (const entry of fluxPathEntries(templates)) {
    if (entry.kustomization) {
      const built = await renderKustomize({ ...request, workDir: path.join(request.workDir, `kustomization-${++builds}`) }, entry.path);
      result.objects.push(...built.objects);
      result.findings.push(...built.findings);
      result.files += built.files;
      continue;
    }
    const file = entry.path;
    if (!YAML_FILE.test(file) || isValuesFile(file)) continue;
    const rel = relativeTo(request.repoRoot, file);
    const text = substituteFile(file, rel, request.variables, result.findings, request.variableSyntax, request.onSubstituted);
    result.files++;
    if (text === undefined) continue;
    const parsed = parseManifests(text, rel, { yaml: '1.2' });
    result.objects.push(...parsed.objects);
    result.findings.push(...parsed.errors);
  }
  return result;
}

interface FluxPathEntry {
  path: string;
  /** A subfolder holding a kustomization file: built, not read file by file. */
  kustomization: boolean;
}

/** The files of a folder in walk order, with each subfolder that holds a kustomization file as one entry. */
function fluxPathEntries(dir: string): FluxPathEntry[] {
  const out: FluxPathEntry[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (SKIPPED_FOLDERS.has(entry.name)) continue;
        if (kustomizationFile(full)) out.push({ path: full, kustomization: true });
        else walk(full);
      } else if (entry.isFile()) {
        out.push({ path: full, kustomization: false });
      }
    }
  };
  walk(dir);
  return out;
}

async function renderHelm(request: RenderRequest, chartDir: string): Promise<RenderedEnvironment> {
  const result: RenderedEnvironment = { environment: request.environment, renderer: 'helm', objects: [], findings: [], files: 0 };
  const helm = request.tools.which('helm');
  if (!helm) throw new MissingToolError('helm', 'render the Helm chart');
  // file:// dependencies outside the chart folder are copied beside it, as they are (see helm-dependencies.ts).
  const copy = copyChartDependencies(chartDir, request.repoRoot, request.workDir);
  result.files = copyAndSubstitute(request, chartDir, copy, (f) => YAML_FILE.test(f), result.findings);
  const valuesArgs: string[] = [];
  request.helmValuesFiles.forEach((file, index) => {
    const rel = relativeTo(request.repoRoot, file);
    if (!fs.existsSync(file)) throw new InputError('helmValuesFiles', `the Helm values file "${rel}" does not exist (environment "${request.environment}")`);
    const text = substituteFile(file, rel, request.variables, result.findings, request.variableSyntax, request.onSubstituted);
    result.files++;
    if (text === undefined) return;
    const target = path.join(request.workDir, `values-${index}-${path.basename(file)}`);
    fs.writeFileSync(target, text);
    valuesArgs.push('--values', target);
  });
  if (result.findings.length > 0) return result; // strict: never render with a variable left unresolved
  if (readChartDependencies(copy).length > 0) {
    result.findings.push(
      ...(await ensureHelmDependencies(copy, {
        settings: request.helmDependencies ?? RESOLVE_DEPENDENCIES,
        tools: request.tools,
        helm,
        workDir: path.join(request.workDir, 'helm-config'),
        displayPath: (dir) => relativeTo(request.repoRoot, path.resolve(chartDir, path.relative(copy, dir))) || '.',
      })),
    );
    if (result.findings.length > 0) return result;
  }

  const args = ['template', request.releaseName, copy, '--include-crds', ...valuesArgs];
  if (request.namespace) args.push('--namespace', request.namespace);
  if (request.kubernetesVersion) args.push('--kube-version', request.kubernetesVersion);
  const run = await request.tools.exec(helm, args, { cwd: request.workDir });
  const chartName = readChartName(chartDir);
  const subcharts = dependencySources(chartDir);
  const sourceOf = (chartPath: string) => {
    const parts = chartPath.split('/').slice(1);
    // A file:// subchart's templates point at its own folder, not at charts/ of the copy.
    const local = parts[0] === 'charts' ? subcharts.get(parts[1]) : undefined;
    return relativeTo(request.repoRoot, local ? path.join(local, ...parts.slice(2)) : path.join(chartDir, parts.join('/')));
  };
  if (run.code !== 0) {
    result.findings.push(
      toolFailure('helm', run.stderr, relativeTo(request.repoRoot, path.join(chartDir, 'Chart.yaml')), (text) => helmErrorLocation(text, chartName, sourceOf)),
    );
    return result;
  }
  const templatesText = new Map<string, string[]>();
  const sourceMarkers = helmSourceMarkers(run.stdout);
  const parsed = parseManifests(run.stdout, relativeTo(request.repoRoot, chartDir), {
    mapLocation: (location, fieldPath) => {
      const marker = [...sourceMarkers].reverse().find((m) => m.line <= (location.line ?? 0));
      if (!marker) return { file: location.file };
      const file = sourceOf(marker.source);
      let lines = templatesText.get(file);
      if (!lines) {
        const absolute = path.join(request.repoRoot, file);
        lines = fs.existsSync(absolute) ? fs.readFileSync(absolute, 'utf8').split('\n') : [];
        templatesText.set(file, lines);
      }
      return { file, line: findKeyLine(lines, fieldPath) };
    },
  });
  result.objects.push(...parsed.objects);
  result.findings.push(...parsed.errors);
  return result;
}

async function renderKustomize(request: RenderRequest, dir: string): Promise<RenderedEnvironment> {
  const result: RenderedEnvironment = { environment: request.environment, renderer: 'kustomize', objects: [], findings: [], files: 0 };
  const kustomize = request.tools.which('kustomize');
  const kubectl = kustomize ? undefined : request.tools.which('kubectl');
  if (!kustomize && !kubectl) throw new MissingToolError('kustomize', 'build the Kustomize overlay');

  const closure = kustomizationClosure(dir);
  const root = commonAncestor(closure);
  if (!isInside(root, path.resolve(request.repoRoot))) {
    throw new InputError('templates', `the kustomization "${relativeTo(request.repoRoot, dir)}" refers to files outside the repository (${toPosix(root)})`);
  }
  // Substitute only what the kustomization uses, not every YAML file under the common ancestor.
  const needed = new Set<string>();
  for (const p of closure) {
    if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p)) needed.add(path.join(p, f));
    else needed.add(p);
  }
  const copyRoot = path.join(request.workDir, 'src');
  const generated = request.generatedFiles ?? new Map<string, string>();
  result.files = copyAndSubstitute(request, root, copyRoot, (f) => YAML_FILE.test(f) && needed.has(f) && !generated.has(f), result.findings);
  if (result.findings.length > 0) return result;
  for (const [file, text] of generated) {
    if (!isInside(file, root)) throw new InputError('helmOutput', `"${relativeTo(request.repoRoot, file)}" is outside the folders the kustomization uses`);
    const target = path.join(copyRoot, path.relative(root, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  result.findings.push(...unpinnedRemoteWarnings(closure, request.repoRoot));

  const copyDir = path.join(copyRoot, path.relative(root, dir));
  addOriginAnnotations(kustomizationFile(copyDir)!);
  const helmArgs = kustomizeHelmArgs(closure, request.tools); // helmCharts: kustomize runs this helm
  const run = kustomize
    ? await request.tools.exec(kustomize, ['build', ...helmArgs, copyDir], { cwd: request.workDir })
    : await request.tools.exec(kubectl!, ['kustomize', ...helmArgs, copyDir], { cwd: request.workDir });
  const kustomizationRel = relativeTo(request.repoRoot, kustomizationFile(dir)!);
  if (run.code !== 0) {
    result.findings.push(
      toolFailure('kustomize', run.stderr.split(copyRoot).join(relativeTo(request.repoRoot, root) || '.'), kustomizationRel, () => undefined),
    );
    return result;
  }
  const parsed = parseManifests(run.stdout, kustomizationRel);
  result.findings.push(...parsed.errors);
  const sources = new Map<string, ManifestObject[]>();
  for (const obj of parsed.objects) {
    const origin = takeOrigin(obj);
    if (!origin) {
      result.objects.push(obj);
      continue;
    }
    const file = relativeTo(request.repoRoot, path.resolve(dir, origin));
    result.objects.push(relocate(obj, file, request.repoRoot, sources));
  }
  return result;
}

/** Copies a folder, substituting the YAML files `shouldSubstitute` selects; returns the number of files read. */
function copyAndSubstitute(request: RenderRequest, from: string, to: string, shouldSubstitute: (file: string) => boolean, findings: Finding[]): number {
  let count = 0;
  for (const file of listFiles(from)) {
    const target = path.join(to, path.relative(from, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (shouldSubstitute(file)) {
      count++;
      const text = substituteFile(file, relativeTo(request.repoRoot, file), request.variables, findings, request.variableSyntax, request.onSubstituted);
      fs.writeFileSync(target, text ?? '');
    } else {
      fs.copyFileSync(file, target);
    }
  }
  return count;
}

function substituteFile(
  file: string,
  rel: string,
  variables: Variables,
  findings: Finding[],
  syntax?: VariableSyntax,
  onSubstituted?: (file: string, text: string) => void,
): string | undefined {
  const result = substituteYaml(fs.readFileSync(file, 'utf8'), variables, { syntax });
  if (result.errors.length === 0) onSubstituted?.(rel, result.text);
  for (const e of result.errors) {
    findings.push({
      rule: e.kind === 'unbraced' ? 'render/unbraced-variable' : 'render/undefined-variable',
      severity: 'error',
      message: `Substitution failed: ${e.message}`,
      file: rel,
      line: e.line,
      column: e.column,
    });
  }
  return result.errors.length > 0 ? undefined : result.text;
}

const SKIPPED_FOLDERS = new Set(['.git', 'node_modules']);

/** Every file under a folder, sorted, so renders are deterministic. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(full);
      } else if (entry.isFile()) {
        out.push(full);
      }
    }
  };
  walk(dir);
  return out;
}

function relativeTo(root: string, file: string): string {
  return toPosix(path.relative(root, file));
}

function readChartName(chartDir: string): string {
  const doc = parseDocument(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')).toJS() as { name?: unknown } | null;
  return typeof doc?.name === 'string' ? doc.name : path.basename(chartDir);
}

interface SourceMarker {
  line: number;
  source: string;
}

/** `# Source: chart/templates/x.yaml` comments helm writes above every document. */
function helmSourceMarkers(output: string): SourceMarker[] {
  const markers: SourceMarker[] = [];
  output.split('\n').forEach((text, index) => {
    const m = /^# Source: (.+?)\s*$/.exec(text);
    if (m) markers.push({ line: index + 1, source: m[1] });
  });
  return markers;
}

/**
 * The line of a field in a template that is not YAML yet (it has {{ }} actions): the first line
 * that sets the field's key. Best effort; no line at all is better than a wrong one.
 */
export function findKeyLine(lines: string[], fieldPath: FieldPath | undefined): number | undefined {
  const keys = (fieldPath ?? []).filter((p): p is string => typeof p === 'string');
  const key = keys.length > 0 ? keys[keys.length - 1] : 'kind';
  const pattern = new RegExp(`^\\s*(?:-\\s+)?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
  const index = lines.findIndex((l) => pattern.test(l));
  return index < 0 ? undefined : index + 1;
}

function helmErrorLocation(text: string, chartName: string, sourceOf: (chartPath: string) => string): SourceLocation | undefined {
  const escaped = chartName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(${escaped}/[^\\s:()]+)(?::(\\d+))?`).exec(text);
  if (!m) return undefined;
  const line = m[2] ?? /\bline (\d+)/.exec(text.slice(m.index))?.[1];
  return { file: sourceOf(m[1]), line: line ? Number(line) : undefined };
}

function toolFailure(tool: string, stderr: string, fallbackFile: string, locate: (text: string) => SourceLocation | undefined): Finding {
  const text = stderr.trim() || `${tool} failed without a message`;
  const where = locate(text) ?? { file: fallbackFile };
  return { rule: `render/${tool}`, severity: 'error', message: `${tool} failed: ${text.replace(/^Error: /, '')}`, ...where };
}

/** Makes kustomize record where each object came from, in the work copy only. */
function addOriginAnnotations(file: string): void {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const current = doc.get('buildMetadata');
  const list =
    current && typeof (current as { toJSON?: () => unknown }).toJSON === 'function' ? ((current as { toJSON: () => unknown }).toJSON() as unknown[]) : [];
  if (!list.includes('originAnnotations')) doc.set('buildMetadata', [...list, 'originAnnotations']);
  fs.writeFileSync(file, doc.toString());
}

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

/** Reads and removes the origin annotation kustomize added; returns the path it names. */
function takeOrigin(obj: ManifestObject): string | undefined {
  const metadata = obj.body.metadata as Record<string, unknown> | undefined;
  const annotations = metadata?.annotations as Record<string, unknown> | undefined;
  const origin = annotations?.[ORIGIN_ANNOTATION];
  if (typeof origin !== 'string') return undefined;
  delete annotations![ORIGIN_ANNOTATION];
  if (Object.keys(annotations!).length === 0) delete metadata!.annotations;
  const m = /^(?:path|configuredIn):\s*(.+?)\s*$/m.exec(origin);
  return m ? m[1].replace(/^["']|["']$/g, '') : undefined;
}

/** Points an object's locations at its source file: the same kind and name there, or failing that the same kind. */
function relocate(obj: ManifestObject, file: string, repoRoot: string, cache: Map<string, ManifestObject[]>): ManifestObject {
  let candidates = cache.get(file);
  if (!candidates) {
    const absolute = path.join(repoRoot, file);
    candidates = fs.existsSync(absolute) ? parseManifests(fs.readFileSync(absolute, 'utf8'), file).objects : [];
    cache.set(file, candidates);
  }
  const source = matchingSource(obj, candidates);
  if (source) return locatedAt(obj, source);
  const { apiVersion, kind, name, namespace, body } = obj;
  return { apiVersion, kind, name, namespace, body, source: { file }, locate: () => ({ file }) };
}
