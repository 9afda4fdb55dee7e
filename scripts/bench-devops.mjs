// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): writing to the GitOps repo.
//  1. Commit 50 changed files into a repository of 20,000 files through the REST push (shared/devops
//     commitFolder: list one folder, compare blob ids, one push) against `git clone --depth 1` +
//     commit + push, both against the same Azure DevOps emulator on loopback. Prints both and the ratio.
//  2. The REST time for the same change in a 200-file repository and in the 20,000-file one: the
//     REST path reads only the target folder, so it must stay flat.
// Options: --files N (big repo size, default 20000), --small N (default 200), --changed N (default 50),
//          --runs N (samples per figure, median reported, default 5).
// Compiles what it needs (shared/devops and the emulator) with esbuild into .build-bench-devops/.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const BIG = arg('files', 20000);
const SMALL = arg('small', 200);
const CHANGED = arg('changed', 50);
const RUNS = arg('runs', 5);
const ORG = 'benchorg';
const PROJECT = 'bench';
const FOLDER = 'clusters/bench';

// ---- compile ------------------------------------------------------------------------------------
const out = path.join(root, '.build-bench-devops');
fs.rmSync(out, { recursive: true, force: true });
const esbuild = require('esbuild');
esbuild.buildSync({
  entryPoints: { devops: path.join(root, 'shared/devops/index.ts'), emulator: path.join(root, 'test/emulators/devops/index.ts') },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  logLevel: 'warning',
});
const lib = require(path.join(out, 'devops.js'));
const { startDevOpsEmulator } = require(path.join(out, 'emulator.js'));

const ms = (t) => `${t.toFixed(0)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-devops-'));
const gitEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmp,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};
const git = (args, opts = {}) => execFileSync('git', args, { env: gitEnv, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 28, ...opts });
// The emulator serves from this process: anything talking to it must not block the event loop.
const gitAsync = (args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn('git', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed (${code}): ${err.trim()}`))));
  });

/** One commit with `count` files (200 per app folder) plus the target folder, written with git fast-import into the emulator's bare repository. */
function fillRepository(bare, count) {
  const lines = [];
  const now = Math.floor(Date.now() / 1000);
  lines.push('commit refs/heads/main', `committer bench <bench@example.invalid> ${now} +0000`, 'data 4', 'fill');
  const parent = spawnSync('git', ['--git-dir', bare, 'rev-parse', '--verify', '-q', 'refs/heads/main'], { env: gitEnv, encoding: 'utf8' }).stdout.trim();
  if (parent) lines.push(`from ${parent}`);
  const blob = (p, text) => {
    const bytes = Buffer.byteLength(text);
    lines.push(`M 100644 inline ${p}`, `data ${bytes}`, text);
  };
  for (let i = 0; i < CHANGED; i++) blob(`${FOLDER}/app-${i}.yaml`, manifest(`bench-${i}`, 0));
  for (let i = 0; i < count - CHANGED; i++) blob(`apps/app-${String(Math.floor(i / 200)).padStart(3, '0')}/res-${i}.yaml`, manifest(`res-${i}`, 1));
  git(['--git-dir', bare, 'fast-import', '--quiet'], { input: lines.join('\n') + '\n' });
}

function manifest(name, round) {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: bench\ndata:\n  round: "${round}"\n  payload: "${'x'.repeat(200)}"\n`;
}

function desired(round) {
  const files = {};
  for (let i = 0; i < CHANGED; i++) files[`app-${i}.yaml`] = manifest(`bench-${i}`, round);
  return files;
}

async function main() {
  const emu = await startDevOpsEmulator({ org: ORG, dataDir: path.join(tmp, 'emulator') });
  try {
    await emu.admin.createProject(PROJECT);
    const repos = {};
    for (const [name, count] of [
      ['small', SMALL],
      ['big', BIG],
    ]) {
      await emu.admin.createRepository(PROJECT, name, { defaultBranch: 'main' });
      await emu.admin.seedFiles(PROJECT, name, 'main', { 'README.md': `# ${name}\n` }, 'seed');
      const started = performance.now();
      fillRepository(emu.admin.bareRepositoryPath(PROJECT, name), count);
      const files = git(['--git-dir', emu.admin.bareRepositoryPath(PROJECT, name), 'ls-tree', '-r', '--name-only', 'refs/heads/main'])
        .toString()
        .trim()
        .split('\n').length;
      console.log(`repository ${name}: ${files} files (generated in ${ms(performance.now() - started)})`);
      repos[name] = files;
    }

    let round = 10;
    const conn = lib.connectWithJobToken(emu.url, emu.token);
    const restCommit = async (name) => {
      const repo = await lib.resolveRepository(conn, `${PROJECT}/${name}`);
      const started = performance.now();
      const r = await lib.commitFolder(conn, repo, { branch: 'main', folder: FOLDER, files: desired(++round), message: `rest round ${round}` });
      const t = performance.now() - started;
      if (r.outcome !== 'committed' || r.edited.length !== CHANGED)
        throw new Error(`REST commit did not change ${CHANGED} files: ${JSON.stringify(r).slice(0, 300)}`);
      return t;
    };
    const auth = `Authorization: Basic ${Buffer.from(`:${emu.token}`).toString('base64')}`;
    const cloneCommit = async (name) => {
      const dir = fs.mkdtempSync(path.join(tmp, 'clone-'));
      const env = { ...gitEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: auth };
      const started = performance.now();
      await gitAsync(['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', 'main', `${emu.url}/${PROJECT}/_git/${name}`, dir], env);
      const files = desired(++round);
      for (const [p, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, FOLDER, p), text);
      await gitAsync(['-C', dir, 'add', '-A'], env);
      await gitAsync(['-C', dir, 'commit', '--quiet', '-m', `clone round ${round}`], env);
      await gitAsync(['-C', dir, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main'], env);
      const t = performance.now() - started;
      fs.rmSync(dir, { recursive: true, force: true });
      return t;
    };

    // Warm up both paths once (connection bootstrap, git-http-backend start), then measure.
    await restCommit('big');
    await cloneCommit('big');
    await cloneCommit('small');
    const rest = { big: [], small: [] };
    const clone = [];
    const cloneSmall = [];
    for (let i = 0; i < RUNS; i++) {
      rest.big.push(await restCommit('big'));
      clone.push(await cloneCommit('big'));
      rest.small.push(await restCommit('small'));
      cloneSmall.push(await cloneCommit('small'));
    }
    const restBig = median(rest.big);
    const restSmall = median(rest.small);
    const cloneBig = median(clone);
    console.log(`\ncommit ${CHANGED} changed files into a ${repos.big}-file repository (median of ${RUNS}):`);
    console.log(`  REST push (shared/devops commitFolder): ${ms(restBig)}`);
    console.log(`  git clone --depth 1 + commit + push:    ${ms(cloneBig)}`);
    console.log(`  ratio clone / REST:                     ${(cloneBig / restBig).toFixed(1)}x`);
    console.log(`\nREST commit time by repository size (same ${CHANGED}-file change, median of ${RUNS}):`);
    console.log(`  ${repos.small} files: ${ms(restSmall)}`);
    console.log(`  ${repos.big} files: ${ms(restBig)}`);
    console.log(`  ratio big / small: ${(restBig / restSmall).toFixed(2)} (flat is ~1)`);
    const cloneSmallMs = median(cloneSmall);
    console.log(`  for comparison, clone + commit + push: ${ms(cloneSmallMs)} -> ${ms(cloneBig)} (${(cloneBig / cloneSmallMs).toFixed(1)}x)`);
  } finally {
    await emu.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
