/** A path into a parsed object, e.g. ['spec', 'template', 'spec', 'containers', 0, 'image']. */
export type FieldPath = ReadonlyArray<string | number>;

/** Where something comes from: a file of the user's repository (relative path) and a 1-based line. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** What identifies a Kubernetes object in a manifest set. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One rendered Kubernetes object, with the means to point back at the file and line it came from. */
export interface ManifestObject extends ObjectRef {
  /** The object as parsed (plain JSON values). */
  body: Record<string, unknown>;
  /** Where the object starts in its source file. */
  source: SourceLocation;
  /** The source location of a field of this object; falls back to the object's start. */
  locate(path: FieldPath): SourceLocation;
}

/**
 * A ManifestObject whose `source` is worked out on first use (most objects never need a location). A class, not an
 * object literal with a `get source()`: V8 keeps such literals in dictionary mode, and every check reads these
 * objects' fields (the validation of 12,000 objects spent a tenth of its time in those lookups).
 */
export class LazilyLocatedObject implements ManifestObject {
  private located: SourceLocation | undefined;

  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    readonly name: string,
    readonly namespace: string | undefined,
    readonly body: Record<string, unknown>,
    readonly locate: (path: FieldPath) => SourceLocation,
    private readonly sourceOf: () => SourceLocation = () => locate([]),
  ) {}

  get source(): SourceLocation {
    return (this.located ??= this.sourceOf());
  }
}

/** `apps` for `apps/v1`, `` (core) for `v1`. */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `Deployment default/web` style label used in messages. */
export function describeObject(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** A JSON-pointer-like dotted path for messages: spec.template.spec.containers[0].image */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
