import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles } from '../render/render';
import { InputError } from '../util/errors';
import { toPosix } from '../util/paths';
import { sha256 } from './bundle';
import { dependencyProblems } from './bundle-dependencies';
import { releaseDigest, verifyReleaseDigest } from './release-digest';
import { parseReleaseJson, ReleaseManifest, RELEASE_FILE, SOURCE_FOLDER } from './release-manifest';

export interface ReleaseBundle {
  /** The bundle folder (holds release.json). */
  dir: string;
  /** `dir/source`: the templates and values files at their repository paths. */
  sourceRoot: string;
  manifest: ReleaseManifest;
  /** `sha256:<hex>` of release.json's bytes, the very bytes the manifest was parsed from. */
  digest: string;
}

/** The digest the bundle's release.json must have, and the input that gave it. */
export interface PinnedDigest {
  digest: string;
  inputName: string;
}

/**
 * Opens a release bundle written by GitOpsCiPublish@1 and proves it is the one that was validated:
 * every file listed in release.json must be there with its sha256, and nothing else may have been
 * added. `value` is the bundle folder or its release.json. With `pinned`, release.json itself must
 * have that digest, checked first: an edited release.json is refused before it is even parsed.
 */
export function readReleaseBundle(value: string, inputName: string, pinned?: PinnedDigest): ReleaseBundle {
  const given = path.resolve(value);
  if (!fs.existsSync(given)) throw new InputError(inputName, `"${value}" does not exist (download the release artifact first, e.g. "- download: ci")`);
  const dir = fs.statSync(given).isDirectory() ? given : path.dirname(given);
  const file = path.join(dir, RELEASE_FILE);
  if (!fs.existsSync(file)) throw new InputError(inputName, `"${value}" holds no ${RELEASE_FILE}: point it at the folder GitOpsCiPublish@1 published`);
  const bytes = fs.readFileSync(file);
  const digest = releaseDigest(bytes);
  if (pinned) verifyReleaseDigest(digest, pinned.digest, pinned.inputName, file);
  const manifest = parseReleaseJson(file, inputName, bytes.toString('utf8'));
  const missing = (['app', 'render', 'environments', 'images', 'files', 'build', 'source'] as const).filter(
    (k) => manifest[k] === undefined || manifest[k] === null,
  );
  if (missing.length > 0) throw new InputError(inputName, `"${file}" lacks ${missing.join(', ')}`);
  if (typeof manifest.render!.templates !== 'string' || !Array.isArray(manifest.environments) || !Array.isArray(manifest.images)) {
    throw new InputError(inputName, `"${file}" is malformed (render.templates, environments or images)`);
  }

  const listed = manifest.files as Record<string, string>;
  const problems: string[] = [];
  for (const [rel, hash] of Object.entries(listed)) {
    const abs = path.join(dir, ...rel.split('/'));
    if (!isInside(abs, dir)) problems.push(`${rel}: outside the bundle`);
    else if (!fs.existsSync(abs)) problems.push(`${rel}: missing`);
    else if (sha256(fs.readFileSync(abs)) !== hash) problems.push(`${rel}: changed since the release was published`);
  }
  problems.push(...dependencyProblems(manifest.helmDependencies, listed));
  for (const abs of listFiles(dir)) {
    const rel = toPosix(path.relative(dir, abs));
    if (rel !== RELEASE_FILE && !(rel in listed)) problems.push(`${rel}: not part of the release`);
  }
  if (problems.length > 0) {
    const shown = problems
      .slice(0, 10)
      .map((p) => `\n  - ${p}`)
      .join('');
    throw new InputError(inputName, `the release bundle "${dir}" does not match its ${RELEASE_FILE} (${problems.length} file(s)):${shown}`);
  }
  return { dir, sourceRoot: path.join(dir, SOURCE_FOLDER), manifest: manifest as ReleaseManifest, digest };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The variables of an image release: every image's NAME_IMAGE, NAME_TAG, ... */
export function releaseImageVariables(manifest: ReleaseManifest): Map<string, string> {
  const out = new Map<string, string>();
  for (const image of manifest.images) for (const [k, v] of Object.entries(image.variables ?? {})) out.set(k, v);
  return out;
}
