/**
 * Secret values never reach a preview: in a Secret's `data`/`stringData`, a SealedSecret's
 * `spec.encryptedData` and `spec.template.data`, and a SOPS-encrypted document's `sops` block and
 * `ENC[...]` values, every value is replaced by a label that says only whether it changed. The
 * labels are fixed words (no hash of the value), so nothing about a value can be guessed from them.
 */

export const SECRET_UNCHANGED = '[secret value, unchanged]';
export const SECRET_CHANGED = '[secret value, changed]';
export const SECRET_ADDED = '[secret value, added]';
/** The old side of a changed or removed value. */
export const SECRET_BEFORE = '[secret value]';

type Body = Record<string, unknown>;

/** True for a document whose values are secret: a Secret, a SealedSecret, or anything SOPS-encrypted. */
export function holdsSecrets(body: Body | undefined): boolean {
  if (!body) return false;
  return body.kind === 'Secret' || body.kind === 'SealedSecret' || 'sops' in body || hasEncryptedValue(body);
}

/** The paths (from the body's root) of the maps whose every value is secret. */
function secretMaps(body: Body): string[][] {
  const maps: string[][] = [];
  if (body.kind === 'Secret') maps.push(['data'], ['stringData']);
  if (body.kind === 'SealedSecret') maps.push(['spec', 'encryptedData'], ['spec', 'template', 'data'], ['spec', 'template', 'stringData']);
  return maps;
}

/**
 * Both sides of one object with their secret values replaced; either side may be missing (an added
 * or removed object). A value equal on both sides shows as unchanged on both, a changed one as
 * "[secret value]" before and "[secret value, changed]" after, so a text diff shows exactly the
 * lines whose values changed.
 */
export function redactPair(before: Body | undefined, after: Body | undefined): { before?: Body; after?: Body } {
  if (!holdsSecrets(before) && !holdsSecrets(after)) return { before, after };
  const b = before === undefined ? undefined : structuredClone<Body>(before);
  const a = after === undefined ? undefined : structuredClone<Body>(after);
  const paths = new Map<string, string[]>();
  for (const side of [b, a]) if (side) for (const p of secretMaps(side)) paths.set(p.join('\0'), p);
  for (const path of paths.values()) redactMap(mapAt(b, path), mapAt(a, path));
  // SOPS: the metadata block as one value, and every ENC[...] string wherever it is.
  if (b && 'sops' in b) b.sops = a && 'sops' in a ? (sameJson(b.sops, a.sops) ? SECRET_UNCHANGED : SECRET_BEFORE) : SECRET_BEFORE;
  if (a && 'sops' in a) a.sops = b && 'sops' in b ? (b.sops === SECRET_UNCHANGED ? SECRET_UNCHANGED : SECRET_CHANGED) : SECRET_ADDED;
  redactEncrypted(b, a);
  return { before: b, after: a };
}

function redactMap(before: Body | undefined, after: Body | undefined): void {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    const inBefore = before !== undefined && key in before;
    const inAfter = after !== undefined && key in after;
    const same = inBefore && inAfter && sameJson(before[key], after[key]);
    if (inBefore) before[key] = same ? SECRET_UNCHANGED : SECRET_BEFORE;
    if (inAfter) after[key] = same ? SECRET_UNCHANGED : inBefore ? SECRET_CHANGED : SECRET_ADDED;
  }
}

/** The map at `path`, when there is one (a non-map value there is replaced as a whole by its parent's rule). */
function mapAt(body: Body | undefined, path: string[]): Body | undefined {
  let node: unknown = body;
  for (const key of path) {
    if (!isMap(node)) return undefined;
    node = node[key];
  }
  if (isMap(node)) return node;
  // A scalar where a map belongs (malformed, but it may still be a secret): wrap it so it is redacted.
  if (node !== undefined && body) {
    const parent = mapAt(body, path.slice(0, -1));
    if (parent) {
      const wrapper: Body = { value: node };
      parent[path[path.length - 1]] = wrapper;
      return wrapper;
    }
  }
  return undefined;
}

/** Replaces every `ENC[...]` string (SOPS values), comparing the two sides at the same path. */
function redactEncrypted(before: unknown, after: unknown): void {
  const walk = (b: unknown, a: unknown, setB: (v: unknown) => void, setA: (v: unknown) => void) => {
    const bEnc = isEncrypted(b);
    const aEnc = isEncrypted(a);
    if (bEnc || aEnc) {
      const same = b === a;
      if (b !== undefined) setB(bEnc ? (same ? SECRET_UNCHANGED : SECRET_BEFORE) : b);
      if (a !== undefined) setA(aEnc ? (same ? SECRET_UNCHANGED : b === undefined ? SECRET_ADDED : SECRET_CHANGED) : a);
      return;
    }
    if (isMap(b) || isMap(a)) {
      const bm = isMap(b) ? b : undefined;
      const am = isMap(a) ? a : undefined;
      for (const key of new Set([...Object.keys(bm ?? {}), ...Object.keys(am ?? {})])) {
        walk(
          bm?.[key],
          am?.[key],
          (v) => bm && (bm[key] = v),
          (v) => am && (am[key] = v),
        );
      }
    } else if (Array.isArray(b) || Array.isArray(a)) {
      const bl = Array.isArray(b) ? (b as unknown[]) : undefined;
      const al = Array.isArray(a) ? (a as unknown[]) : undefined;
      const n = Math.max(bl?.length ?? 0, al?.length ?? 0);
      for (let i = 0; i < n; i++) {
        walk(
          bl?.[i],
          al?.[i],
          (v) => bl && (bl[i] = v),
          (v) => al && (al[i] = v),
        );
      }
    }
  };
  walk(
    before,
    after,
    () => undefined,
    () => undefined,
  );
}

function hasEncryptedValue(node: unknown): boolean {
  if (isEncrypted(node)) return true;
  if (Array.isArray(node)) return node.some(hasEncryptedValue);
  if (isMap(node)) return Object.values(node).some(hasEncryptedValue);
  return false;
}

function isEncrypted(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('ENC[') && value.endsWith(']');
}

function isMap(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameJson(v, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return false;
}
