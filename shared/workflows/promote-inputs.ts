import type { Agent } from '../agent/agent';
import { boolInput, choiceInput, listInput, requiredInput } from '../agent/inputs';
import { ClusterRef, ClusterType, parseClusterRef } from '../azure/cluster-ref';
import type { MergeStrategy } from '../devops/pull-requests';
import { normalizeFolder } from '../devops/repo-paths';
import { parseReleaseDigest } from '../release/release-digest';
import { InputError } from '../util/errors';
import { fillPlaceholders } from './placeholders';
import { readGitOpsRepositoryChoice } from './gitops-location';
import { FOLDER_LAYOUTS, FolderLayout } from './folder-layout';
import { readVariablesInput } from './variables-input';

const DELIVERY_MODES = ['pullRequest', 'push'] as const;
const MERGE_STRATEGIES = ['squash', 'noFastForward', 'rebase', 'rebaseMerge'] as const;
const CLUSTER_TYPES = ['connectedClusters', 'managedClusters', 'provisionedClusters'] as const;
const ACTIONS = ['promote', 'rollback'] as const;
const ON_FAILURE = ['fail', 'rollback'] as const;

export interface ReviewerInput {
  /** An identity id, an email / unique name, or a display or group name, as typed. */
  name: string;
  required: boolean;
}

export interface PromoteInputs {
  /** promote (default): render the bundle; rollback: restore the folder as it was before the most recent promotion. */
  action: (typeof ACTIONS)[number];
  /** The application to roll back when no bundle is given (release.json's app). */
  app?: string;
  /** What a promotion whose Flux wait or verification fails does: fail, or roll back and then fail. */
  onFailure: (typeof ON_FAILURE)[number];
  /** Smoke checks after Flux reconciled; empty: not verified. */
  verify: VerifyInputs;
  /** Empty for a rollback without a bundle. */
  bundle: string;
  /** `sha256:<hex>` the bundle's release.json must have (the CI run's releaseDigest output); undefined: not pinned. */
  releaseDigest?: string;
  environment: string;
  variables: Map<string, string>;
  repository: string;
  /** The input that named the repository (gitopsRepository, or gitopsConnectionRepository for another organization), for messages. */
  repositoryInput?: string;
  /** Endpoint id of an Azure Repos/TFS service connection for a repository in another organization. */
  repositoryConnection?: string;
  targetBranch: string;
  /** Pattern with {app} and {environment}. */
  targetFolder: string;
  /** Pattern with {app} and {environment}: the folder one Flux Kustomization applies with the target folder; undefined = its parent. */
  kustomizationPath?: string;
  /** One file per object, or one `{app}.yaml` (the reference scripts' layout). */
  layout: FolderLayout;
  /** Pattern with {app} and {environment}: where the substituted templates are written beside the manifests; undefined: not written. */
  templatesFolder?: string;
  mode: (typeof DELIVERY_MODES)[number];
  /** Pattern with {app}, {environment} and {release}. */
  promotionBranch: string;
  commitMessage: string;
  pullRequest: {
    autoComplete: boolean;
    mergeStrategy: MergeStrategy;
    deleteSourceBranch: boolean;
    supersede: boolean;
    reviewers: ReviewerInput[];
    workItemIds: number[];
    waitForMerge: boolean;
    mergeTimeoutMs: number;
  };
  flux?: {
    azureConnection: string;
    clusters: ClusterRef[];
    fluxConfiguration: string;
    kustomizations: string[];
    namespaces: string[];
    timeoutMs: number;
    nonCompliantGraceMs: number;
  };
  commitStatuses: boolean;
}

export interface VerifyInputs {
  /** The verifyUrls lines as typed (parsed by promote-verify). */
  urls: string[];
  timeoutMs: number;
}

/** Every input of GitOpsPromote@1, checked before anything is rendered or sent. */
export function readPromoteInputs(agent: Agent): PromoteInputs {
  const variables = readVariablesInput(agent);
  const environment = requiredInput(agent, 'environment');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(environment))
    throw new InputError('environment', `"${environment}" is not an environment name (letters, digits, ".", "_", "-")`);
  const targetFolder = requiredInput(agent, 'targetFolder');
  try {
    normalizeFolder(fillPlaceholders(targetFolder, { app: 'app', environment }));
  } catch (err) {
    throw new InputError('targetFolder', (err as Error).message);
  }
  const templatesFolder = agent.input('templatesFolder') || undefined;
  if (templatesFolder !== undefined) checkTemplatesFolder(templatesFolder, targetFolder, environment);
  const mode = choiceInput(agent, 'deliveryMode', DELIVERY_MODES, 'pullRequest');
  const waitForMerge = boolInput(agent, 'waitForMerge', true);
  const waitForFlux = boolInput(agent, 'waitForReconciliation', true);
  if (waitForFlux && mode === 'pullRequest' && !waitForMerge) {
    throw new InputError('waitForReconciliation', 'needs waitForMerge: true (Flux can only reconcile a merged commit)');
  }

  const promotionBranch = agent.input('promotionBranch') || 'gitops-flow/{app}/{environment}/{release}';
  if (mode === 'pullRequest') checkPromotionBranchPattern(promotionBranch);

  const action = choiceInput(agent, 'action', ACTIONS, 'promote');
  const app = agent.input('app') || undefined;
  if (action === 'rollback' && !app && !agent.input('bundle'))
    throw new InputError('app', 'is required for action: rollback without a bundle (the application name of release.json, e.g. voting-app)');
  // A rollback reads one folder's history: a folder per release has none to go back through.
  if (action === 'rollback') {
    for (const [name, pattern] of [
      ['targetFolder', targetFolder],
      ['templatesFolder', templatesFolder],
    ] as const) {
      if (pattern?.includes('{release}'))
        throw new InputError(name, `must not contain {release} for a rollback: the folder has to be the same for every release`);
    }
  }
  return {
    action,
    app,
    onFailure: choiceInput(agent, 'onFailure', ON_FAILURE, 'fail'),
    verify: { urls: listLines(agent.input('verifyUrls')), timeoutMs: minutes('verifyTimeoutMinutes', agent.input('verifyTimeoutMinutes'), 5) },
    bundle: action === 'rollback' ? agent.input('bundle') : requiredInput(agent, 'bundle'),
    releaseDigest: parseReleaseDigest(agent.input('releaseDigest'), 'releaseDigest'),
    environment,
    variables,
    ...gitopsRepositoryInputs(agent),
    targetFolder,
    kustomizationPath: agent.input('kustomizationPath') || undefined,
    layout: choiceInput<FolderLayout>(agent, 'layout', FOLDER_LAYOUTS, 'filePerObject'),
    templatesFolder,
    mode,
    promotionBranch,
    commitMessage: agent.input('commitMessage') || 'Promote {app} {release} to {environment}',
    pullRequest: {
      autoComplete: boolInput(agent, 'autoComplete', true),
      mergeStrategy: choiceInput(agent, 'mergeStrategy', MERGE_STRATEGIES, 'squash'),
      deleteSourceBranch: boolInput(agent, 'deleteSourceBranch', true),
      supersede: boolInput(agent, 'supersede', true),
      reviewers: readReviewers(agent),
      workItemIds: readWorkItems(agent),
      waitForMerge,
      mergeTimeoutMs: minutes('mergeTimeoutMinutes', agent.input('mergeTimeoutMinutes'), 60),
    },
    flux: waitForFlux ? readFluxInputs(agent) : undefined,
    commitStatuses: boolInput(agent, 'commitStatuses', true),
  };
}

function readFluxInputs(agent: Agent): NonNullable<PromoteInputs['flux']> {
  const azureConnection = agent.input('azureSubscription');
  if (!azureConnection) throw new InputError('azureSubscription', 'is required to wait for Flux (or set waitForReconciliation: false)');
  const clusterType = choiceInput<ClusterType>(agent, 'clusterType', CLUSTER_TYPES, 'connectedClusters');
  const resourceGroup = agent.input('clusterResourceGroup') || undefined;
  const clusters = readClusters(agent, { resourceGroup, clusterType });
  const fluxConfiguration = agent.input('fluxConfiguration') || 'cluster-config';
  return {
    azureConnection,
    clusters,
    fluxConfiguration,
    kustomizations: listInput(agent, 'kustomizations'),
    namespaces: listInput(agent, 'namespaces'),
    timeoutMs: minutes('reconcileTimeoutMinutes', agent.input('reconcileTimeoutMinutes'), 15),
    nonCompliantGraceMs: seconds('nonCompliantGraceSeconds', agent.input('nonCompliantGraceSeconds'), 30),
  };
}

/**
 * The clusters to wait for: the one picked in the classic editor (`cluster`, a resource id from the
 * picker or anything `clusters` accepts) first, then the `clusters` lines; a cluster named by both
 * (same subscription, group, type and name, whatever the case) is waited for once.
 */
export function readClusters(agent: Agent, defaults: { resourceGroup?: string; clusterType: ClusterType }): ClusterRef[] {
  const entries = [
    ...(agent.input('cluster') ? [{ input: 'cluster', text: agent.input('cluster') }] : []),
    ...listInput(agent, 'clusters').map((text) => ({ input: 'clusters', text })),
  ];
  if (entries.length === 0)
    throw new InputError('clusters', 'pick a cluster (cluster) or list at least one cluster to wait for (resource id, resourceGroup/name or name)');
  const clusters: ClusterRef[] = [];
  for (const { input, text } of entries) {
    let ref: ClusterRef;
    try {
      ref = parseClusterRef(text, defaults);
    } catch (err) {
      throw new InputError(input, (err as Error).message);
    }
    if (!clusters.some((c) => sameCluster(c, ref))) clusters.push(ref);
  }
  return clusters;
}

/** The same cluster: group, type and name alike (ARM names ignore case), in the same subscription or one of them the connection's. */
function sameCluster(a: ClusterRef, b: ClusterRef): boolean {
  const same = (x: string | undefined, y: string | undefined) => x === undefined || y === undefined || x.toLowerCase() === y.toLowerCase();
  return (
    same(a.subscriptionId, b.subscriptionId) &&
    a.resourceGroup.toLowerCase() === b.resourceGroup.toLowerCase() &&
    a.clusterType === b.clusterType &&
    a.clusterName.toLowerCase() === b.clusterName.toLowerCase()
  );
}

/** A branch as the pickers store it (`refs/heads/main`) or as typed (`main`): the branch name. */
export function branchName(text: string): string {
  return text.replace(/^refs\/heads\//, '');
}

/** One reviewer per line (or comma separated); "required:" in front makes one required. */
function readReviewers(agent: Agent): ReviewerInput[] {
  return listInput(agent, 'reviewers').map((line) => {
    const m = /^required\s*:\s*(.+)$/i.exec(line);
    return m ? { name: m[1].trim(), required: true } : { name: line, required: false };
  });
}

function readWorkItems(agent: Agent): number[] {
  return listInput(agent, 'workItems').map((item) => {
    const id = item.replace(/^#/, '');
    if (!/^[1-9]\d{0,9}$/.test(id)) throw new InputError('workItems', `"${item}" is not a work item id`);
    return Number(id);
  });
}

/**
 * The templates folder must be a folder apart from the target folder: inside it Flux would apply
 * the templates, around it each commit would delete the other's files.
 */
export function checkTemplatesFolder(pattern: string, targetPattern: string, environment: string, app = 'app'): void {
  let templates: string;
  try {
    templates = normalizeFolder(fillPlaceholders(pattern, { app, environment }));
  } catch (err) {
    throw new InputError('templatesFolder', (err as Error).message);
  }
  const target = normalizeFolder(fillPlaceholders(targetPattern, { app, environment }));
  if (templates === '') throw new InputError('templatesFolder', 'must name a folder, not the repository root');
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  if (inside(templates, target) || inside(target, templates)) {
    throw new InputError(
      'templatesFolder',
      `"${templates}" ${inside(templates, target) ? 'lies inside' : 'holds'} the target folder "${target}": keep the templates outside the folder Flux applies, e.g. clusters/templates/{environment}/{app} beside clusters/manifests/{environment}`,
    );
  }
}

/**
 * A promotion branch must tell applications and environments apart: a pattern without {app} or
 * {environment} would let one environment's promotion adopt (and merge) another's pull request.
 */
export function checkPromotionBranchPattern(pattern: string): void {
  const missing = ['{app}', '{environment}'].filter((p) => !pattern.includes(p));
  if (missing.length > 0) {
    throw new InputError(
      'promotionBranch',
      `"${pattern}" lacks ${missing.join(' and ')}: each application and environment needs its own promotion branch, or one environment's promotion would adopt another's pull request`,
    );
  }
}

/** A plain decimal number (`15`, `0.5`): what the task.json validation lets through; `1e3` or `0x10` are not minutes anyone means. */
const DECIMAL = /^\d+(\.\d+)?$/;

/** A multiLine input's lines, trimmed; blank lines and lines starting with # left out. */
function listLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function minutes(name: string, text: string, fallback: number): number {
  const value = text === '' ? fallback : DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value <= 0 || value > 7 * 24 * 60) throw new InputError(name, `expected a number of minutes above 0, got "${text}"`);
  return Math.round(value * 60_000);
}

function seconds(name: string, text: string, fallback: number): number {
  const value = text === '' ? fallback : DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value < 0 || value > 3600) throw new InputError(name, `expected a number of seconds from 0 to 3600, got "${text}"`);
  return Math.round(value * 1000);
}

/** The GitOps repository, its connection and branch (see gitops-location.ts); the repository is required. */
function gitopsRepositoryInputs(agent: Agent): Pick<PromoteInputs, 'repository' | 'repositoryInput' | 'repositoryConnection' | 'targetBranch'> {
  const choice = readGitOpsRepositoryChoice(agent);
  if (!choice.repository) throw new InputError(choice.repositoryInput, 'is required');
  return {
    repository: choice.repository,
    repositoryInput: choice.repositoryInput,
    repositoryConnection: choice.repositoryConnection,
    targetBranch: branchName(choice.targetBranch) || 'main',
  };
}
