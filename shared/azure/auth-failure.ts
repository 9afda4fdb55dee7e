/**
 * Is a failure the credential's own (Microsoft Entra refused it, or no token could be had)? Such a
 * failure does not heal by waiting: it is never retried, and the message says what to fix in the
 * Azure service connection. @azure/identity throws AuthenticationError (with Entra's AADSTS code in
 * the message), CredentialUnavailableError or AggregateAuthenticationError; the ARM SDK passes them on.
 */

const AUTH_ERROR_NAMES = new Set(['AuthenticationError', 'CredentialUnavailableError', 'AuthenticationRequiredError', 'AggregateAuthenticationError']);

/** What to fix for the AADSTS codes a service connection commonly meets. */
const ADVICE: Record<string, string> = {
  '7000215': "the service principal's client secret is wrong: put the secret's value (not its id) into the service connection",
  '7000222': "the service principal's client secret has expired: create a new secret and update the service connection",
  '700016': 'no application with this client id in the tenant: check the service principal id and tenant id of the service connection',
  '90002': 'the tenant was not found: check the tenant id of the service connection',
  '900023': 'the tenant id is not valid: check the tenant id of the service connection',
  '700027': "the certificate is not registered on the application, or expired: upload the connection's certificate to the app registration",
  '700211': 'no federated credential on the application matches the issuer: re-create the federated credential of the service connection',
  '700213': 'no federated credential on the application matches the subject: re-create the federated credential of the service connection',
  '70021': 'no federated credential on the application matches the job token: re-create the federated credential of the service connection',
  '7000112': 'the application is disabled in the tenant',
};

export interface AuthenticationFailure {
  /** Entra's code, e.g. "AADSTS7000215", when the answer carried one. */
  code?: string;
  /** One line: Entra's description without trace ids, or the credential's message. */
  detail: string;
  /** What to change, for the codes known here. */
  advice?: string;
}

/** The authentication failure `error` is (or wraps), else undefined. */
export function authenticationFailure(error: unknown): AuthenticationFailure | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { name?: unknown }).name;
    const message = typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : '';
    const aadsts = /AADSTS(\d+)/.exec(message);
    if ((typeof name === 'string' && AUTH_ERROR_NAMES.has(name)) || aadsts) {
      const code = aadsts ? `AADSTS${aadsts[1]}` : undefined;
      return { code, detail: describe(message, aadsts), advice: aadsts ? ADVICE[aadsts[1]] : undefined };
    }
  }
  return undefined;
}

/** "AADSTS7000215: Invalid client secret provided. ..." without Entra's trace, correlation and timestamp lines. */
function describe(message: string, aadsts: RegExpExecArray | null): string {
  const from = aadsts ? message.slice(aadsts.index) : message;
  const text = from.split(/\s+(?:Trace ID|Correlation ID|Timestamp):/)[0];
  return (
    text
      .replace(/\s+/g, ' ')
      .replace(/[,.\s]+$/, '')
      .trim() || 'authentication failed'
  );
}

/** "AADSTS7000215: Invalid client secret provided ...: the service principal's client secret is wrong: ..." */
export function describeAuthenticationFailure(failure: AuthenticationFailure): string {
  return failure.advice ? `${failure.detail}; ${failure.advice}` : failure.detail;
}
