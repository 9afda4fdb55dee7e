// npm test: installs the test tools (helm, kubectl, Node 24) if missing, builds (type-check,
// compile, bundles), checks lint (ESLint) and format (Prettier), then runs every test under
// build/test with mocha; lint or format problems fail the run after the tests have reported.
// Extra arguments filter by path fragment, e.g. `npm test -- render` runs
// build/test/**/*render*.test.js (and skips lint and format: they look at the whole tree).
// Temp folders: the run points TMPDIR at a folder of its own and removes it at the end.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const filters = process.argv.slice(2);
const node = process.execPath;
const run = (script, args = []) => execFileSync(node, [path.join(root, 'scripts', script), ...args], { stdio: 'inherit', cwd: root });

run('setup-tools.mjs');
fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
run('build.mjs');

const lintProblems = filters.length === 0 ? checkLintAndFormat() : [];

const tools = JSON.parse(fs.readFileSync(path.join(root, '.tools', 'tools.json'), 'utf8'));
// Tests find helm and kubectl on PATH, as the task does on an agent after the installer tasks.
process.env.PATH = `${tools.bin}${path.delimiter}${process.env.PATH}`;
process.env.GITOPS_FLOW_NODE24 = tools.tools.node24.path;
// Every temp folder of the run (the tests', the tasks' and the emulators' they start, which inherit
// TMPDIR) goes in one folder, removed when the run ends, passed or failed, or is interrupted.
const runTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-test-'));
process.on('exit', () => fs.rmSync(runTemp, { recursive: true, force: true }));
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.on(signal, () => process.exit(code));
process.env.TMPDIR = runTemp;
// task-lib keeps its secret-vault key in Agent.TempDirectory, else in the current folder: not in the repo.
process.env.AGENT_TEMPDIRECTORY = fs.mkdtempSync(path.join(runTemp, 'agent-'));
process.chdir(root);

const files = [];
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('.test.js')) files.push(full);
  }
};
walk(path.join(root, 'build', 'test'));
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => path.relative(root, f).includes(x)));
if (selected.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const { Mocha } = require('mocha');
const mocha = new Mocha({ timeout: 60_000, reporter: 'spec' });
for (const f of selected) mocha.addFile(f);
const started = Date.now();
const runner = mocha.run();
runner.on('end', () => {
  const { passes, failures, pending } = runner.stats;
  console.log(`\n${selected.length} test files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // The closing line CI reads: "N passed, N failed, N skipped".
  console.log(`tests: ${passes} passed, ${failures} failed, ${pending} skipped`);
  const left = leftovers();
  if (left) console.log(`temp files the tests did not remove (removed now): ${left}`);
  for (const problem of lintProblems) console.error(`lint: ${problem}`);
  process.exitCode = failures > 0 || passes === 0 || lintProblems.length > 0 ? 1 : 0;
});

/** What the tests left in the run's temp folder, by name pattern: `render-test-* (3), x.json`; '' when nothing. */
function leftovers() {
  const counts = new Map();
  for (const name of fs.readdirSync(runTemp)) {
    if (path.join(runTemp, name) === process.env.AGENT_TEMPDIRECTORY) continue;
    // mkdtemp adds 6 random characters to the prefix (taken here when one is a capital or a digit).
    const pattern = name.replace(/(?<=-)[A-Za-z0-9]{6}(?=$|[-.])/g, (part) => (/[A-Z0-9]/.test(part) ? '*' : part));
    counts.set(pattern, (counts.get(pattern) ?? 0) + 1);
  }
  return [...counts]
    .sort()
    .map(([pattern, n]) => (n > 1 ? `${pattern} (${n})` : pattern))
    .join(', ');
}

/** ESLint and Prettier over the whole tree; the names of the checks that failed. */
function checkLintAndFormat() {
  const failed = [];
  const bin = (pkg, file) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
  for (const [name, script, args] of [
    ['eslint', bin('eslint', 'bin/eslint.js'), ['.', '--max-warnings=0']],
    ['prettier', bin('prettier', 'bin/prettier.cjs'), ['--check', '--log-level=warn', '.']],
  ]) {
    const started = Date.now();
    try {
      execFileSync(node, [script, ...args], { stdio: 'inherit', cwd: root });
      console.log(`${name}: clean (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch {
      failed.push(`${name} found problems (npx ${name} ${args.join(' ')}); see above`);
    }
  }
  return failed;
}
