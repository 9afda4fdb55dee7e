/**
 * A real Helm chart repository for tests: charts packaged with `helm package`, an index.yaml made
 * by `helm repo index`, served over HTTP on a free loopback port under /charts, with optional basic
 * authentication. `requests` records every path asked for, so a test can prove nothing was fetched.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HelmDependencySettings } from '../../shared/render/helm-dependencies';
import { renderEnvironment, RenderedEnvironment } from '../../shared/render/render';
import { processTools, toolsBin } from './process-tools';

export interface HelmRepositoryServer {
  /** The repository URL, e.g. http://127.0.0.1:41234/charts */
  url: string;
  requests: string[];
  /** Replaces what the repository serves with these charts (a chart version withdrawn, say). */
  republish(charts: string[]): void;
  stop(): Promise<void>;
}

export interface BasicAuth {
  username: string;
  password: string;
}

export async function startHelmRepository(options: { charts: string[]; auth?: BasicAuth }): Promise<HelmRepositoryServer> {
  const helm = path.join(toolsBin(), 'helm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-repository-'));
  const requests: string[] = [];
  const expected = options.auth ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` : undefined;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized');
      return;
    }
    const name = url.pathname.startsWith('/charts/') ? url.pathname.slice('/charts/'.length) : '';
    const file = path.join(dir, name);
    if (req.method !== 'GET' || name === '' || name.includes('/') || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
  const publish = (charts: string[]) => {
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    for (const chart of charts) execFileSync(helm, ['package', chart, '--destination', dir], { stdio: 'pipe' });
    execFileSync(helm, ['repo', 'index', dir, '--url', url], { stdio: 'pipe' });
  };
  publish(options.charts);
  return {
    url,
    requests,
    republish: publish,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A copy of test/fixtures/helm/app with `repository` written into Chart.yaml and Chart.lock made by
 * `helm dependency update` (as a developer commits it), charts/ removed again. helm's config lives
 * in a temporary folder; the caller removes the returned folder. Async: the server may run in this process.
 * `helmEnv` is added to helm's environment (a proxy and the CA that reach an `oci://<name>.azurecr.io`).
 */
export async function lockedApp(repository: string, auth?: BasicAuth, helmEnv?: Record<string, string | undefined>): Promise<string> {
  const helm = path.join(toolsBin(), 'helm');
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-app-'));
  fs.cpSync(path.join(process.cwd(), 'test/fixtures/helm/app'), app, { recursive: true });
  const chart = path.join(app, 'deploy/chart');
  const chartYaml = path.join(chart, 'Chart.yaml');
  fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, 'utf8').replace('REPOSITORY_URL', repository));
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-lock-'));
  try {
    const repositories = /^https?:/.test(repository)
      ? [`- name: test`, `  url: ${repository}`, ...(auth ? [`  username: ${auth.username}`, `  password: ${auth.password}`] : [])]
      : [];
    fs.writeFileSync(path.join(config, 'repositories.yaml'), `apiVersion: ""\nrepositories:\n${repositories.join('\n')}\n`);
    const registry =
      /^oci:/.test(repository) && auth
        ? { auths: { [repository.slice(6).split('/')[0]]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } }
        : { auths: {} };
    fs.writeFileSync(path.join(config, 'registry.json'), JSON.stringify(registry));
    const args = [
      'dependency',
      'update',
      chart,
      '--repository-config',
      path.join(config, 'repositories.yaml'),
      '--repository-cache',
      path.join(config, 'cache'),
    ];
    args.push('--registry-config', path.join(config, 'registry.json'));
    // A registry on this machine speaks plain HTTP; a named one (ACR reached through a test proxy) TLS.
    if (/^oci:\/\/(127\.|localhost[:/])/.test(repository)) args.push('--plain-http');
    // Not execFileSync: the repository server runs in this very process and must answer.
    await promisify(execFile)(helm, args, helmEnv ? { env: { ...process.env, ...helmEnv } } : {});
  } catch (err) {
    fs.rmSync(app, { recursive: true, force: true }); // the caller never gets the folder to remove
    throw err;
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
  fs.rmSync(path.join(chart, 'charts'), { recursive: true, force: true });
  return app;
}

/**
 * Renders the chart of a `lockedApp` (deploy/chart, dev, REPLICAS=2) with the given dependency
 * settings in a temporary work folder `cleanup` removes; the helm calls made are returned with it.
 */
export async function renderLockedApp(
  repoRoot: string,
  settings: HelmDependencySettings,
  cleanup: (() => Promise<void> | void)[],
): Promise<{ result: RenderedEnvironment; calls: string[][] }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-locked-app-'));
  cleanup.push(() => fs.rmSync(workDir, { recursive: true, force: true }));
  const tools = processTools([toolsBin()]);
  const result = await renderEnvironment({
    repoRoot,
    templates: path.join(repoRoot, 'deploy/chart'),
    renderer: 'auto',
    environment: 'dev',
    variables: new Map([['REPLICAS', '2']]),
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'web',
    workDir,
    tools,
    helmDependencies: settings,
  });
  return { result, calls: tools.calls };
}
