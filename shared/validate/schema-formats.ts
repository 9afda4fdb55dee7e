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

/** A key that no scalar value prints to, for a missing key field (two items both without it are duplicates). */
const ABSENT = '\u0000';

function identity(value: unknown): string {
  if (value === undefined || value === null) return ABSENT;
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `v${value}`;
  return `o${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}

/**
 * Calls `duplicate(i, first)` for each item of `items` whose key (the `keys` fields of an object item, or the
 * item itself for `set`) an earlier item `first` has. Items of a map list that are not objects are skipped (the
 * type check reports them).
 */
export function checkUniqueItems(items: readonly unknown[], unique: readonly string[] | 'set', duplicate: (index: number, first: number) => void): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let key: string;
    if (unique === 'set') {
      key = identity(item);
    } else {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
      const record = item as Record<string, unknown>;
      key = unique.length === 1 ? identity(record[unique[0]]) : unique.map((k) => identity(record[k])).join('\u0001');
    }
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else duplicate(i, first);
  }
}
