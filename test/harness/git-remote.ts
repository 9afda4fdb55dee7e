/**
 * A remote git repository for Kustomize remote bases: a bare repository made from a folder, with a
 * tag, served by `git http-backend` (smart HTTP) on a free loopback port under /git/<name>.git, and
 * plain files under /raw/ (a kustomization's `https://…/x.yaml` resource). `requests` records every
 * path asked for, so a test can prove nothing was fetched.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { serveGitHttp } from '../emulators/devops/git-http';
import { isolatedGitEnv } from '../emulators/devops/git';

export interface GitRemoteServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** The clone URL of a repository: `${origin}/git/${name}.git`. */
  repositoryUrl(name: string): string;
  /** Commits the folder's content as the next commit of the repository (created on first use) and tags it; returns the commit id. */
  publish(name: string, folder: string, tag?: string): string;
  /** Serves `text` at `${origin}/raw/${file}`. */
  serveFile(file: string, text: string): string;
  requests: string[];
  stop(): Promise<void>;
}

export async function startGitRemote(): Promise<GitRemoteServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'git-remote-'));
  const requests: string[] = [];
  const raw = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    const git = /^\/git\/([A-Za-z0-9_-]+\.git)(\/.*)$/.exec(url.pathname);
    if (git && fs.existsSync(path.join(dir, git[1]))) {
      void serveGitHttp(req, res, path.join(dir, git[1]), git[2], url.search.slice(1), '');
      return;
    }
    const file = url.pathname.startsWith('/raw/') ? raw.get(url.pathname.slice(5)) : undefined;
    if (file === undefined) res.writeHead(404).end('not found');
    else res.writeHead(200, { 'content-type': 'text/yaml' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = isolatedGitEnv({ GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' });
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, stdio: 'pipe' }).toString().trim();
  return {
    origin,
    requests,
    repositoryUrl: (name) => `${origin}/git/${name}.git`,
    publish(name, folder, tag) {
      const bare = path.join(dir, `${name}.git`);
      if (!fs.existsSync(bare)) git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
      const work = fs.mkdtempSync(path.join(dir, 'work-'));
      try {
        git(work, 'init', '--quiet', '--initial-branch=main');
        git(work, 'fetch', '--quiet', bare, '+refs/heads/*:refs/remotes/origin/*');
        const hasMain = git(work, 'branch', '-r').includes('origin/main');
        if (hasMain) git(work, 'reset', '--quiet', '--soft', 'origin/main');
        fs.cpSync(folder, work, { recursive: true });
        git(work, 'add', '-A');
        git(work, 'commit', '--quiet', '--allow-empty', '-m', `publish ${tag ?? ''}`);
        git(work, 'push', '--quiet', bare, 'HEAD:refs/heads/main');
        if (tag) git(work, 'push', '--quiet', bare, `HEAD:refs/tags/${tag}`);
        return git(work, 'rev-parse', 'HEAD');
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    },
    serveFile(file, text) {
      raw.set(file, text);
      return `${origin}/raw/${file}`;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
