// The start contract of `npm run emulators` (scripts/emulators.mjs): one JSON line on stdout with
// devopsUrl, devopsToken, project, repositories, adminUrl; app and gitops seeded from examples/ on
// main; runs until SIGTERM, then removes its temporary repositories.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gitApi } from './helpers';

describe('npm run emulators (start contract)', function () {
  this.timeout(60_000);

  it('prints one JSON line, serves the seeded repositories, and cleans up on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(process.cwd(), 'scripts', 'emulators.mjs')], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no JSON line within 45 s; stderr: ${err}`)), 45_000);
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const nl = out.indexOf('\n');
          if (nl >= 0) {
            clearTimeout(timer);
            resolve(out.slice(0, nl));
          }
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
      });
      const info = JSON.parse(line) as {
        devopsUrl: string;
        devopsToken: string;
        project: string;
        adminUrl: string;
        repositories: Array<{ name: string; id: string; path: string; commitId: string }>;
      };
      assert.match(info.devopsUrl, /^http:\/\/127\.0\.0\.1:\d+\/[^/]+$/);
      assert.match(info.adminUrl, /^http:\/\/127\.0\.0\.1:\d+\/_admin$/);
      assert.deepEqual(
        info.repositories.map((r) => r.name),
        ['app', 'gitops'],
      );
      const git = await gitApi({ url: info.devopsUrl, token: info.devopsToken } as never);
      const gitops = await git.getRepository('gitops', info.project);
      assert.equal(gitops.defaultBranch, 'refs/heads/main');
      const expected = listFiles(path.join(process.cwd(), 'examples', 'gitops'));
      const items = await git.getItems(gitops.id!, info.project, '/', 120);
      assert.deepEqual(
        items
          .filter((i) => !i.isFolder)
          .map((i) => i.path)
          .sort(),
        expected.map((f) => `/${f}`).sort(),
      );
      const app = await git.getItems(info.repositories[0].id, info.project, '/', 120);
      assert.ok(app.some((i) => i.path === '/deploy/kustomize/base/kustomization.yaml'));
      const dataDir = path.dirname(path.dirname(path.dirname(info.repositories[0].path)));
      assert.ok(existsSync(dataDir));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(existsSync(dataDir), false, 'temporary repositories removed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, r) : [r];
  });
}
