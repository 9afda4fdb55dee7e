import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';
import { RELEASE_FILE } from './release-manifest';

/**
 * The release digest: `sha256:<hex>` of release.json's exact bytes. release.json lists the sha256
 * of every other file of the bundle, so this one value pins the whole bundle.
 */
export function releaseDigest(releaseJson: Buffer | string): string {
  return `sha256:${createHash('sha256').update(releaseJson).digest('hex')}`;
}

/** The digest of the release.json in a bundle folder, as it is on disk now. */
export function bundleDigest(bundleFolder: string): string {
  return releaseDigest(fs.readFileSync(path.join(bundleFolder, RELEASE_FILE)));
}

const DIGEST = /^sha256:[0-9a-f]{64}$/i;

/**
 * A digest input: empty (not pinned) gives undefined, else `sha256:` and 64 hex digits, returned in
 * lower case. An unexpanded `$(...)` or `$[ ... ]` gets its own message: the variable it names was
 * not set where the task runs (the usual mistake when mapping a CI stage's output).
 */
export function parseReleaseDigest(value: string, inputName: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (/\$[([]/.test(text)) {
    throw new InputError(
      inputName,
      `"${text}" is a pipeline expression that was not expanded: the variable it names is not set in this job (map the CI step's releaseDigest output into a variable of this stage or job)`,
    );
  }
  if (!DIGEST.test(text))
    throw new InputError(inputName, `"${text}" is not a release digest: expected sha256: and 64 hex digits, the releaseDigest output of GitOpsCiPublish@1`);
  return text.toLowerCase();
}

/** Refuses a release.json whose digest is not the expected one, showing both. */
export function verifyReleaseDigest(actual: string, expected: string, inputName: string, file: string): void {
  if (actual === expected) return;
  throw new InputError(
    inputName,
    `"${file}" has the digest ${actual}, not ${expected}: this is not the release the CI run published (or it was edited since). Nothing was rendered or committed.`,
  );
}
