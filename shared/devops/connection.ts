/**
 * A connection to one Azure DevOps organization (collection): the real azure-devops-node-api
 * GitApi with the client's own retries off, plus the retry and error rules of this library.
 *
 * In a pipeline the task passes the job token (SystemVssConnection's AccessToken, a bearer token)
 * and System.CollectionUri; a GitOps repository in another organization can use a PAT instead.
 * This module never reads task inputs or the environment itself.
 */
import { GitApi } from 'azure-devops-node-api/GitApi';
// The handlers alone: azure-devops-node-api/WebApi would pull every API client into the bundle.
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { PersonalAccessTokenCredentialHandler } from 'azure-devops-node-api/handlers/personalaccesstoken';
import { BackoffOptions, RetriesExhaustedError, withRetry } from '../util/retry';
import { Clock, formatDuration, systemClock, TimeBudget } from '../util/time-budget';
import { DevOpsError, maskSecrets, wrapFailure } from './errors';
import { classifyIdempotent } from './transient';

export interface RetrySettings extends BackoffOptions {
  /** Time for all attempts of one request, default 2 min: an attempt still in flight when it runs out is given up (a timeout). */
  budgetMs?: number;
  /** Attempts per request including the first, default 8. */
  maxAttempts?: number;
  clock?: Clock;
  wait?: (ms: number) => Promise<void>;
}

export interface ConnectionOptions {
  /** Per-request socket timeout, default 100 s. A timed-out read is retried. */
  socketTimeoutMs?: number;
  retry?: RetrySettings;
  /** Receives one line per retry ("HTTP 429 reading refs of gitops: retrying in 2 s"). */
  log?: (line: string) => void;
  userAgent?: string;
}

/** Location id of git/pushes (any git location would do). */
const PUSHES_LOCATION_ID = 'ea98d07b-3c87-4971-8ede-a613694ffb55';

export type TokenKind = 'bearer' | 'pat';

export class DevOpsConnection {
  readonly git: GitApi;
  /** Collection URL without a trailing slash, e.g. https://dev.azure.com/contoso. */
  readonly collectionUrl: string;
  private readonly secrets: string[];
  private locationsReady = false;

  constructor(
    collectionUrl: string,
    token: string,
    readonly tokenKind: TokenKind,
    readonly options: ConnectionOptions = {},
  ) {
    this.collectionUrl = normalizeCollectionUrl(collectionUrl);
    if (!token) throw new Error(`no ${tokenKind === 'pat' ? 'personal access token' : 'access token'} for ${this.collectionUrl}`);
    this.secrets = [token];
    const handler = tokenKind === 'pat' ? new PersonalAccessTokenCredentialHandler(token) : new BearerCredentialHandler(token);
    this.git = new GitApi(
      this.collectionUrl,
      [handler],
      {
        allowRetries: false,
        socketTimeout: options.socketTimeoutMs ?? 100_000,
      },
      options.userAgent ?? 'gitops-flow',
    );
  }

  get clock(): Clock {
    return this.options.retry?.clock ?? systemClock;
  }

  /** Masks this connection's token in any text (error messages, logs). */
  mask(text: string): string {
    return maskSecrets(text, this.secrets);
  }

  /** Wraps a failure as a DevOpsError naming the action, secrets masked. */
  fail(action: string, error: unknown): DevOpsError {
    return wrapFailure(this.mask(action), error, this.secrets);
  }

  /**
   * A request that is safe to repeat (GET, HEAD, OPTIONS, PUT, DELETE, or a PATCH setting absolute
   * values): retried on 429, 5xx, resets and timeouts, honouring Retry-After, within the budget.
   */
  async idempotent<T>(action: string, call: (git: GitApi) => Promise<T>, retry: RetrySettings = {}): Promise<T> {
    const settings = { ...this.options.retry, ...retry };
    // The client's socket timeout alone would let one attempt outlast a short budget (a merge wait's last minute).
    const budget = new TimeBudget(settings.budgetMs ?? 120_000, settings.clock ?? systemClock);
    const socketTimeout = this.options.socketTimeoutMs ?? 100_000;
    try {
      return await withRetry(() => withinTime(call(this.git), Math.min(socketTimeout, budget.remainingMs())), {
        ...settings,
        classify: (e) => classifyIdempotent(e, (settings.clock ?? systemClock)()),
        onRetry: ({ attempt, delayMs, reason }) => this.options.log?.(this.mask(`${reason} while ${action}: retry ${attempt} in ${Math.round(delayMs)} ms`)),
      });
    } catch (error) {
      if (error instanceof RetriesExhaustedError) {
        throw new DevOpsError(this.mask(action), `${this.mask(error.message)}`, {
          statusCode: (error.cause as { statusCode?: number })?.statusCode,
          typeKey: (error.cause as { result?: { typeKey?: string } })?.result?.typeKey,
          cause: error.cause,
        });
      }
      throw this.fail(action, error);
    }
  }

  /**
   * A request that must not be repeated blindly (POST): sent once; callers converge by reading the
   * state again (a push re-reads the branch, a PR or thread is looked up again) before any retry.
   * The API locations are fetched first (an idempotent OPTIONS), so a failure here is the POST's own.
   */
  async once<T>(action: string, call: (git: GitApi) => Promise<T>): Promise<T> {
    await this.ensureGitLocations();
    try {
      return await call(this.git);
    } catch (error) {
      throw this.fail(action, error);
    }
  }

  /** OPTIONS {collection}/_apis/git once per connection (the client caches only successes). */
  async ensureGitLocations(): Promise<void> {
    if (this.locationsReady) return;
    // Resolving the pushes location fetches (and caches) the whole git area.
    await this.idempotent(`discovering the Git REST API at ${this.collectionUrl}`, (git) =>
      git.vsoClient.getVersioningData('7.1', 'git', PUSHES_LOCATION_ID, {}),
    );
    this.locationsReady = true;
  }
}

/**
 * `promise`, or a timeout failure (transient, like the client's own "Request timeout: ...") once
 * `limitMs` has passed. The request may still finish; nobody waits for it.
 */
function withinTime<T>(promise: Promise<T>, limitMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Request timeout: no answer within ${formatDuration(limitMs)}`)), Math.max(0, limitMs));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The job token (System.AccessToken of SystemVssConnection) against System.CollectionUri. */
export function connectWithJobToken(collectionUri: string, accessToken: string, options?: ConnectionOptions): DevOpsConnection {
  return new DevOpsConnection(collectionUri, accessToken, 'bearer', options);
}

/** A personal access token, for a GitOps repository in another organization. */
export function connectWithPat(organizationUrl: string, pat: string, options?: ConnectionOptions): DevOpsConnection {
  return new DevOpsConnection(organizationUrl, pat, 'pat', options);
}

export function normalizeCollectionUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`"${url}" is not a collection URL (expected e.g. https://dev.azure.com/<organization>)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`collection URL must be http(s), got ${parsed.protocol}`);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** True when two collection URLs name the same organization (case-insensitive, slashes ignored). */
export function sameCollection(a: string, b: string): boolean {
  return normalizeCollectionUrl(a).toLowerCase() === normalizeCollectionUrl(b).toLowerCase();
}
