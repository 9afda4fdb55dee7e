// Git plumbing over a bare repository: every object the emulator reports is a real git object.
// Only plumbing commands are used (hash-object, mktree, commit-tree, update-ref, merge-tree,
// merge-base, rev-list, ls-tree, cat-file, diff-tree, for-each-ref), one process per call.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const ZERO_ID = '0000000000000000000000000000000000000000';
export const EMPTY_TREE_ID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface GitRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  }
}

/** Environment that keeps the user's and the system's git configuration out of the emulator. */
export function isolatedGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'SYSTEMROOT', 'TMPDIR', 'TEMP', 'TMP']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

export function runGit(
  args: string[],
  options: { gitDir?: string; input?: Buffer | string; env?: Record<string, string>; cwd?: string } = {},
): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const env = isolatedGitEnv({ ...(options.gitDir ? { GIT_DIR: options.gitDir } : {}), ...(options.env ?? {}) });
    const child = spawn('git', args, { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => undefined); // the child may exit before reading everything
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface GitPerson {
  name: string;
  email: string;
  /** ISO 8601 */
  date: string;
}

export interface CommitInfo {
  id: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  id: string;
  name: string;
}

export interface TreeChange {
  status: 'A' | 'M' | 'D' | 'T';
  path: string;
  oldId: string;
  newId: string;
  oldMode: string;
  newMode: string;
}

export interface MergeResult {
  clean: boolean;
  tree: string;
  conflicts: string[];
}

function isoFromGit(seconds: string, tz: string): string {
  void tz;
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

function parsePerson(line: string): GitPerson {
  const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!m) return { name: line, email: '', date: new Date(0).toISOString() };
  return { name: m[1], email: m[2], date: isoFromGit(m[3], m[4]) };
}

function gitDate(iso: string): string {
  const ms = Date.parse(iso);
  return `${Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000)} +0000`;
}

/** A bare repository driven through git plumbing. */
export class BareRepository {
  private tmpCounter = 0;

  constructor(readonly gitDir: string) {}

  static async create(gitDir: string, initialBranch: string): Promise<BareRepository> {
    await fs.mkdir(path.dirname(gitDir), { recursive: true });
    const init = await runGit(['init', '--bare', '--quiet', `--initial-branch=${initialBranch}`, gitDir]);
    if (init.code !== 0) throw new GitCommandError(['init'], init.code, init.stderr);
    const repo = new BareRepository(gitDir);
    // Waiting briefly for a ref lock makes concurrent writers (REST and smart HTTP) queue instead of
    // failing on lock contention; the compare-and-swap value decides who wins.
    for (const [key, value] of [
      ['core.filesRefLockTimeout', '5000'],
      ['core.packedRefsTimeout', '5000'],
      ['http.receivepack', 'true'],
      ['gc.auto', '0'],
      ['receive.denyDeleteCurrent', 'ignore'],
      ['uploadpack.allowReachableSHA1InWant', 'true'],
    ] as const) {
      await repo.git(['config', key, value]);
    }
    await repo.git(['mktree'], ''); // the empty tree exists as an object, so commits of it pack and clone
    return repo;
  }

  async git(args: string[], input?: Buffer | string, env?: Record<string, string>): Promise<Buffer> {
    const r = await runGit(args, { gitDir: this.gitDir, input, env });
    if (r.code !== 0) throw new GitCommandError(args, r.code, r.stderr);
    return r.stdout;
  }

  async tryGit(args: string[], input?: Buffer | string, env?: Record<string, string>): Promise<GitRun> {
    return runGit(args, { gitDir: this.gitDir, input, env });
  }

  /** Resolves a ref, a full or abbreviated object id, to a commit id; null when it does not resolve. */
  async resolveCommit(rev: string): Promise<string | null> {
    if (!rev || rev.startsWith('-')) return null;
    const r = await this.tryGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async refValue(ref: string): Promise<string | null> {
    const r = await this.tryGit(['rev-parse', '--verify', '--quiet', '--end-of-options', ref]);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async objectType(id: string): Promise<string | null> {
    if (!/^[0-9a-f]{40}$/.test(id)) return null;
    const r = await this.tryGit(['cat-file', '-t', id]);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async headTarget(): Promise<string | null> {
    const r = await this.tryGit(['symbolic-ref', '-q', 'HEAD']);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async setHead(ref: string): Promise<void> {
    await this.git(['symbolic-ref', 'HEAD', ref]);
  }

  async listRefs(): Promise<Array<{ name: string; objectId: string; peeledObjectId?: string }>> {
    const out = (await this.git(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)'])).toString();
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, objectId, peeled] = line.split('\0');
        return { name: name, objectId: objectId, ...(peeled ? { peeledObjectId: peeled } : {}) };
      });
  }

  async isValidRefName(name: string): Promise<boolean> {
    if (!name.startsWith('refs/')) return false;
    const r = await runGit(['check-ref-format', name]);
    return r.code === 0;
  }

  /**
   * Atomic compare-and-swap of one ref (git's own lock file): `expected` is the value the ref must
   * have now (ZERO_ID: must not exist), `next` the new value (ZERO_ID: delete).
   */
  async compareAndSwapRef(ref: string, next: string, expected: string): Promise<boolean> {
    const args = next === ZERO_ID ? ['update-ref', '-d', ref, expected] : ['update-ref', ref, next, expected];
    const r = await this.tryGit(args);
    return r.code === 0;
  }

  async forceRef(ref: string, next: string): Promise<void> {
    await this.git(['update-ref', '--no-deref', ref, next]);
  }

  /** Writes blobs in one `hash-object -w --stdin-paths` call; returns their ids in order. */
  async writeBlobs(contents: Buffer[]): Promise<string[]> {
    if (contents.length === 0) return [];
    if (contents.length === 1) return [(await this.git(['hash-object', '-w', '--stdin'], contents[0])).toString().trim()];
    const dir = path.join(this.gitDir, 'emulator-tmp', `${process.pid}-${Date.now()}-${this.tmpCounter++}`);
    await fs.mkdir(dir, { recursive: true });
    try {
      const files = contents.map((_, i) => path.join(dir, String(i)));
      await Promise.all(contents.map((c, i) => fs.writeFile(files[i], c)));
      const out = (await this.git(['hash-object', '-w', '--no-filters', '--stdin-paths'], files.join('\n') + '\n')).toString();
      return out.split('\n').filter(Boolean);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  async readBlob(id: string): Promise<Buffer> {
    return this.git(['cat-file', 'blob', id]);
  }

  /** One level of a tree (treeish may be `<commit>:<path>`). */
  async lsTree(treeish: string): Promise<TreeEntry[]> {
    const out = (await this.git(['ls-tree', '-z', treeish])).toString('utf8');
    return parseLsTree(out);
  }

  /** Every entry below a tree, trees included, in git order (parents before children). */
  async lsTreeRecursive(treeish: string): Promise<Array<TreeEntry & { path: string }>> {
    const out = (await this.git(['ls-tree', '-r', '-t', '-z', '--full-name', treeish])).toString('utf8');
    return parseLsTree(out).map((e) => ({ ...e, path: e.name }));
  }

  /** Resolves `<commit>:<path>` to an object; null when the path does not exist. */
  async resolvePath(commit: string, filePath: string): Promise<{ id: string; type: string; mode: string } | null> {
    if (filePath === '') {
      const tree = (await this.git(['rev-parse', `${commit}^{tree}`])).toString().trim();
      return { id: tree, type: 'tree', mode: '040000' };
    }
    const parent = filePath.includes('/') ? filePath.slice(0, filePath.lastIndexOf('/')) : '';
    const name = filePath.slice(filePath.lastIndexOf('/') + 1);
    const r = await this.tryGit(['ls-tree', '-z', `${commit}:${parent}`]);
    if (r.code !== 0) return null;
    const entry = parseLsTree(r.stdout.toString('utf8')).find((e) => e.name === name);
    return entry ? { id: entry.id, type: entry.type, mode: entry.mode } : null;
  }

  async mktree(entries: TreeEntry[]): Promise<string> {
    const input = entries.map((e) => `${e.mode} ${e.type} ${e.id}\t${e.name}\0`).join('');
    return (await this.git(['mktree', '-z'], input)).toString().trim();
  }

  async commitTree(tree: string, parents: string[], message: string, author: GitPerson, committer: GitPerson): Promise<string> {
    const args = ['commit-tree', tree];
    for (const p of parents) args.push('-p', p);
    const env = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: gitDate(author.date),
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: gitDate(committer.date),
    };
    return (await this.git(args, message.endsWith('\n') ? message : message + '\n', env)).toString().trim();
  }

  async readCommit(id: string): Promise<CommitInfo> {
    const raw = (await this.git(['cat-file', 'commit', id])).toString('utf8');
    return parseCommit(id, raw);
  }

  /** Commits of `git rev-list` with their metadata, in one call. */
  async log(revArgs: string[], pathArgs: string[] = []): Promise<CommitInfo[]> {
    const out = (
      await this.git(['log', '--no-color', '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B%x01', ...revArgs, '--', ...pathArgs])
    ).toString('utf8');
    return out
      .split('\x01')
      .map((s) => s.replace(/^\n/, ''))
      .filter((s) => s.length > 0)
      .map((rec) => {
        const [id, tree, parents, an, ae, at, cn, ce, ct, ...msg] = rec.split('\0');
        return {
          id: id,
          tree: tree,
          parents: parents ? parents.split(' ').filter(Boolean) : [],
          author: { name: an, email: ae, date: isoFromGit(at, '') },
          committer: { name: cn, email: ce, date: isoFromGit(ct, '') },
          message: msg.join('\0'),
        };
      });
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    const r = await this.tryGit(['merge-base', a, b]);
    return r.code === 0 ? r.stdout.toString().trim() : null;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const r = await this.tryGit(['merge-base', '--is-ancestor', ancestor, descendant]);
    return r.code === 0;
  }

  /** [commits only in a, commits only in b] */
  async leftRightCount(a: string, b: string): Promise<[number, number]> {
    const out = (await this.git(['rev-list', '--left-right', '--count', `${a}...${b}`])).toString().trim();
    const [l, r] = out.split(/\s+/).map(Number);
    return [l ?? 0, r ?? 0];
  }

  async revList(args: string[]): Promise<string[]> {
    return (await this.git(['rev-list', ...args])).toString().split('\n').filter(Boolean);
  }

  /** Three-way merge of two commits with `merge-tree --write-tree` (git >= 2.38). */
  async mergeTree(ours: string, theirs: string): Promise<MergeResult> {
    const r = await this.tryGit(['merge-tree', '--write-tree', '--allow-unrelated-histories', '--name-only', '--no-messages', '-z', ours, theirs]);
    if (r.code !== 0 && r.code !== 1) throw new GitCommandError(['merge-tree', ours, theirs], r.code, r.stderr);
    const parts = r.stdout.toString('utf8').split('\0');
    const tree = parts[0].trim();
    const conflicts = r.code === 1 ? [...new Set(parts.slice(1).filter(Boolean))] : [];
    return { clean: r.code === 0, tree, conflicts };
  }

  /**
   * Applies the change `parent -> commit` onto `onto` (a cherry-pick) as a three-way merge whose
   * base is `parent`'s tree. git 2.39's merge-tree has no --merge-base, so the merge base is
   * given through two throw-away commits that share one root made from the base tree.
   */
  async cherryPickTree(commit: CommitInfo, onto: string): Promise<MergeResult> {
    const someone: GitPerson = { name: 'merge', email: 'merge@emulator', date: '2000-01-01T00:00:00Z' };
    const baseTree = commit.parents[0] ? (await this.readCommit(commit.parents[0])).tree : EMPTY_TREE_ID;
    const ontoTree = (await this.readCommit(onto)).tree;
    const root = await this.commitTree(baseTree, [], 'base', someone, someone);
    const ours = await this.commitTree(ontoTree, [root], 'ours', someone, someone);
    const theirs = await this.commitTree(commit.tree, [root], 'theirs', someone, someone);
    return this.mergeTree(ours, theirs);
  }

  async diffTrees(from: string, to: string): Promise<TreeChange[]> {
    const out = (await this.git(['diff-tree', '-r', '-z', '--no-renames', '--no-commit-id', from, to])).toString('utf8');
    const parts = out.split('\0');
    const changes: TreeChange[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const meta = parts[i];
      if (!meta.startsWith(':')) break;
      const [oldMode, newMode, oldId, newId, status] = meta.slice(1).split(' ');
      changes.push({ oldMode: oldMode, newMode: newMode, oldId: oldId, newId: newId, status: status[0] as TreeChange['status'], path: parts[i + 1] });
    }
    return changes;
  }

  async diskSize(): Promise<number> {
    const out = (await this.git(['count-objects', '-v'])).toString();
    const kb = (key: string) => Number(new RegExp(`^${key}: (\\d+)`, 'm').exec(out)?.[1] ?? 0);
    return (kb('size') + kb('size-pack')) * 1024;
  }
}

function parseLsTree(out: string): TreeEntry[] {
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, id] = line.slice(0, tab).split(' ');
      return { mode: mode, type: type as TreeEntry['type'], id: id, name: line.slice(tab + 1) };
    });
}

export function parseCommit(id: string, raw: string): CommitInfo {
  const split = raw.indexOf('\n\n');
  const header = split >= 0 ? raw.slice(0, split) : raw;
  const message = split >= 0 ? raw.slice(split + 2) : '';
  let tree = '';
  const parents: string[] = [];
  let author: GitPerson = { name: '', email: '', date: '' };
  let committer: GitPerson = { name: '', email: '', date: '' };
  for (const line of header.split('\n')) {
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parsePerson(value);
    else if (key === 'committer') committer = parsePerson(value);
  }
  return { id, tree, parents, author, committer, message };
}

/**
 * Edits a tree in memory, loading only the directories on the edited paths (one ls-tree each) and
 * writing only those back (one mktree each), so the cost follows the change, not the repository.
 */
export class TreeEditor {
  private readonly dirs = new Map<string, Map<string, TreeEntry>>();
  private readonly dirty = new Set<string>();

  constructor(
    private readonly repo: BareRepository,
    private readonly rootTree: string | null,
  ) {}

  private async loadDir(dir: string): Promise<Map<string, TreeEntry> | null> {
    const cached = this.dirs.get(dir);
    if (cached) return cached;
    let treeId: string | null;
    if (dir === '') treeId = this.rootTree;
    else {
      const parentDir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
      const parent = await this.loadDir(parentDir);
      const entry = parent?.get(dir.slice(dir.lastIndexOf('/') + 1));
      if (!entry) return null;
      if (entry.type !== 'tree') return null;
      treeId = entry.id;
    }
    const map = new Map<string, TreeEntry>();
    if (treeId) for (const e of await this.repo.lsTree(treeId)) map.set(e.name, e);
    this.dirs.set(dir, map);
    return map;
  }

  async get(filePath: string): Promise<TreeEntry | undefined> {
    const dir = filePath.includes('/') ? filePath.slice(0, filePath.lastIndexOf('/')) : '';
    const map = await this.loadDir(dir);
    return map?.get(filePath.slice(filePath.lastIndexOf('/') + 1));
  }

  private markDirty(dir: string): void {
    let d = dir;
    for (;;) {
      this.dirty.add(d);
      if (d === '') break;
      d = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '';
    }
  }

  /** Sets a blob at a path, creating folders; fails when a path segment is a file. */
  async put(filePath: string, blobId: string, mode = '100644'): Promise<void> {
    const segments = filePath.split('/');
    let dir = '';
    for (let i = 0; i < segments.length - 1; i++) {
      const map = (await this.loadDir(dir))!;
      const name = segments[i];
      const existing = map.get(name);
      const child = dir === '' ? name : `${dir}/${name}`;
      if (!existing) {
        map.set(name, { mode: '040000', type: 'tree', id: EMPTY_TREE_ID, name });
        this.dirs.set(child, new Map());
      } else if (existing.type !== 'tree') {
        throw new TreePathError(`'/${child}' is a file, not a folder`);
      }
      dir = child;
    }
    const map = (await this.loadDir(dir))!;
    const name = segments[segments.length - 1];
    const existing = map.get(name);
    if (existing && existing.type === 'tree') throw new TreePathError(`'/${filePath}' is a folder`);
    map.set(name, { mode, type: 'blob', id: blobId, name });
    this.markDirty(dir);
  }

  async remove(filePath: string): Promise<TreeEntry | undefined> {
    const dir = filePath.includes('/') ? filePath.slice(0, filePath.lastIndexOf('/')) : '';
    const map = await this.loadDir(dir);
    const name = filePath.slice(filePath.lastIndexOf('/') + 1);
    const entry = map?.get(name);
    if (!map || !entry) return undefined;
    map.delete(name);
    if (entry.type === 'tree') {
      for (const key of [...this.dirs.keys()]) if (key === filePath || key.startsWith(filePath + '/')) this.dirs.delete(key);
    }
    this.markDirty(dir);
    return entry;
  }

  /** Writes the changed folders bottom-up; empty folders disappear as in git. */
  async write(): Promise<string> {
    const order = [...this.dirty].sort((a, b) => depth(b) - depth(a));
    let root = this.rootTree ?? EMPTY_TREE_ID;
    for (const dir of order) {
      const map = this.dirs.get(dir);
      if (!map) continue;
      const parentDir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
      const name = dir.slice(dir.lastIndexOf('/') + 1);
      if (map.size === 0 && dir !== '') {
        this.dirs.get(parentDir)?.delete(name);
        continue;
      }
      const id = map.size === 0 ? EMPTY_TREE_ID : await this.repo.mktree([...map.values()]);
      if (dir === '') root = id;
      else this.dirs.get(parentDir)!.set(name, { mode: '040000', type: 'tree', id, name });
    }
    this.dirty.clear();
    return root;
  }
}

function depth(dir: string): number {
  return dir === '' ? 0 : dir.split('/').length;
}

export class TreePathError extends Error {}
