// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): what Helm chart dependencies
// add to GitOpsCiPublish@1, for the sample chart with two dependencies (test/fixtures/helm/app: common
// from file://../common, cache from an HTTP chart repository this script serves on loopback):
//  - CI time: fetching them into the bundle (helm dependency build in a copy, archives copied back),
//    against the baseline in the same run: rendering the chart once they are there (what every render costs).
//  - bundle size: the archives added to charts/, against the chart's own source files.
// Options: --runs N (default 5), medians reported.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 5;
if (!fs.existsSync(path.join(root, 'build', 'test', 'harness', 'helm-repository.js'))) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
const { startHelmRepository, lockedApp } = require(path.join(root, 'build/test/harness/helm-repository.js'));
const { processTools, toolsBin } = require(path.join(root, 'build/test/harness/process-tools.js'));
const { vendorHelmDependencies } = require(path.join(root, 'build/shared/render/helm-dependencies.js'));
const { renderEnvironment } = require(path.join(root, 'build/shared/render/render.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce((n, e) => n + (e.isDirectory() ? size(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);

const server = await startHelmRepository({ charts: [path.join(root, 'test/fixtures/helm/cache')] });
const temps = [];
const temp = (prefix) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};
try {
  const app = await lockedApp(server.url);
  temps.push(app);
  const sourceBytes = size(path.join(app, 'deploy'));
  const tools = processTools([toolsBin()]);
  const helm = path.join(toolsBin(), 'helm');
  const fetchMs = [];
  const renderMs = [];
  let archives = [];
  for (let run = 0; run < RUNS; run++) {
    const copy = temp('bench-helmdeps-app-');
    fs.cpSync(app, copy, { recursive: true });
    const chart = path.join(copy, 'deploy/chart');
    let t = performance.now();
    const vendored = await vendorHelmDependencies(chart, { repoRoot: copy, settings: { mode: 'resolve' }, tools, helm, workDir: temp('bench-helmdeps-work-') });
    fetchMs.push(performance.now() - t);
    if (vendored.findings.length > 0) throw new Error(JSON.stringify(vendored.findings));
    archives = vendored.archives.map((a) => ({ ...a, bytes: fs.statSync(path.join(chart, a.file)).size }));
    t = performance.now();
    const rendered = await renderEnvironment({
      repoRoot: copy,
      templates: chart,
      renderer: 'auto',
      environment: 'dev',
      variables: new Map([['REPLICAS', '2']]),
      helmValuesFiles: [],
      valuesFiles: [],
      releaseName: 'web',
      workDir: temp('bench-helmdeps-render-'),
      tools,
      helmDependencies: { mode: 'bundled' },
    });
    renderMs.push(performance.now() - t);
    if (rendered.findings.length > 0 || rendered.objects.length !== 3) throw new Error(JSON.stringify(rendered.findings));
  }
  const archiveBytes = archives.reduce((n, a) => n + a.bytes, 0);
  console.log(
    `Helm dependencies of the sample chart (2: ${archives.map((a) => `${a.name} ${a.version} from ${a.repository.replace(/:\d+/, ':<port>')}`).join(', ')}), ${RUNS} runs, medians:`,
  );
  console.log(
    `  CI time added (fetch into the bundle): ${median(fetchMs).toFixed(0)} ms; baseline render of the chart with them bundled: ${median(renderMs).toFixed(0)} ms (ratio ${(median(fetchMs) / median(renderMs)).toFixed(2)})`,
  );
  console.log(
    `  bundle size added: ${archiveBytes} bytes (${archives.map((a) => `${a.file} ${a.bytes}`).join(', ')}); the chart's source files: ${sourceBytes} bytes (ratio ${(archiveBytes / sourceBytes).toFixed(2)})`,
  );
} finally {
  await server.stop();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
}
