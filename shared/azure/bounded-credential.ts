/**
 * A TokenCredential whose getToken ends by the caller's abortSignal and by a time limit of its
 * own. @azure/identity's client credential flows do not abort their token request on the signal
 * (MSAL sends it), so a token endpoint that never answers would otherwise hold a wait past its
 * deadline. The request itself may still finish later; nobody waits for it.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { formatDuration } from '../util/time-budget';

type AbortSignalLike = NonNullable<GetTokenOptions['abortSignal']>;

/** No token within the time limit: a transient failure (Entra or the network is slow), not a wrong credential. */
export class TokenTimeoutError extends Error {
  constructor(limitMs: number) {
    super(`no access token from Microsoft Entra within ${formatDuration(limitMs)}`);
    this.name = 'TokenTimeoutError';
  }
}

/** `credential` with every getToken bounded by `limitMs` and by options.abortSignal. */
export function boundedCredential(credential: TokenCredential, limitMs: number): TokenCredential {
  return {
    getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
      const outer = options.abortSignal;
      if (outer?.aborted) return Promise.reject(abortReason(outer));
      return new Promise<AccessToken | null>((resolve, reject) => {
        const onAbort = () => finish(() => reject(abortReason(outer as AbortSignalLike)));
        const timer = setTimeout(() => finish(() => reject(new TokenTimeoutError(limitMs))), limitMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          outer?.removeEventListener('abort', onAbort);
          settle();
        };
        outer?.addEventListener('abort', onAbort, { once: true });
        credential.getToken(scopes, options).then(
          (token) => finish(() => resolve(token)),
          (error: Error) => finish(() => reject(error)),
        );
      });
    },
  };
}

/** The signal's reason, as the Azure SDK expects an aborted operation to end (an AbortError). */
function abortReason(signal: AbortSignalLike): Error {
  const reason = (signal as { reason?: unknown }).reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error(reason instanceof Error ? reason.message : 'The operation was aborted.');
  error.name = 'AbortError';
  return error;
}
