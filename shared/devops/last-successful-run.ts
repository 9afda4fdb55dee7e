/**
 * A file of the artifact of this pipeline's last successful run on a branch, read through the
 * Build REST API with the job token: Builds - List (definitions, branchName, statusFilter
 * completed, resultFilter succeeded, queryOrder finishTimeDescending, $top 1), then Artifacts -
 * Get Artifact as a zip ($format=zip, which serves build and pipeline artifacts alike) and the one
 * file out of it. The job's own run is still in progress, so it never finds itself. Reads only:
 * every request is retried on throttling and server errors within the budget.
 */
import { BuildApi } from 'azure-devops-node-api/BuildApi';
import { BuildQueryOrder, BuildResult, BuildStatus } from 'azure-devops-node-api/interfaces/BuildInterfaces';
import type { IncomingMessage } from 'node:http';
import { RetriesExhaustedError, withRetry } from '../util/retry';
import { readZipEntry } from './zip-archive';
import { DevOpsError, maskSecrets, wrapFailure } from './errors';
import { classifyIdempotent } from './transient';
import type { IHttpClientResponse, IRequestHandler } from 'azure-devops-node-api/interfaces/common/VsoBaseInterfaces';
import type { RetrySettings } from './connection';

/** What is read of the Build API (BuildApi's own methods). */
export type BuildReader = Pick<BuildApi, 'getBuilds' | 'getArtifactContentZip'>;

export interface LastRunQuery {
  /** Project name or id (System.TeamProject). */
  project: string;
  /** The pipeline's definition id (System.DefinitionId). */
  definitionId: number;
  /** Full ref, e.g. refs/heads/main (Build.SourceBranch). */
  branch: string;
  artifactName: string;
  /** Path of the file inside the artifact, "/" separators. */
  file: string;
}

export type LastRunFile =
  | { found: true; buildId: number; buildNumber: string; content: Buffer }
  /** Nothing to read: why, for the log (a first run, a run without the artifact or the file). */
  | { found: false; reason: string; buildId?: number; buildNumber?: string };

/** The real BuildApi client over the job token (a bearer token), the client's own retries off. */
export function buildReader(collectionUrl: string, accessToken: string, socketTimeoutMs = 100_000): BuildApi {
  return new BuildApi(collectionUrl.trim().replace(/\/+$/, ''), [bearerHandler(accessToken)], { allowRetries: false, socketTimeout: socketTimeoutMs });
}

/**
 * The job token as a bearer header, as the client's bearer handler sends it: only to the host of the
 * first request (a redirect elsewhere, e.g. to artifact storage, gets no token). Written here because
 * the client's handler module pulls every typed-rest-client handler (NTLM among them) into the bundle.
 */
export function bearerHandler(token: string): IRequestHandler {
  let origin: string | undefined;
  return {
    prepareRequest: (options) => {
      origin ??= options.host ?? undefined;
      // typed-rest-client always passes a header object (never the array form).
      const headers = (options.headers ?? {}) as Record<string, string>;
      if (options.host === origin) headers.Authorization = `Bearer ${token}`;
      headers['X-TFS-FedAuthRedirect'] = 'Suppress';
      options.headers = headers;
    },
    canHandleAuthentication: (_response: IHttpClientResponse) => false,
    handleAuthentication: () => Promise.reject(new Error('the bearer handler does not answer authentication challenges')),
  };
}

/** Largest zip read into memory: a release bundle is templates and values, far below this. */
const MAX_ZIP_BYTES = 256 * 1024 * 1024;

export async function readLastSuccessfulRunFile(
  client: BuildReader,
  query: LastRunQuery,
  options: { retry?: RetrySettings; secrets?: readonly string[]; log?: (line: string) => void } = {},
): Promise<LastRunFile> {
  const secrets = options.secrets ?? [];
  const retried = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await withRetry(call, {
        ...options.retry,
        classify: (e) => classifyIdempotent(e),
        onRetry: ({ attempt, delayMs, reason }) =>
          options.log?.(maskSecrets(`${reason} while ${action}: retry ${attempt} in ${Math.round(delayMs)} ms`, secrets)),
      });
    } catch (error) {
      throw wrapFailure(action, error instanceof RetriesExhaustedError ? error.cause : error, secrets);
    }
  };

  const listing = `listing the last successful run of pipeline ${query.definitionId} on ${query.branch} in project ${query.project}`;
  const builds = await retried(listing, () =>
    client.getBuilds(
      query.project,
      [query.definitionId],
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      BuildStatus.Completed,
      BuildResult.Succeeded,
      undefined,
      undefined,
      1,
      undefined,
      undefined,
      undefined,
      BuildQueryOrder.FinishTimeDescending,
      query.branch,
    ),
  );
  const last = (builds ?? [])[0];
  if (!last || typeof last.id !== 'number') return { found: false, reason: `no successful run of pipeline ${query.definitionId} on ${query.branch} yet` };
  const run = { buildId: last.id, buildNumber: last.buildNumber ?? String(last.id) };

  const action = `downloading the artifact "${query.artifactName}" of run ${run.buildNumber} (build ${run.buildId})`;
  const zip = await retried(action, async () => readBody(await client.getArtifactContentZip(query.project, run.buildId, query.artifactName)));
  if (zip === undefined) return { found: false, reason: `run ${run.buildNumber} has no artifact "${query.artifactName}"`, ...run };
  let content: Buffer | undefined;
  try {
    content = readZipEntry(zip, `${query.artifactName}/${query.file}`);
  } catch (error) {
    throw new DevOpsError(action, (error as Error).message, { cause: error });
  }
  if (!content) return { found: false, reason: `the artifact "${query.artifactName}" of run ${run.buildNumber} has no ${query.file}`, ...run };
  return { found: true, ...run, content };
}

/** The zip's bytes; undefined for 404 (no such artifact); any other failure as the client's errors look (statusCode, result). */
async function readBody(stream: NodeJS.ReadableStream): Promise<Buffer | undefined> {
  const message = stream as IncomingMessage;
  const status = message.statusCode ?? 200;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += b.length;
    if (size > MAX_ZIP_BYTES) {
      message.destroy?.();
      throw new Error(`the artifact is larger than ${MAX_ZIP_BYTES / 1024 / 1024} MB`);
    }
    chunks.push(b);
  }
  const body = Buffer.concat(chunks);
  if (status === 404) return undefined;
  if (status < 200 || status >= 300) {
    const result = parseError(body);
    throw Object.assign(new Error(result?.message ?? `Failed request: (${status})`), {
      statusCode: status,
      result,
      responseHeaders: message.headers,
    });
  }
  return body;
}

function parseError(body: Buffer): { message?: string; typeKey?: string } | null {
  try {
    return JSON.parse(body.toString('utf8')) as { message?: string; typeKey?: string };
  } catch {
    return null;
  }
}
