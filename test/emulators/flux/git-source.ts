/**
 * How the simulated source-controller reads a Git source: plain `git fetch` of the configured URL
 * into a local bare mirror (one per URL, fetches serialised), then a checkout of one commit into a
 * folder. Works with the Azure DevOps emulator's smart HTTP (auth as extra headers), a bare
 * repository path or a file:// URL.
 */
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as unknown as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export interface SourceRef {
  branch?: string;
  tag?: string;
}

export class GitSourceCache {
  private readonly mirrors = new Map<string, Promise<string>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly checkouts = new Map<string, string>();
  fetches = 0;

  constructor(private readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  /** Serialises work on one mirror (git takes a lock on refs and the object store). */
  private serial<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The mirror of `url`, made once: concurrent first syncs of one URL (several clusters) share the `git init`. */
  private mirror(url: string): Promise<string> {
    let dir = this.mirrors.get(url);
    if (!dir) {
      const made = (async () => {
        const d = path.join(this.root, `mirror-${crypto.createHash('sha1').update(url).digest('hex').slice(0, 12)}.git`);
        if (!fs.existsSync(d)) {
          const r = await git(['init', '--bare', '--quiet', d]);
          if (r.code !== 0) throw new Error(`git init failed: ${r.stderr.trim()}`);
        }
        return d;
      })();
      dir = made;
      this.mirrors.set(url, made);
      made.catch(() => this.mirrors.delete(url));
    }
    return dir;
  }

  /** Fetches the ref and returns the commit it points at. Errors carry git's own message. */
  async fetch(url: string, ref: SourceRef, headers: Record<string, string> = {}): Promise<{ sha: string; mirror: string }> {
    const mirror = await this.mirror(url);
    return this.serial(url, async () => {
      this.fetches++;
      const source = ref.tag !== undefined ? `refs/tags/${ref.tag}` : `refs/heads/${ref.branch ?? 'main'}`;
      const local = ref.tag !== undefined ? `refs/tags/${ref.tag}` : `refs/heads/${ref.branch ?? 'main'}`;
      const config = Object.entries(headers).flatMap(([k, v]) => ['-c', `http.extraHeader=${k}: ${v}`]);
      const r = await git([...config, '--git-dir', mirror, 'fetch', '--quiet', '--no-tags', '--force', url, `+${source}:${local}`]);
      if (r.code !== 0) throw new Error(redact(r.stderr.trim() || `git fetch exited with ${r.code}`, headers));
      const head = await git(['--git-dir', mirror, 'rev-parse', '--verify', `${local}^{commit}`]);
      if (head.code !== 0) throw new Error(`cannot resolve ${local}: ${head.stderr.trim()}`);
      return { sha: head.stdout.trim(), mirror };
    });
  }

  /** A folder with the commit's files (cached per commit; read-only by convention). */
  async checkout(mirror: string, sha: string): Promise<string> {
    const existing = this.checkouts.get(sha);
    if (existing) return existing;
    return this.serial(`checkout:${sha}`, async () => {
      const again = this.checkouts.get(sha);
      if (again) return again;
      const dir = path.join(this.root, `tree-${sha}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      const env = { GIT_INDEX_FILE: path.join(this.root, `index-${sha}`) };
      let r = await git(['--git-dir', mirror, '--work-tree', dir, 'read-tree', sha], { env });
      if (r.code === 0) r = await git(['--git-dir', mirror, '--work-tree', dir, 'checkout-index', '--all', '--force'], { env });
      fs.rmSync(env.GIT_INDEX_FILE, { force: true });
      if (r.code !== 0) throw new Error(`checkout of ${sha} failed: ${r.stderr.trim()}`);
      this.checkouts.set(sha, dir);
      return dir;
    });
  }

  /** `git merge-base --is-ancestor` in the mirror of `url` (both commits must have been fetched). */
  async isAncestor(url: string, ancestor: string, descendant: string): Promise<boolean> {
    const mirror = await this.mirror(url);
    const r = await git(['--git-dir', mirror, 'merge-base', '--is-ancestor', ancestor, descendant]);
    return r.code === 0;
  }
}

function redact(text: string, headers: Record<string, string>): string {
  let out = text;
  for (const v of Object.values(headers)) {
    for (const part of v.split(' ')) if (part.length >= 8) out = out.split(part).join('***');
  }
  return out;
}

/** An ancestry check over a local (bare) repository, for tests and benchmarks. */
export function gitAncestry(repositoryPath: string): (ancestor: string, descendant: string) => Promise<boolean> {
  return async (ancestor, descendant) => {
    const r = await git(['--git-dir', repositoryPath, 'merge-base', '--is-ancestor', ancestor, descendant]);
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new Error(`git merge-base failed: ${r.stderr.trim()}`);
  };
}
