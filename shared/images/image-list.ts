import * as path from 'node:path';
import { InputError } from '../util/errors';
import { ImageRepository, parseRepository } from './reference';

/** One image the pipeline builds: its name, repository and the source paths whose history makes its content tag. */
export interface ImageSpec {
  /** `WEB`: the prefix of the image's variables (WEB_IMAGE, WEB_TAG, WEB_REF, WEB_REPOSITORY). */
  name: string;
  repository: ImageRepository;
  /** Repository-relative source paths, forward slashes, as written (`.` is the whole repository). */
  paths: string[];
  /** 1-based line of the images input, for errors. */
  line: number;
}

/** The variables each image defines, for the templates and as output variables: NAME_<suffix>. */
export const IMAGE_VARIABLE_SUFFIXES = ['IMAGE', 'TAG', 'REF', 'REPOSITORY'] as const;
export type ImageVariableSuffix = (typeof IMAGE_VARIABLE_SUFFIXES)[number];

const IMAGE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads the `images` input: one image per line, `NAME=repository:path[,path...]`, e.g.
 * `WEB=contosoacr.azurecr.io/voting/web:src/web,shared/`. The first `:` that is not a registry
 * port (`host:5000/`) ends the repository. Blank lines and `#` comments are skipped.
 */
export function parseImageList(text: string, inputName = 'images'): ImageSpec[] {
  const images: ImageSpec[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const n = index + 1;
    if (line === '' || line.startsWith('#')) return;
    const fail = (detail: string): never => {
      throw new InputError(inputName, `line ${n}: ${detail}`);
    };
    const eq = line.indexOf('=');
    if (eq < 0) fail(`expected NAME=repository:path[,path...], e.g. WEB=contosoacr.azurecr.io/voting/web:src/web, got "${line}"`);
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!IMAGE_NAME.test(name)) fail(`"${name}" is not a valid image name (letters, digits and _, not starting with a digit)`);
    const suffix = IMAGE_VARIABLE_SUFFIXES.find((s) => name.toUpperCase().endsWith(`_${s}`));
    if (suffix) {
      const base = name.slice(0, -(suffix.length + 1));
      fail(
        `name the image, not one of its variables: "${name}" would define ${name}_IMAGE, ${name}_TAG, ...; write ${base}=... to get ${base}_IMAGE, ${base}_TAG, ${base}_REF and ${base}_REPOSITORY`,
      );
    }
    if (images.some((i) => i.name === name)) fail(`image "${name}" is listed twice`);
    const sep = separatorIndex(value);
    if (sep < 0) fail(`"${value}" gives no source paths; expected repository:path[,path...], e.g. contosoacr.azurecr.io/voting/web:src/web`);
    let repository: ImageRepository;
    try {
      repository = parseRepository(value.slice(0, sep).trim());
    } catch (err) {
      return fail((err as Error).message);
    }
    const paths = value
      .slice(sep + 1)
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (paths.length === 0) fail(`image "${name}" gives no source paths after the repository`);
    images.push({ name, repository: repository!, paths: paths.map((p) => sourcePath(p, fail)), line: n });
  });
  return images;
}

/** The `:` between repository and paths: the first one that is not `host:port/` in the first path component. */
function separatorIndex(value: string): number {
  const firstSlash = value.indexOf('/');
  for (let i = value.indexOf(':'); i >= 0; i = value.indexOf(':', i + 1)) {
    const isPort = (firstSlash < 0 || i < firstSlash) && /^\d+\//.test(value.slice(i + 1));
    if (!isPort) return i;
  }
  return -1;
}

function sourcePath(p: string, fail: (detail: string) => never): string {
  if (p.includes(':')) fail(`source path "${p}" contains ":"; if the repository has a tag, remove it (the task computes the tag)`);
  const posix = p.replace(/\\/g, '/');
  if (path.posix.isAbsolute(posix) || /^[A-Za-z]:\//.test(posix)) fail(`source path "${p}" must be relative to the repository root`);
  const normal = path.posix.normalize(posix).replace(/\/$/, '') || '.';
  if (normal === '..' || normal.startsWith('../')) fail(`source path "${p}" is outside the repository`);
  if (/[*?[\]]/.test(normal)) fail(`source path "${p}": give folders or files, not patterns`);
  return normal;
}

/** NAME_IMAGE, NAME_TAG, ... of an image. */
export function imageVariable(image: Pick<ImageSpec, 'name'>, suffix: ImageVariableSuffix): string {
  return `${image.name}_${suffix}`;
}

/**
 * The image names whose NAME_IMAGE variable holds exactly `repository`: a template that writes
 * `image: ${WEB_IMAGE}` gets the repository without a tag, and WEB is what to tell the user about.
 */
export function imagesWithRepository(repository: string, variables: ReadonlyMap<string, string>): string[] {
  const suffix = `_${'IMAGE' satisfies ImageVariableSuffix}`;
  const names: string[] = [];
  for (const [name, value] of variables) {
    if (value === repository && name.endsWith(suffix) && name.length > suffix.length) names.push(name.slice(0, -suffix.length));
  }
  return names.sort();
}
