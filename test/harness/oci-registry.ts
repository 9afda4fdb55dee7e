/**
 * A real OCI registry for tests: Debian's `docker-registry` (the CNCF distribution registry) with a
 * temporary config and storage on a free loopback port, with or without htpasswd authentication,
 * charts pushed with `helm push`. CI installs the package (.ci/run); elsewhere the tests skip with
 * the reason when it is missing, and fail in CI.
 *
 * Also a test double of ACR's token exchange (POST /oauth2/exchange): it checks the AAD token it is
 * given and answers with a refresh token that the registry accepts as the password of ACR's
 * 00000000-0000-0000-0000-000000000000 user, as ACR itself does.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { toolsBin } from './process-tools';

/** The user that pushes in the tests, and ACR's token user, with bcrypt hashes (cost 5) of their passwords for htpasswd. */
export const REGISTRY_USER = { username: 'pusher', password: 'Registry-Test-Pa55' };
export const ACR_REFRESH_TOKEN = 'acr-refresh-token-for-tests';
const HTPASSWD = [
  'pusher:$2b$05$FAC0Fxb5TaC7cc9bB5PKQOK33vL93fJYlBM.pVpzp8EhfCtJ99EKC',
  '00000000-0000-0000-0000-000000000000:$2b$05$OKmFHoB9huMLbf8PRlL6uOy3.xrpvOP1iKA.iPYNMx66uVRAr7MSO',
].join('\n');

/** The docker-registry binary, or undefined when it is not installed. */
export function registryBinary(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin']) {
    const candidate = path.join(dir, 'docker-registry');
    if (dir !== '' && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Skips the calling suite with the reason when docker-registry is missing; in CI (CI=true) that is a failure instead. */
export function requireRegistry(context: Mocha.Context): string {
  const binary = registryBinary();
  if (binary) return binary;
  const reason = 'docker-registry is not installed (apt-get install -y docker-registry); the OCI registry tests need it';
  if (process.env.CI === 'true') throw new Error(reason);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

export interface OciRegistry {
  /** host:port */
  host: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startOciRegistry(binary: string, options: { auth: boolean }): Promise<OciRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    'http:',
    `  addr: ${host}`,
    ...(options.auth ? ['auth:', '  htpasswd:', '    realm: test-registry', `    path: ${path.join(dir, 'htpasswd')}`] : []),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yml'), `${config}\n`);
  fs.writeFileSync(path.join(dir, 'htpasswd'), `${HTPASSWD}\n`);
  const child: ChildProcess = spawn(binary, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Ready when /v2/ answers (200, or 401 with auth); each try waits for the answer, not for a clock.
  for (let attempt = 0; ; attempt++) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get(`http://${host}/v2/`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
    });
    if (status === 200 || status === 401) break;
    if (child.exitCode !== null || attempt > 200) {
      child.kill();
      throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    host,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Packages a chart and pushes it to `oci://<host>/charts` with helm (credentials in a temporary registry config). */
export async function pushChart(registry: OciRegistry, chart: string, auth?: { username: string; password: string }): Promise<string> {
  const helm = path.join(toolsBin(), 'helm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-push-'));
  try {
    const run = promisify(execFile);
    const packaged = (await run(helm, ['package', chart, '--destination', dir])).stdout.trim().split(': ').pop()!;
    const auths = auth ? { [registry.host]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } : {};
    fs.writeFileSync(path.join(dir, 'registry.json'), JSON.stringify({ auths }));
    await run(helm, ['push', packaged, `oci://${registry.host}/charts`, '--plain-http', '--registry-config', path.join(dir, 'registry.json')]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return `oci://${registry.host}/charts`;
}

export interface AcrExchangeDouble {
  /** The exchange endpoint, http://127.0.0.1:<port>/oauth2/exchange */
  endpoint: string;
  /** The form bodies it received. */
  requests: URLSearchParams[];
  stop(): Promise<void>;
}

/** ACR's /oauth2/exchange as a test double: `aadToken` (or a token it accepts) gets ACR_REFRESH_TOKEN, anything else 401. */
export async function startAcrExchange(aadToken: string | ((token: string) => boolean)): Promise<AcrExchangeDouble> {
  const accepts = typeof aadToken === 'string' ? (token: string) => token === aadToken : aadToken;
  const requests: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/oauth2/exchange') {
        res.writeHead(404).end();
        return;
      }
      const form = new URLSearchParams(body);
      requests.push(form);
      if (form.get('grant_type') !== 'access_token' || !accepts(form.get('access_token') ?? '')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refresh_token: ACR_REFRESH_TOKEN }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/exchange`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
