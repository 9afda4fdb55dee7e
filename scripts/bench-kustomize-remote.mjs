// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): what Kustomize remote parts
// add to GitOpsCiPublish@1, for test/fixtures/kustomize-remote/app (a git base at a tag, a git base on a
// branch, one YAML file over HTTP, served by test/harness/git-remote.ts on loopback):
//  - CI time: fetching them into the bundle (vendorKustomizeRemotes: git fetch --depth 1, one GET),
//    against the baseline in the same run: rendering the overlay once they are there (what every render costs).
//  - bundle size: the fetched files, against the app's own source files.
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
if (!fs.existsSync(path.join(root, 'build', 'test', 'harness', 'git-remote.js'))) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
const { startGitRemote } = require(path.join(root, 'build/test/harness/git-remote.js'));
const { processTools, toolsBin } = require(path.join(root, 'build/test/harness/process-tools.js'));
const { vendorKustomizeRemotes } = require(path.join(root, 'build/shared/render/kustomize-vendor.js'));
const { renderEnvironment } = require(path.join(root, 'build/shared/render/render.js'));

const fixture = path.join(root, 'test/fixtures/kustomize-remote');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .reduce((n, e) => n + (e.isDirectory() ? size(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);

const server = await startGitRemote();
const temps = [];
const temp = (prefix) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};
try {
  server.publish('platform', path.join(fixture, 'platform'), 'v1.0.0');
  const fileUrl = server.serveFile('network-policy.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-network\ndata:\n  mode: strict\n');
  const app = temp('bench-kremote-app-');
  fs.cpSync(path.join(fixture, 'app'), app, { recursive: true });
  const overlay = path.join(app, 'deploy/overlays/dev/kustomization.yaml');
  fs.writeFileSync(overlay, fs.readFileSync(overlay, 'utf8').replaceAll('REMOTE_FILE', fileUrl).replaceAll('REMOTE', `${server.origin}/git`));
  const sourceBytes = size(path.join(app, 'deploy'));
  const tools = processTools([toolsBin(), ...(process.env.PATH ?? '').split(path.delimiter)]);
  const fetchMs = [];
  const renderMs = [];
  let fetchedBytes = 0;
  let parts = 0;
  for (let run = 0; run < RUNS; run++) {
    const copy = temp('bench-kremote-copy-');
    fs.cpSync(app, copy, { recursive: true });
    let t = performance.now();
    const vendored = await vendorKustomizeRemotes(copy, { tools, workDir: temp('bench-kremote-work-') });
    fetchMs.push(performance.now() - t);
    parts = vendored.length;
    fetchedBytes = size(path.join(copy, '_kustomize-remote'));
    t = performance.now();
    const rendered = await renderEnvironment({
      repoRoot: copy,
      templates: path.join(copy, 'deploy/overlays/dev'),
      renderer: 'auto',
      environment: 'dev',
      variables: new Map([['GREETING', 'hello']]),
      helmValuesFiles: [],
      valuesFiles: [],
      releaseName: 'app',
      workDir: temp('bench-kremote-render-'),
      tools,
    });
    renderMs.push(performance.now() - t);
    if (rendered.findings.length > 0 || rendered.objects.length !== 5) throw new Error(JSON.stringify(rendered.findings));
  }
  console.log(`Kustomize remote parts of the sample overlay (${parts}: 2 git bases of one repository, 1 file), ${RUNS} runs, medians:`);
  console.log(
    `  CI time added (fetch into the bundle): ${median(fetchMs).toFixed(0)} ms; baseline render of the overlay with them bundled: ${median(renderMs).toFixed(0)} ms (ratio ${(median(fetchMs) / median(renderMs)).toFixed(2)})`,
  );
  console.log(
    `  bundle size added: ${fetchedBytes} bytes; the app's own source files: ${sourceBytes} bytes (ratio ${(fetchedBytes / sourceBytes).toFixed(2)})`,
  );
} finally {
  await server.stop();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
}
