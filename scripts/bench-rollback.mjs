// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): how long an environment
// runs a failed release once GitOpsPromote@1 (onFailure: rollback) knows it failed. Through the
// built task bundle, as the agent runs it, against the Azure DevOps emulator and the Flux
// simulation (sync every 400 ms, pull requests auto-completed): release r3's web image never
// becomes Ready (the simulation's image failure), the Flux wait ends Non-Compliant after the grace
// (nonCompliantGraceSeconds 1), and the task rolls back to r2 through a pull request.
// Figure: from the failure (the end of the failed Flux wait) to Flux reconciled on the rollback's
// merge commit, as the task measures and logs it ("Rolled back in ..."), p50 and max over --runs.
// Baseline in the same run, same emulators: a normal promotion of a release (r1, then r2 again)
// from the task's start to its end (process start, render, PR, merge, Flux), p50 and max.
// Options: --runs N (default 3), --build-dir DIR (default build).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('runs', '3'));
const buildDir = path.resolve(root, arg('build-dir', process.env.GITOPS_FLOW_BUILD_DIR ?? 'build'));
if (
  !fs.existsSync(path.join(root, 'dist', 'tasks', 'GitOpsPromote', 'v1', 'index.js')) ||
  !fs.existsSync(path.join(buildDir, 'test', 'harness', 'sample-release.js'))
) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
process.chdir(root); // the harness finds dist/ and examples/ from the working folder
const { publishSampleRelease, startGitOpsEmulators, promoteRunOptions } = require(path.join(buildDir, 'test/harness/sample-release.js'));
const { runBuiltTask } = require(path.join(buildDir, 'test/harness/task-runner.js'));

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];
const UNIT = { ms: 1, s: 1000, min: 60_000 };
/** "1.2 s", "850 ms", "1 min 5 s" (formatDuration) back to ms. */
const parseDuration = (text) => [...text.matchAll(/([\d.]+) (ms|s|min)/g)].reduce((sum, m) => sum + Number(m[1]) * UNIT[m[2]], 0);

const cleanup = [];
const releases = [];
let world;
try {
  for (const [tag, buildNumber] of [
    ['1.0.0', 'r1'],
    ['2.0.0', 'r2'],
    ['3.0.0', 'r3'],
  ]) {
    const sample = await publishSampleRelease('gitops-bench-rollback-', { tag, buildNumber });
    cleanup.push(sample.appDir, sample.run.folders.work);
    releases.push(sample.bundle);
  }
  world = await startGitOpsEmulators('Bench');
  world.arm.flux.failImages(/voting\/web:3\.0\.0$/);
  const run = async (bundle, inputs = {}) => {
    const started = Date.now();
    const done = await runBuiltTask(promoteRunOptions(world, 'Bench', bundle, { nonCompliantGraceSeconds: '1', ...inputs }));
    cleanup.push(done.folders.work);
    return { done, ms: Date.now() - started };
  };
  const baseline = [];
  const rollback = [];
  for (let i = 0; i < RUNS; i++) {
    for (const bundle of [releases[0], releases[1]]) {
      const { done, ms } = await run(bundle);
      if (done.result !== 'Succeeded') throw new Error(`a normal promotion failed: ${done.resultMessage}`);
      baseline.push(ms);
    }
    const { done } = await run(releases[2], { onFailure: 'rollback' });
    const m = /^Rolled back in (.+?): from the failure to Flux reconciled on [0-9a-f]{12}$/m.exec(done.stdout);
    if (done.result !== 'Failed' || !m) throw new Error(`the bad release did not roll back: ${done.resultMessage}`);
    rollback.push(parseDuration(m[1]));
    console.log(`run ${i + 1}: rolled back in ${m[1]}`);
  }
  console.log(
    `\nfailed release -> Flux reconciled on the rollback commit: p50 ${s(pct(rollback, 0.5))}, max ${s(Math.max(...rollback))} (${rollback.length} runs)`,
  );
  console.log(
    `baseline, a whole normal promotion (task start to end):  p50 ${s(pct(baseline, 0.5))}, max ${s(Math.max(...baseline))} (${baseline.length} runs)`,
  );
  console.log(`ratio rollback / normal promotion (p50): ${(pct(rollback, 0.5) / pct(baseline, 0.5)).toFixed(2)}`);
} finally {
  await world?.arm.stop();
  await world?.devops.stop();
  for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
}
