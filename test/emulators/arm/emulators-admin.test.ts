// The admin APIs of `npm run emulators`, driven over HTTP from outside the process as the README
// shows, with the effect seen through the real clients: ARM faults (status with and without
// Retry-After, delay, hang) and Flux scenarios through @azure/arm-kubernetesconfiguration, an
// Azure DevOps fault in the same vocabulary through azure-devops-node-api.
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration';
import { ClientSecretCredential } from '@azure/identity';
import { gitApi } from '../devops/helpers';

interface Info {
  devopsUrl: string;
  devopsToken: string;
  project: string;
  adminUrl: string;
  devopsAdminUrl: string;
  armAdminUrl: string;
  armUrl: string;
  caCertFile: string;
  tokenUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  resourceGroup: string;
  repositories: Array<{ name: string; commitId: string }>;
}

interface LoggedRequest {
  route: string;
  status: number;
  cluster?: string;
  fault?: string;
}

const RP = 'Microsoft.Kubernetes';
const CC = 'connectedClusters';

async function admin(url: string, method: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function startEmulators(): Promise<{ child: ChildProcess; info: Info; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(process.cwd(), 'scripts', 'emulators.mjs')], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no JSON line within 50 s; stderr: ${err}`)), 50_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({ child, info: JSON.parse(out.slice(0, nl)) as Info, exited });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
  });
}

describe('npm run emulators: ARM faults and Flux scenarios over the admin API', function () {
  this.timeout(90_000);
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let info: Info;
  let client: SourceControlConfigurationClient;
  let noRetry: SourceControlConfigurationClient;
  let gitopsCommit: string;
  const get = (c = client, options: { abortSignal?: AbortSignal } = {}) =>
    c.fluxConfigurations.get(info.resourceGroup, RP, CC, 'arc-nonprod', 'cluster-config', options);
  /**
   * Until the emulator holds the hung request (`arrived`), then 200 ms more in which it must not answer: the client
   * gives up after that, not after a fixed timeout that a loaded machine could reach before the request arrived.
   */
  const heldByEmulator = async (arrived: () => Promise<boolean>) => {
    for (const started = Date.now(); !(await arrived()); await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (Date.now() - started > 30_000) throw new Error('the emulator never received the request');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  };
  const armRequests = async (route = 'flux.get') =>
    ((await admin(`${info.armAdminUrl}/requests?route=${route}`, 'GET')).json.value as LoggedRequest[]).map((r) => r.fault ?? r.status);

  before(async () => {
    ({ child, info, exited } = await startEmulators());
    const ca = fs.readFileSync(info.caCertFile, 'utf8');
    const credential = new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, {
      authorityHost: info.tokenUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca },
    });
    const clientWith = (maxRetries: number) =>
      new SourceControlConfigurationClient(credential, info.subscriptionId, {
        endpoint: info.armUrl,
        tlsOptions: { ca },
        retryOptions: { maxRetries, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
      });
    client = clientWith(3);
    noRetry = clientWith(0);
    gitopsCommit = info.repositories.find((r) => r.name === 'gitops')!.commitId;
  });
  after(async () => {
    if (!child) return;
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
  beforeEach(async () => {
    assert.equal((await admin(`${info.armAdminUrl}/faults`, 'DELETE')).status, 200);
    assert.equal((await admin(`${info.armAdminUrl}/requests`, 'DELETE')).status, 200);
  });

  it('prints both admin URLs; the ARM admin root lists the fault routes and clusters', async () => {
    assert.match(info.armAdminUrl, /^http:\/\/127\.0\.0\.1:\d+\/_admin$/);
    assert.equal(info.devopsAdminUrl, info.adminUrl);
    const root = await admin(info.armAdminUrl, 'GET');
    assert.equal(root.status, 200);
    assert.equal(root.json.armUrl, info.armUrl);
    assert.ok((root.json.faultRoutes as string[]).includes('flux.get'));
    const clusters = (await admin(`${info.armAdminUrl}/clusters`, 'GET')).json.value as Array<{ name: string }>;
    assert.deepEqual(
      clusters.map((c) => c.name),
      ['arc-nonprod', 'aks-prod'],
    );
  });

  it('503 twice on one cluster: the retrying client gets through on the third request, the other cluster is untouched', async () => {
    const added = await admin(`${info.armAdminUrl}/faults`, 'POST', { route: 'flux.get', cluster: 'arc-nonprod', status: 503, retryAfterSeconds: 0, count: 2 });
    assert.equal(added.status, 201);
    const listed = (await admin(`${info.armAdminUrl}/faults`, 'GET')).json.value as Array<{ id: number; remaining: number; spec: Record<string, unknown> }>;
    assert.deepEqual(listed, [
      { id: added.json.id, remaining: 2, hits: 0, spec: { route: 'flux.get', cluster: 'arc-nonprod', status: 503, retryAfterSeconds: 0, count: 2 } },
    ]);
    await client.fluxConfigurations.get(info.resourceGroup, 'Microsoft.ContainerService', 'managedClusters', 'aks-prod', 'cluster-config');
    const config = await get();
    assert.equal(config.name, 'cluster-config');
    assert.deepEqual(await armRequests(), [200, '503 retry-after 0', '503 retry-after 0', 200]);
    assert.deepEqual((await admin(`${info.armAdminUrl}/faults`, 'GET')).json.value, []);
  });

  it('a status the client does not retry reaches it with the injected code and message', async () => {
    await admin(`${info.armAdminUrl}/faults`, 'POST', {
      pathPattern: '/fluxConfigurations/cluster-config',
      method: 'GET',
      status: 503,
      code: 'RegionDown',
      message: 'injected',
    });
    await assert.rejects(get(noRetry), (e: { statusCode?: number; code?: string; message?: string }) => {
      assert.deepEqual([e.statusCode, e.code, e.message], [503, 'RegionDown', 'injected']);
      return true;
    });
    await get(noRetry);
    assert.deepEqual(await armRequests(), ['503', 200]);
  });

  it('a delay answers late but correctly', async () => {
    await admin(`${info.armAdminUrl}/faults`, 'POST', { route: 'flux.get', delayMs: 400, count: 1 });
    const started = Date.now();
    const config = await get(noRetry);
    assert.ok(Date.now() - started >= 390, `answered after ${Date.now() - started} ms`);
    assert.equal(config.provisioningState, 'Succeeded');
    assert.deepEqual(await armRequests(), ['delay 400ms']);
  });

  it('hang: the request is never answered until the client gives up; the next one is served', async () => {
    await admin(`${info.armAdminUrl}/faults`, 'POST', { route: 'flux.get', hang: true, count: 1 });
    const giveUp = new AbortController();
    const hung = get(noRetry, { abortSignal: giveUp.signal });
    await heldByEmulator(async () => (await armRequests()).includes('hang'));
    giveUp.abort();
    await assert.rejects(hung, (e: Error) => e.name === 'AbortError');
    assert.equal((await get(noRetry)).name, 'cluster-config');
    assert.deepEqual(await armRequests(), ['hang', 200]);
  });

  it('a Flux scenario set over HTTP changes what the resource reports: legacy revision format, then back', async () => {
    const scenarioUrl = `${info.armAdminUrl}/clusters/arc-nonprod/fluxConfigurations/cluster-config/scenario`;
    const set = await admin(scenarioUrl, 'PATCH', { revisionFormat: 'legacy' });
    assert.equal(set.status, 200);
    assert.equal(set.json.revisionFormat, 'legacy');
    assert.equal((await admin(`${info.armAdminUrl}/clusters/arc-nonprod/fluxConfigurations/cluster-config/reconcile`, 'POST')).status, 200);
    assert.equal((await get()).sourceSyncedCommitId, `main/${gitopsCommit}`);
    await admin(scenarioUrl, 'PATCH', { revisionFormat: 'sha1' });
    await admin(`${info.armAdminUrl}/clusters/arc-nonprod/fluxConfigurations/cluster-config/reconcile`, 'POST');
    const config = await get();
    assert.equal(config.sourceSyncedCommitId, `main@sha1:${gitopsCommit}`);
    assert.equal(config.complianceState, 'Compliant');
  });

  it('a provisioning failure set over HTTP fails the next update through the client once, then updates succeed', async () => {
    const failure = { code: 'ExtensionUnhealthy', message: 'The flux extension is not healthy.', operations: ['update'], times: 1 };
    assert.equal((await admin(`${info.armAdminUrl}/clusters/aks-prod/scenario`, 'PATCH', { provisioningFailure: failure })).status, 200);
    const update = () =>
      client.fluxConfigurations.beginUpdateAndWait(
        info.resourceGroup,
        'Microsoft.ContainerService',
        'managedClusters',
        'aks-prod',
        'cluster-config',
        {
          suspend: false,
        },
        { updateIntervalInMs: 5 },
      );
    await assert.rejects(update(), (e: Error) => e.message === `The long-running operation has failed. ExtensionUnhealthy. ${failure.message}`);
    assert.equal((await update()).provisioningState, 'Succeeded');
    await admin(`${info.armAdminUrl}/clusters/aks-prod/scenario`, 'PATCH', { provisioningFailure: null });
  });

  it('bad admin input is a 400/404 naming the field, cluster or route', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['faults', 'POST', { status: '503' }, 400, /fault status must be a number/],
      ['faults', 'POST', { route: 'flux.get', count: 1 }, 400, /needs a status, a delay, reset or hang/],
      ['faults', 'POST', { status: 503, hang: true }, 400, /one of status, reset or hang/],
      ['faults', 'POST', { statuscode: 503 }, 400, /unknown fault field\(s\) statuscode/],
      ['clusters/arc-nonprod/scenario', 'PATCH', { stall: true }, 400, /unknown scenario field 'stall'/],
      ['clusters/arc-nonprod/scenario', 'PATCH', { revisionFormat: 'v2' }, 400, /revisionFormat must be 'sha1' or 'legacy'/],
      ['clusters/nowhere/scenario', 'PATCH', { stalled: true }, 404, /no cluster 'nowhere'; clusters: arc-nonprod, aks-prod/],
      ['faults/999', 'DELETE', undefined, 404, /no fault 999/],
      ['nothing', 'GET', undefined, 404, /unknown admin route GET \/_admin\/nothing/],
    ];
    for (const [route, method, body, status, message] of cases) {
      const answer = await admin(`${info.armAdminUrl}/${route}`, method, body);
      assert.equal(answer.status, status, `${method} ${route}`);
      assert.match(String(answer.json.message), message);
    }
  });

  it('Azure DevOps faults use the same vocabulary: 429 with Retry-After seen by azure-devops-node-api, then a hang on refs; ARM-only fields are refused', async () => {
    await admin(`${info.devopsAdminUrl}/faults`, 'DELETE');
    const armOnly = await admin(`${info.devopsAdminUrl}/faults`, 'POST', { route: 'flux.get', status: 503 });
    assert.deepEqual(
      [armOnly.status, armOnly.json.message],
      [400, 'route and cluster select ARM emulator requests; Azure DevOps faults match by method and pathPattern or pathRegex'],
    );
    const refs = '/_apis/git/repositories/gitops/refs';
    assert.equal((await admin(`${info.devopsAdminUrl}/faults`, 'POST', { method: 'GET', pathPattern: refs, status: 429, retryAfterSeconds: 7 })).status, 201);
    const git = await gitApi({ url: info.devopsUrl, token: info.devopsToken } as never);
    await assert.rejects(git.getRefs('gitops', info.project), (e: { statusCode?: number }) => e.statusCode === 429);
    assert.equal((await git.getRefs('gitops', info.project)).length > 0, true);
    const hang = await admin(`${info.devopsAdminUrl}/faults`, 'POST', { pathRegex: 'refs$|refs\\?', hang: true, count: 1 });
    assert.deepEqual((await admin(`${info.devopsAdminUrl}/faults`, 'GET')).json.value, [
      { id: hang.json.id, remaining: 1, hits: 0, spec: { pathRegex: 'refs$|refs\\?', hang: true, count: 1 } },
    ]);
    const giveUp = new AbortController();
    const hung = fetch(`${info.devopsUrl}/${info.project}${refs}?api-version=7.1`, {
      headers: { Authorization: `Bearer ${info.devopsToken}` },
      signal: giveUp.signal,
    });
    await heldByEmulator(async () => ((await admin(`${info.devopsAdminUrl}/faults`, 'GET')).json.value as unknown[]).length === 0);
    giveUp.abort();
    await assert.rejects(hung, (e: Error) => e.name === 'AbortError');
    assert.equal((await git.getRefs('gitops', info.project)).length > 0, true, 'the hang was used up: the next read is served');
  });
});
