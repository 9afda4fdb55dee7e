/**
 * The pull request preview of GitOpsPrValidate@1: for each environment, the files GitOpsPromote@1
 * would write (environmentFiles, the same layout and bytes) compared with what the GitOps repository's
 * folder holds on the target branch, read through the REST API (one listing per folder, then only
 * the files whose blob ids differ). The result goes to one comment thread on the pull request,
 * found again by its hidden marker and updated in place, to a `gitops-flow/preview` pull request
 * status, and to the summary tab.
 */
import type { Agent } from '../agent/agent';
import { jobAccessToken } from '../agent/endpoints';
import { collectionUri, runWebUrl } from '../agent/inputs';
import { MAX_COMMENT_LENGTH, upsertPullRequestComment } from '../devops/comment-thread';
import { ConnectionOptions, connectWithJobToken, DevOpsConnection } from '../devops/connection';
import { DevOpsError } from '../devops/errors';
import { diffFolder, prepareDesiredFiles } from '../devops/folder-diff';
import { readBlobs } from '../devops/read-blobs';
import { readFilesAt } from '../devops/read-files';
import { folderServerPath, normalizeFolder } from '../devops/repo-paths';
import { readBranchHead, readFolderTree, Repository, resolveRepository } from '../devops/repository';
import { postPullRequestStatus, StatusToPost } from '../devops/statuses';
import type { ManifestObject } from '../manifests/model';
import { environmentChange, FileVersions } from '../preview/environment-change';
import { code, EnvironmentPreview, PreviewDocument, renderPreview } from '../preview/markdown';
import type { ValidationReport } from '../report/validation-report';
import { errorMessage } from '../util/errors';
import { fillPlaceholders } from './placeholders';
import type { PreviewInputs } from './pr-preview-inputs';
import { connect } from './promote-context';
import { environmentFiles } from './promote-layout';

export const PREVIEW_STATUS = { genre: 'gitops-flow', name: 'preview' } as const;
/** The comment's text budget: the marker line and the cut note of commentWithMarker fit in what is left. */
export const COMMENT_BUDGET_BYTES = MAX_COMMENT_LENGTH - 200;
/** The summary tab holds the full preview unless it is larger than this (a bigger page is more than a browser shows well). */
export const SUMMARY_BUDGET_BYTES = 2_000_000;

/** Each environment's rendered files (the GitOps layout), or why there are none. */
export type RenderedFiles = Map<string, { files: Map<string, string> } | { error: string }>;

/** An onRendered callback for renderAndValidate that keeps each environment's files, laid out as promotion writes them. */
export function collectRenderedFiles(
  into: RenderedFiles,
  layout: Pick<PreviewInputs, 'layout' | 'app'>,
): (environment: string, objects: ManifestObject[]) => void {
  return (environment, objects) => {
    try {
      into.set(environment, { files: environmentFiles(objects, layout.layout, layout.app) });
    } catch (err) {
      into.set(environment, { error: errorMessage(err) });
    }
  };
}

export interface PreviewOutcome {
  /** Markdown for the summary tab. */
  summary: string;
  /** What was posted on the pull request, when this is a pull request build. */
  pullRequest?: { id: number; threadId: number; comment: 'created' | 'updated' | 'unchanged'; status: StatusToPost };
  environments: EnvironmentPreview[];
}

/** The pull request this build validates, when it is an Azure Repos pull request build. */
function pullRequestOf(agent: Agent): { id: number; repositoryId: string; repositoryName: string; project: string } | undefined {
  if (agent.variable('Build.Reason') !== 'PullRequest') return undefined;
  const provider = agent.variable('Build.Repository.Provider');
  if (provider && provider !== 'TfsGit') return undefined;
  const id = Number(agent.variable('System.PullRequest.PullRequestId'));
  const repositoryId = agent.variable('Build.Repository.ID');
  const project = agent.variable('System.TeamProject');
  if (!Number.isInteger(id) || id <= 0 || !repositoryId || !project) return undefined;
  return { id, repositoryId, repositoryName: agent.variable('Build.Repository.Name') ?? repositoryId, project };
}

/** Why the preview is on the summary tab only. */
function notOnPullRequestNote(agent: Agent): string {
  if (agent.variable('Build.Reason') !== 'PullRequest') return 'Not a pull request build: this preview is on the summary tab only.';
  const provider = agent.variable('Build.Repository.Provider');
  if (provider && provider !== 'TfsGit') return `The pull request is in a ${provider} repository, not Azure Repos: this preview is on the summary tab only.`;
  return 'The pull request id, repository id or project of this build is not known (System.PullRequest.PullRequestId, Build.Repository.ID, System.TeamProject): this preview is on the summary tab only.';
}

/** Computes the preview, posts it on the pull request (when there is one) and returns the summary tab's part. Never fails the task. */
export async function previewPullRequest(
  agent: Agent,
  inputs: PreviewInputs,
  environments: readonly string[],
  rendered: RenderedFiles,
  report: ValidationReport,
  connectionOptions: ConnectionOptions = {},
): Promise<PreviewOutcome> {
  const pr = pullRequestOf(agent);
  const options = { log: (line: string) => agent.info(line), userAgent: 'gitops-flow-pr-validate', ...connectionOptions };
  agent.group(`GitOps preview of ${inputs.app}`);
  try {
    let gitops: DevOpsConnection | undefined;
    let document: PreviewDocument;
    try {
      gitops = connect(agent, inputs, options);
      document = await compareEnvironments(agent, gitops, inputs, environments, rendered, report);
    } catch (err) {
      // A REST failure means the repository could not be read; anything else is the preview's own failure.
      const unreadable = err instanceof DevOpsError;
      const message = agent.mask(unreadable ? cannotReadMessage(inputs, err) : `GitOps preview failed: ${errorMessage(err)}`);
      agent.warning(message);
      const summary = `### GitOps preview: ${code(inputs.app)}\n\n> ${message.replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;')}\n`;
      const description = unreadable ? `Preview skipped: cannot read ${inputs.repository}` : 'Preview failed (see the pipeline run)';
      if (pr) await postStatus(agent, gitops, inputs, pr, { state: 'error', description });
      return { summary, environments: [] };
    }
    for (const env of document.environments) agent.info(describeEnvironment(env));
    if (!pr) document.notes = [notOnPullRequestNote(agent)];
    const summary = agent.mask(renderPreview(document, { budgetBytes: SUMMARY_BUDGET_BYTES }).markdown);
    if (!pr) return { summary, environments: document.environments };

    const comment = agent.mask(
      renderPreview(document, { budgetBytes: COMMENT_BUDGET_BYTES, fullDiffWhere: "the pipeline run's summary tab (GitOps validation)" }).markdown,
    );
    const status = previewStatus(document.environments);
    const posted = await postComment(agent, gitops, inputs, pr, comment);
    await postStatus(agent, gitops, inputs, pr, status);
    return {
      summary,
      environments: document.environments,
      ...(posted ? { pullRequest: { id: pr.id, threadId: posted.threadId, comment: posted.outcome, status } } : {}),
    };
  } finally {
    agent.endGroup();
  }
}

async function compareEnvironments(
  agent: Agent,
  conn: DevOpsConnection,
  inputs: PreviewInputs,
  environments: readonly string[],
  rendered: RenderedFiles,
  report: ValidationReport,
): Promise<PreviewDocument> {
  const repo = await resolveRepository(conn, inputs.repository, agent.variable('System.TeamProject'));
  const head = await readBranchHead(conn, repo, inputs.targetBranch);
  const previews: EnvironmentPreview[] = [];
  for (const environment of environments) {
    const folder = normalizeFolder(fillPlaceholders(inputs.targetFolder, { app: inputs.app, environment }));
    const files = rendered.get(environment);
    const failed = renderFailure(report, environment, files);
    if (failed !== undefined || !files || !('files' in files)) {
      previews.push({ environment, folder, outcome: 'failed', error: failed ?? 'not rendered' });
      continue;
    }
    previews.push({ environment, folder, ...(await compareFolder(agent, conn, repo, head, folder, files.files)) });
  }
  return { app: inputs.app, repository: repo.display, branch: inputs.targetBranch, commitId: head, environments: previews };
}

/** The folder at `head` (none: a first promotion, every object added) against the rendered files. */
async function compareFolder(
  agent: Agent,
  conn: DevOpsConnection,
  repo: Repository,
  head: string | undefined,
  folder: string,
  files: Map<string, string>,
): Promise<Pick<EnvironmentPreview, 'outcome' | 'change'>> {
  const current = head ? (await readFolderTree(conn, repo, head, folder)).files : new Map<string, string>();
  const diff = diffFolder(current, prepareDesiredFiles(files));
  const toRead = [...diff.edited, ...diff.deleted];
  const texts = head && toRead.length > 0 ? await readCurrentTexts(agent, conn, repo, head, folder, toRead, current) : new Map<string, string>();
  const before = (p: string) => {
    const text = texts.get(p);
    if (text === undefined) throw new Error(`${folderServerPath(folder)}/${p} was listed at ${head?.slice(0, 12)} but could not be read`);
    return text;
  };
  const versions: FileVersions[] = diff.changes.map((c) =>
    c.kind === 'add'
      ? { path: c.path, after: files.get(c.path)! }
      : c.kind === 'delete'
        ? { path: c.path, before: before(c.path) }
        : { path: c.path, before: before(c.path), after: files.get(c.path)! },
  );
  const change = environmentChange(versions, diff.unchanged, (text) => agent.mask(text));
  return { outcome: diff.changes.length === 0 ? 'unchanged' : 'changed', change };
}

/**
 * The current text of the files that differ (paths relative to the folder): all of them in one
 * request by their blob ids, or, for a single file or when the server cannot answer with a zip,
 * one read per file.
 */
async function readCurrentTexts(
  agent: Agent,
  conn: DevOpsConnection,
  repo: Repository,
  head: string,
  folder: string,
  paths: readonly string[],
  blobIds: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (paths.length > 1) {
    try {
      const blobs = await readBlobs(
        conn,
        repo,
        paths.map((p) => blobIds.get(p)!),
      );
      for (const p of paths) texts.set(p, blobs.get(blobIds.get(p)!.toLowerCase())!.toString('utf8'));
      return texts;
    } catch (err) {
      const status = err instanceof DevOpsError ? err.statusCode : undefined;
      if (status === 401 || status === 403) throw err;
      agent.info(agent.mask(`Reading ${paths.length} files in one request failed (${errorMessage(err)}): reading them one by one`));
    }
  }
  const read = await readFilesAt(
    conn,
    repo,
    head,
    paths.map((p) => `${folder}/${p}`),
  );
  for (const p of paths) {
    const text = read.get(`${folder}/${p}`);
    if (text !== undefined) texts.set(p, text);
  }
  return texts;
}

/** Why an environment has nothing to compare: a rendering error (the findings say which), or a layout error. */
function renderFailure(
  report: ValidationReport,
  environment: string,
  files: ({ files: Map<string, string> } | { error: string }) | undefined,
): string | undefined {
  const env = report.environments.find((e) => e.environment === environment);
  const renderErrors = (env?.findings ?? []).filter((f) => f.severity === 'error' && /^(render|values|input)\//.test(f.rule));
  if (renderErrors.length > 0) return `rendering failed (${renderErrors[0].rule}; see the validation findings)`;
  if (!files) return 'not rendered (see the validation findings)';
  if ('error' in files) return files.error;
  return undefined;
}

/** `succeeded: 3 objects change in dev, prod`, or failed when an environment could not be rendered. */
export function previewStatus(environments: readonly EnvironmentPreview[]): StatusToPost {
  const failed = environments.filter((e) => e.outcome === 'failed').map((e) => e.environment);
  if (failed.length > 0) return { state: 'failed', description: `Rendering failed for ${failed.join(', ')}`, context: PREVIEW_STATUS };
  const changing = environments.filter((e) => e.outcome === 'changed');
  const objects = changing.reduce((n, e) => n + e.change!.objects.length, 0);
  const description =
    changing.length === 0
      ? `No change in ${environments.map((e) => e.environment).join(', ')}`
      : `${objects} object${objects === 1 ? '' : 's'} change in ${changing.map((e) => e.environment).join(', ')}`;
  return { state: 'succeeded', description, context: PREVIEW_STATUS };
}

function describeEnvironment(env: EnvironmentPreview): string {
  if (env.outcome === 'failed') return `${env.environment}: not compared (${env.error})`;
  const c = env.change!;
  if (env.outcome === 'unchanged') return `${env.environment}: no change in /${env.folder} (${c.unchangedFiles} file(s))`;
  return `${env.environment}: ${c.counts.added} added, ${c.counts.changed} changed, ${c.counts.removed} removed object(s), ${c.images.length} image change(s) in /${env.folder}`;
}

/** The connection for the application repository: the job's token (reused when the GitOps connection is the job's too). */
function appConnection(agent: Agent, inputs: PreviewInputs, gitops: DevOpsConnection | undefined, options: ConnectionOptions): DevOpsConnection {
  if (gitops && !inputs.repositoryConnection) return gitops;
  const collection = collectionUri(agent);
  const token = jobAccessToken(agent);
  if (!collection || !token) throw new Error('the job has no access token (System.AccessToken) or no System.CollectionUri to post on the pull request');
  return connectWithJobToken(collection, token, { log: (line: string) => agent.info(line), userAgent: 'gitops-flow-pr-validate', ...options });
}

type PullRequestRef = NonNullable<ReturnType<typeof pullRequestOf>>;

function appRepository(pr: PullRequestRef): Repository {
  return { id: pr.repositoryId, name: pr.repositoryName, project: { id: pr.project, name: pr.project }, display: `${pr.project}/${pr.repositoryName}` };
}

/** The comment's marker key: one preview thread per application on a pull request. */
export function previewCommentKey(app: string): string {
  return `preview/${app.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80)}`;
}

async function postComment(agent: Agent, gitops: DevOpsConnection | undefined, inputs: PreviewInputs, pr: PullRequestRef, content: string) {
  try {
    const conn = appConnection(agent, inputs, gitops, {});
    const result = await upsertPullRequestComment(conn, appRepository(pr), pr.id, { key: previewCommentKey(inputs.app), content });
    agent.info(`Preview comment ${result.outcome} on pull request ${pr.id} (thread ${result.threadId})`);
    return result;
  } catch (err) {
    agent.warning(agent.mask(`Could not post the preview on pull request ${pr.id}: ${errorMessage(err)}. ${grantOnAppRepository(pr)}`));
    return undefined;
  }
}

async function postStatus(
  agent: Agent,
  gitops: DevOpsConnection | undefined,
  inputs: PreviewInputs,
  pr: PullRequestRef,
  status: Omit<StatusToPost, 'context'>,
) {
  const full: StatusToPost = { ...status, context: PREVIEW_STATUS, ...(runWebUrl(agent) ? { targetUrl: runWebUrl(agent) } : {}) };
  try {
    const conn = appConnection(agent, inputs, gitops, {});
    await postPullRequestStatus(conn, appRepository(pr), pr.id, full);
    agent.info(`Pull request status ${PREVIEW_STATUS.genre}/${PREVIEW_STATUS.name}: ${full.state} (${full.description})`);
  } catch (err) {
    agent.warning(
      agent.mask(
        `Could not post the ${PREVIEW_STATUS.genre}/${PREVIEW_STATUS.name} status on pull request ${pr.id}: ${errorMessage(err)}. ${grantOnAppRepository(pr)}`,
      ),
    );
  }
}

function grantOnAppRepository(pr: PullRequestRef): string {
  return `Grant the project's build service identity "Contribute to pull requests" on ${pr.project}/${pr.repositoryName}.`;
}

/** The warning when the GitOps repository cannot be read: what failed and what to grant. */
function cannotReadMessage(inputs: PreviewInputs, err: unknown): string {
  const status = err instanceof DevOpsError ? err.statusCode : undefined;
  const who = inputs.repositoryConnection
    ? `the personal access token of the service connection "${inputs.repositoryConnection}" (gitopsConnection) needs Code (Read) on it`
    : `grant the project's build service identity ("<project> Build Service (<organization>)") Read on it, or set gitopsConnection to an Azure Repos service connection that can read it`;
  const what = status === 401 || status === 403 || status === 404 ? 'is forbidden or not found' : 'could not be read';
  return `GitOps preview skipped: the GitOps repository "${inputs.repository}" ${what} (${errorMessage(err)}); ${who}. Validation decides the result as without a preview.`;
}
