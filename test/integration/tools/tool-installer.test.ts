/**
 * The tool download over azure-pipelines-tool-lib, for real: a local HTTP server publishes helm as
 * get.helm.sh does (tar.gz and .sha256sum) and kubectl as dl.k8s.io does (binary and .sha256), with
 * the real binaries of .tools; the agent tool cache and temp folders are temporary folders, and PATH
 * holds only tar and gzip, so helm and kubectl are missing as on a bare agent.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { installTool } from '../../../shared/agent/tool-installer';
import { toolDownload, ToolMirrors } from '../../../shared/render/tool-downloads';
import { MissingToolError } from '../../../shared/render/tools';
import { missingRenderTools, provideRenderTools } from '../../../shared/workflows/render-tools';
import { toolsBin } from '../../harness/process-tools';

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

describe('tool download into the agent tool cache (azure-pipelines-tool-lib)', function () {
  this.timeout(120_000);
  const saved = { PATH: process.env.PATH, AGENT_TOOLSDIRECTORY: process.env.AGENT_TOOLSDIRECTORY, AGENT_TEMPDIRECTORY: process.env.AGENT_TEMPDIRECTORY };
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  let server: http.Server;
  let mirrors: ToolMirrors;
  let work: string;
  let toolsDir: string;

  before(async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    const real = { helm: path.join(toolsBin(), 'helm'), kubectl: path.join(toolsBin(), 'kubectl') };
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-tool-cache-'));
    toolsDir = path.join(work, 'tools');
    for (const d of [toolsDir, path.join(work, 'temp'), path.join(work, 'bin'), path.join(work, 'pkg', 'linux-amd64')]) fs.mkdirSync(d, { recursive: true });
    // helm as get.helm.sh publishes it
    fs.copyFileSync(real.helm, path.join(work, 'pkg', 'linux-amd64', 'helm'));
    const archive = path.join(work, 'helm-v3.17.2-linux-amd64.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', path.join(work, 'pkg'), 'linux-amd64'], { env: { ...process.env, GZIP: '-1' } });
    const tgz = fs.readFileSync(archive);
    files.set('/helm/helm-v3.17.2-linux-amd64.tar.gz', tgz);
    files.set('/helm/helm-v3.17.2-linux-amd64.tar.gz.sha256sum', Buffer.from(`${sha256(tgz)}  helm-v3.17.2-linux-amd64.tar.gz\n`));
    // a release whose published checksum does not match its archive
    files.set('/helm/helm-v3.99.0-linux-amd64.tar.gz', tgz);
    files.set('/helm/helm-v3.99.0-linux-amd64.tar.gz.sha256sum', Buffer.from(`${'0'.repeat(64)}  helm-v3.99.0-linux-amd64.tar.gz\n`));
    // kubectl as dl.k8s.io publishes it
    const kubectl = fs.readFileSync(real.kubectl);
    files.set('/k8s/v1.32.3/bin/linux/amd64/kubectl', kubectl);
    files.set('/k8s/v1.32.3/bin/linux/amd64/kubectl.sha256', Buffer.from(sha256(kubectl)));

    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = files.get(req.url ?? '');
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/octet-stream' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mirrors = { helm: `${base}/helm`, kubectl: `${base}/k8s` };

    // A bare agent: no helm, no kubectl; tar and gzip for the archives.
    for (const t of ['tar', 'gzip']) fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), path.join(work, 'bin', t));
    process.env.PATH = path.join(work, 'bin');
    process.env.AGENT_TOOLSDIRECTORY = toolsDir;
    process.env.AGENT_TEMPDIRECTORY = path.join(work, 'temp');
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('downloads helm, checks its SHA-256 against the .sha256sum, caches it, puts it on PATH and says so', async () => {
    const log: string[] = [];
    const dir = await installTool(toolDownload('helm', 'linux', 'x64', mirrors), (m) => log.push(m));
    assert.equal(dir, path.join(toolsDir, 'helm', '3.17.2', 'x64'));
    assert.equal(process.env.PATH?.split(path.delimiter)[0], dir);
    assert.match(execFileSync(path.join(dir, 'helm'), ['version', '--short'], { encoding: 'utf8' }), /^v3\.17\.2\+/);
    assert.deepEqual(requests.splice(0), ['/helm/helm-v3.17.2-linux-amd64.tar.gz', '/helm/helm-v3.17.2-linux-amd64.tar.gz.sha256sum']);
    assert.equal(log.length, 1);
    assert.match(
      log[0],
      new RegExp(
        `^helm v3\\.17\\.2 was not on PATH: downloaded ${mirrors.helm}/helm-v3\\.17\\.2-linux-amd64\\.tar\\.gz \\(SHA-256 ${sha256(files.get('/helm/helm-v3.17.2-linux-amd64.tar.gz')!)}, as published in .*\\.sha256sum\\) into the agent tool cache \\(${dir.replace(/[.]/g, '\\.')}\\)\\.$`,
      ),
    );
  });

  it('takes helm from the tool cache the next time, without a download', async () => {
    const log: string[] = [];
    const dir = await installTool(toolDownload('helm', 'linux', 'x64', mirrors), (m) => log.push(m));
    assert.equal(dir, path.join(toolsDir, 'helm', '3.17.2', 'x64'));
    assert.deepEqual(requests.splice(0), []);
    assert.deepEqual(log, [`helm v3.17.2 was not on PATH: using the copy in the agent tool cache (${dir}).`]);
  });

  it('downloads kubectl (a plain binary with a bare .sha256) and makes it executable', async () => {
    const dir = await installTool(toolDownload('kubectl', 'linux', 'x64', mirrors), () => undefined);
    assert.equal(dir, path.join(toolsDir, 'kubectl', '1.32.3', 'x64'));
    assert.match(execFileSync(path.join(dir, 'kubectl'), ['version', '--client'], { encoding: 'utf8' }), /Client Version: v1\.32\.3/);
    requests.splice(0);
  });

  it('refuses a download whose SHA-256 differs from the published one, and caches nothing', async () => {
    await assert.rejects(
      installTool(toolDownload('helm', 'linux', 'x64', mirrors, 'v3.99.0'), () => undefined),
      (err: Error) => {
        assert.match(
          err.message,
          /helm-v3\.99\.0-linux-amd64\.tar\.gz has SHA-256 [0-9a-f]{64}, but its publisher's checksum \(.*\.sha256sum\) is 0{64}: the download is corrupt or not the published file; helm was not installed$/,
        );
        return true;
      },
    );
    assert.equal(fs.existsSync(path.join(toolsDir, 'helm', '3.99.0')), false);
    requests.splice(0);
  });

  describe('before a render (provideRenderTools)', () => {
    let repo: string;
    before(() => {
      repo = fs.mkdtempSync(path.join(work, 'repo-'));
      fs.mkdirSync(path.join(repo, 'chart'));
      fs.writeFileSync(path.join(repo, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 1.0.0\n');
    });
    const request = () => ({ repoRoot: repo, templates: 'chart', renderer: 'auto' as const, environments: ['dev'] });

    it('with installTools off, downloads nothing and leaves the clear installer error to the render', async () => {
      const bare = { which: () => undefined, exec: () => Promise.reject(new Error('not run')) };
      const agent = new MemoryAgent({ inputs: { installTools: 'false' }, installTool: () => Promise.reject(new Error('must not download')) });
      await provideRenderTools(agent, request(), bare, mirrors);
      assert.deepEqual(missingRenderTools(request(), bare), ['helm']);
      assert.equal(
        new MissingToolError('helm', 'render the Helm chart').message,
        '"helm" was not found on PATH; it is needed to render the Helm chart. Add a HelmInstaller@1 step before this task.',
      );
      assert.deepEqual(requests.splice(0), []);
    });

    it('a failed download names the installer task and installTools', async () => {
      const bare = { which: () => undefined, exec: () => Promise.reject(new Error('not run')) };
      const agent = new MemoryAgent({ installTool });
      // an agent whose tool cache is empty
      process.env.AGENT_TOOLSDIRECTORY = fs.mkdtempSync(path.join(work, 'empty-cache-'));
      await assert.rejects(provideRenderTools(agent, request(), bare, { helm: `${mirrors.helm}/offline`, kubectl: mirrors.kubectl }), (err: Error) => {
        assert.match(
          err.message,
          /^helm v3\.17\.2 is not on PATH and could not be downloaded: .*404.*\. Add a HelmInstaller@1 step before this task, or install helm on the agent \(on agents without internet access set installTools: false\)\.$/,
        );
        return true;
      });
      process.env.AGENT_TOOLSDIRECTORY = toolsDir;
    });

    it('downloads only what PATH lacks: kubectl stands in for kustomize, plain YAML needs nothing', () => {
      const onPath = (tools: string[]) => ({
        which: (t: string) => (tools.includes(t) ? `/usr/bin/${t}` : undefined),
        exec: () => Promise.reject(new Error('not run')),
      });
      const kustomize = { ...request(), renderer: 'kustomize' as const };
      assert.deepEqual(missingRenderTools(kustomize, onPath([])), ['kubectl']);
      assert.deepEqual(missingRenderTools(kustomize, onPath(['kubectl'])), []);
      assert.deepEqual(missingRenderTools(kustomize, onPath(['kustomize'])), []);
      assert.deepEqual(missingRenderTools({ ...request(), renderer: 'plain' }, onPath([])), []);
      assert.deepEqual(missingRenderTools(request(), onPath(['helm'])), []);
      assert.deepEqual(missingRenderTools({ ...request(), templates: 'missing' }, onPath([])), [], 'a missing folder is the render error');
    });
  });
});
