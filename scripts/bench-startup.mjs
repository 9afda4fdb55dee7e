// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): what a task costs before
// it does anything, against `node -e 0` measured in the same run.
//  1. size of each task folder (every file the agent downloads: bundle, lazily loaded parts, task.json,
//     icon) and of the .vsix.
//  2. cold start of each built bundle, spawned as the agent spawns it (INPUT_* from task.json defaults
//     plus the inputs below, agent variables, endpoints), median of --runs samples, interleaved with
//     `node -e 0` so both see the same machine load:
//     - first byte: spawn to the first byte on stdout, the figure of issue #9's budget (GitOpsPrValidate
//       and GitOpsCiPublish <= 1.5x node -e 0, GitOpsPromote <= 2x). The tasks no longer load task-lib
//       at the start (shared/agent/task-lib-agent.ts), so the first byte is the task's own first line:
//       the debug line of the first variable it reads (printed below for each task);
//     - first line: spawn to the first line that is not a ##vso[task.debug] line (what a user sees
//       in the log without system.debug),
//     - full run: spawn to exit, the same invocation (so a faster first byte cannot hide a slower run).
//     - CPU time: user + system time of the whole process (process.cpuUsage() at exit, written by a
//       --require hook in separate runs so the timed runs stay plain), and up to the first byte (the
//       hook reads process.cpuUsage() at the first write to stdout): less sensitive than wall time to
//       other load on the machine (2 shared CPUs can make the wall-time ratios swing).
//     - for reference, the floor every task shares: a bundle of azure-pipelines-task-lib alone that
//       reads one input and prints it (task-lib prints its first debug lines as it loads).
//     The runs: GitOpsPrValidate and GitOpsCiPublish on a tiny plain-YAML repository (two objects, one
//     environment, the default Dockerfile patterns matching nothing); GitOpsPromote renders that
//     release and pushes it into a repository of the Azure DevOps emulator (deliveryMode push,
//     waitForReconciliation false: the run loads no Azure SDK), the folder already up to date after
//     the warm-up run, so each sampled run reads the folder and changes nothing.
// Options: --runs N (default 15), --skip-package (no .vsix size), --baseline DIR (another dist/tasks,
// e.g. built from an older commit: its bundles run interleaved with these, as "<Task> (baseline)").
import { execFileSync, spawn } from 'node:child_process';
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
const RUNS = arg('runs', 15);
const baselineArg = process.argv.indexOf('--baseline');
const baselineDir = baselineArg > 0 ? path.resolve(process.argv[baselineArg + 1]) : undefined;
const tasksDir = path.join(root, 'dist', 'tasks');
const emulatorJs = path.join(root, 'build', 'test', 'emulators', 'devops', 'index.js');
if (!fs.existsSync(tasksDir) || !fs.existsSync(emulatorJs)) execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

const ms = (t) => `${t.toFixed(1)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

// ---- 1. sizes ----------------------------------------------------------------------------------------
/** Every file under a folder with its size. */
function filesOf(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}
console.log('== sizes (every file of the task folder; index.js is what loads at start) ==');
const taskDirs = fs
  .readdirSync(tasksDir)
  .flatMap((task) => fs.readdirSync(path.join(tasksDir, task)).map((v) => path.join(tasksDir, task, v)))
  .sort();
for (const dir of taskDirs) {
  const files = filesOf(dir);
  const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const lazy = files.filter((f) => /^lazy-.*\.js$/.test(path.basename(f))).length;
  console.log(
    `${path.relative(tasksDir, dir)}: ${kib(total)} in ${files.length} files; index.js ${kib(fs.statSync(path.join(dir, 'index.js')).size)}, ${lazy} lazily loaded part(s)`,
  );
}
if (!process.argv.includes('--skip-package')) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'package.mjs'), '--no-build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const f of fs.readdirSync(path.join(root, 'out')).filter((f) => f.endsWith('.vsix')))
    console.log(`vsix ${f}: ${kib(fs.statSync(path.join(root, 'out', f)).size)}`);
}

// ---- 2. cold start -----------------------------------------------------------------------------------
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-startup-'));
const app = path.join(work, 'app');
fs.mkdirSync(path.join(app, 'deploy/manifests'), { recursive: true });
fs.mkdirSync(path.join(app, 'deploy/environments'), { recursive: true });
fs.writeFileSync(path.join(app, 'deploy/environments/dev.yaml'), 'NAMESPACE: web\nREPLICAS: 2\n');
fs.writeFileSync(
  path.join(app, 'deploy/manifests/app.yaml'),
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  namespace: \${NAMESPACE}
data:
  LOG_LEVEL: info
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: \${NAMESPACE}
spec:
  replicas: \${REPLICAS}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      securityContext: { runAsNonRoot: true, runAsUser: 1000 }
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          resources:
            requests: { cpu: 50m, memory: 64Mi }
            limits: { memory: 128Mi }
          readinessProbe: { httpGet: { path: /readyz, port: 8080 } }
          livenessProbe: { httpGet: { path: /healthz, port: 8080 } }
`,
);
const PLAIN = { templates: 'deploy/manifests', renderer: 'plain', environments: 'dev' };

/** The environment the agent gives a task: inputs (task.json defaults, $(var) expanded), variables, endpoints. */
function agentEnv(taskDir, { inputs = {}, variables = {}, endpoints = {} }) {
  const agentWork = fs.mkdtempSync(path.join(work, 'agent-'));
  const vars = {
    'Agent.TempDirectory': path.join(agentWork, '_temp'),
    'Agent.WorkFolder': agentWork,
    'Agent.BuildDirectory': agentWork,
    'Agent.OS': 'Linux',
    'Build.SourcesDirectory': app,
    'Build.ArtifactStagingDirectory': path.join(agentWork, 'a'),
    'System.DefaultWorkingDirectory': app,
    'System.Culture': 'en-US',
    'Build.BuildId': '42',
    'Build.BuildNumber': '20261206.1',
    'Build.SourceVersion': 'a'.repeat(40),
    'Build.SourceBranch': 'refs/heads/main',
    'Build.Repository.Name': 'web',
    ...variables,
  };
  for (const d of [vars['Agent.TempDirectory'], vars['Build.ArtifactStagingDirectory']]) fs.mkdirSync(d, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [k, v] of Object.entries(vars)) env[k.replace(/\./g, '_').toUpperCase()] = v;
  const taskJson = JSON.parse(fs.readFileSync(path.join(taskDir, 'task.json'), 'utf8'));
  for (const input of taskJson.inputs) {
    const value = String(inputs[input.name] ?? input.defaultValue ?? '');
    env[`INPUT_${input.name.toUpperCase()}`] = value.replace(/\$\(([^)]+)\)/g, (whole, name) => vars[name] ?? whole);
  }
  for (const [id, e] of Object.entries(endpoints)) {
    env[`ENDPOINT_URL_${id}`] = e.url;
    env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: e.scheme, parameters: e.parameters });
    env[`ENDPOINT_AUTH_SCHEME_${id}`] = e.scheme;
    for (const [p, v] of Object.entries(e.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${p.toUpperCase()}`] = v;
  }
  return { env, cwd: app };
}

/** One spawn: ms to the first stdout byte, to the first non-debug line, to exit; and what it printed. */
function sample(args, { env, cwd }) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstByte;
    let firstLine;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      const now = performance.now();
      firstByte ??= now - start;
      stdout += chunk.toString('utf8');
      if (firstLine === undefined && stdout.split('\n').some((l) => l !== '' && !l.startsWith('##vso[task.debug]'))) firstLine = now - start;
    });
    child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const exit = performance.now() - start;
      resolve({ firstByte: firstByte ?? exit, firstLine: firstLine ?? exit, exit, code, stdout, stderr });
    });
  });
}

const result = (run) => /##vso\[task\.complete result=([A-Za-z]+);/.exec(run.stdout)?.[1];

const { startDevOpsEmulator } = require(emulatorJs);
const devops = await startDevOpsEmulator({ org: 'bench', dataDir: work });
try {
  devops.admin.createProject('Bench');
  await devops.admin.createRepository('Bench', 'gitops', { defaultBranch: 'main' });
  await devops.admin.seedFiles('Bench', 'gitops', 'main', { 'README.md': 'GitOps repository\n' });

  const dir = (task, from = tasksDir) => path.join(from, task, 'v1');
  // The release bundle GitOpsPromote reads, made by the built GitOpsCiPublish.
  const published = await sample(
    [path.join(dir('GitOpsCiPublish'), 'index.js')],
    agentEnv(dir('GitOpsCiPublish'), { inputs: { ...PLAIN, images: '', publishArtifact: 'false', appName: 'web' } }),
  );
  const bundle = /##vso\[task\.setvariable variable=bundlePath;[^\]]*\](.*)/.exec(published.stdout)?.[1];
  if (result(published) !== 'Succeeded' || !bundle) throw new Error(`GitOpsCiPublish did not publish a bundle:\n${published.stdout}\n${published.stderr}`);

  // The floor: task-lib alone, bundled as the tasks bundle it.
  const floor = path.join(work, 'task-lib-only', 'index.js');
  require('esbuild').buildSync({
    stdin: { contents: "const tl = require('azure-pipelines-task-lib/task'); console.log(tl.getInput('templates'));", resolveDir: root },
    outfile: floor,
    bundle: true,
    minify: true,
    keepNames: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  const cases = [
    { name: 'node -e 0', args: ['-e', '0'], env: { env: { PATH: process.env.PATH }, cwd: app } },
    { name: 'task-lib alone', args: [floor], env: () => agentEnv(dir('GitOpsPrValidate'), { inputs: PLAIN }) },
    { name: 'GitOpsPrValidate', task: 'GitOpsPrValidate', inputs: PLAIN },
    { name: 'GitOpsCiPublish', task: 'GitOpsCiPublish', inputs: { ...PLAIN, images: '', publishArtifact: 'false', appName: 'web' } },
    {
      name: 'GitOpsPromote',
      task: 'GitOpsPromote',
      inputs: { bundle, environment: 'dev', gitopsRepository: 'gitops', deliveryMode: 'push', waitForReconciliation: 'false' },
      variables: { 'System.CollectionUri': `${devops.url}/`, 'System.TeamProject': 'Bench' },
      endpoints: { SYSTEMVSSCONNECTION: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } },
    },
  ];
  if (baselineDir) for (const c of cases.filter((c) => c.task)) cases.push({ ...c, name: `${c.name} (baseline)`, from: baselineDir });
  for (const c of cases.filter((c) => c.task)) {
    c.args = [path.join(dir(c.task, c.from), 'index.js')];
    c.env = () => agentEnv(dir(c.task, c.from), c);
    // Warm-up (and check): the run must succeed, or its timing means nothing.
    const run = await sample(c.args, c.env());
    if (result(run) !== 'Succeeded') throw new Error(`${c.name} did not succeed:\n${run.stdout}\n${run.stderr}`);
  }
  const samples = new Map(cases.map((c) => [c.name, []]));
  const cpu = new Map(cases.map((c) => [c.name, []]));
  const hook = path.join(work, 'cpu-hook.js');
  fs.writeFileSync(
    hook,
    [
      'const ms = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };',
      'let first;',
      'const write = process.stdout.write;',
      'process.stdout.write = function (...args) { first ??= ms(); return write.apply(this, args); };',
      "process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_CPU_OUT, JSON.stringify({ total: ms(), first: first ?? ms() })));",
    ].join('\n'),
  );
  for (let i = 0; i < RUNS; i++) {
    for (const c of cases) {
      const options = typeof c.env === 'function' ? c.env() : c.env;
      const run = await sample(c.args, options);
      if (c.task && result(run) !== 'Succeeded') throw new Error(`${c.name} did not succeed:\n${run.stdout}\n${run.stderr}`);
      samples.get(c.name).push(run);
      const out = path.join(work, 'cpu.txt');
      const again = typeof c.env === 'function' ? c.env() : c.env;
      await sample(c.args, { ...again, env: { ...again.env, NODE_OPTIONS: `--require ${hook}`, BENCH_CPU_OUT: out } });
      cpu.get(c.name).push(JSON.parse(fs.readFileSync(out, 'utf8')));
    }
  }

  console.log(
    `\n== cold start, median of ${RUNS} runs each, interleaved (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}) ==`,
  );
  const base = Object.fromEntries(['firstByte', 'firstLine', 'exit'].map((k) => [k, median(samples.get('node -e 0').map((s) => s[k]))]));
  const baseCpu = median(cpu.get('node -e 0').map((c) => c.total));
  console.log(`node -e 0: ${ms(base.exit)} to exit, CPU ${ms(baseCpu)}`);
  const budgets = { GitOpsPrValidate: 1.5, GitOpsCiPublish: 1.5, GitOpsPromote: 2 };
  for (const c of cases.filter((c) => c.name !== 'node -e 0')) {
    const runs = samples.get(c.name);
    const m = (k) => median(runs.map((s) => s[k]));
    const x = (v) => `x${(v / base.exit).toFixed(2)}`;
    const cpuOf = (k) => median(cpu.get(c.name).map((s) => s[k]));
    console.log(
      `${c.name.padEnd(baselineDir ? 28 : 17)} first byte ${ms(m('firstByte'))} (${x(m('firstByte'))} of node -e 0)  first line ${ms(m('firstLine'))} (${x(m('firstLine'))})  full run ${ms(m('exit'))} (${x(m('exit'))})  CPU to first byte ${ms(cpuOf('first'))} (x${(cpuOf('first') / baseCpu).toFixed(2)})  CPU ${ms(cpuOf('total'))} (x${(cpuOf('total') / baseCpu).toFixed(2)})`,
    );
  }
  console.log('\n== budget (issue #9): first byte over node -e 0 ==');
  for (const c of cases.filter((c) => c.task && !c.from)) {
    const ratio = median(samples.get(c.name).map((s) => s.firstByte)) / base.exit;
    const budget = budgets[c.task];
    const first = samples.get(c.name)[0].stdout.split('\n')[0];
    console.log(
      `${c.name.padEnd(17)} x${ratio.toFixed(2)} (budget x${budget}: ${ratio <= budget ? 'met' : 'NOT met'}); first output: ${JSON.stringify(first.length > 100 ? `${first.slice(0, 100)}...` : first)}`,
    );
  }
} finally {
  await devops.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
