import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ManifestObject } from '../manifests/model';
import type { HelmDependencySettings } from '../render/helm-dependencies';
import { renderEnvironment, RendererKind } from '../render/render';
import type { EnvironmentReport, ValidationReport } from '../report/validation-report';
import type { VariableSyntax, Variables } from '../render/substitute';
import type { ToolRunner } from '../render/tools';
import { parseValuesFile } from '../render/variables';
import { lintDockerfile, DockerfileLintOptions } from '../validate/dockerfile';
import type { Finding } from '../manifests/finding';
import type { PolicySeverities } from '../validate/policy';
import { validateManifests } from '../validate/validate-manifests';
import { InputError } from '../util/errors';
import { forEnvironment, toPosix } from '../util/paths';
import { repositoryRelative } from './repository-path';

export type { DockerfileReport, EnvironmentReport, ValidationReport } from '../report/validation-report';

export interface RenderAndValidateOptions {
  repoRoot: string;
  /** Templates folder, relative to repoRoot or absolute; may contain `{environment}`. */
  templates: string;
  renderer: 'auto' | RendererKind;
  environments: string[];
  /** Values file pattern with `{environment}`, relative to repoRoot; empty for none. */
  valuesFile: string;
  /** Variables for every environment; they override the values file. */
  variables: Variables;
  helmValuesFiles: string[];
  releaseName?: string;
  namespace?: string;
  kubernetesVersion: string;
  policy: PolicySeverities;
  /** Dockerfiles to lint (absolute paths). */
  dockerfiles: string[];
  dockerfileOptions?: DockerfileLintOptions;
  tools: ToolRunner;
  workDir: string;
  onProgress?: (percent: number, operation: string) => void;
  /** An environment may render no objects; without this it is an error (`render/no-objects`). */
  allowEmpty?: boolean;
  /** How Helm chart dependencies are fetched, or that they must be bundled (GitOpsPromote); fetched when missing by default. */
  helmDependencies?: HelmDependencySettings;
  /** Receives each environment's rendered objects (GitOpsPromote writes them out). */
  onRendered?: (environment: string, objects: ManifestObject[]) => void;
  /** `flux` (default) substitutes `${NAME}` only; `envsubst` also `$NAME`. */
  variableSyntax?: VariableSyntax;
  /** helm-kustomize: the kustomization folder, relative to repoRoot; may contain `{environment}`. */
  kustomization?: string;
  /** helm-kustomize: the Helm output file, relative to the kustomization folder. */
  helmOutput?: string;
  /** Receives each template file's substituted text, by environment and repository-relative path. */
  onSubstituted?: (environment: string, file: string, text: string) => void;
}

/** Renders every environment and runs every check; the report holds all findings, nothing is thrown for them. */
export async function renderAndValidate(options: RenderAndValidateOptions): Promise<ValidationReport> {
  if (options.environments.length === 0) throw new InputError('environments', 'list at least one environment, e.g. dev,stage,prod');
  const duplicates = options.environments.filter((e, i) => options.environments.indexOf(e) !== i);
  if (duplicates.length > 0) throw new InputError('environments', `"${duplicates[0]}" is listed twice`);
  const report: ValidationReport = { environments: [], dockerfiles: [] };
  const steps = options.environments.length + 1;

  for (const [index, environment] of options.environments.entries()) {
    options.onProgress?.((index / steps) * 100, `Rendering and validating ${environment}`);
    report.environments.push(await validateEnvironment(options, environment, index));
  }

  options.onProgress?.(((steps - 1) / steps) * 100, 'Linting Dockerfiles');
  for (const file of options.dockerfiles) {
    const rel = toPosix(path.relative(options.repoRoot, file));
    report.dockerfiles.push({ file: rel, findings: lintDockerfile(rel, fs.readFileSync(file, 'utf8'), options.dockerfileOptions) });
  }
  options.onProgress?.(100, 'Validation finished');
  return report;
}

async function validateEnvironment(options: RenderAndValidateOptions, environment: string, index: number): Promise<EnvironmentReport> {
  const report: EnvironmentReport = { environment, objects: 0, files: 0, objectRefs: [], findings: [], timings: {} };
  const variables = new Map<string, string>();
  if (options.valuesFile !== '') {
    const rel = forEnvironment(options.valuesFile, environment);
    const file = path.resolve(options.repoRoot, rel);
    if (!fs.existsSync(file)) {
      throw new InputError(
        'valuesFile',
        `"${toPosix(path.relative(options.repoRoot, file))}" does not exist for environment "${environment}" (set valuesFile to an empty value when the templates use no variables)`,
      );
    }
    const values = parseValuesFile(fs.readFileSync(file, 'utf8'), toPosix(path.relative(options.repoRoot, file)));
    report.findings.push(...values.errors);
    for (const [k, v] of values.variables) variables.set(k, v);
  }
  for (const [k, v] of options.variables) variables.set(k, v);
  if (report.findings.length > 0) return report;

  const templates = path.resolve(options.repoRoot, repositoryRelative(forEnvironment(options.templates, environment), options.repoRoot, 'templates'));
  const rendered = await renderEnvironment({
    repoRoot: options.repoRoot,
    templates,
    renderer: options.renderer,
    environment,
    variables,
    helmValuesFiles: options.helmValuesFiles.map((p) => path.resolve(options.repoRoot, forEnvironment(p, environment))),
    valuesFiles: [options.valuesFile, ...options.helmValuesFiles],
    releaseName: options.releaseName || path.basename(templates),
    namespace: options.namespace ? forEnvironment(options.namespace, environment) : undefined,
    kubernetesVersion: options.kubernetesVersion,
    workDir: path.join(options.workDir, `render-${index}-${environment.replace(/[^A-Za-z0-9_.-]/g, '_')}`),
    tools: options.tools,
    variableSyntax: options.variableSyntax,
    kustomization: options.kustomization
      ? path.resolve(options.repoRoot, repositoryRelative(forEnvironment(options.kustomization, environment), options.repoRoot, 'kustomization'))
      : undefined,
    helmOutput: options.helmOutput,
    onSubstituted: options.onSubstituted && ((file, text) => options.onSubstituted!(environment, file, text)),
    helmDependencies: options.helmDependencies,
  });
  report.renderer = rendered.renderer;
  report.files = rendered.files;
  report.objects = rendered.objects.length;
  report.objectRefs = rendered.objects.map(({ apiVersion, kind, namespace, name }) => ({ apiVersion, kind, namespace, name }));
  report.findings.push(...rendered.findings);
  if (rendered.objects.length === 0 && !options.allowEmpty && !report.findings.some((f) => f.severity === 'error'))
    report.findings.push(nothingRendered(environment, toPosix(path.relative(options.repoRoot, templates)) || '.'));
  const validation = validateManifests(rendered.objects, { kubernetesVersion: options.kubernetesVersion, policy: options.policy, variables });
  report.findings.push(...validation.findings);
  report.timings = validation.timings;
  options.onRendered?.(environment, rendered.objects);
  return report;
}

/** An environment that renders no objects: validating nothing must not pass the gate. */
function nothingRendered(environment: string, templates: string): Finding {
  return {
    rule: 'render/no-objects',
    severity: 'error',
    message: `Environment "${environment}" renders no objects from the templates folder "${templates}": nothing was validated (check templates, renderer and the values that select what is rendered)`,
  };
}

/** All findings of a report, each environment's own and the Dockerfiles'. */
export function allFindings(report: ValidationReport): Finding[] {
  return [...report.environments.flatMap((e) => e.findings), ...report.dockerfiles.flatMap((d) => d.findings)];
}
