/**
 * Reading a fluxConfigurations resource the way Flux on Arc/AKS reports it: which commit the
 * source synced (`main@sha1:<sha>`, or the older `main/<sha>`), which revision each Kustomization
 * applied ("Applied revision: ..."), and whether the objects of one promotion are Compliant at
 * that revision. Pure functions over the resource (ancestry is passed in), so every case is a
 * unit test.
 */
import { checkSource, ExpectedSource } from './source';

export interface FluxStatusCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: Date | string;
}

export interface FluxObjectStatus {
  name?: string;
  namespace?: string;
  kind?: string;
  complianceState?: string;
  appliedBy?: { name?: string; namespace?: string } | null;
  statusConditions?: FluxStatusCondition[] | null;
  helmReleaseProperties?: { lastRevisionApplied?: number; failureCount?: number } | null;
}

/** The fields of a FluxConfiguration we read (the SDK's flattened model, or the REST `properties`). */
export interface FluxStatus {
  name?: string;
  suspend?: boolean;
  /** GitRepository (the default when absent), Bucket, AzureBlob or OCIRepository. */
  sourceKind?: string | null;
  gitRepository?: {
    url?: string | null;
    /** How often source-controller fetches the repository (the poll reads just after a fetch). */
    syncIntervalInSeconds?: number | null;
    repositoryRef?: { branch?: string | null; tag?: string | null; semver?: string | null; commit?: string | null } | null;
  } | null;
  bucket?: { url?: string | null; bucketName?: string | null } | null;
  azureBlob?: { url?: string | null; containerName?: string | null } | null;
  ociRepository?: { url?: string | null } | null;
  sourceSyncedCommitId?: string | null;
  sourceUpdatedAt?: Date | string | null;
  statusUpdatedAt?: Date | string | null;
  statuses?: FluxObjectStatus[] | null;
  /**
   * The Kustomizations the configuration defines (key -> definition); on the cluster each is named
   * `<configuration>-<key>`. `wait` defaults to true.
   */
  kustomizations?: Record<string, { wait?: boolean | null } | null | undefined> | null;
  complianceState?: string | null;
  provisioningState?: string | null;
  errorMessage?: string | null;
}

const SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/** `main@sha1:<sha>`, `refs/heads/main@sha1:<sha>`, `main/<sha>`, `<sha>` -> ref and sha (lower case). */
export function parseRevision(revision: string | null | undefined): { ref?: string; sha?: string } {
  const text = (revision ?? '').trim();
  if (text === '') return {};
  const modern = /^(.*)@sha(?:1|256):([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.exec(text);
  if (modern) return { ref: modern[1] || undefined, sha: modern[2].toLowerCase() };
  const legacy = /^(.*)\/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.exec(text);
  if (legacy) return { ref: legacy[1] || undefined, sha: legacy[2].toLowerCase() };
  if (SHA.test(text.toLowerCase())) return { sha: text.toLowerCase() };
  return {};
}

/** The revision a Ready message names ("Applied revision: main@sha1:..", "stored artifact for revision 'main/..'"). */
export function revisionInMessage(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const m = /revision:?\s*'?([^\s']+)'?/i.exec(message);
  return m ? parseRevision(m[1]).sha : undefined;
}

function time(value: Date | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

export interface ObjectView {
  kind: string;
  name: string;
  namespace: string;
  complianceState: string;
  /** The revision its Ready condition names, when it names one. */
  revision?: string;
  message?: string;
  /**
   * A Kustomization: whether Flux assessed the health of what it applied (`wait: true` or
   * `healthChecks`). Without it "Ready" only means applied. Known from a `Healthy` condition, or,
   * since Arc may report only the Ready condition (as the API's own example does), from the
   * configuration's `wait` for the Kustomizations it defines.
   */
  healthAssessed?: boolean;
}

export function describeObject(o: ObjectView): string {
  const id = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
  return `${id}: ${o.complianceState}${o.message ? ` (${o.message})` : ''}`;
}

export interface Selection {
  /** Names as statuses show them (`voting-app-dev`), or configuration keys (`clusters` -> `<config>-clusters`). */
  kustomizations?: string[];
  /** Only objects in these namespaces (and the Kustomizations that applied them). */
  namespaces?: string[];
}

/** The statuses that belong to this promotion: its Kustomizations, and the objects they applied. */
export function selectObjects(
  status: FluxStatus,
  configName: string,
  selection: Selection,
): { kustomizations: ObjectView[]; objects: ObjectView[]; missing: string[] } {
  const all = (status.statuses ?? []).map((s) => ({ raw: s, view: view(s) }));
  const wanted = (selection.kustomizations ?? []).map((n) => n.trim()).filter(Boolean);
  const namespaces = (selection.namespaces ?? []).map((n) => n.trim()).filter(Boolean);
  const isKs = (s: FluxObjectStatus) => s.kind === 'Kustomization';
  const nameMatches = (s: FluxObjectStatus, n: string) => s.name === n || s.name === `${configName}-${n}`;
  let kustomizations = all.filter((s) => isKs(s.raw) && (wanted.length === 0 || wanted.some((n) => nameMatches(s.raw, n))));
  const missing = wanted.filter((n) => !all.some((s) => isKs(s.raw) && nameMatches(s.raw, n)));
  const appliedByKs = (s: FluxObjectStatus) =>
    kustomizations.some((k) => k.raw.name === s.appliedBy?.name && (k.raw.namespace ?? '') === (s.appliedBy?.namespace ?? ''));
  const inNamespaces = (s: FluxObjectStatus) => namespaces.length === 0 || namespaces.includes(s.namespace ?? '');
  let objects = all.filter((s) => !isKs(s.raw) && s.raw.kind !== 'GitRepository' && appliedByKs(s.raw) && inNamespaces(s.raw));
  if (namespaces.length > 0 && wanted.length === 0) {
    // only the Kustomizations that applied something in those namespaces (all of them until one has)
    const owners = kustomizations.filter((k) =>
      objects.some((o) => o.raw.appliedBy?.name === k.raw.name && (o.raw.appliedBy?.namespace ?? '') === (k.raw.namespace ?? '')),
    );
    if (owners.length > 0) kustomizations = owners;
    objects = objects.filter((o) => kustomizations.some((k) => k.raw.name === o.raw.appliedBy?.name));
  }
  const waits = new Set(
    Object.entries(status.kustomizations ?? {})
      .filter(([, k]) => k?.wait !== false)
      .map(([key]) => `${configName}-${key}`),
  );
  const assessed = (k: ObjectView) => (k.healthAssessed === false && waits.has(k.name) ? { ...k, healthAssessed: true } : k);
  return { kustomizations: kustomizations.map((k) => assessed(k.view)), objects: objects.map((o) => o.view), missing };
}

function view(s: FluxObjectStatus): ObjectView {
  const ready = (s.statusConditions ?? []).find((c) => c.type === 'Ready') ?? (s.statusConditions ?? [])[0];
  return {
    kind: s.kind ?? '?',
    name: s.name ?? '?',
    namespace: s.namespace ?? '',
    complianceState: s.complianceState ?? 'Unknown',
    revision: revisionInMessage(ready?.message),
    message: ready?.message?.replace(/^'|'$/g, ''),
    ...(s.kind === 'Kustomization' ? { healthAssessed: (s.statusConditions ?? []).some((c) => c.type === 'Healthy') } : {}),
  };
}

export type Phase =
  /** The source has not synced our commit (or a descendant) yet. */
  | 'waiting-for-source'
  /** Synced; the statuses are not yet all Compliant at our revision. */
  | 'waiting-for-objects'
  /** Synced, and every object of the promotion is Compliant at our revision. */
  | 'reconciled'
  /** Our revision (or a later one) is Non-Compliant. */
  | 'non-compliant'
  | 'suspended'
  /** provisioningState Failed. */
  | 'provisioning-failed'
  /** The source is a Bucket, AzureBlob or OCIRepository: its revision is not a commit, the commit cannot be proven deployed. */
  | 'unsupported-source'
  /** A GitRepository source on another repository, branch, tag, semver range or pinned commit than the expected one. */
  | 'source-mismatch';

export interface Evaluation {
  phase: Phase;
  syncedRevision?: string;
  syncedSha?: string;
  complianceState: string;
  kustomizations: ObjectView[];
  objects: ObjectView[];
  /** One line a person reads. */
  summary: string;
}

/**
 * Where a configuration stands for a target commit. `atOrAfter(sha)` answers "is sha the target or
 * a descendant of it" (cached by the caller). `expectedSource`: the repository and branch the
 * target was committed to (a configuration syncing others is 'source-mismatch').
 */
export async function evaluate(
  status: FluxStatus,
  configName: string,
  target: string,
  selection: Selection,
  atOrAfter: (sha: string) => Promise<boolean>,
  expectedSource?: ExpectedSource,
): Promise<Evaluation> {
  const { sha: syncedSha } = parseRevision(status.sourceSyncedCommitId);
  const complianceState = status.complianceState ?? 'Unknown';
  const { kustomizations, objects, missing } = selectObjects(status, configName, selection);
  const base = { syncedRevision: status.sourceSyncedCommitId ?? undefined, syncedSha, complianceState, kustomizations, objects };
  const short = (s?: string) => (s ? s.slice(0, 12) : 'nothing');

  if (status.provisioningState && status.provisioningState.toLowerCase() === 'failed') {
    return {
      ...base,
      phase: 'provisioning-failed',
      summary: `provisioningState is Failed${status.errorMessage ? `: ${status.errorMessage.trim().replace(/\.$/, '')}` : ' (no errorMessage given)'}`,
    };
  }
  // a digest synced from a Bucket, or a commit of another repository, must never reach atOrAfter
  const source = checkSource(status, target, expectedSource);
  if (source) {
    // what an artifact source synced may look like a sha (a digest): it is not one of ours
    return { ...base, syncedSha: source.phase === 'unsupported-source' ? undefined : syncedSha, phase: source.phase, summary: source.summary };
  }
  if (status.suspend === true || complianceState === 'Suspended') {
    return { ...base, phase: 'suspended', summary: 'the configuration is suspended' };
  }
  if (!syncedSha || !(await atOrAfter(syncedSha))) {
    return { ...base, phase: 'waiting-for-source', summary: `source synced ${short(syncedSha)}, waiting for ${short(target)}` };
  }
  const sourceAt = time(status.sourceUpdatedAt);
  const statusAt = time(status.statusUpdatedAt);
  // the agent relays the object statuses after the source: until then they describe an older revision
  const fresh = sourceAt === undefined || statusAt === undefined || statusAt >= sourceAt;
  const relevant = [...kustomizations, ...objects];

  const ours = async (o: ObjectView) => o.revision === undefined || (await atOrAfter(o.revision));
  const failing: ObjectView[] = [];
  for (const o of relevant) if (o.complianceState === 'Non-Compliant' && fresh && (await ours(o))) failing.push(o);
  if (failing.length > 0) {
    return { ...base, phase: 'non-compliant', summary: `Non-Compliant at ${short(syncedSha)}: ${failing.map(describeObject).join('; ')}` };
  }
  if (missing.length > 0) {
    return { ...base, phase: 'waiting-for-objects', summary: `source synced ${short(syncedSha)}; no status yet for Kustomization ${missing.join(', ')}` };
  }
  if (kustomizations.length === 0) {
    return { ...base, phase: 'waiting-for-objects', summary: `source synced ${short(syncedSha)}; no Kustomization status yet` };
  }
  const pending: ObjectView[] = [];
  for (const k of kustomizations) {
    const atOurs = k.revision !== undefined ? await atOrAfter(k.revision) : fresh;
    if (k.complianceState !== 'Compliant' || !atOurs) pending.push(k);
  }
  for (const o of objects) if (o.complianceState !== 'Compliant' || !fresh) pending.push(o);
  if (pending.length > 0) {
    return { ...base, phase: 'waiting-for-objects', summary: `source synced ${short(syncedSha)}; waiting for ${pending.map(describeObject).join('; ')}` };
  }
  return {
    ...base,
    phase: 'reconciled',
    summary: `reconciled at ${short(syncedSha)} (${kustomizations.length} Kustomization${kustomizations.length === 1 ? '' : 's'}, ${objects.length} object${objects.length === 1 ? '' : 's'} Compliant)`,
  };
}
