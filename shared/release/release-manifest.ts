import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';
import type { BundledKustomizeChart } from '../render/kustomize-helm-charts';
import type { VendoredRemote } from '../render/kustomize-vendor';
import type { ReleaseDependency } from './bundle-dependencies';

/** The `kind` of release.json, with its format version. */
export const RELEASE_KIND = 'gitops-flow/release/v1';
export const RELEASE_FILE = 'release.json';
export const IMAGES_FILE = 'images.yaml';
/** Folder of the bundle holding the templates and values files at their repository paths. */
export const SOURCE_FOLDER = 'source';

/** release.json: what the bundle holds, where it comes from, and how to render it. */
export interface ReleaseManifest {
  kind: typeof RELEASE_KIND;
  app: string;
  source: { repository: string; repositoryUri?: string; branch: string; commit: string };
  build: { id: string; number: string; url?: string; definition?: string };
  publisher: { task: string; version: string };
  images: ReleaseImage[];
  /** The render settings the environments were validated with; paths are relative to `source/`. */
  render: {
    templates: string;
    renderer: string;
    valuesFile: string;
    helmValuesFiles: string[];
    releaseName?: string;
    namespace?: string;
    kubernetesVersion: string;
    /** The `variables` input (they override the values file; image variables override both). */
    variables: Record<string, string>;
    /** The policy severities the release was validated with; GitOpsPromote validates again with them. */
    policy?: Record<string, string>;
    /** `envsubst` when the templates use `$NAME` as well as `${NAME}`; absent means `flux`. */
    variableSyntax?: string;
    /** helm-kustomize: the kustomization folder (may hold `{environment}`) and the Helm output file in it. */
    kustomization?: string;
    helmOutput?: string;
  };
  environments: ReleaseEnvironment[];
  /** The Helm chart dependency archives in the bundle (fetched by GitOpsCiPublish), with their sha256; absent when there are none. */
  helmDependencies?: ReleaseDependency[];
  /**
   * The remote Kustomize bases and files GitOpsCiPublish fetched into `source/_kustomize-remote/` (git: the
   * ref asked for and the commit it resolved to); the bundle's kustomizations refer to those copies. Absent when none.
   */
  kustomizeRemotes?: VendoredRemote[];
  /** The charts of the kustomizations' `helmCharts` GitOpsCiPublish fetched into their chartHome (kustomize renders them from there). Absent when none. */
  kustomizeHelmCharts?: BundledKustomizeChart[];
  /** sha256 (hex) of every file of the bundle but release.json, by bundle-relative path. */
  files: Record<string, string>;
}

export interface ReleaseImage {
  name: string;
  repository: string;
  tag: string;
  reference: string;
  strategy: string;
  sourcePaths: string[];
  contentCommit?: string;
  humanTag?: string;
  /** The variables the image defines in the templates, NAME_IMAGE etc. */
  variables: Record<string, string>;
}

export interface ReleaseEnvironment {
  name: string;
  renderer?: string;
  objects: number;
  errors: number;
  warnings: number;
}

/**
 * The image references of a previous release, by image name, from its release.json (or the
 * bundle folder holding it). Undefined when the path does not exist (a first run).
 */
export function readPreviousImages(file: string, inputName: string): Map<string, string> | undefined {
  const target = fs.existsSync(file) && fs.statSync(file).isDirectory() ? path.join(file, RELEASE_FILE) : file;
  if (!fs.existsSync(target)) return undefined;
  const release = parseReleaseJson(target, inputName);
  if (!Array.isArray(release.images)) throw new InputError(inputName, `"${target}" has no images list`);
  const images = new Map<string, string>();
  for (const image of release.images)
    if (image && typeof image.name === 'string' && typeof image.reference === 'string') images.set(image.name, image.reference);
  return images;
}

/**
 * A release.json as written, checked only for being JSON of our kind; the caller checks the fields it
 * needs. `text` is the file's content when the caller already read it (to check its digest).
 */
export function parseReleaseJson(file: string, inputName: string, text?: string): Partial<ReleaseManifest> {
  let doc: unknown;
  try {
    doc = JSON.parse(text ?? fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(inputName, `"${file}" is not valid JSON: ${(err as Error).message}`);
  }
  const release = doc as Partial<ReleaseManifest> | null;
  if (!release || typeof release !== 'object' || release.kind !== RELEASE_KIND) {
    throw new InputError(inputName, `"${file}" is not a release.json written by GitOpsCiPublish@1 (kind ${RELEASE_KIND})`);
  }
  return release;
}
