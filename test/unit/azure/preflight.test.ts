import * as assert from 'node:assert/strict';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { authenticationFailure, describeAuthenticationFailure } from '../../../shared/azure/auth-failure';
import { boundedCredential, TokenTimeoutError } from '../../../shared/azure/bounded-credential';
import {
  AUTHENTICATION_FAILED,
  createFluxConfigurationReader,
  FluxConfigurationReader,
  FluxReadError,
  FluxReadOptions,
} from '../../../shared/azure/flux-reader';
import { armReadFailure } from '../../../shared/azure/poll-failures';
import { checkFluxAccess, FluxPreflight } from '../../../shared/azure/preflight';
import { ClusterRef, parseClusterRef } from '../../../shared/azure/wait';
import { connectWithJobToken } from '../../../shared/devops/connection';
import { DevOpsError } from '../../../shared/devops/errors';
import { InputError } from '../../../shared/util/errors';

/** What @azure/identity throws for a wrong client secret (AuthenticationError, Entra's description in the message). */
function wrongSecret(): Error {
  const e = new Error(
    'invalid_client Status code: 401\nMore details:\nAADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID. Trace ID: 1f Correlation ID: 2e Timestamp: 2026-12-06 05:00:00Z,',
  );
  e.name = 'AuthenticationError';
  return Object.assign(e, { statusCode: 401 });
}

const TOKEN: AccessToken = { token: 't', expiresOnTimestamp: Date.now() + 3_600_000 };
const A = parseClusterRef('rg/arc-a');
const B = parseClusterRef('rg/arc-b');

function credential(answers: (() => Promise<AccessToken | null>)[]): TokenCredential & { calls: number } {
  const c = {
    calls: 0,
    getToken: (_scopes: string | string[], _options?: GetTokenOptions) => answers[Math.min(c.calls++, answers.length - 1)](),
  };
  return c;
}

/** A reader answering per cluster name from a list of outcomes (the last repeats). */
function reader(outcomes: Record<string, (() => Promise<unknown>)[]>): FluxConfigurationReader & { reads: string[] } {
  const reads: string[] = [];
  const read = (async (cluster: ClusterRef, _name: string, options?: FluxReadOptions) => {
    const list = outcomes[cluster.clusterName];
    const n = reads.filter((r) => r === cluster.clusterName).length;
    reads.push(cluster.clusterName);
    assert.ok(options?.abortSignal, 'every read gets the budget signal');
    await list[Math.min(n, list.length - 1)]();
    return { status: {} };
  }) as FluxConfigurationReader & { reads: string[] };
  read.reads = reads;
  return read;
}

const ok = () => Promise.resolve();
const fail = (status: number | undefined, code: string, message: string) => () => Promise.reject(new FluxReadError(message, status, code, undefined));

function check(overrides: Partial<FluxPreflight>): FluxPreflight {
  return {
    credential: credential([() => Promise.resolve(TOKEN)]),
    scope: 'https://management.azure.com/.default',
    read: reader({ 'arc-a': [ok], 'arc-b': [ok] }),
    clusters: [A, B],
    fluxConfigurationName: 'cluster-config',
    connectionName: 'azure-prod',
    budgetMs: 60_000,
    wait: () => Promise.resolve(),
    ...overrides,
  };
}

async function inputError(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof InputError, `not an input error: ${String(e)}`);
    return e;
  }
  assert.fail('resolved');
}

describe('Flux access checked before anything is written (preflight)', () => {
  it('passes when a token comes and every cluster answers, reading each cluster once', async () => {
    const read = reader({ 'arc-a': [ok], 'arc-b': [ok] });
    await checkFluxAccess(check({ read }));
    assert.deepEqual([...read.reads].sort(), ['arc-a', 'arc-b']);
  });

  it('fails a wrong client secret as an input error on azureSubscription with the AADSTS code and the fix, asking once, reading nothing', async () => {
    const cred = credential([() => Promise.reject(wrongSecret())]);
    const read = reader({ 'arc-a': [ok], 'arc-b': [ok] });
    const e = await inputError(checkFluxAccess(check({ credential: cred, read })));
    assert.equal(e.input, 'azureSubscription');
    assert.equal(
      e.message,
      'Input "azureSubscription": Microsoft Entra refused the Azure service connection "azure-prod": AADSTS7000215: Invalid client secret provided. ' +
        'Ensure the secret being sent in the request is the client secret value, not the client secret ID; ' +
        "the service principal's client secret is wrong: put the secret's value (not its id) into the service connection; nothing was pushed",
    );
    assert.equal(cred.calls, 1);
    assert.deepEqual(read.reads, []);
  });

  it('fails an unavailable credential (no managed identity) as an input error, not retried', async () => {
    const unavailable = Object.assign(new Error('ManagedIdentityCredential: no managed identity endpoint found'), { name: 'CredentialUnavailableError' });
    const cred = credential([() => Promise.reject(unavailable)]);
    const e = await inputError(checkFluxAccess(check({ credential: cred })));
    assert.equal(
      e.message,
      'Input "azureSubscription": Microsoft Entra refused the Azure service connection "azure-prod": ManagedIdentityCredential: no managed identity endpoint found; nothing was pushed',
    );
    assert.equal(cred.calls, 1);
  });

  it('retries a token failure that is not the credential (network) and then goes on', async () => {
    const cred = credential([() => Promise.reject(Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' })), () => Promise.resolve(TOKEN)]);
    await checkFluxAccess(check({ credential: cred }));
    assert.equal(cred.calls, 2);
  });

  it('fails a 403 as an input error naming the connection, the role action and the cluster', async () => {
    const read = reader({ 'arc-a': [ok], 'arc-b': [fail(403, 'AuthorizationFailed', 'does not have authorization')] });
    const e = await inputError(checkFluxAccess(check({ read })));
    assert.equal(
      e.message,
      'Input "azureSubscription": the Azure service connection "azure-prod" may not read the Flux configuration "cluster-config" on rg/arc-b (connectedClusters): ' +
        'HTTP 403 AuthorizationFailed: does not have authorization; grant it a role with Microsoft.KubernetesConfiguration/fluxConfigurations/read (e.g. Reader) on the cluster; nothing was pushed',
    );
    assert.deepEqual(
      read.reads.filter((r) => r === 'arc-b'),
      ['arc-b'],
      'a 403 is not retried',
    );
  });

  it('fails a missing cluster on `clusters` and a missing configuration on `fluxConfiguration`', async () => {
    const cluster = await inputError(
      checkFluxAccess(
        check({
          read: reader({
            'arc-a': [fail(404, 'ResourceNotFound', "The Resource 'Microsoft.Kubernetes/connectedClusters/arc-a' was not found.")],
            'arc-b': [ok],
          }),
        }),
      ),
    );
    assert.equal(
      cluster.message,
      'Input "clusters": cluster not found: rg/arc-a (connectedClusters): HTTP 404 ResourceNotFound: The Resource \'Microsoft.Kubernetes/connectedClusters/arc-a\' was not found.; ' +
        "check the name, its resource group (clusterResourceGroup), clusterType and the service connection's subscription; nothing was pushed",
    );
    const config = await inputError(
      checkFluxAccess(
        check({
          read: reader({
            'arc-a': [ok],
            'arc-b': [fail(404, 'ResourceNotFound', "The Resource 'Microsoft.KubernetesConfiguration/fluxConfigurations/cluster-config' was not found.")],
          }),
        }),
      ),
    );
    assert.equal(config.input, 'fluxConfiguration');
    assert.match(config.message, /^Input "fluxConfiguration": Flux configuration "cluster-config" not found on rg\/arc-b \(connectedClusters\): HTTP 404 /);
  });

  it('fails a read whose token Entra refused (mid-check) as an input error on azureSubscription', async () => {
    const read = reader({ 'arc-a': [fail(undefined, AUTHENTICATION_FAILED, 'AADSTS7000222: The provided client secret keys are expired')], 'arc-b': [ok] });
    const e = await inputError(checkFluxAccess(check({ read })));
    assert.equal(
      e.message,
      'Input "azureSubscription": Microsoft Entra refused the Azure service connection "azure-prod": rg/arc-a (connectedClusters): AADSTS7000222: The provided client secret keys are expired; nothing was pushed',
    );
    assert.equal(read.reads.length, 2);
  });

  it('retries throttling and server errors within the budget, honouring Retry-After', async () => {
    const waits: number[] = [];
    const throttled = () => Promise.reject(new FluxReadError('throttled', 429, 'TooManyRequests', 3000));
    const read = reader({ 'arc-a': [throttled, fail(503, 'ServiceUnavailable', 'busy'), ok], 'arc-b': [ok] });
    await checkFluxAccess(check({ read, wait: (ms) => (waits.push(ms), Promise.resolve()) }));
    assert.deepEqual(read.reads.filter((r) => r === 'arc-a').length, 3);
    assert.ok(waits[0] >= 3000 && waits[0] <= 4000, `waits ${waits.join(', ')}`);
  });

  it('ends by its budget when a read never answers, saying which cluster did not answer (not an input error)', async () => {
    const never: FluxConfigurationReader = (_c, _n, options) =>
      new Promise((_resolve, reject) =>
        options?.abortSignal?.addEventListener('abort', () => reject(new FluxReadError('aborted', undefined, 'RequestAborted', undefined))),
      );
    const read: FluxConfigurationReader = (c, n, o) => (c.clusterName === 'arc-a' ? never(c, n, o) : Promise.resolve({ status: {} }));
    await assert.rejects(checkFluxAccess(check({ read, budgetMs: 50 })), (e: Error) => {
      assert.ok(!(e instanceof InputError));
      assert.equal(
        e.message,
        'Azure Resource Manager did not answer the read of the Flux configuration "cluster-config" within 50 ms on rg/arc-a (connectedClusters): no answer in time; nothing was pushed',
      );
      return true;
    });
  });

  it("says the budget ran out when the token attempt's own limit (what was left of it) fires before the budget's signal", async () => {
    const cred = credential([() => Promise.reject(new TokenTimeoutError(49))]);
    await assert.rejects(checkFluxAccess(check({ credential: cred, budgetMs: 50 })), {
      message:
        'No access token for Azure Resource Manager from the Azure service connection "azure-prod" within 50 ms (no answer in time; last: no access token from Microsoft Entra within 49 ms); nothing was pushed',
    });
  });

  it('ends by its budget when the token endpoint never answers, even if the credential ignores the abort signal', async () => {
    const cred = credential([() => new Promise<AccessToken>(() => undefined)]);
    await assert.rejects(checkFluxAccess(check({ credential: cred, budgetMs: 50 })), (e: Error) => {
      assert.ok(!(e instanceof InputError));
      assert.match(
        e.message,
        /^No access token for Azure Resource Manager from the Azure service connection "azure-prod" within 50 ms \(no answer in time.*\); nothing was pushed$/,
      );
      return true;
    });
  });
});

describe('authentication failures', () => {
  it('reads the AADSTS code and a known fix, without trace ids', () => {
    const f = authenticationFailure(wrongSecret());
    assert.deepEqual(f && { code: f.code, advice: f.advice }, {
      code: 'AADSTS7000215',
      advice: "the service principal's client secret is wrong: put the secret's value (not its id) into the service connection",
    });
    assert.doesNotMatch(describeAuthenticationFailure(f!), /Trace ID|Correlation/);
  });

  it('finds one wrapped as a cause, and is undefined for HTTP and network failures', () => {
    assert.equal(authenticationFailure(Object.assign(new Error('outer'), { cause: wrongSecret() }))?.code, 'AADSTS7000215');
    assert.equal(authenticationFailure(Object.assign(new Error('busy'), { statusCode: 503 })), undefined);
    assert.equal(authenticationFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), undefined);
  });

  it('the ARM reader turns a token failure into an AuthenticationFailed read error (no request sent)', async () => {
    const read = createFluxConfigurationReader({
      credential: { getToken: () => Promise.reject(wrongSecret()) },
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      armUrl: 'https://127.0.0.1:9',
      clientOptions: { retryOptions: { maxRetries: 0 } },
    });
    await assert.rejects(read(A, 'cluster-config'), (e: FluxReadError) => {
      assert.deepEqual([e.name, e.statusCode, e.code], ['FluxReadError', undefined, AUTHENTICATION_FAILED]);
      assert.match(e.message, /^AADSTS7000215: Invalid client secret provided\. .*; the service principal's client secret is wrong/);
      return true;
    });
  });

  it('a read that got no token is terminal for the Flux wait, not retried until the deadline', () => {
    const verdict = armReadFailure(new FluxReadError('AADSTS7000215: Invalid client secret provided', undefined, AUTHENTICATION_FAILED, undefined), {
      cluster: A,
      configurationName: 'cluster-config',
    });
    assert.deepEqual(verdict, {
      retry: false,
      lastError: 'Azure Resource Manager: AuthenticationFailed: AADSTS7000215: Invalid client secret provided',
      message: "Microsoft Entra refused the Azure service connection's credential (AADSTS7000215: Invalid client secret provided): fix the service connection",
    });
  });
});

describe('bounded token acquisition', () => {
  it('gives up after its limit with a TokenTimeoutError', async () => {
    const bounded = boundedCredential({ getToken: () => new Promise<AccessToken>(() => undefined) }, 20);
    await assert.rejects(
      bounded.getToken('scope'),
      (e: Error) => e instanceof TokenTimeoutError && e.message === 'no access token from Microsoft Entra within 20 ms',
    );
  });

  it("ends with an AbortError when the caller's signal aborts, and passes a token through", async () => {
    const controller = new AbortController();
    const bounded = boundedCredential({ getToken: () => new Promise<AccessToken>(() => undefined) }, 60_000);
    const pending = bounded.getToken('scope', { abortSignal: controller.signal });
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.deepEqual(await boundedCredential({ getToken: () => Promise.resolve(TOKEN) }, 60_000).getToken('scope'), TOKEN);
  });
});

describe('Azure DevOps reads bounded by their retry budget', () => {
  it('gives up an attempt that never answers when the budget runs out, not after the socket timeout', async () => {
    const conn = connectWithJobToken('http://127.0.0.1:9/org', 'token');
    conn.git.getRepository = () => new Promise(() => undefined);
    await assert.rejects(
      conn.idempotent('reading the repository', (git) => git.getRepository('r', 'p'), { budgetMs: 30 }),
      (e: Error) => {
        // The attempt's own limit is what was left of the 30 ms when it started (29 ms on a busy
        // machine); a timer may fire up to 1 ms early against Date.now(), leaving 1 ms.
        const m =
          /^reading the repository: gave up after 1 attempt in \d+ ms: the time budget of 30 ms has ([01]) ms left \(last: no answer within (\d+) ms\)$/.exec(
            e.message,
          );
        return e instanceof DevOpsError && m !== null && Number(m[2]) > 0 && Number(m[2]) <= 30;
      },
    );
  });
});
