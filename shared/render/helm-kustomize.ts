/**
 * The helm-kustomize renderer: the reference scripts' two steps (`helm template` of the chart into
 * `kustomize/base/manifests.yaml`, then `kubectl kustomize` of the base) done on temporary copies,
 * never in the checkout. Objects that come from the Helm output keep pointing at their Helm
 * template (helm's `# Source:` comments), the others at their kustomize file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { ManifestObject } from '../manifests/model';
import { serializeObject } from '../manifests/serialize';
import { InputError } from '../util/errors';
import { toPosix } from '../util/paths';
import { kustomizationClosure, kustomizationFile } from './kustomize-closure';
import type { RenderedEnvironment, RenderRequest } from './render';
import { locatedAt, matchingSource } from './locate-at-source';

export const DEFAULT_HELM_OUTPUT = 'manifests.yaml';

/** Renders one environment with the Helm chart `chartDir`; `render` is renderEnvironment (passed in to keep the import one-way). */
export async function renderHelmKustomize(
  request: RenderRequest,
  chartDir: string,
  render: (request: RenderRequest) => Promise<RenderedEnvironment>,
): Promise<RenderedEnvironment> {
  const rel = (file: string) => toPosix(path.relative(request.repoRoot, file)) || '.';
  const kustomization = request.kustomization;
  if (!kustomization) throw new InputError('kustomization', 'the helm-kustomize renderer needs the kustomization folder the Helm output is written into');
  if (!fs.existsSync(kustomization) || !fs.statSync(kustomization).isDirectory() || !kustomizationFile(kustomization)) {
    throw new InputError(
      'kustomization',
      `"${rel(kustomization)}" is not a folder with a kustomization.yaml${request.environment ? ` (environment "${request.environment}")` : ''}`,
    );
  }
  const output = path.resolve(kustomization, request.helmOutput || DEFAULT_HELM_OUTPUT);
  checkListed(output, kustomization, rel);

  const helm = await render({ ...request, templates: chartDir, renderer: 'helm', workDir: path.join(request.workDir, 'helm') });
  const helmFailed = helm.findings.some((f) => f.severity === 'error');
  // Built even when Helm failed (from an empty output), so that one run names every variable problem of both steps.
  const built = await render({
    ...request,
    templates: kustomization,
    renderer: 'kustomize',
    helmValuesFiles: [],
    generatedFiles: new Map([[output, helmFailed ? '' : helmOutputText(helm.objects, rel(output))]]),
    workDir: path.join(request.workDir, 'kustomize'),
  });
  const result: RenderedEnvironment = {
    environment: request.environment,
    renderer: 'helm-kustomize',
    objects: [],
    findings: [...helm.findings, ...built.findings.filter((f) => !helmFailed || f.rule !== 'render/kustomize')],
    files: helm.files + built.files,
  };
  if (helmFailed) return result;
  const outputFile = rel(output);
  result.objects = built.objects.map((obj) => (obj.source.file === outputFile ? toHelmSource(obj, helm.objects) : obj));
  return result;
}

/** The Helm output as `helm template` writes it: one document per object under its `# Source:` comment. */
function helmOutputText(objects: readonly ManifestObject[], outputFile: string): string {
  if (objects.length === 0) return `# The Helm chart rendered no objects into ${outputFile}\n`;
  return objects.map((o) => `---\n# Source: ${o.source.file}\n${serializeObject(o.body)}`).join('');
}

/** The Helm output must be a resource of the kustomization (or of one it uses), or the build would ignore the chart. */
function checkListed(output: string, kustomization: string, rel: (file: string) => string): void {
  for (const folder of kustomizationClosure(kustomization)) {
    if (folder !== path.dirname(output)) continue;
    const file = kustomizationFile(folder);
    if (!file) continue;
    let doc: unknown;
    try {
      doc = parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return; // kustomize reports the syntax error itself
    }
    const resources = (doc as { resources?: unknown } | null)?.resources;
    if (Array.isArray(resources) && resources.some((r) => typeof r === 'string' && path.resolve(folder, r) === output)) return;
  }
  throw new InputError(
    'helmOutput',
    `the kustomization "${rel(kustomization)}" does not list "${rel(output)}" in the resources of the folder it is in: add it (e.g. resources: [${path.basename(output)}]) or point helmOutput at the file it lists`,
  );
}

/** An object of the Helm output located at its Helm template: the same kind and name (kustomize may prefix or suffix it). */
function toHelmSource(obj: ManifestObject, helmObjects: readonly ManifestObject[]): ManifestObject {
  const source = matchingSource(obj, helmObjects);
  return source ? locatedAt(obj, source) : obj;
}
