// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): the pull request preview of
// GitOpsPrValidate@1 (shared/workflows/pr-preview.ts, preview: true) against the Azure DevOps emulator on
// loopback, each figure next to a baseline measured in the same run:
//  1. the sample app (examples/app, Kustomize overlays, dev/stage/prod) with a pull request changing prod's
//     replicas and a dev value: preview time against the render + validate time the gate already spends;
//  2. a generated app with N objects per environment (default 2,000): first promotion (empty folders),
//     1% of the objects changed, nothing changed; against validating the same objects.
// For each, the REST calls: those made once (repository, branch, pull request thread and status) and
// those per environment (one folder listing, then the files whose blob id differs: one Get Blobs Zip for
// several, one item read for a single one), and the time the emulator spent answering them (summed).
// Options: --objects N (per environment, default 2000), --runs N (median of, default 3).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const OBJECTS = arg('objects', 2000);
const RUNS = arg('runs', 3);
const ENVIRONMENTS = ['dev', 'stage', 'prod'];
const PROJECT = 'bench';

if (!fs.existsSync(path.join(root, 'build', 'shared')) || !fs.existsSync(path.join(root, 'build', 'test'))) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
process.env.AGENT_TEMPDIRECTORY ??= fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-agent-'));
const b = (p) => require(path.join(root, 'build', p));
const { previewPullRequest, collectRenderedFiles } = b('shared/workflows/pr-preview.js');
const { renderAndValidate } = b('shared/workflows/render-and-validate.js');
const { MemoryAgent } = b('shared/agent/memory-agent.js');
const { manifestFiles } = b('shared/manifests/serialize.js');
const { parseManifests } = b('shared/manifests/parse.js');
const { validateManifests } = b('shared/validate/validate-manifests.js');
const { DEFAULT_POLICY_SEVERITIES } = b('shared/validate/policy.js');
const { connectWithJobToken } = b('shared/devops/connection.js');
const { startDevOpsEmulator } = b('test/emulators/devops/index.js');
const { processTools } = b('test/harness/process-tools.js');

const tools = JSON.parse(fs.readFileSync(path.join(root, '.tools', 'tools.json'), 'utf8'));
const ms = (t) => `${t.toFixed(0)} ms`;
const median = (xs) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-preview-'));

async function main() {
  const emu = await startDevOpsEmulator({ org: 'benchorg' });
  try {
    emu.admin.createProject(PROJECT);
    await emu.admin.createRepository(PROJECT, 'gitops', { defaultBranch: 'main' });
    await emu.admin.seedFiles(PROJECT, 'gitops', 'main', { 'README.md': '# fleet\n' }, 'seed');
    const appRepo = await emu.admin.createRepository(PROJECT, 'app', { defaultBranch: 'main' });
    await emu.admin.seedFiles(PROJECT, 'app', 'main', { 'README.md': '# app\n' }, 'seed');
    await emu.admin.seedFiles(PROJECT, 'app', 'feature', { 'x.txt': 'x' }, 'change');
    const conn = connectWithJobToken(emu.url, emu.token);
    const pr = await conn.git.createPullRequest({ sourceRefName: 'refs/heads/feature', targetRefName: 'refs/heads/main', title: 'bench' }, appRepo.id, PROJECT);

    const agent = () =>
      new MemoryAgent({
        variables: {
          'System.CollectionUri': `${emu.url}/`,
          'System.TeamProject': PROJECT,
          'Build.BuildId': '1',
          'Build.Reason': 'PullRequest',
          'System.PullRequest.PullRequestId': String(pr.pullRequestId),
          'Build.Repository.ID': appRepo.id,
          'Build.Repository.Name': 'app',
          'Build.Repository.Provider': 'TfsGit',
        },
        endpoints: { SYSTEMVSSCONNECTION: { url: `${emu.url}/`, scheme: 'OAuth', parameters: { AccessToken: emu.token } } },
      });
    const inputs = (app) => ({ repository: 'gitops', targetBranch: 'main', targetFolder: 'apps/{environment}/{app}', app });

    /** Runs the preview RUNS times; the median time and the REST calls of the last run, split per environment. */
    const measure = async (app, rendered, report) => {
      const times = [];
      let outcome;
      for (let i = 0; i < RUNS; i++) {
        emu.admin.clearRequests();
        const started = performance.now();
        outcome = await previewPullRequest(agent(), inputs(app), ENVIRONMENTS, rendered, report);
        times.push(performance.now() - started);
      }
      const calls = emu.admin.requests().filter((r) => !r.path.startsWith('/_admin'));
      // The environments are compared in turn: a blob read belongs to the folder listed last.
      const perEnv = Object.fromEntries(ENVIRONMENTS.map((e) => [e, 0]));
      let current;
      for (const r of calls) {
        const env = ENVIRONMENTS.find((e) => decodeURIComponent(r.path).includes(`/apps/${e}/`));
        if (env) current = env;
        if (env || (current && r.operation === 'Blobs_Get Blobs Zip')) perEnv[env ?? current]++;
      }
      const once = calls.length - Object.values(perEnv).reduce((n, x) => n + x, 0);
      const changed = Object.fromEntries(outcome.environments.map((e) => [e.environment, e.change ? e.change.objects.length : 'failed']));
      const serverMs = calls.reduce((n, r) => n + r.durationMs, 0);
      return { ms: median(times), once, perEnv, changed, serverMs, comment: outcome.pullRequest?.comment };
    };
    const show = (label, r, baseline, baselineLabel) => {
      console.log(`  ${label}: ${ms(r.ms)} (${(r.ms / baseline).toFixed(2)}x ${baselineLabel} ${ms(baseline)})`);
      console.log(`    objects changing: ${ENVIRONMENTS.map((e) => `${e} ${r.changed[e]}`).join(', ')}`);
      console.log(
        `    REST calls: ${r.once} once + per environment ${ENVIRONMENTS.map((e) => `${e} ${r.perEnv[e]}`).join(', ')} (emulator time ${ms(r.serverMs)})`,
      );
    };
    const seed = async (app, rendered) => {
      const files = {};
      for (const [env, r] of rendered) for (const [name, text] of r.files) files[`apps/${env}/${app}/${name}`] = text;
      await emu.admin.seedFiles(PROJECT, 'gitops', 'main', files, `promote ${app}`);
    };

    // ---- 1. the sample app -------------------------------------------------------------------------
    const render = async (appDir) => {
      const rendered = new Map();
      const started = performance.now();
      const report = await renderAndValidate({
        repoRoot: appDir,
        templates: 'deploy/kustomize/overlays/{environment}',
        renderer: 'kustomize',
        environments: ENVIRONMENTS,
        valuesFile: 'deploy/environments/{environment}.yaml',
        variables: new Map(),
        helmValuesFiles: [],
        kubernetesVersion: '1.32',
        policy: DEFAULT_POLICY_SEVERITIES,
        dockerfiles: [],
        tools: processTools([tools.bin]),
        workDir: fs.mkdtempSync(path.join(tmp, 'render-')),
        onRendered: collectRenderedFiles(rendered, { layout: 'filePerObject', app: 'voting-app' }),
      });
      return { rendered, report, ms: performance.now() - started };
    };
    const app = path.join(tmp, 'app');
    fs.cpSync(path.join(root, 'examples/app'), app, { recursive: true });
    await seed('voting-app', (await render(app)).rendered);
    const edit = (file, from, to) => fs.writeFileSync(path.join(app, file), fs.readFileSync(path.join(app, file), 'utf8').replace(from, to));
    edit('deploy/environments/prod.yaml', 'WEB_REPLICAS: 3', 'WEB_REPLICAS: 4');
    edit('deploy/environments/dev.yaml', 'VOTE2: Dogs', 'VOTE2: Penguins');
    const renders = [];
    let sample;
    for (let i = 0; i < RUNS; i++) renders.push((sample = await render(app)).ms);
    console.log(
      `sample app (examples/app, Kustomize, ${ENVIRONMENTS.length} environments), pull request changing prod replicas and a dev value (median of ${RUNS}):`,
    );
    show('preview', await measure('voting-app', sample.rendered, sample.report), median(renders), 'render + validate');

    // ---- 2. a generated app --------------------------------------------------------------------------
    const generated = (round, changedPerEnv) => {
      const rendered = new Map();
      const objects = [];
      for (const env of ENVIRONMENTS) {
        const text = [];
        for (let i = 0; i < OBJECTS; i++) {
          const r = i < changedPerEnv ? round : 0;
          text.push(
            i % 2 === 0
              ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: gen-${env}\ndata:\n  round: "${r}"\n  payload: "${'x'.repeat(120)}"\n`
              : `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  namespace: gen-${env}\nspec:\n  replicas: ${1 + r}\n  selector:\n    matchLabels:\n      app: app-${i}\n  template:\n    metadata:\n      labels:\n        app: app-${i}\n    spec:\n      containers:\n        - name: app\n          image: contoso.azurecr.io/app-${i}:1.${r}.0\n`,
          );
        }
        const parsed = parseManifests(text.join('---\n'), `${env}.yaml`).objects;
        objects.push(...parsed);
        rendered.set(env, { files: manifestFiles(parsed) });
      }
      const report = { environments: ENVIRONMENTS.map((environment) => ({ environment, findings: [] })), dockerfiles: [] };
      return { rendered, report, objects };
    };
    const first = generated(0, 0);
    const validations = [];
    // Once first: the schemas load on the first validation.
    validateManifests(first.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES, variables: new Map() });
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      validateManifests(first.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES, variables: new Map() });
      validations.push(performance.now() - started);
    }
    const validation = median(validations);
    console.log(`\ngenerated app, ${OBJECTS} objects per environment (${OBJECTS * ENVIRONMENTS.length} in all), median of ${RUNS}:`);
    show('first promotion (empty folders, every object added)', await measure('gen', first.rendered, first.report), validation, 'validating the same objects');
    const seeding = performance.now();
    await seed('gen', first.rendered);
    console.log(`  (GitOps folders seeded with ${OBJECTS * ENVIRONMENTS.length} files in ${ms(performance.now() - seeding)})`);
    const onePercent = Math.max(1, Math.round(OBJECTS / 100));
    const some = generated(1, onePercent);
    show(`${onePercent} objects changed per environment`, await measure('gen', some.rendered, some.report), validation, 'validating the same objects');
    show('nothing changed', await measure('gen', first.rendered, first.report), validation, 'validating the same objects');
  } finally {
    await emu.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
