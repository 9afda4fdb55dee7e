import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument, isSeq, isScalar } from 'yaml';
import { InputError } from '../util/errors';
import { toPosix } from '../util/paths';
import { KUSTOMIZATION_FILES } from './kustomize-closure';
import { isRemoteReference, remoteRef } from './kustomize-remote';
import type { ToolRunner } from './tools';

/** Folder of the bundle's `source/` holding what the kustomizations fetched (the remote parts, now local). */
export const VENDOR_FOLDER = '_kustomize-remote';

/** A remote part of a kustomization, fetched by GitOpsCiPublish into the bundle; release.json lists them. */
export interface VendoredRemote {
  /** The kustomization file that refers to it, relative to `source/`. */
  kustomization: string;
  /** The reference as the kustomization wrote it (credentials in it removed). */
  reference: string;
  kind: 'git' | 'file';
  /** The git repository or the file's URL (credentials in it removed). */
  url: string;
  /** The `?ref=` asked for (git), absent for none. */
  ref?: string;
  /** The commit the ref resolved to (git). */
  commit?: string;
  /** Where the bundle now holds it, relative to `source/`; the kustomization refers to it there. */
  path: string;
}

/** A remote git base split as kustomize splits it: the repository to clone, the folder in it, the ref. */
export interface GitRemote {
  repository: string;
  path: string;
  ref?: string;
}

/** A plain https URL of a single YAML file (kustomize fetches it with an HTTP GET, not git). */
export function isRemoteFile(reference: string): boolean {
  if (!/^https?:\/\//i.test(reference)) return false;
  const [withoutQuery] = reference.split('?');
  const afterHost = withoutQuery.replace(/^https?:\/\/[^/]+/i, '');
  return !afterHost.includes('//') && !/\.git(\/|$)/.test(afterHost) && !afterHost.includes('/_git/') && /\.ya?ml$/i.test(afterHost);
}

/**
 * Splits a remote git reference (`https://host/org/repo.git//path?ref=v1`, `git::https://…`,
 * `github.com/org/repo/path?ref=`, `https://dev.azure.com/org/project/_git/repo//path`).
 */
export function parseGitRemote(reference: string): GitRemote {
  const ref = remoteRef(reference);
  let rest = reference.replace(/^git::/i, '').split('?')[0];
  if (/^(github\.com|gitlab\.com|bitbucket\.org)\//i.test(rest)) rest = `https://${rest}`;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest)?.[0] ?? '';
  const body = rest.slice(scheme.length);
  let repository: string;
  let sub: string;
  const slashes = body.indexOf('//');
  const dotGit = /\.git(?=\/|$)/.exec(body);
  const azure = /\/_git\/[^/]+/.exec(body);
  if (slashes >= 0) {
    repository = body.slice(0, slashes);
    sub = body.slice(slashes + 2);
  } else if (dotGit) {
    repository = body.slice(0, dotGit.index + 4);
    sub = body.slice(dotGit.index + 5);
  } else if (azure) {
    repository = body.slice(0, azure.index + azure[0].length);
    sub = body.slice(azure.index + azure[0].length + 1);
  } else {
    // host/org/repo/path... as kustomize reads a GitHub-style URL without `.git` or `//`.
    const parts = body.split('/');
    const hostParts = scheme === '' && /^[^/]+@[^/]+:/.test(body) ? 1 : 3;
    repository = parts.slice(0, hostParts).join('/');
    sub = parts.slice(hostParts).join('/');
  }
  return { repository: scheme + repository, path: sub.replace(/^\/+|\/+$/g, ''), ...(ref ? { ref } : {}) };
}

export interface VendorOptions {
  tools: ToolRunner;
  /** An empty folder for clones; removed by the caller. */
  workDir: string;
  /** GET of a remote file (a test may give its own); default: fetch(). */
  fetchFile?: (url: string) => Promise<Buffer>;
}

/** True when a kustomization under `root` lists a remote resource, base or component (so git may be needed). */
export function hasKustomizeRemotes(root: string): boolean {
  return kustomizationFiles(root).some((file) => remoteEntries(file).length > 0);
}

/**
 * Fetches every remote resource, base and component of the kustomizations under `root` (the bundle's
 * `source/`) into `root/_kustomize-remote/` and points the kustomizations at those copies, so the
 * bundle renders without the network. Git bases are fetched at their ref (depth 1) and recorded with
 * the commit it resolved to; the fetched parts are searched for remote parts of their own.
 */
export async function vendorKustomizeRemotes(root: string, options: VendorOptions): Promise<VendoredRemote[]> {
  const out: VendoredRemote[] = [];
  const clones = new Map<string, { folder: string; commit: string }>();
  const visited = new Set<string>();
  for (let pass = 0; pass < 10; pass++) {
    const pending = kustomizationFiles(root).filter((f) => !visited.has(f));
    if (pending.length === 0) return out;
    for (const file of pending) {
      visited.add(file);
      const entries = remoteEntries(file);
      if (entries.length === 0) continue;
      const doc = parseDocument(fs.readFileSync(file, 'utf8'));
      const kustomization = toPosix(path.relative(root, file));
      for (const entry of entries) {
        const target = isRemoteFile(entry.reference)
          ? await vendorFile(root, entry.reference, kustomization, options)
          : await vendorGit(root, entry.reference, kustomization, options, clones);
        const relative = toPosix(path.relative(path.dirname(file), path.join(root, ...target.path.split('/')))) || '.';
        const node = doc.getIn([entry.key, entry.index], true);
        if (isScalar(node)) node.value = relative;
        out.push({ kustomization, reference: entry.reference.replace(/(:\/\/)[^/@]+@/, '$1'), ...target });
      }
      fs.writeFileSync(file, doc.toString());
    }
  }
  throw new InputError('templates', `the remote Kustomize parts under "${root}" refer to further remote parts more than 10 levels deep`);
}

interface RemoteEntry {
  key: string;
  index: number;
  reference: string;
}

function remoteEntries(file: string): RemoteEntry[] {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) return []; // kustomize reports the syntax error with its own words
  const entries: RemoteEntry[] = [];
  for (const key of ['resources', 'bases', 'components']) {
    const list = doc.get(key, true);
    if (!isSeq(list)) continue;
    list.items.forEach((item, index) => {
      if (isScalar(item) && typeof item.value === 'string' && isRemoteReference(item.value)) entries.push({ key, index, reference: item.value });
    });
  }
  return entries;
}

function kustomizationFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '.git') walk(full);
      else if (entry.isFile() && KUSTOMIZATION_FILES.includes(entry.name)) out.push(full);
    }
  };
  walk(root);
  return out;
}

/**
 * The credentials written into the remote references' URLs (`https://user:token@host/…`) of the
 * kustomizations under `root`: the caller registers them as secrets before git runs (its command line is logged).
 */
export function remoteCredentials(root: string): string[] {
  const out = new Set<string>();
  for (const file of kustomizationFiles(root))
    for (const entry of remoteEntries(file)) {
      const userinfo = /^(?:git::)?[a-z][a-z0-9+.-]*:\/\/([^/@]+)@/i.exec(entry.reference)?.[1];
      if (!userinfo) continue;
      out.add(userinfo);
      const password = userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : '';
      if (password) out.add(password);
    }
  return [...out];
}

/** A URL without the user and password it may carry (they must not reach release.json). */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i, '$1');
}

async function vendorGit(
  root: string,
  reference: string,
  kustomization: string,
  options: VendorOptions,
  clones: Map<string, { folder: string; commit: string }>,
): Promise<Omit<VendoredRemote, 'kustomization' | 'reference'>> {
  const remote = parseGitRemote(reference);
  const key = `${remote.repository}\n${remote.ref ?? ''}`;
  let clone = clones.get(key);
  const fail = (why: string) =>
    new InputError('templates', `${kustomization}: the remote base "${reference}" could not be fetched from ${withoutCredentials(remote.repository)}: ${why}`);
  if (!clone) {
    const git = options.tools.which('git');
    if (!git) throw fail('"git" was not found on PATH');
    const dir = path.join(options.workDir, `clone-${clones.size}`);
    fs.mkdirSync(dir, { recursive: true });
    const run = async (args: string[]) => {
      const result = await options.tools.exec(git, ['-c', 'advice.detachedHead=false', '-c', 'init.defaultBranch=main', ...args], { cwd: dir });
      if (result.code !== 0) throw fail(result.stderr.trim() || `git ${args[0]} failed`);
      return result.stdout.trim();
    };
    await run(['init', '--quiet', dir]);
    await run(['fetch', '--quiet', '--depth', '1', remote.repository, remote.ref ?? 'HEAD']);
    await run(['checkout', '--quiet', 'FETCH_HEAD']);
    const commit = await run(['rev-parse', 'HEAD']);
    const name = `${
      path
        .basename(withoutCredentials(remote.repository))
        .replace(/\.git$/, '')
        .replace(/[^A-Za-z0-9._-]/g, '_') || 'repo'
    }-${commit.slice(0, 12)}`;
    const folder = `${VENDOR_FOLDER}/${name}`;
    const target = path.join(root, ...folder.split('/'));
    fs.rmSync(path.join(dir, '.git'), { recursive: true, force: true });
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.cpSync(dir, target, { recursive: true });
    clone = { folder, commit };
    clones.set(key, clone);
  }
  const folder = remote.path ? `${clone.folder}/${remote.path}` : clone.folder;
  if (!fs.existsSync(path.join(root, ...folder.split('/')))) throw fail(`the repository has no "${remote.path}" at ${clone.commit}`);
  return { kind: 'git', url: withoutCredentials(remote.repository), ...(remote.ref ? { ref: remote.ref } : {}), commit: clone.commit, path: folder };
}

async function vendorFile(
  root: string,
  url: string,
  kustomization: string,
  options: VendorOptions,
): Promise<Omit<VendoredRemote, 'kustomization' | 'reference'>> {
  let data: Buffer;
  try {
    data = await (options.fetchFile ?? defaultFetch)(url);
  } catch (err) {
    throw new InputError('templates', `${kustomization}: the remote resource "${withoutCredentials(url)}" could not be fetched: ${(err as Error).message}`);
  }
  const base = path.basename(new URL(url).pathname).replace(/[^A-Za-z0-9._-]/g, '_');
  const digest = createHash('sha256').update(data).digest('hex').slice(0, 12);
  // In a folder of its own with a kustomization listing it: kustomize loads a file resource only from
  // the kustomization's folder or below, but a folder resource from anywhere.
  const folder = `${VENDOR_FOLDER}/files/${digest}-${base.replace(/\.ya?ml$/i, '')}`;
  const target = path.join(root, ...folder.split('/'));
  fs.mkdirSync(target, { recursive: true });
  fs.writeFileSync(path.join(target, base), data);
  fs.writeFileSync(path.join(target, 'kustomization.yaml'), `# ${withoutCredentials(url)}, fetched by GitOpsCiPublish@1\nresources:\n  - ${base}\n`);
  return { kind: 'file', url: withoutCredentials(url), path: folder };
}

async function defaultFetch(url: string): Promise<Buffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  return Buffer.from(await response.arrayBuffer());
}
