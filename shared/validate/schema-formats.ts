/**
 * What the Kubernetes OpenAPI documents say beyond types, checked by schema.ts as the API server checks it:
 *   format int32      the decoder rejects a number that does not fit (`replicas: 3000000000`)
 *   format date-time  metav1.Time decodes with Go's time.Parse(time.RFC3339, ...)
 *   format byte       []byte fields (Secret data, caBundle) decode with Go's base64.StdEncoding
 *   x-kubernetes-list-type map / set
 *                     server-side apply (how Flux applies) rejects two items of a map list with the same key
 *                     fields, and the same item twice in a set
 * Each function returns the problem's wording (undefined: fine).
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** A number or bigint the int32 decoder rejects (non-integers are the type check's). */
export function int32Problem(value: number | bigint): string | undefined {
  return value < INT32_MIN || value > INT32_MAX ? `must fit in a 32-bit integer (${INT32_MIN} to ${INT32_MAX})` : undefined;
}

// Go's time.RFC3339 layout as time.Parse reads it: fractional seconds are accepted after the seconds even though
// the layout has none; `T` and `Z` must be upper case; the offset is ±hh:mm.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

export const DATE_TIME_EXPECTED = 'must be an RFC 3339 date-time such as "2024-01-31T12:00:00Z"';

/** A date-time string metav1.Time (and MicroTime) cannot parse. */
export function dateTimeProblem(value: string): string | undefined {
  const m = RFC3339.exec(value);
  if (!m) return DATE_TIME_EXPECTED;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneOk = m[7] === undefined || (Number(m[7]) < 24 && Number(m[8]) < 60);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !zoneOk) return DATE_TIME_EXPECTED;
  return undefined;
}

const BASE64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1;

/**
 * Where Go's base64.StdEncoding.Decode stops on `value` (padding required, `\r` and `\n` skipped), worded as its
 * error: `illegal base64 data at input byte 3`. The offsets are Go's (bytes: the text is ASCII up to the error).
 */
export function base64Problem(value: string): string | undefined {
  const at = base64ErrorOffset(value);
  return at === undefined ? undefined : `illegal base64 data at input byte ${at}`;
}

function base64ErrorOffset(src: string): number | undefined {
  const n = src.length;
  let si = 0;
  const skipNewlines = () => {
    while (si < n && (src[si] === '\n' || src[si] === '\r')) si++;
  };
  for (;;) {
    // one quantum of four characters
    for (let j = 0; j < 4; j++) {
      skipNewlines();
      if (si === n) {
        if (j === 0) return undefined;
        return si - j; // an incomplete quantum: StdEncoding requires padding
      }
      const c = src.charCodeAt(si);
      si++;
      if (c === 0x3d /* = */) {
        if (j < 2) return si - 1;
        if (j === 2) {
          skipNewlines();
          if (si === n) return n;
          if (src[si] !== '=') return si - 1;
          si++;
        }
        skipNewlines();
        return si < n ? si : undefined; // anything after the padding is an error
      }
      if (c >= 128 || BASE64[c] === 0) return si - 1;
    }
  }
}

/**
 * Index pairs [later, first] of the items of `items` whose key (the `keys` fields of an object item, or the item
 * itself for `set`) an earlier item `first` has; undefined when there are none (the usual case: no allocation).
 * Items of a map list that are not objects are skipped (the type check reports them). A missing key field equals
 * only a missing (or null) one; `80` and `"80"` differ.
 */
export function duplicateItems(items: readonly unknown[], unique: readonly string[] | 'set'): [number, number][] | undefined {
  const n = items.length;
  const m = unique === 'set' ? 1 : unique.length;
  if (n > MAX_PAIRWISE || m > SCRATCH.length) return duplicateItemsHashed(items, unique);
  // Short lists (env vars, ports, mounts, finalizers): each key field read once into reused arrays, then compared
  // pairwise; nothing allocated. (Reading `item[key]` for every pair cost more than the rest of the schema check.)
  for (let i = 0; i < n; i++) {
    const item = items[i];
    if (unique === 'set') SCRATCH[0][i] = item;
    else if (!isRecord(item)) SCRATCH[0][i] = NOT_AN_ITEM;
    else for (let k = 0; k < m; k++) SCRATCH[k][i] = item[unique[k]];
  }
  let out: [number, number][] | undefined;
  const first = SCRATCH[0];
  for (let i = 1; i < n; i++) {
    const a = first[i];
    if (a === NOT_AN_ITEM) continue;
    for (let j = 0; j < i; j++) {
      const b = first[j];
      if (b === NOT_AN_ITEM || (a !== b && (typeof a === 'string' || !sameValue(a, b)))) continue;
      let same = true;
      for (let k = 1; k < m && same; k++) same = sameValue(SCRATCH[k][i], SCRATCH[k][j]);
      if (same) {
        (out ??= []).push([i, j]);
        break;
      }
    }
  }
  for (let k = 0; k < m; k++) SCRATCH[k].fill(undefined, 0, n); // hold no references to the objects
  return out;
}

const MAX_PAIRWISE = 32;
/** One reused array per key field (map lists have at most 4 today). */
const SCRATCH: unknown[][] = Array.from({ length: 4 }, () => new Array<unknown>(MAX_PAIRWISE).fill(undefined));
const NOT_AN_ITEM = Symbol('not an object');

function duplicateItemsHashed(items: readonly unknown[], unique: readonly string[] | 'set'): [number, number][] | undefined {
  let out: [number, number][] | undefined;
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let key: string;
    if (unique === 'set') {
      key = identity(item);
    } else {
      if (!isRecord(item)) continue;
      key = unique.map((k) => identity(item[k])).join('\u0001');
    }
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else (out ??= []).push([i, first]);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a === undefined || a === null) && (b === undefined || b === null);
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== 'object' && tb !== 'object' && ta !== 'bigint' && tb !== 'bigint') return false; // distinct scalars
  return identity(a) === identity(b); // 1 and 1n; objects and lists by their JSON
}

/** A key that no scalar value prints to, for a missing key field (two items both without it are duplicates). */
const ABSENT = '\u0000';

function identity(value: unknown): string {
  if (value === undefined || value === null) return ABSENT;
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `v${value}`;
  return `o${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}
