/**
 * Offline schema validation of rendered Kubernetes objects, strict like `kubeconform -strict`:
 * unknown fields, wrong types and missing required fields of built-in kinds (Kubernetes 1.30 to 1.36, each
 * minor version exactly) and of Flux kinds, plus what the Kubernetes OpenAPI documents add (see ./schema-formats.ts):
 * value formats and duplicate items in map and set lists; and the enums of the built-in kinds.
 *
 * The data:
 *   schemas/kubernetes.json  per Kubernetes minor version, the definitions of the built-in kinds, from the
 *                            Kubernetes OpenAPI document of that version, with the enums of that version's Go API
 *                            types (k8s.io/api `+enum`; scripts/generate-k8s-schemas.mjs)
 *   schemas/flux.json        the Flux CRD definitions, from the CRDs (scripts/generate-flux-schemas.mjs); their
 *                            `metadata` refers to the Kubernetes data
 *
 * Type codes of a field (from the generators):
 *   s string, t date-time (string), y base64 (string), i integer, i32 32-bit integer, n number, b boolean,
 *   a anything, o IntOrString (integer or string), q Quantity (string or number),
 *   []X array of X, [=]X set of X (no duplicates), [k1|k2]X map list of X keyed by k1, k2 (no two items with one
 *   key), {}X map (any keys) of X, =a|b|c one of these strings, Name a definition,
 *   @Name (Flux data) a definition of the Kubernetes data (through its `refAliases`: @V1ObjectMeta).
 * `null` is accepted for any field (the API server treats it as unset) but does not satisfy `required`.
 *
 * Rules:
 *   schema/unknown-field        error    a field the schema does not have (with a suggestion when one is close)
 *   schema/type                 error    a value of the wrong type
 *   schema/required             error    a required field is missing
 *   schema/format               error    an int32 out of range, a date-time that is not RFC 3339, base64 that
 *                                        does not decode (what the API server's decoder rejects)
 *   k8s/enum                    error    a built-in kind's enum field (from the Kubernetes API types) with another
 *                                        value: `Unsupported value: "X": supported values: ...`, the API
 *                                        server's wording and the API rules' rule id (they check the enums
 *                                        that depend on the owner, such as a Deployment's restartPolicy)
 *   schema/duplicate-key        error    two items of a map list with the same key fields (two env vars of
 *                                        one name), or the same item twice in a set list: server-side apply,
 *                                        which Flux uses, rejects them. Not for the lists whose duplicate names
 *                                        the API rules report (containers, volumes: k8s/duplicate-name)
 *   schema/unknown-kind         warning  no schema for this apiVersion/kind (custom resources): not validated
 *   schema/unsupported-version  warning  the requested Kubernetes version is outside the data: validated against
 *                                        the nearest version the data has (reported once, by validateSchemas)
 *                               error    the requested version is not a `1.N` version: validated against the
 *                                        newest data (so the other findings are still useful)
 * An apiVersion of a built-in group that the chosen version does not serve (e.g. `extensions/v1beta1`,
 * `flowcontrol.apiserver.k8s.io/v1beta3` on 1.32) gets no finding here at all: whether an apiVersion is
 * deprecated or removed is reported by the deprecations module, once. See `hasBuiltinGroup`.
 */
import { formatPath, type FieldPath, type ManifestObject, type ObjectRef } from '../manifests/model';
import type { Finding } from '../manifests/finding';
import { hasSopsMetadata, isSopsValue } from '../manifests/sops';
import { findFluxApiLifecycle } from './deprecated-apis';

import kubernetesData from './schemas/kubernetes.json';
import fluxData from './schemas/flux.json';
import { base64Problem, dateTimeProblem, duplicateItems, int32Problem } from './schema-formats';

export interface SchemaOptions {
  /** Target cluster version: `1.30`, `v1.30.4`, `1.31.2-gke.100`, ... */
  kubernetesVersion: string;
}

export interface SchemaVersion {
  /** `1.31` for `v1.31.4`; the input as given when it is malformed. */
  requested: string;
  /** The version of the data used: the requested one, or the nearest when the data has not got it. */
  dataVersion: string;
  /** `schema/unsupported-version` finding, when the requested version is outside the data or malformed. */
  finding?: Finding;
}

// ---------------------------------------------------------------------------------------------------------
// Compiled schema nodes

const enum T {
  Any,
  String,
  Time,
  Integer,
  Number,
  Boolean,
  IntOrString,
  Quantity,
  Array,
  Map,
  Object,
  Enum,
  Int32,
  Bytes,
}

interface ObjectNode {
  t: T.Object;
  fields: Map<string, Node>;
  required: string[];
}
interface ArrayNode {
  t: T.Array;
  item: Node;
  /** A map list's key fields (x-kubernetes-list-map-keys), or `set` for a set list; undefined: any items. */
  unique?: readonly string[] | 'set';
}
type Node =
  | { t: T.Any | T.String | T.Time | T.Integer | T.Number | T.Boolean | T.IntOrString | T.Quantity | T.Int32 | T.Bytes }
  | ArrayNode
  | { t: T.Map; item: Node }
  | ObjectNode
  | EnumNode;

/** `=a|b|c`: one of these strings. `text` lists them for the Flux message, `quoted` for the API server's wording. */
interface EnumNode {
  t: T.Enum;
  values: Set<string>;
  text: string;
  quoted: string;
}

const SCALARS: Record<string, Node> = {
  a: { t: T.Any },
  s: { t: T.String },
  t: { t: T.Time },
  y: { t: T.Bytes },
  i: { t: T.Integer },
  i32: { t: T.Int32 },
  n: { t: T.Number },
  b: { t: T.Boolean },
  o: { t: T.IntOrString },
  q: { t: T.Quantity },
};

/**
 * Map lists whose duplicates the API rules report already (k8s/duplicate-name, at the name, across init, app and
 * ephemeral containers): checked here as plain lists, so that one problem gives one finding.
 */
const UNIQUE_CHECKED_BY_API_RULES = new Set([
  'core.v1.PodSpec.containers',
  'core.v1.PodSpec.initContainers',
  'core.v1.PodSpec.ephemeralContainers',
  'core.v1.PodSpec.volumes',
]);

const EXPECTED: Record<number, string> = {
  [T.String]: 'string',
  [T.Time]: 'date-time string',
  [T.Bytes]: 'base64 string',
  [T.Integer]: 'integer',
  [T.Int32]: 'integer',
  [T.Number]: 'number',
  [T.Boolean]: 'boolean',
  [T.IntOrString]: 'integer or string',
  [T.Quantity]: 'quantity (string or number)',
  [T.Array]: 'array',
  [T.Map]: 'object',
  [T.Object]: 'object',
};

/** Definitions of one Kubernetes data version (plus Flux, resolved against it), compiled on first use. */
class SchemaSet {
  private readonly k8sNodes = new Map<string, ObjectNode>();
  private readonly fluxNodes = new Map<string, ObjectNode>();
  /** `apiVersion kind` -> root node (built-in and Flux kinds). */
  readonly kinds = new Map<string, () => ObjectNode>();
  /** apiVersions this data version serves. */
  readonly servedApiVersions = new Set<string>();

  constructor(readonly dataVersion: string) {
    const bit = 1 << kubernetesData.versions.indexOf(dataVersion);
    for (const [apiVersion, kind, model, mask] of kubernetesData.kinds as [string, string, string, number][]) {
      if ((mask & bit) === 0) continue;
      this.servedApiVersions.add(apiVersion);
      this.kinds.set(`${apiVersion} ${kind}`, () => this.k8s(model));
    }
    for (const [apiVersion, kind, name] of fluxData.kinds as [string, string, string][]) {
      this.kinds.set(`${apiVersion} ${kind}`, () => this.flux(name));
    }
  }

  private k8s(name: string): ObjectNode {
    let node = this.k8sNodes.get(name);
    if (node) return node;
    const index = (kubernetesData.tables as Record<string, number[]>)[this.dataVersion][K8S_NAME_INDEX.get(name) ?? -1];
    if (index === undefined || index < 0) throw new Error(`schema data: no model ${name} in ${this.dataVersion}`);
    node = { t: T.Object, fields: new Map(), required: [] };
    this.k8sNodes.set(name, node);
    this.fill(node, kubernetesData.defs[index], (ref) => this.k8s(ref), name);
    return node;
  }

  private flux(name: string): ObjectNode {
    let node = this.fluxNodes.get(name);
    if (node) return node;
    const def = (fluxData.defs as Record<string, string>)[name];
    if (def === undefined) throw new Error(`schema data: no Flux definition ${name}`);
    node = { t: T.Object, fields: new Map(), required: [] };
    this.fluxNodes.set(name, node);
    this.fill(node, def, (ref) => (ref.startsWith('@') ? this.k8s(K8S_REF_ALIASES[ref.slice(1)] ?? ref.slice(1)) : this.flux(ref)), name);
    return node;
  }

  private fill(node: ObjectNode, def: string, resolve: (ref: string) => ObjectNode, owner: string): void {
    if (def === '') return;
    for (const entry of def.split(',')) {
      const colon = entry.indexOf(':');
      let name = entry.slice(0, colon);
      if (name.endsWith('!')) {
        name = name.slice(0, -1);
        node.required.push(name);
      }
      const field = this.compile(entry.slice(colon + 1), resolve);
      if (field.t === T.Array && field.unique !== undefined && UNIQUE_CHECKED_BY_API_RULES.has(`${owner}.${name}`)) delete field.unique;
      node.fields.set(name, field);
    }
  }

  private compile(code: string, resolve: (ref: string) => ObjectNode): Node {
    if (code.startsWith('[')) {
      const close = code.indexOf(']');
      const inner = code.slice(1, close);
      const node: ArrayNode = { t: T.Array, item: this.compile(code.slice(close + 1), resolve) };
      if (inner === '=') node.unique = 'set';
      else if (inner !== '') node.unique = inner.split('|');
      return node;
    }
    if (code.startsWith('{}')) return { t: T.Map, item: this.compile(code.slice(2), resolve) };
    if (code.startsWith('=')) {
      const values = code.slice(1).split('|');
      return { t: T.Enum, values: new Set(values), text: values.join(', '), quoted: values.map((v) => JSON.stringify(v)).join(', ') };
    }
    const scalar = SCALARS[code];
    if (scalar) return scalar;
    return resolve(code);
  }
}

const K8S_NAME_INDEX = new Map<string, number>(kubernetesData.names.map((n, i) => [n, i]));
const K8S_REF_ALIASES = kubernetesData.refAliases as Record<string, string>;
const DATA_VERSIONS: readonly string[] = kubernetesData.versions;
const schemaSets = new Map<string, SchemaSet>();

function schemaSet(dataVersion: string): SchemaSet {
  let set = schemaSets.get(dataVersion);
  if (!set) {
    set = new SchemaSet(dataVersion);
    schemaSets.set(dataVersion, set);
  }
  return set;
}

/** Kubernetes minor versions the data covers (`1.30` ... `1.36`), each with its own data. */
export const SCHEMA_KUBERNETES_VERSIONS: readonly string[] = [...DATA_VERSIONS].sort((a, b) => minorOf(a) - minorOf(b));

function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

// ---------------------------------------------------------------------------------------------------------
// Groups and kinds

/** Built-in API groups removed before the oldest data version; their apiVersions are the deprecations module's. */
const REMOVED_BUILTIN_GROUPS = ['extensions', 'settings.k8s.io', 'auditregistration.k8s.io'];

const BUILTIN_GROUPS = new Set<string>(REMOVED_BUILTIN_GROUPS);
/** `apiVersion` -> kinds it has in any data version */
const BUILTIN_KINDS = new Map<string, Set<string>>();
for (const [apiVersion, kind] of kubernetesData.kinds as [string, string, string, number][]) {
  BUILTIN_GROUPS.add(groupOf(apiVersion));
  let kinds = BUILTIN_KINDS.get(apiVersion);
  if (!kinds) BUILTIN_KINDS.set(apiVersion, (kinds = new Set()));
  kinds.add(kind);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Whether an apiVersion belongs to a built-in Kubernetes API group (core `v1`, `apps`, `networking.k8s.io`,
 * ..., including groups removed before 1.30 such as `extensions`). An object of such a group whose apiVersion
 * the chosen Kubernetes version does not serve is skipped by validateSchema with no finding: the deprecations
 * module reports removed apiVersions, and reporting them here too would say the same thing twice.
 * (Custom resources of groups such as `gateway.networking.k8s.io` or `snapshot.storage.k8s.io` are not built-in.)
 */
export function hasBuiltinGroup(apiVersion: string): boolean {
  return BUILTIN_GROUPS.has(groupOf(apiVersion));
}

function isFluxGroup(apiVersion: string): boolean {
  return groupOf(apiVersion).endsWith('.toolkit.fluxcd.io');
}

/** Whether validateSchema has a schema for this apiVersion/kind at this Kubernetes version. */
export function hasSchema(apiVersion: string, kind: string, kubernetesVersion: string): boolean {
  return schemaSet(resolveSchemaVersion(kubernetesVersion).dataVersion).kinds.has(`${apiVersion} ${kind}`);
}

// ---------------------------------------------------------------------------------------------------------
// Versions

const VERSION_RE = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$/;

const resolved = new Map<string, SchemaVersion>();

/** Which data version validates `kubernetesVersion`, and the finding to report (once) when it is not covered. */
export function resolveSchemaVersion(kubernetesVersion: string): SchemaVersion {
  let version = resolved.get(kubernetesVersion);
  if (!version) {
    version = resolveUncached(kubernetesVersion);
    if (resolved.size < 100) resolved.set(kubernetesVersion, version);
  }
  return version;
}

function resolveUncached(kubernetesVersion: string): SchemaVersion {
  const newest = DATA_VERSIONS[DATA_VERSIONS.length - 1];
  const oldest = DATA_VERSIONS[0];
  const m = VERSION_RE.exec(kubernetesVersion.trim());
  if (!m || m[1] !== '1') {
    return {
      requested: kubernetesVersion,
      dataVersion: newest,
      finding: {
        rule: 'schema/unsupported-version',
        severity: 'error',
        message: `Kubernetes version "${kubernetesVersion}" is not a version like 1.30 or v1.30.4; schemas were checked against Kubernetes ${newest}`,
      },
    };
  }
  const minor = Number(m[2]);
  const requested = `1.${minor}`;
  if (DATA_VERSIONS.includes(requested)) return { requested, dataVersion: requested };
  const covered = `${oldest}–${newest}`;
  if (minor < minorOf(oldest)) {
    return {
      requested,
      dataVersion: oldest,
      finding: {
        rule: 'schema/unsupported-version',
        severity: 'warning',
        message: `Kubernetes ${requested} is older than the schema data (${covered}); schemas were checked against Kubernetes ${oldest}, so fields added after ${requested} are not reported`,
      },
    };
  }
  if (minor > minorOf(newest)) {
    return {
      requested,
      dataVersion: newest,
      finding: {
        rule: 'schema/unsupported-version',
        severity: 'warning',
        message: `Kubernetes ${requested} is newer than the schema data (${covered}); schemas were checked against Kubernetes ${newest}, so fields added after ${newest} are reported as unknown`,
      },
    };
  }
  // A gap inside the range (none today): use the next newer version (lenient on new fields).
  const next = DATA_VERSIONS.find((v) => minorOf(v) > minor) ?? newest;
  return { requested, dataVersion: next };
}

// ---------------------------------------------------------------------------------------------------------
// Validation

interface Context {
  obj: ManifestObject;
  ref: ObjectRef;
  where: string;
  findings: Finding[];
  path: (string | number)[];
  /**
   * A built-in kind: its date-time fields decode with Go's RFC 3339 parser. (A custom resource's are checked by the
   * CRD's more lenient `format: date-time`, which this module does not copy: Flux objects get no date-time check.)
   */
  builtin: boolean;
  /** SOPS-encrypted: Flux decrypts each `ENC[...]` value (whatever its type after decryption) and drops `sops`. */
  sops: boolean;
}

/**
 * Validate one object. Findings about the requested version itself are not included (see validateSchemas and
 * resolveSchemaVersion): the object is validated against the version resolveSchemaVersion picks.
 */
export function validateSchema(obj: ManifestObject, options: SchemaOptions): Finding[] {
  const version = resolveSchemaVersion(options.kubernetesVersion);
  return validateWith(schemaSet(version.dataVersion), schemaLabel(version), obj);
}

/** Validate many objects; the `schema/unsupported-version` finding, if any, comes first and only once. */
export function validateSchemas(objects: Iterable<ManifestObject>, options: SchemaOptions): Finding[] {
  const version = resolveSchemaVersion(options.kubernetesVersion);
  const set = schemaSet(version.dataVersion);
  const findings: Finding[] = version.finding ? [{ ...version.finding }] : [];
  for (const obj of objects) {
    for (const f of validateWith(set, schemaLabel(version), obj)) findings.push(f);
  }
  return findings;
}

/** The version named in messages: the requested one, or the data's when the request is not covered. */
function schemaLabel(version: SchemaVersion): string {
  return version.finding ? version.dataVersion : version.requested;
}

/** The object as kustomize-controller applies it after decrypting: without the `sops` metadata block. */
function withoutSopsBlock(body: Record<string, unknown>): Record<string, unknown> {
  const { sops: _sops, ...rest } = body;
  return rest;
}

function refOf(obj: ManifestObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.name };
  if (obj.namespace !== undefined) ref.namespace = obj.namespace;
  return ref;
}

function validateWith(set: SchemaSet, requested: string, obj: ManifestObject): Finding[] {
  const findings: Finding[] = [];
  const { apiVersion, kind } = obj;
  const root = set.kinds.get(`${apiVersion} ${kind}`);
  if (!root) {
    const message = unknownKindMessage(set, requested, apiVersion, kind);
    if (message !== undefined) {
      findings.push({ rule: 'schema/unknown-kind', severity: 'warning', message, ...loc(obj.source), object: refOf(obj) });
    }
    return findings;
  }
  const ctx: Context = {
    obj,
    ref: refOf(obj),
    where: `${apiVersion} ${kind}`,
    findings,
    path: [],
    builtin: !isFluxGroup(apiVersion),
    sops: hasSopsMetadata(obj.body),
  };
  const body = ctx.sops ? withoutSopsBlock(obj.body) : obj.body;
  checkObject(root(), body, ctx, ctx.builtin ? `the Kubernetes ${requested} schema` : `the Flux ${fluxData.release.flux} schema`);
  return findings;
}

/** undefined: skip silently (a built-in apiVersion this version does not serve: the deprecations module's). */
function unknownKindMessage(set: SchemaSet, requested: string, apiVersion: string, kind: string): string | undefined {
  if (!apiVersion || !kind) return `object without apiVersion or kind was not validated against a schema`;
  if (hasBuiltinGroup(apiVersion)) {
    if (!set.servedApiVersions.has(apiVersion)) return undefined;
    if (BUILTIN_KINDS.get(apiVersion)?.has(kind)) return undefined; // served by other versions of the data
    const known = [...(BUILTIN_KINDS.get(apiVersion) ?? [])].filter((k) => set.kinds.has(`${apiVersion} ${k}`));
    const suggestion = closest(kind, known);
    return `${apiVersion} has no kind ${kind} in Kubernetes ${requested}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; not validated`;
  }
  if (isFluxGroup(apiVersion)) {
    // An apiVersion the microsoft.flux extension removed: the deprecations module reports it (api/removed), once.
    if (findFluxApiLifecycle(apiVersion, kind)?.removed) return undefined;
    const known = fluxData.kinds.filter((k) => k[0] === apiVersion).map((k) => k[1]);
    const suggestion = closest(kind, known);
    return `no Flux schema for ${apiVersion} ${kind}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; not validated`;
  }
  return `no schema for ${apiVersion} ${kind} (custom resource); not validated`;
}

function loc(source: { file: string; line?: number; column?: number }): Pick<Finding, 'file' | 'line' | 'column'> {
  const out: Pick<Finding, 'file' | 'line' | 'column'> = { file: source.file };
  if (source.line !== undefined) out.line = source.line;
  if (source.column !== undefined) out.column = source.column;
  return out;
}

function report(ctx: Context, rule: string, message: string, path: FieldPath): void {
  ctx.findings.push({ rule, severity: 'error', message, ...loc(ctx.obj.locate(path)), object: ctx.ref });
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  switch (typeof value) {
    case 'string': {
      const text = value.length > 40 ? `${value.slice(0, 37)}...` : value;
      return `string ${JSON.stringify(text)}`;
    }
    case 'number':
      return Number.isInteger(value) ? `integer ${value}` : `number ${value}`;
    case 'bigint':
      return `integer ${value}`;
    case 'boolean':
      return `boolean ${value}`;
    case 'object':
      return 'object';
    default:
      return typeof value;
  }
}

function typeError(ctx: Context, expected: string, value: unknown): void {
  const path = ctx.path.slice();
  const got = isSecretData(ctx.obj, path) ? describeType(value) : describeValue(value);
  report(ctx, 'schema/type', `${formatPath(path) || '(object)'}: expected ${expected}, got ${got}`, path);
}

/** `Invalid value: <value>: <problem>` at the current path, when there is a problem; never a Secret's value. */
function formatError(ctx: Context, value: string | number | bigint, problem: string | undefined): void {
  if (problem === undefined) return;
  const path = ctx.path.slice();
  const shown = isSecretData(ctx.obj, path)
    ? '(value not shown)'
    : typeof value === 'string'
      ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
      : String(value);
  report(ctx, 'schema/format', `${formatPath(path)}: Invalid value: ${shown}: ${problem}`, path);
}

/**
 * Duplicate keys in a map list (`[name|...]`) or items in a set list, at the later item, in the API server's
 * field-error wording. Server-side apply (Flux's) rejects the object; client-side `kubectl apply` would keep one of
 * the two silently.
 */
function checkUnique(unique: readonly string[] | 'set', items: unknown[], ctx: Context): void {
  const pairs = duplicateItems(items, unique);
  if (pairs === undefined) return;
  for (const [i, first] of pairs) {
    const path = [...ctx.path, i];
    const list = String(ctx.path[ctx.path.length - 1]);
    let message: string;
    if (unique === 'set') {
      message = `${formatPath(path)}: Duplicate value: ${printScalar(items[i])} (the same as ${list}[${first}]; ${list} is a set: server-side apply, as Flux applies, rejects duplicates)`;
    } else {
      const item = items[i] as Record<string, unknown>;
      const keys = unique
        .filter((k) => item[k] !== undefined && item[k] !== null)
        .map((k) => `${JSON.stringify(k)}:${printScalar(item[k])}`)
        .join(', ');
      message =
        `${formatPath(path)}: Duplicate value: map[string]interface {}{${keys}} (the same key as ${list}[${first}]; ` +
        `${list} is a list keyed by ${unique.join(', ')}: server-side apply, as Flux applies, rejects duplicate keys)`;
    }
    report(ctx, 'schema/duplicate-key', message, path);
  }
}

function printScalar(value: unknown): string {
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? String(value);
}

/** A value under a v1 Secret's data or stringData: a message names its type, never the value. */
function isSecretData(obj: ManifestObject, path: FieldPath): boolean {
  return obj.apiVersion === 'v1' && obj.kind === 'Secret' && (path[0] === 'data' || path[0] === 'stringData');
}

function describeType(value: unknown): string {
  return describeValue(value).split(' ')[0];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function check(node: Node, value: unknown, ctx: Context, schemaName: string): void {
  if (value === null || value === undefined) return;
  if (ctx.sops && isSopsValue(value)) return; // its type and format are known only after decryption
  switch (node.t) {
    case T.Any:
      return;
    case T.String:
      // A YAML 1.1 timestamp (`2024-01-01`) is a Date to the parser but a string to the API server's decoder.
      if (typeof value !== 'string' && !(value instanceof Date)) typeError(ctx, 'string', value);
      return;
    case T.Time:
      if (typeof value === 'string') {
        if (ctx.builtin) formatError(ctx, value, dateTimeProblem(value));
      } else if (!(value instanceof Date)) typeError(ctx, 'date-time string', value);
      return;
    case T.Bytes:
      if (typeof value === 'string') formatError(ctx, value, base64Problem(value));
      else if (!(value instanceof Date)) typeError(ctx, 'base64 string', value);
      return;
    case T.Integer:
      if (!(typeof value === 'number' && Number.isInteger(value)) && typeof value !== 'bigint') typeError(ctx, 'integer', value);
      return;
    case T.Int32:
      if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') formatError(ctx, value, int32Problem(value));
      else typeError(ctx, 'integer', value);
      return;
    case T.Number:
      if (!(typeof value === 'number' && Number.isFinite(value)) && typeof value !== 'bigint') typeError(ctx, 'number', value);
      return;
    case T.Boolean:
      if (typeof value !== 'boolean') typeError(ctx, 'boolean', value);
      return;
    case T.IntOrString:
      if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') {
        if (ctx.builtin) formatError(ctx, value, int32Problem(value)); // intstr's integer is an int32
      } else if (typeof value !== 'string') {
        typeError(ctx, 'integer or string', value);
      }
      return;
    case T.Quantity:
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value)) && typeof value !== 'bigint') {
        typeError(ctx, EXPECTED[T.Quantity], value);
      }
      return;
    case T.Enum:
      if (ctx.builtin) checkBuiltinEnum(node, value, ctx);
      else if (typeof value !== 'string' || !node.values.has(value)) typeError(ctx, `one of ${node.text}`, value);
      return;
    case T.Array: {
      if (!Array.isArray(value)) {
        typeError(ctx, 'array', value);
        return;
      }
      const path = ctx.path;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        check(node.item, value[i], ctx, schemaName);
        path.pop();
      }
      if (node.unique !== undefined && value.length > 1) checkUnique(node.unique, value, ctx);
      return;
    }
    case T.Map: {
      if (!isPlainObject(value)) {
        typeError(ctx, 'object', value);
        return;
      }
      if (node.item.t === T.Any) return;
      const path = ctx.path;
      for (const key of Object.keys(value)) {
        path.push(key);
        check(node.item, value[key], ctx, schemaName);
        path.pop();
      }
      return;
    }
    case T.Object:
      checkObject(node, value, ctx, schemaName);
      return;
  }
}

/**
 * An enum field of a built-in kind (from the Kubernetes API types' `+enum`), as the API server's validation reports
 * it: `spec.type: Unsupported value: "LoadBalancr": supported values: "ClusterIP", ...` (rule k8s/enum, as the
 * API rules' context-dependent sets). Not reported: "" (the server defaults it or treats it as unset), a YAML
 * timestamp (no enum value looks like one), and anything under `status` (ignored on create and apply).
 */
function checkBuiltinEnum(node: EnumNode, value: unknown, ctx: Context): void {
  if (typeof value !== 'string') {
    if (!(value instanceof Date)) typeError(ctx, 'string', value);
    return;
  }
  if (value === '' || node.values.has(value)) return;
  const path = ctx.path.slice();
  if (inStatus(path)) return;
  report(ctx, 'k8s/enum', `${formatPath(path)}: Unsupported value: ${JSON.stringify(value)}: supported values: ${node.quoted}`, path);
}

/** Whether a field path is in a `status` subtree: the object's own, or a nested object's (a claim template's). */
function inStatus(path: FieldPath): boolean {
  for (let i = 0; i < path.length - 1; i++) if (path[i] === 'status') return true;
  return false;
}

function checkObject(node: ObjectNode, value: unknown, ctx: Context, schemaName: string): void {
  if (!isPlainObject(value)) {
    typeError(ctx, 'object', value);
    return;
  }
  const path = ctx.path;
  const fields = node.fields;
  for (const key of Object.keys(value)) {
    const field = fields.get(key);
    path.push(key);
    if (field === undefined) {
      const at = path.slice();
      const suggestion = closest(key, [...fields.keys()]);
      report(
        ctx,
        'schema/unknown-field',
        `unknown field ${formatPath(at)} (not in ${schemaName} of ${ctx.where})${suggestion ? `; did you mean ${suggestion}?` : ''}`,
        at,
      );
    } else {
      check(field, value[key], ctx, schemaName);
    }
    path.pop();
  }
  for (const name of node.required) {
    if (value[name] === undefined || value[name] === null) {
      const at = path.slice();
      report(ctx, 'schema/required', `missing required field ${formatPath([...at, name])} (${ctx.where})`, at);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Suggestions

/** The one candidate obviously meant by `word` (same letters ignoring case, or a small edit away), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = word.length <= 2 ? 0 : word.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (c === lower) return candidate;
    if (Math.abs(c.length - lower.length) > limit) continue;
    const d = editDistance(lower, c, limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) {
      tie = true;
    }
  }
  return best !== undefined && bestDistance <= limit && !tie ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions); > limit when over it. */
function editDistance(a: string, b: string, limit: number): number {
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}
