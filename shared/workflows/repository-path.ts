import * as path from 'node:path';
import { InputError } from '../util/errors';
import { isInside, toPosix } from '../util/paths';

/**
 * A repository path input (templates, values files) as a repository-relative path with forward
 * slashes ('.' for the root); '' stays ''. A path outside the repository is an InputError naming
 * the input: the tasks render, validate and ship the repository's files only, so a gate that
 * rendered `/etc` or `../..` would pass what it never looked at.
 */
export function repositoryRelative(value: string, repoRoot: string, inputName: string): string {
  if (value === '') return value;
  const absolute = path.resolve(repoRoot, value);
  if (!isInside(absolute, repoRoot))
    throw new InputError(inputName, `"${value}" is outside the repository (${repoRoot}); the tasks render and validate the repository's files only`);
  return toPosix(path.relative(repoRoot, absolute)) || '.';
}
