/**
 * Errors from Azure DevOps calls. Every message says what was being done and on which object
 * ("pushing 3 changes to refs/heads/main of gitops/fleet: ..."), carries the HTTP status and the
 * server's typeKey when there is one, and never a token: connection secrets are masked.
 */

/** What typed-rest-client (under azure-devops-node-api) attaches to a failed request. */
export interface HttpFailure {
  statusCode?: number;
  result?: { message?: string; typeKey?: string; typeName?: string } | null;
  responseHeaders?: Record<string, string | string[] | undefined>;
  rateLimit?: { retryAfter?: number };
  code?: string;
  message?: string;
}

export class DevOpsError extends Error {
  /** HTTP status of the failing response, when there was one. */
  readonly statusCode?: number;
  /** Azure DevOps exception type, e.g. GitReferenceStaleException. */
  readonly typeKey?: string;

  constructor(
    readonly action: string,
    detail: string,
    options: { statusCode?: number; typeKey?: string; cause?: unknown } = {},
  ) {
    super(`${action}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevOpsError';
    this.statusCode = options.statusCode;
    this.typeKey = options.typeKey;
  }
}

/** The object asked for does not exist (the client turns 404 into null; we turn null into this). */
export class NotFoundError extends DevOpsError {
  constructor(action: string, detail: string) {
    super(action, detail, { statusCode: 404 });
    this.name = 'NotFoundError';
  }
}

/** A path in the desired folder state is unsafe or outside the target folder; nothing was pushed. */
export class UnsafePathError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`path "${printable(path)}" ${reason}`);
    this.name = 'UnsafePathError';
  }
}

/** The branch moved under us more times than the retry bound allows. */
export class ConcurrentUpdateError extends DevOpsError {
  constructor(action: string, attempts: number, cause: unknown) {
    super(action, `the branch kept moving while we committed (${attempts} attempts, each against a fresh read); try again later`, {
      statusCode: 409,
      typeKey: 'GitReferenceStaleException',
      cause,
    });
    this.name = 'ConcurrentUpdateError';
  }
}

export function asHttpFailure(error: unknown): HttpFailure {
  return typeof error === 'object' && error !== null ? error : { message: String(error) };
}

/** "HTTP 409 GitReferenceStaleException: TF401028 ..." or "ECONNRESET: socket hang up". */
export function describeFailure(error: unknown): string {
  const f = asHttpFailure(error);
  const message = (f.result?.message ?? f.message ?? '').trim();
  if (f.statusCode !== undefined) {
    const type = f.result?.typeKey ? ` ${f.result.typeKey}` : '';
    const text = message && message !== `Failed request: (${f.statusCode})` ? `: ${message}` : '';
    return `HTTP ${f.statusCode}${type}${text}`;
  }
  if (f.code && !message.includes(f.code)) return `${f.code}: ${message || 'network error'}`;
  return message || 'unknown error';
}

/** Replaces every occurrence of each secret (and its base64 forms as auth headers carry them). */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    const forms = [secret, Buffer.from(`:${secret}`).toString('base64'), Buffer.from(`PAT:${secret}`).toString('base64')];
    for (const form of forms) out = out.split(form).join('***');
  }
  return out;
}

/** Wraps any failure of a call as a DevOpsError that names the action; secrets masked. */
export function wrapFailure(action: string, error: unknown, secrets: readonly string[] = []): DevOpsError {
  if (error instanceof DevOpsError) return error;
  const f = asHttpFailure(error);
  const wrapped = new DevOpsError(maskSecrets(action, secrets), maskSecrets(describeFailure(error), secrets), {
    statusCode: f.statusCode,
    typeKey: f.result?.typeKey,
    cause: error,
  });
  return wrapped;
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
