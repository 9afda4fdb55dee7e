/**
 * What one environment's GitOps folder would change: objects added, removed and changed (with
 * their changed fields), image references old -> new, and a unified diff per file. Pure: the
 * caller reads the folder and passes the files that differ (by blob id) with both their texts.
 */
import { parseManifests } from '../manifests/parse';
import { apiGroup, describeObject, ManifestObject } from '../manifests/model';
import { serializeObject } from '../manifests/serialize';
import { FieldChange, fieldChanges } from './field-changes';
import { ImageChange, imageChanges } from './images';
import { holdsSecrets, redactPair, sameJson } from './secrets';
import { unifiedDiff } from './unified-diff';

/** One file of the folder whose content differs; `before` missing: new file, `after` missing: deleted. */
export interface FileVersions {
  path: string;
  before?: string;
  after?: string;
}

export interface ObjectChange {
  /** `Deployment voting/web`. */
  object: string;
  change: 'added' | 'removed' | 'changed';
  /** Changed fields (only for `changed`); secret values show as labels, never as text. */
  fields: FieldChange[];
  /** The file the object is in (after the change; before it for a removed object). */
  file: string;
}

export interface FileDiff {
  path: string;
  change: 'added' | 'edited' | 'deleted';
  /** Unified diff text, empty when it cannot be shown (see `note`). */
  text: string;
  added: number;
  removed: number;
  note?: string;
}

export interface EnvironmentChange {
  objects: ObjectChange[];
  counts: { added: number; changed: number; removed: number };
  images: ImageChange[];
  files: FileDiff[];
  unchangedFiles: number;
}

type Body = Record<string, unknown>;

interface Side {
  objects: ManifestObject[];
  /** The first parse problem, when the text is not a clean set of Kubernetes objects. */
  problem?: string;
}

/**
 * `mask` replaces secret pipeline variables' values in the file texts before they are compared
 * (the workflow masks the finished markdown as well).
 */
export function environmentChange(files: readonly FileVersions[], unchangedFiles: number, mask: (text: string) => string = (t) => t): EnvironmentChange {
  const parsed = files.map((f) => ({ file: f, before: parseSide(f.before, f.path), after: parseSide(f.after, f.path) }));

  // Objects are matched by identity across files: one that moved to another file is not "removed and added".
  const beforeBy = new Map<string, { object: ManifestObject; file: string }>();
  const afterBy = new Map<string, { object: ManifestObject; file: string }>();
  for (const p of parsed) {
    for (const o of p.before?.objects ?? []) if (!beforeBy.has(keyOf(o))) beforeBy.set(keyOf(o), { object: o, file: p.file.path });
    for (const o of p.after?.objects ?? []) if (!afterBy.has(keyOf(o))) afterBy.set(keyOf(o), { object: o, file: p.file.path });
  }

  const redactedBefore = new Map<string, Body>();
  const redactedAfter = new Map<string, Body>();
  const objects: ObjectChange[] = [];
  const images: ImageChange[] = [];
  for (const key of [...new Set([...afterBy.keys(), ...beforeBy.keys()])].sort()) {
    const b = beforeBy.get(key);
    const a = afterBy.get(key);
    const redacted = redactPair(b?.object.body, a?.object.body);
    if (redacted.before) redactedBefore.set(key, redacted.before);
    if (redacted.after) redactedAfter.set(key, redacted.after);
    const ref = (a ?? b)!.object;
    const name = describeObject(ref);
    if (!b) objects.push({ object: name, change: 'added', fields: [], file: a!.file });
    else if (!a) objects.push({ object: name, change: 'removed', fields: [], file: b.file });
    else if (!sameJson(redacted.before, redacted.after))
      objects.push({ object: name, change: 'changed', fields: fieldChanges(redacted.before, redacted.after), file: a.file });
    images.push(...imageChanges(name, b?.object.body, a?.object.body));
  }

  const diffs = parsed.map(({ file, before, after }) => fileDiff(file, before, after, redactedBefore, redactedAfter, mask));
  return {
    objects,
    counts: {
      added: objects.filter((o) => o.change === 'added').length,
      changed: objects.filter((o) => o.change === 'changed').length,
      removed: objects.filter((o) => o.change === 'removed').length,
    },
    images,
    files: diffs,
    unchangedFiles,
  };
}

function fileDiff(
  file: FileVersions,
  before: Side | undefined,
  after: Side | undefined,
  redactedBefore: Map<string, Body>,
  redactedAfter: Map<string, Body>,
  mask: (text: string) => string,
): FileDiff {
  const change = file.before === undefined ? 'added' : file.after === undefined ? 'deleted' : 'edited';
  const problem = before?.problem ?? after?.problem;
  if (problem !== undefined) {
    // Text that is not clean YAML objects cannot be searched for secret values: it is not shown.
    const side = before?.problem !== undefined ? 'the current file' : 'the new file';
    return { path: file.path, change, text: '', added: 0, removed: 0, note: `not shown: ${side} is not a set of Kubernetes objects (${problem})` };
  }
  const secret = [...(before?.objects ?? []), ...(after?.objects ?? [])].some((o) => holdsSecrets(o.body));
  const text = (side: Side | undefined, raw: string | undefined, redacted: Map<string, Body>) => {
    if (raw === undefined || side === undefined) return undefined;
    if (!secret) return mask(raw);
    return mask(side.objects.map((o) => serializeObject(redacted.get(keyOf(o)) ?? o.body)).join('---\n'));
  };
  const diff = unifiedDiff(file.path, text(before, file.before, redactedBefore), text(after, file.after, redactedAfter));
  return { path: file.path, change, ...diff, ...(secret ? { note: 'secret values are shown only as changed/unchanged' } : {}) };
}

function parseSide(text: string | undefined, path: string): Side | undefined {
  if (text === undefined) return undefined;
  // Both sides are files of the GitOps repository: read as Flux reads them (YAML 1.2).
  const result = parseManifests(text, path, { yaml: '1.2' });
  const first = result.errors[0];
  return { objects: result.objects, ...(first ? { problem: `${first.line ? `line ${first.line}: ` : ''}${first.message}` } : {}) };
}

/** Identity of an object: API group, kind, namespace and name (the version may change without a new object). */
function keyOf(o: ManifestObject): string {
  return [apiGroup(o.apiVersion), o.kind, o.namespace ?? '', o.name].join('\0');
}
