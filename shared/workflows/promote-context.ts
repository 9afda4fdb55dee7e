import type { Agent } from '../agent/agent';
import { azureReposConnection, jobAccessToken } from '../agent/endpoints';
import { collectionUri, runWebUrl } from '../agent/inputs';
import type { ReconciliationResult } from '../azure/wait';
import { ConnectionOptions, connectWithJobToken, connectWithPat, DevOpsConnection } from '../devops/connection';
import { NotFoundError } from '../devops/errors';
import type { PromotionTrailers } from '../devops/promotion-history';
import { Repository, repositoryWebUrl, resolveRepository } from '../devops/repository';
import { RepositoryNotVisibleError } from '../devops/repository-access';
import { parseRepositoryRef } from '../devops/repository-ref';
import { fillPlaceholders, PromotionNames } from './placeholders';
import type { PromoteInputs } from './promote-inputs';
import type { FolderChanges, PromotionRecord } from './promote-report';
import type { VerificationResult } from './promote-verify';

/** What is promoted: the release's names, the rendered files and where they go. Known before the repository is reached. */
export interface PromotionSubject {
  names: PromotionNames;
  /** The application commit the release was built from. */
  sourceCommit: string;
  /** The application repository's clone URL (release.json source.repositoryUri), for the status on the source commit. */
  sourceRepositoryUri?: string;
  /** release.json's digest, and whether the releaseDigest input pinned it. */
  releaseDigest?: { digest: string; pinned: boolean };
  /** The environment folder in the GitOps repository, normalized (no leading or trailing "/"). */
  folder: string;
  /** Path in the folder -> content. */
  files: Map<string, string>;
  /** The substituted templates and the folder they are written to (the templatesFolder input), when asked for. */
  templates?: { folder: string; files: Map<string, string> };
  objects: number;
  /** The task's version, for the PR description. */
  version: string;
  /** A rollback: `names.release` is the release restored; this is the one it replaces. */
  rollback?: RollbackOf;
}

/** What a rollback undoes and where its folder state comes from. */
export interface RollbackOf {
  /** The release rolled back from (the most recent promotion's). */
  fromRelease: string;
  /** The commit of that promotion. */
  fromCommit: string;
  /** The commit whose folder content is restored (the folder just before that promotion). */
  restoredFrom: string;
}

/** Everything the promotion steps need, built once the GitOps repository is found. */
export interface PromotionContext extends PromotionSubject {
  agent: Agent;
  inputs: PromoteInputs;
  conn: DevOpsConnection;
  repo: Repository;
  /** The repository's web page. */
  repositoryUrl: string;
  /** This pipeline run's page, linked from statuses and the PR description. */
  runUrl?: string;
}

/** A pattern input with the promotion's names filled in. */
export function fill(subject: PromotionSubject, pattern: string): string {
  return fillPlaceholders(pattern, subject.names);
}

/** The message of the commits and the pull request's title: the commitMessage input, or the rollback's own. */
export function commitMessageOf(ctx: PromotionSubject & { inputs: PromoteInputs }): string {
  const { names, rollback } = ctx;
  if (rollback) return `Roll back ${names.app} on ${names.environment} from ${rollback.fromRelease} to ${names.release}`;
  return fill(ctx, ctx.inputs.commitMessage);
}

/** The trailers every commit of this promotion carries (see shared/devops/promotion-history). */
export function trailersOf(ctx: PromotionSubject & { runUrl?: string }): PromotionTrailers {
  return {
    action: ctx.rollback ? 'rollback' : 'promote',
    app: ctx.names.app,
    environment: ctx.names.environment,
    release: ctx.names.release,
    sourceCommit: ctx.sourceCommit || undefined,
    buildUrl: ctx.runUrl,
    rolledBackFrom: ctx.rollback?.fromRelease,
  };
}

/** The connection to the GitOps repository's organization: the gitopsConnection service connection, else the job's own token. */
export function connect(agent: Agent, inputs: Pick<PromoteInputs, 'repositoryConnection'>, extra: ConnectionOptions = {}): DevOpsConnection {
  const options = { log: (line: string) => agent.info(line), userAgent: 'gitops-flow-promote', ...extra };
  if (inputs.repositoryConnection) {
    const endpoint = azureReposConnection(agent, 'gitopsConnection', inputs.repositoryConnection);
    return connectWithPat(endpoint.url, endpoint.token, options);
  }
  const collection = collectionUri(agent);
  const token = jobAccessToken(agent);
  if (!collection || !token) {
    throw new Error(
      'The job has no access token for Azure Repos (System.AccessToken of SystemVssConnection) or no System.CollectionUri: run the task in an Azure Pipelines agent job, or set gitopsConnection to an Azure Repos service connection',
    );
  }
  return connectWithJobToken(collection, token, options);
}

/** Connects and finds the GitOps repository (in System.TeamProject unless the input names the project). */
export async function createPromotionContext(
  agent: Agent,
  inputs: PromoteInputs,
  subject: PromotionSubject,
  connectionOptions?: ConnectionOptions,
): Promise<PromotionContext> {
  const conn = connect(agent, inputs, connectionOptions);
  const repo = await findGitOpsRepository(conn, inputs, agent.variable('System.TeamProject'));
  return { ...subject, agent, inputs, conn, repo, repositoryUrl: repositoryWebUrl(conn, repo), runUrl: runWebUrl(agent) };
}

/** The GitOps repository; when it is not visible, the error says why it may not be and what to change (job scope, identity, connection). */
async function findGitOpsRepository(conn: DevOpsConnection, inputs: PromoteInputs, pipelineProject: string | undefined): Promise<Repository> {
  try {
    return await resolveRepository(conn, inputs.repository, pipelineProject);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const ref = parseRepositoryRef(inputs.repository);
    throw new RepositoryNotVisibleError(error.action, {
      repository: `${ref.project ?? pipelineProject ?? ''}/${ref.name}`,
      collectionUrl: conn.collectionUrl,
      pipelineProject,
      repositoryInput: inputs.repositoryInput ?? 'gitopsRepository',
      connectionInput: 'gitopsConnection',
      viaServiceConnection: inputs.repositoryConnection !== undefined,
    });
  }
}

/** A pull request opened or adopted for the promotion. */
export interface OpenedPullRequest {
  id: number;
  url: string;
  created: boolean;
}

/** How the release reached the target branch; deployedCommit is the commit that holds it (none when the merge is not awaited). */
export type Delivery = { outcome: 'unchanged' | 'pushed' | 'merged'; deployedCommit: string } | { outcome: 'pull-request'; deployedCommit?: undefined };

/**
 * The results of the steps a promotion has taken, in the order they run. The orchestrating
 * functions store each step's result here as it returns; the summary record is made from it at
 * the end, also when a step failed (it then shows how far the promotion got).
 */
export interface PromotionSteps {
  repository?: { display: string; url: string };
  changes?: FolderChanges;
  branch?: string;
  /** The commit holding the change, when this run made it or it is on the promotion branch. */
  commitId?: string;
  pullRequest?: OpenedPullRequest;
  superseded?: number[];
  /** This promotion's stale PRs it abandoned before making the change again. */
  rebuilt?: number[];
  delivery?: Delivery;
  reconciliation?: ReconciliationResult;
  /** The smoke checks after Flux (verifyUrls); undefined when none were asked for or not reached. */
  verification?: VerificationResult;
}

/** The summary record of a promotion, from what it is and the steps it took. */
export function promotionRecord(subject: PromotionSubject, mode: PromoteInputs['mode'], steps: PromotionSteps, error?: unknown): PromotionRecord {
  const message = error instanceof Error ? error.message : String(error);
  return {
    app: subject.names.app,
    release: subject.names.release,
    environment: subject.names.environment,
    sourceCommit: subject.sourceCommit,
    releaseDigest: subject.releaseDigest,
    folder: subject.folder,
    mode,
    version: subject.version,
    objects: subject.objects,
    repository: steps.repository?.display,
    repositoryUrl: steps.repository?.url,
    changes: steps.changes,
    branch: steps.branch,
    commitId: steps.commitId,
    pullRequest: steps.pullRequest,
    superseded: steps.superseded,
    rebuilt: steps.rebuilt,
    outcome: steps.delivery?.outcome,
    deployedCommit: steps.delivery?.deployedCommit,
    reconciliation: steps.reconciliation,
    verification: steps.verification,
    rollback: subject.rollback,
    error: error === undefined ? undefined : message,
  };
}
