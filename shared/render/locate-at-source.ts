import { LazilyLocatedObject, type FieldPath, type ManifestObject } from '../manifests/model';

/**
 * The object among `candidates` a rendered object came from: the same kind and name, else the same
 * kind with a name kustomize prefixed or suffixed, else the same kind.
 */
export function matchingSource(obj: ManifestObject, candidates: readonly ManifestObject[]): ManifestObject | undefined {
  return (
    candidates.find((c) => c.kind === obj.kind && c.name === obj.name) ??
    candidates.find((c) => c.kind === obj.kind && obj.name.includes(c.name)) ??
    candidates.find((c) => c.kind === obj.kind)
  );
}

/** `obj` with its locations pointed at `source`'s (not a spread of obj: its source may be a lazy getter over a whole render output). */
export function locatedAt(obj: ManifestObject, source: ManifestObject): ManifestObject {
  return new LazilyLocatedObject(
    obj.apiVersion,
    obj.kind,
    obj.name,
    obj.namespace,
    obj.body,
    (p: FieldPath) => source.locate(p),
    () => source.source,
  );
}
