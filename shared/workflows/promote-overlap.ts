/**
 * Two apps, one object: a Flux Kustomization applies every file under its path, so when another
 * app's folder under that path already defines an object this promotion renders (same group, kind,
 * namespace and name), the merge would leave the Kustomization failing (or the two apps fighting
 * over the object). This check finds that before anything is written, from REST reads of that path
 * only, and names both files.
 */
import { readFilesAt } from '../devops/read-files';
import { normalizeFolder, relativeToFolder, toServerPath } from '../devops/repo-paths';
import { readBranchHead, readFolderTree } from '../devops/repository';
import { apiGroup, describeObject, ManifestObject } from '../manifests/model';
import { parseManifests } from '../manifests/parse';
import { InputError } from '../util/errors';
import { fill, PromotionContext, PromotionSubject } from './promote-context';

/**
 * More YAML files than this under the Kustomization path (outside the target folder) are not read:
 * the check is skipped with a warning rather than blocking every promotion into a large environment.
 */
export const MAX_OTHER_FILES = 500;
/** A larger file is not read as manifests (skipped with a warning). */
export const MAX_FILE_BYTES = 1024 * 1024;

/** One object defined both by this promotion and by another file under the Kustomization path. */
export interface Overlap {
  /** `Service voting-dev/web` */
  object: string;
  /** Repository path of the rendered file. */
  ours: string;
  /** Repository path of the other file, with ":line" when known. */
  theirs: string;
}

/**
 * The folder whose files one Flux Kustomization applies together with the target folder: the
 * kustomizationPath input ({environment}, {app}), else the target folder's parent. Undefined when
 * there is nothing outside the target folder to compare with (the path is the target folder, or
 * the target folder is at the top level and no path is given).
 */
export function kustomizationScope(pattern: string | undefined, subject: PromotionSubject): string | undefined {
  const folder = subject.folder;
  if (pattern === undefined || pattern === '') {
    const slash = folder.lastIndexOf('/');
    return slash < 0 ? undefined : folder.slice(0, slash);
  }
  let scope: string;
  try {
    scope = normalizeFolder(fill(subject, pattern));
  } catch (err) {
    throw new InputError('kustomizationPath', (err as Error).message);
  }
  if (scope === folder) return undefined;
  if (scope !== '' && !folder.startsWith(`${scope}/`)) {
    throw new InputError(
      'kustomizationPath',
      `"${scope}" does not contain the target folder ${folder}; give the path of the Flux Kustomization that applies it`,
    );
  }
  return scope;
}

/** YAML files that may hold objects: not kustomize's own kustomization file. */
function isManifestFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (!/\.ya?ml$/i.test(name)) return false;
  return !/^kustomization\.ya?ml$/i.test(name) && name !== 'Kustomization';
}

function identity(o: ManifestObject): string {
  return `${apiGroup(o.apiVersion)}|${o.kind}|${o.namespace ?? ''}|${o.name}`;
}

/** Kubernetes objects of a file; kustomize configuration documents are not objects. */
function objectsOf(text: string, file: string): { objects: ManifestObject[]; syntaxError?: string } {
  // As Flux reads the repository: YAML 1.2 (`on`, `yes` are strings).
  const parsed = parseManifests(text, file, { yaml: '1.2' });
  const syntax = parsed.errors.find((e) => e.rule.startsWith('yaml/'));
  if (syntax) return { objects: [], syntaxError: `${syntax.message}${syntax.line ? ` (line ${syntax.line})` : ''}` };
  return { objects: parsed.objects.filter((o) => apiGroup(o.apiVersion) !== 'kustomize.config.k8s.io') };
}

/**
 * The objects of `ours` (rendered files, repository path -> text) that a file of `theirs` (other
 * files under the same Kustomization path) also defines. `warn` hears of files that do not parse.
 */
export function findOverlaps(ours: ReadonlyMap<string, string>, theirs: ReadonlyMap<string, string>, warn: (message: string) => void): Overlap[] {
  const rendered = new Map<string, { object: ManifestObject; file: string }>();
  for (const [file, text] of ours) {
    for (const object of objectsOf(text, file).objects) rendered.set(identity(object), { object, file });
  }
  const overlaps: Overlap[] = [];
  for (const [file, text] of theirs) {
    const { objects, syntaxError } = objectsOf(text, file);
    if (syntaxError) warn(`${file} is not valid YAML, so it was not checked for objects this promotion also defines: ${syntaxError}`);
    for (const object of objects) {
      const mine = rendered.get(identity(object));
      if (!mine) continue;
      const line = object.source.line;
      overlaps.push({ object: describeObject(object), ours: mine.file, theirs: line ? `${file}:${line}` : file });
    }
  }
  return overlaps;
}

/** Objects this promotion would define a second time under the Kustomization path: each with both files (the first ten), and how to resolve it. */
export class OverlapError extends Error {
  constructor(
    readonly overlaps: readonly Overlap[],
    scope: string,
    branch: string,
  ) {
    const shown = overlaps.slice(0, 10).map((o) => `${o.object} is rendered to ${o.ours} and already defined in ${o.theirs}`);
    const more = overlaps.length > shown.length ? `; and ${overlaps.length - shown.length} more` : '';
    super(
      `${overlaps.length} object(s) would be defined twice under the Flux Kustomization path /${scope} of ${branch}: ${shown.join('; ')}${more}. ` +
        'Nothing was committed: rename the object, or give the apps target folders that different Kustomizations apply',
    );
    this.name = 'OverlapError';
  }
}

/**
 * Fails, before anything is written, when an object this promotion renders is already defined by
 * another YAML file under the Kustomization path at the head of the target branch. Reads that
 * path's tree once and the YAML files outside the target folder.
 */
export async function checkKustomizationOverlap(ctx: PromotionContext): Promise<void> {
  const { agent, conn, repo, inputs } = ctx;
  const scope = kustomizationScope(inputs.kustomizationPath, ctx);
  if (scope === undefined) return;
  const head = await readBranchHead(conn, repo, inputs.targetBranch);
  if (head === undefined) return;
  const tree = await readFolderTree(conn, repo, head, scope);
  const paths = [...tree.files.keys()]
    .map((relative) => toServerPath(scope, relative).slice(1))
    .filter((path) => relativeToFolder(ctx.folder, `/${path}`) === undefined && isManifestFile(path))
    .sort();
  const where = `/${scope} of ${inputs.targetBranch} at ${head.slice(0, 12)}`;
  if (paths.length === 0) {
    agent.info(`No other YAML files under ${where}: no object can be defined twice`);
    return;
  }
  if (paths.length > MAX_OTHER_FILES) {
    agent.warning(
      `${where} holds ${paths.length} YAML files outside the target folder, more than the ${MAX_OTHER_FILES} the check for objects defined twice reads: ` +
        'not checked; set kustomizationPath to the path of the Flux Kustomization that applies the target folder to narrow it',
    );
    return;
  }
  const texts = await readFilesAt(conn, repo, head, paths);
  const theirs = new Map<string, string>();
  for (const [path, text] of texts) {
    if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES)
      agent.warning(`${path} is larger than ${MAX_FILE_BYTES} bytes, so it was not checked for objects this promotion also defines`);
    else theirs.set(path, text);
  }
  const ours = new Map([...ctx.files].map(([relative, text]) => [toServerPath(ctx.folder, relative).slice(1), text]));
  const overlaps = findOverlaps(ours, theirs, (message) => agent.warning(message));
  if (overlaps.length > 0) throw new OverlapError(overlaps, scope, inputs.targetBranch);
  agent.info(`Checked ${theirs.size} other YAML file(s) under ${where}: no object of this promotion is defined there`);
}
