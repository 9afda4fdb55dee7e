import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chartClosure } from '../render/helm-dependencies';
import { commonAncestor, isInside, kustomizationClosure } from '../render/kustomize-closure';
import { detectRenderer, listFiles, RendererKind } from '../render/render';
import { InputError } from '../util/errors';
import { forEnvironment, toPosix } from '../util/paths';
import { IMAGES_FILE, RELEASE_FILE, RELEASE_KIND, ReleaseManifest, SOURCE_FOLDER } from './release-manifest';
import { stableJson } from './stable-json';

/**
 * The bundle folder from the input: relative paths are taken from the artifact staging directory,
 * and the folder must lie inside it (never the staging directory itself). An existing folder is
 * replaced only when it holds a previous bundle.
 */
export function resolveBundleFolder(value: string, stagingDir: string, inputName = 'bundleFolder'): string {
  const staging = path.resolve(stagingDir);
  const folder = path.resolve(staging, value || 'release');
  if (folder === staging)
    throw new InputError(
      inputName,
      `"${value}" is the artifact staging directory itself; name a folder inside it, e.g. $(Build.ArtifactStagingDirectory)/release`,
    );
  if (!isInside(folder, staging)) {
    throw new InputError(
      inputName,
      `"${value}" is outside the artifact staging directory ${staging} (Build.ArtifactStagingDirectory); write the bundle to a folder inside it, e.g. $(Build.ArtifactStagingDirectory)/release`,
    );
  }
  if (fs.existsSync(folder)) {
    if (!fs.statSync(folder).isDirectory()) throw new InputError(inputName, `"${folder}" exists and is not a folder`);
    const entries = fs.readdirSync(folder);
    if (entries.length > 0 && !isPreviousBundle(folder)) {
      throw new InputError(
        inputName,
        `"${folder}" already holds other files; the task only replaces a bundle it wrote before (with ${RELEASE_FILE}). Choose an empty or new folder.`,
      );
    }
  }
  return folder;
}

function isPreviousBundle(folder: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(folder, RELEASE_FILE), 'utf8')) as { kind?: unknown }).kind === RELEASE_KIND;
  } catch {
    return false;
  }
}

export interface SourceSelection {
  repoRoot: string;
  /** Repository-relative, may contain `{environment}`. */
  templates: string;
  renderer: 'auto' | RendererKind;
  environments: string[];
  valuesFile: string;
  helmValuesFiles: string[];
  /** helm-kustomize: the kustomization folder (repository-relative, may contain `{environment}`). */
  kustomization?: string;
}

/**
 * The repository files the release needs to render every environment, repository-relative with
 * forward slashes, sorted: the Helm chart, the Kustomize tree the overlay uses (the common folder
 * of everything it refers to, as the renderer copies it), or the plain YAML folder; plus each
 * environment's values file and Helm values files. Missing ones are left out: rendering reports them.
 */
export function collectSourceFiles(selection: SourceSelection): string[] {
  const root = path.resolve(selection.repoRoot);
  const files = new Set<string>();
  const add = (file: string) => {
    if (isInside(file, root) && fs.existsSync(file) && fs.statSync(file).isFile()) files.add(toPosix(path.relative(root, file)));
  };
  for (const environment of selection.environments) {
    const templates = path.resolve(root, forEnvironment(selection.templates, environment));
    if (fs.existsSync(templates) && fs.statSync(templates).isDirectory() && isInside(templates, root)) {
      const renderer = selection.renderer === 'auto' ? detectRenderer(templates) : selection.renderer;
      let folder = templates;
      if (renderer === 'kustomize') {
        const ancestor = commonAncestor(kustomizationClosure(templates));
        if (isInside(ancestor, root)) folder = ancestor;
      }
      for (const f of listFiles(folder)) add(f);
      // A chart's file:// dependencies outside its folder (CI packages them into charts/ of the bundle).
      if (renderer === 'helm') for (const dir of chartClosure(templates).slice(1)) if (isInside(dir, root)) for (const f of listFiles(dir)) add(f);
    }
    if (selection.renderer === 'helm-kustomize' && selection.kustomization) {
      // The kustomize tree the Helm output is built with, as the kustomize renderer copies it.
      const kustomization = path.resolve(root, forEnvironment(selection.kustomization, environment));
      if (fs.existsSync(kustomization) && fs.statSync(kustomization).isDirectory()) {
        const ancestor = commonAncestor(kustomizationClosure(kustomization));
        if (isInside(ancestor, root)) for (const f of listFiles(ancestor)) add(f);
      }
    }
    if (selection.valuesFile !== '') add(path.resolve(root, forEnvironment(selection.valuesFile, environment)));
    for (const f of selection.helmValuesFiles) add(path.resolve(root, forEnvironment(f, environment)));
  }
  return [...files].sort();
}

/** A bundle being written: a hidden folder beside the target, moved into place only when complete. */
export interface StagedBundle {
  /** The folder being written. */
  dir: string;
  /** `dir/source`: the repository files at their repository paths. */
  sourceRoot: string;
  target: string;
}

export function stageBundle(target: string, repoRoot: string, files: string[]): StagedBundle {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const dir = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.partial-`));
  const sourceRoot = path.join(dir, SOURCE_FOLDER);
  for (const rel of files) {
    const to = path.join(sourceRoot, ...rel.split('/'));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, ...rel.split('/')), to);
  }
  fs.mkdirSync(sourceRoot, { recursive: true });
  return { dir, sourceRoot, target };
}

/** Removes a staged bundle that will not be published. */
export function discardBundle(staged: StagedBundle): void {
  fs.rmSync(staged.dir, { recursive: true, force: true });
}

/**
 * Writes images.yaml and release.json (with the sha256 of every other file) into the staged
 * bundle and moves it to its target, replacing a previous bundle there. Returns the manifest
 * written. `mask` masks secrets in the text of both files, as the log masks them (the bundle
 * ends up in the GitOps repository).
 */
export function completeBundle(
  staged: StagedBundle,
  manifest: Omit<ReleaseManifest, 'files'>,
  mask: (text: string) => string = (text) => text,
): ReleaseManifest {
  const variables = new Map<string, string>();
  for (const image of manifest.images) for (const [k, v] of Object.entries(image.variables)) variables.set(k, v);
  fs.writeFileSync(path.join(staged.dir, IMAGES_FILE), mask(imagesYaml(variables)));
  const files: Record<string, string> = {};
  for (const file of listFiles(staged.dir)) {
    const rel = toPosix(path.relative(staged.dir, file));
    if (rel !== RELEASE_FILE) files[rel] = sha256(fs.readFileSync(file));
  }
  const complete: ReleaseManifest = { ...manifest, files };
  fs.writeFileSync(path.join(staged.dir, RELEASE_FILE), mask(stableJson(complete)));
  fs.rmSync(staged.target, { recursive: true, force: true });
  fs.renameSync(staged.dir, staged.target);
  return complete;
}

/** The image variables as a flat YAML map (the values-file format), sorted by name. */
export function imagesYaml(variables: ReadonlyMap<string, string>): string {
  const lines = ['# Image variables of this release, written by GitOpsCiPublish@1. They override the environment values.'];
  for (const name of [...variables.keys()].sort()) lines.push(`${name}: ${JSON.stringify(variables.get(name))}`);
  return `${lines.join('\n')}\n`;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
