/**
 * Test world for the shared/devops library: the Azure DevOps emulator on loopback, one project,
 * a GitOps repository, and helpers to look at the bare repository with plain git.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DevOpsEmulator, startDevOpsEmulator } from '../../emulators/devops';
import { ConnectionOptions, connectWithJobToken, DevOpsConnection } from '../../../shared/devops/connection';
import { Repository, resolveRepository } from '../../../shared/devops/repository';
import { commitFolder } from '../../../shared/devops/commit-folder';

export const PROJECT = 'demo';

export interface World {
  emu: DevOpsEmulator;
  dataDir: string;
  /** A fresh repository per test, seeded on main. */
  newRepo(files?: Record<string, string>, name?: string): Promise<{ repo: Repository; name: string; bare: string }>;
  connect(options?: ConnectionOptions): DevOpsConnection;
  /** A fresh repository with `files` on main and `change` committed to /dev of the branch promote/dev. */
  promotionBranch(
    files?: Record<string, string>,
    change?: Record<string, string>,
  ): Promise<{ repo: Repository; name: string; bare: string; conn: DevOpsConnection }>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startWorld(): Promise<World> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devops-lib-it-'));
  const emu = await startDevOpsEmulator({ org: 'gitopsorg', dataDir });
  emu.admin.createProject(PROJECT);
  const world: World = {
    emu,
    dataDir,
    connect: (options) =>
      connectWithJobToken(emu.url, emu.token, { socketTimeoutMs: 10_000, retry: { baseDelayMs: 20, maxDelayMs: 200, budgetMs: 20_000 }, ...options }),
    async newRepo(files = { 'README.md': '# gitops\n' }, name = `gitops-${++counter}`) {
      await emu.admin.createRepository(PROJECT, name, { defaultBranch: 'main' });
      await emu.admin.seedFiles(PROJECT, name, 'main', files, 'seed');
      const repo = await resolveRepository(world.connect(), `${PROJECT}/${name}`);
      return { repo, name, bare: emu.admin.bareRepositoryPath(PROJECT, name) };
    },
    async promotionBranch(files = { 'dev/a.yaml': 'a\n' }, change = { 'a.yaml': 'b\n' }) {
      const made = await world.newRepo(files);
      const conn = world.connect();
      await commitFolder(conn, made.repo, { branch: 'promote/dev', baseBranch: 'main', folder: 'dev', files: change, message: 'render dev' });
      return { ...made, conn };
    },
    async stop() {
      await emu.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return world;
}

export function git(bare: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8' }).trim();
}

/** "subject" of each commit on the branch, newest first. */
export function logSubjects(bare: string, branch = 'main'): string[] {
  const out = git(bare, 'log', '--format=%s', `refs/heads/${branch}`);
  return out === '' ? [] : out.split('\n');
}

/** Every file path on the branch. */
export function lsFiles(bare: string, branch = 'main', folder?: string): string[] {
  const out = git(bare, 'ls-tree', '-r', '--name-only', `refs/heads/${branch}`, ...(folder ? ['--', folder] : []));
  return out === '' ? [] : out.split('\n');
}

export function show(bare: string, branch: string, file: string): string {
  return execFileSync('git', ['--git-dir', bare, 'show', `refs/heads/${branch}:${file}`], { encoding: 'utf8' });
}
