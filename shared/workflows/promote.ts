import * as fs from 'node:fs';
import * as path from 'node:path';
import * as agent from '../agent/agent';
import type { ReconciliationResult } from '../azure/wait';
import { connectWithJobToken, connectWithPat, DevOpsConnection } from '../devops/connection';
import { diffFolder, prepareDesiredFiles } from '../devops/folder-diff';
import { commitFolder, CommitFolderResult } from '../devops/commit-folder';
import { abandonPullRequest, enableAutoComplete, findActivePullRequest, findOrCreatePullRequest, PullRequestInfo } from '../devops/pull-requests';
import { isAncestor } from '../devops/commit-ancestry';
import { listActivePullRequestsInto } from '../devops/pull-request-search';
import { requireWorkItems, WorkItemNotFoundError } from '../devops/work-items';
import { upsertPullRequestComment } from '../devops/comment-thread';
import { waitForPullRequestMerge } from '../devops/pull-request-wait';
import { DevOpsError } from '../devops/errors';
import { normalizeFolder } from '../devops/repo-paths';
import { readBranchHead, readFolderTree, resolveRepository, Repository } from '../devops/repository';
import { postCommitStatus, postPullRequestStatus, StatusToPost } from '../devops/statuses';
import { manifestFiles } from '../manifests/serialize';
import type { ManifestObject } from '../manifests/model';
import { readReleaseBundle, releaseImageVariables, ReleaseBundle } from '../release/read-bundle';
import { countBySeverity, mergeFindings } from '../report/merge-findings';
import { InputError } from '../util/errors';
import { formatDuration } from '../util/time-budget';
import { DEFAULT_POLICY_SEVERITIES, PolicySeverities } from '../validate/policy';
import { PromoteInputs, readPromoteInputs } from './promote-inputs';
import { FolderChanges, promotionMarkdown, pullRequestDescription, PromotionRecord } from './promote-report';
import { resolvePromotionReviewers } from './promote-reviewers';
import { renderAndValidate } from './render-and-validate';
import { prepareFluxAccess, waitForFlux } from './promote-flux';

/**
 * GitOpsPromote@1: render the release bundle for one environment, validate it again, commit only
 * what changed into the GitOps repository's environment folder (through a pull request, or a
 * direct push), wait for the merge, then wait for Flux on the clusters to reconcile exactly that
 * commit, mirroring progress as commit statuses. Nothing reaches the repository unless the
 * rendering is valid; a re-run with the same release changes nothing twice.
 */
export async function promote(version: string): Promise<void> {
  const inputs = readPromoteInputs();
  const bundle = readReleaseBundle(inputs.bundle, 'bundle');
  const release = bundle.manifest;
  const names = { app: release.app, environment: inputs.environment, release: release.build.number };
  const fill = (pattern: string) =>
    pattern.split('{app}').join(names.app).split('{environment}').join(names.environment).split('{release}').join(names.release);
  const folder = normalizeFolder(fill(inputs.targetFolder));
  if (folder === '')
    throw new InputError('targetFolder', 'must name a folder, not the repository root: the task owns the folder and deletes files it no longer renders');
  const record: PromotionRecord = {
    app: names.app,
    release: names.release,
    environment: names.environment,
    sourceCommit: release.source.commit,
    folder,
    mode: inputs.mode,
    version,
  };

  // 1. Render and validate, from the bundle's own files: nothing is sent unless this passes.
  agent.progress(0, `Rendering ${names.app} ${names.release} for ${names.environment}`);
  agent.group(`Rendering ${names.app} ${names.release} for ${names.environment}`);
  const objects = await renderRelease(bundle, inputs);
  agent.endGroup();
  if (!objects) return;
  const files = manifestFiles(objects);
  record.objects = objects.length;
  agent.info(`${objects.length} object(s) rendered into ${files.size} file(s) for /${folder}`);

  // 2-3. The GitOps repository, then Flux. A failure still leaves a summary of what was done.
  try {
    await deliverAndWait(inputs, fill, folder, files, record);
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
    uploadPromotionSummary(record);
    throw err;
  }
}

async function deliverAndWait(
  inputs: PromoteInputs,
  fill: (pattern: string) => string,
  folder: string,
  files: Map<string, string>,
  record: PromotionRecord,
): Promise<void> {
  agent.progress(10, `Committing to ${inputs.repository}`);
  const azure = inputs.flux ? prepareFluxAccess(inputs.flux) : undefined;
  const conn = connect(inputs);
  const repo = await resolveRepository(conn, inputs.repository, agent.variable('System.TeamProject'));
  record.repository = repo.display;
  record.repositoryUrl = `${conn.collectionUrl}/${encodeURIComponent(repo.project.name)}/_git/${encodeURIComponent(repo.name)}`;
  const deployed =
    inputs.mode === 'push'
      ? await promoteByPush(conn, repo, inputs, fill, folder, files, record)
      : await promoteByPullRequest(conn, repo, inputs, fill, folder, files, record);
  if (deployed === undefined) {
    finish(record, inputs, undefined);
    return;
  }
  record.deployedCommit = deployed;
  agent.setOutput('deployedCommitId', deployed);

  let reconciliation: ReconciliationResult | undefined;
  const context = { genre: 'gitops-flow', name: `${record.app}/${record.environment}` };
  if (inputs.flux && azure) {
    if (inputs.commitStatuses)
      await status(conn, repo, deployed, {
        state: 'pending',
        description: `Waiting for Flux on ${inputs.flux.clusters.length} cluster(s) to reconcile ${record.app} ${record.release}`,
        context,
      });
    reconciliation = await waitForFlux(inputs.flux, azure, deployed, conn, repo, inputs.targetBranch);
    record.reconciliation = reconciliation;
    if (inputs.commitStatuses) {
      await status(conn, repo, deployed, {
        state: reconciliation.ok ? 'succeeded' : 'failed',
        description: reconciliation.ok
          ? `Flux reconciled ${record.app} ${record.release} on ${clusterList(reconciliation)} in ${formatDuration(reconciliation.elapsedMs)}`
          : firstLine(reconciliation.message),
        context,
      });
    }
  } else if (inputs.commitStatuses && record.outcome !== 'unchanged') {
    await status(conn, repo, deployed, {
      state: 'succeeded',
      description: `${record.app} ${record.release} promoted to ${record.environment} (Flux not awaited)`,
      context,
    });
  }
  finish(record, inputs, reconciliation);
}

/** Renders the environment with the release's settings; undefined (task failed, findings logged) when it does not validate. */
async function renderRelease(bundle: ReleaseBundle, inputs: PromoteInputs): Promise<ManifestObject[] | undefined> {
  const release = bundle.manifest;
  const known = release.environments.map((e) => e.name);
  if (!known.includes(inputs.environment)) {
    throw new InputError('environment', `"${inputs.environment}" is not an environment of this release (it has ${known.join(', ') || 'none'})`);
  }
  const imageVars = releaseImageVariables(release);
  for (const name of inputs.variables.keys()) {
    if (imageVars.has(name)) throw new InputError('variables', `"${name}" is an image variable of the release; its value is fixed by GitOpsCiPublish@1`);
  }
  const variables = new Map([...Object.entries(release.render.variables ?? {}), ...inputs.variables, ...imageVars]);
  const policy: PolicySeverities = { ...DEFAULT_POLICY_SEVERITIES, ...((release.render.policy ?? {}) as Partial<PolicySeverities>) };
  const workDir = fs.mkdtempSync(path.join(agent.tempDirectory(), 'gitops-promote-'));
  let objects: ManifestObject[] = [];
  try {
    const report = await renderAndValidate({
      repoRoot: bundle.sourceRoot,
      templates: release.render.templates,
      renderer: release.render.renderer as 'auto',
      environments: [inputs.environment],
      valuesFile: release.render.valuesFile ?? '',
      variables,
      helmValuesFiles: release.render.helmValuesFiles ?? [],
      releaseName: release.render.releaseName,
      namespace: release.render.namespace,
      kubernetesVersion: release.render.kubernetesVersion,
      policy,
      dockerfiles: [],
      tools: agent.toolRunner(),
      workDir,
      onRendered: (_env, rendered) => (objects = rendered),
    });
    const findings = mergeFindings(report);
    for (const f of findings) agent.logFinding(f);
    const { errors, warnings } = countBySeverity(findings);
    agent.info(`${inputs.environment}: ${objects.length} object(s), ${errors} error(s), ${warnings} warning(s)`);
    if (errors > 0) {
      agent.fail(`The release does not render to valid manifests for ${inputs.environment} (${errors} error(s)); nothing was committed`);
      return undefined;
    }
    if (objects.length === 0)
      throw new InputError('environment', `the release renders no objects for "${inputs.environment}"; refusing to empty the GitOps folder`);
    return objects;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

function connect(inputs: PromoteInputs): DevOpsConnection {
  const options = { log: (line: string) => agent.info(line), userAgent: 'gitops-flow-promote' };
  if (inputs.repositoryConnection) {
    const endpoint = agent.azureReposConnection('gitopsConnection', inputs.repositoryConnection);
    return connectWithPat(endpoint.url, endpoint.token, options);
  }
  const collection = agent.collectionUri();
  const token = agent.jobAccessToken();
  if (!collection || !token) {
    throw new Error(
      'The job has no access token for Azure Repos (System.AccessToken of SystemVssConnection) or no System.CollectionUri: run the task in an Azure Pipelines agent job, or set gitopsConnection to an Azure Repos service connection',
    );
  }
  return connectWithJobToken(collection, token, options);
}

async function changesAgainst(conn: DevOpsConnection, repo: Repository, commitId: string, folder: string, files: Map<string, string>): Promise<FolderChanges> {
  const tree = await readFolderTree(conn, repo, commitId, folder);
  const diff = diffFolder(tree.files, prepareDesiredFiles(files));
  return { added: diff.added, edited: diff.edited, deleted: diff.deleted, unchanged: diff.unchanged };
}

async function commit(
  conn: DevOpsConnection,
  repo: Repository,
  branch: string,
  baseBranch: string | undefined,
  folder: string,
  files: Map<string, string>,
  message: string,
  record: PromotionRecord,
): Promise<CommitFolderResult> {
  const result = await commitFolder(conn, repo, { branch, baseBranch, folder, files, message, log: (line) => agent.info(line) });
  // On a promotion branch the head holds the change even when an earlier run committed it.
  if (result.outcome === 'committed' || baseBranch !== undefined) {
    record.commitId = result.commitId;
    agent.setOutput('commitId', result.commitId);
  }
  agent.info(
    result.outcome === 'committed'
      ? `Committed ${result.commitId.slice(0, 12)} to ${branch}: ${result.added.length} added, ${result.edited.length} edited, ${result.deleted.length} deleted`
      : `${branch} already holds these manifests at ${result.commitId.slice(0, 12)}`,
  );
  return result;
}

/** Commits straight to the target branch (commitFolder compares with it itself); the commit that holds the release. */
async function promoteByPush(
  conn: DevOpsConnection,
  repo: Repository,
  inputs: PromoteInputs,
  fill: (pattern: string) => string,
  folder: string,
  files: Map<string, string>,
  record: PromotionRecord,
): Promise<string> {
  const result = await commit(conn, repo, inputs.targetBranch, undefined, folder, files, fill(inputs.commitMessage), record);
  record.changes = { added: result.added, edited: result.edited, deleted: result.deleted, unchanged: files.size - result.added.length - result.edited.length };
  record.outcome = result.outcome === 'committed' ? 'pushed' : 'unchanged';
  agent.setOutput('changed', String(result.outcome === 'committed'));
  return result.commitId;
}

/**
 * Compares the folder with the target branch; when it differs, commits to the promotion branch,
 * opens or adopts the PR and waits for it. The commit that holds the release, or undefined when
 * not waiting for the merge.
 */
async function promoteByPullRequest(
  conn: DevOpsConnection,
  repo: Repository,
  inputs: PromoteInputs,
  fill: (pattern: string) => string,
  folder: string,
  files: Map<string, string>,
  record: PromotionRecord,
): Promise<string | undefined> {
  const targetHead = await readBranchHead(conn, repo, inputs.targetBranch);
  if (!targetHead) throw new InputError('targetBranch', `branch "${inputs.targetBranch}" does not exist in ${repo.display}`);
  const changes = await changesAgainst(conn, repo, targetHead, folder, files);
  record.changes = changes;
  const changed = changes.added.length + changes.edited.length + changes.deleted.length > 0;
  agent.setOutput('changed', String(changed));
  if (!changed) {
    agent.info(`/${folder} on ${inputs.targetBranch} already holds exactly these manifests: nothing to commit`);
    record.outcome = 'unchanged';
    return targetHead;
  }
  const merged = await promoteThroughPullRequest(conn, repo, inputs, fill, folder, files, record, targetHead);
  if (merged !== undefined) record.outcome = 'merged';
  return merged;
}

/** Commits to the promotion branch, opens or adopts the PR, and waits for it; undefined when not waiting for the merge. */
async function promoteThroughPullRequest(
  conn: DevOpsConnection,
  repo: Repository,
  inputs: PromoteInputs,
  fill: (pattern: string) => string,
  folder: string,
  files: Map<string, string>,
  record: PromotionRecord,
  targetHead: string,
): Promise<string | undefined> {
  // Reviewers and work items are checked before anything is written.
  const reviewers = await resolvePromotionReviewers(conn, inputs.pullRequest.reviewers);
  if (inputs.pullRequest.workItemIds.length > 0) {
    await requireWorkItems(conn, inputs.pullRequest.workItemIds, 'linking to the promotion pull request').catch((err: unknown) => {
      throw err instanceof WorkItemNotFoundError ? new InputError('workItems', err.message) : err;
    });
  }
  const branch = await choosePromotionBranch(conn, repo, promotionBranchName(fill(inputs.promotionBranch)), inputs.targetBranch, targetHead);
  record.branch = branch;
  await commit(conn, repo, branch, inputs.targetBranch, folder, files, fill(inputs.commitMessage), record);
  const { pullRequest, created } = await findOrCreatePullRequest(conn, repo, {
    sourceBranch: branch,
    targetBranch: inputs.targetBranch,
    title: fill(inputs.commitMessage),
    description: pullRequestDescription(record, buildLink()),
    reviewers,
    workItemIds: inputs.pullRequest.workItemIds,
  });
  record.pullRequest = { id: pullRequest.id, url: pullRequest.webUrl, created };
  agent.setOutput('pullRequestId', String(pullRequest.id));
  agent.setOutput('pullRequestUrl', pullRequest.webUrl);
  agent.info(`${created ? 'Opened' : 'Adopted'} pull request ${pullRequest.id}: ${pullRequest.webUrl}`);
  if (inputs.commitStatuses) {
    await postPullRequestStatus(conn, repo, pullRequest.id, {
      state: 'succeeded',
      description: `${record.objects} object(s) rendered and validated for ${record.environment}`,
      targetUrl: buildLink(),
      context: { genre: 'gitops-flow', name: 'validation' },
    });
  }
  if (inputs.pullRequest.supersede && inputs.promotionBranch.includes('{release}')) {
    record.superseded = await abandonSuperseded(conn, repo, inputs, fill, pullRequest);
  }
  let pr: PullRequestInfo = pullRequest;
  if (inputs.pullRequest.autoComplete && pr.status === 'active') {
    try {
      pr = await enableAutoComplete(conn, repo, pr, {
        mergeStrategy: inputs.pullRequest.mergeStrategy,
        deleteSourceBranch: inputs.pullRequest.deleteSourceBranch,
        mergeCommitMessage: `${fill(inputs.commitMessage)} (PR ${pr.id})`,
      });
    } catch (err) {
      // Completed or abandoned meanwhile: the merge wait below reads its state and says which.
      if (!(err instanceof DevOpsError && err.typeKey === 'GitPullRequestNotEditableException')) throw err;
      agent.info(`Pull request ${pr.id} can no longer be edited (completed or abandoned meanwhile)`);
    }
  }
  if (!inputs.pullRequest.waitForMerge) {
    record.outcome = 'pull-request';
    return undefined;
  }
  agent.progress(15, `Waiting for pull request ${pr.id} to be merged`);
  agent.info(`Waiting up to ${formatDuration(inputs.pullRequest.mergeTimeoutMs)} for pull request ${pr.id} to be merged`);
  const merged = await waitForPullRequestMerge(conn, repo, pr.id, {
    timeoutMs: inputs.pullRequest.mergeTimeoutMs,
    onProgress: (seen) => agent.info(`Pull request ${seen.id}: ${seen.status}${seen.mergeStatus ? `, merge ${seen.mergeStatus}` : ''}`),
  });
  agent.setOutput('mergeCommitId', merged.commitId);
  agent.info(`Pull request ${pr.id} merged as ${merged.commitId}`);
  return merged.commitId;
}

/**
 * The promotion branch to commit to: the named one when it is new, carries the active PR being
 * adopted, or already holds the target's head. A leftover from an earlier promotion of this release
 * that the target has moved past (kept after its merge, or its PR abandoned) would make a PR that
 * conflicts or reverts: then the first free "-2", "-3", ... variant is used, never a force push.
 */
async function choosePromotionBranch(conn: DevOpsConnection, repo: Repository, base: string, targetBranch: string, targetHead: string): Promise<string> {
  for (let n = 1; n <= 20; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const head = await readBranchHead(conn, repo, candidate);
    if (head === undefined) return candidate;
    if (await findActivePullRequest(conn, repo, candidate, targetBranch)) return candidate;
    if (await isAncestor(conn, repo, targetHead, head)) return candidate;
    agent.info(`${candidate} is left over from an earlier promotion and behind ${targetBranch}: not reusing it`);
  }
  throw new Error(`${base} and its -2 ... -20 variants are all left over from earlier promotions; delete them in ${repo.display}`);
}

/**
 * Abandons the other open promotions of this app to this environment (same branch pattern, another
 * release): merged later, they would roll the environment back. Each gets a comment saying why.
 */
async function abandonSuperseded(
  conn: DevOpsConnection,
  repo: Repository,
  inputs: PromoteInputs,
  fill: (pattern: string) => string,
  ours: PullRequestInfo,
): Promise<number[]> {
  const marker = '\u0000release\u0000';
  const pattern = promotionBranchName(fill(inputs.promotionBranch.split('{release}').join(marker)).split(marker).join('{release}'));
  const escaped = pattern.split('{release}').map((part) => part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'));
  const matcher = new RegExp(`^refs/heads/${escaped.join('[^/]+')}$`);
  const superseded: number[] = [];
  for (const pr of await listActivePullRequestsInto(conn, repo, inputs.targetBranch)) {
    if (pr.id === ours.id || !matcher.test(pr.sourceRefName)) continue;
    await upsertPullRequestComment(conn, repo, pr.id, {
      key: 'gitops-flow-superseded',
      content: `Superseded by pull request ${ours.id} ([${ours.title}](${ours.webUrl})): a newer promotion of this application to this environment. Abandoned by GitOpsPromote so that merging it cannot roll the environment back.`,
      status: 'closed',
    });
    await abandonPullRequest(conn, repo, pr.id);
    agent.info(`Abandoned pull request ${pr.id} (${pr.sourceRefName}): superseded by ${ours.id}`);
    superseded.push(pr.id);
  }
  return superseded;
}

/** A valid ref name from the filled pattern: characters git refuses become "-". */
export function promotionBranchName(text: string): string {
  const name = text
    .replace(/^refs\/heads\//, '')
    .split('/')
    .map((part) =>
      part
        .replace(/[\s~^:?*[\\\u0000-\u001f\u007f]+/g, '-')
        .replace(/\.\.+/g, '.')
        .replace(/^\.+|\.lock$|\.+$/g, '')
        .replace(/@\{/g, '-'),
    )
    .filter((part) => part !== '')
    .join('/');
  if (name === '') throw new InputError('promotionBranch', `"${text}" gives an empty branch name`);
  return name;
}

async function status(conn: DevOpsConnection, repo: Repository, commitId: string, wanted: Omit<StatusToPost, 'targetUrl'>): Promise<void> {
  try {
    await postCommitStatus(conn, repo, commitId, { ...wanted, targetUrl: buildLink() });
  } catch (err) {
    // A status is a mirror of the outcome, not the outcome: report it and go on.
    agent.warning(`Could not post the commit status on ${commitId.slice(0, 12)}: ${(err as Error).message}`);
  }
}

function buildLink(): string | undefined {
  const release = agent.variable('Release.ReleaseWebURL');
  if (release) return release;
  const collection = agent.collectionUri();
  const project = agent.variable('System.TeamProject');
  const build = agent.variable('Build.BuildId');
  return collection && project && build
    ? `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(build)}`
    : undefined;
}

function clusterList(result: ReconciliationResult): string {
  return result.outcomes.map((o) => o.label).join(', ');
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

function uploadPromotionSummary(record: PromotionRecord): void {
  agent.uploadSummary(`GitOps promotion: ${record.environment}`, promotionMarkdown(record), `gitops-promote-${record.environment}.md`);
}

function finish(record: PromotionRecord, inputs: PromoteInputs, reconciliation: ReconciliationResult | undefined): void {
  agent.setOutput('reconciled', String(reconciliation?.ok === true));
  uploadPromotionSummary(record);
  const where = `${record.repository} /${record.folder}`;
  if (reconciliation && !reconciliation.ok) {
    agent.fail(reconciliation.message);
    return;
  }
  switch (record.outcome) {
    case 'pull-request':
      agent.succeed(
        `Pull request ${record.pullRequest!.id} opened for ${record.app} ${record.release} -> ${record.environment} (${where}); not waiting for the merge`,
      );
      return;
    case 'unchanged':
      agent.succeed(`${record.environment} already runs ${record.app} ${record.release} (${where})${reconciliation ? `; ${reconciliation.message}` : ''}`);
      return;
    default:
      agent.succeed(
        `${record.app} ${record.release} promoted to ${record.environment} at ${record.deployedCommit!.slice(0, 12)} (${where})${reconciliation ? `; ${reconciliation.message}` : inputs.flux ? '' : '; Flux not awaited'}`,
      );
  }
}
