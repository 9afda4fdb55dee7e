// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): figures for the closing notes,
// each against a baseline measured in the same run.
//  render + validate throughput on a generated repository of >= 10,000 objects (plain YAML with
//     ${VAR} placeholders, 3 kinds), and validation time against YAML parse time of the same text;
//  the cost of locating findings: parse + validate of the same text with a finding in every Deployment,
//     against the clean text's.
//  Dockerfile lint time of a 2040-line file against one 34-line copy of it.
// Bundle sizes and cold start: scripts/bench-startup.mjs.
// Options: --objects N (default 12000), --runs N (end-to-end runs, default 5).
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
const OBJECTS = arg('objects', 12000);

if (!fs.existsSync(path.join(root, 'build', 'shared')) || !fs.existsSync(path.join(root, 'dist', 'tasks'))) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
process.env.AGENT_TEMPDIRECTORY ??= fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-agent-'));
const { renderAndValidate } = require(path.join(root, 'build/shared/workflows/render-and-validate.js'));
const { parseManifests } = require(path.join(root, 'build/shared/manifests/parse.js'));
const { substituteYaml } = require(path.join(root, 'build/shared/render/substitute.js'));
const { validateManifests } = require(path.join(root, 'build/shared/validate/validate-manifests.js'));
const { DEFAULT_POLICY_SEVERITIES } = require(path.join(root, 'build/shared/validate/policy.js'));

const ms = (t) => `${t.toFixed(1)} ms`;

// ---- 1. throughput -------------------------------------------------------------------------------
const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-repo-'));
fs.mkdirSync(path.join(repo, 'deploy/manifests'), { recursive: true });
fs.mkdirSync(path.join(repo, 'deploy/environments'), { recursive: true });
fs.writeFileSync(path.join(repo, 'deploy/environments/bench.yaml'), 'NAMESPACE: bench\nTAG: "1.27.3"\nREPLICAS: 2\n');
const PER_FILE = 100;
const kinds = [
  (i) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: \${NAMESPACE}
  labels:
    app: app-${i}
spec:
  replicas: \${REPLICAS}
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
      containers:
        - name: web
          image: registry.example.com/app-${i}:\${TAG}
          ports:
            - containerPort: 8080
          resources:
            requests: { cpu: 50m, memory: 64Mi }
            limits: { memory: 128Mi }
          readinessProbe:
            httpGet: { path: /readyz, port: 8080 }
          livenessProbe:
            httpGet: { path: /healthz, port: 8080 }
          securityContext:
            allowPrivilegeEscalation: false
`,
  // Each Service selects the Deployment written just before it (no cross-object warning).
  (i) => `apiVersion: v1
kind: Service
metadata:
  name: app-${i}
  namespace: \${NAMESPACE}
spec:
  selector:
    app: app-${i - 1}
  ports:
    - port: 80
      targetPort: 8080
`,
  (i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-${i}
  namespace: \${NAMESPACE}
data:
  LOG_LEVEL: \${LOG_LEVEL:=info}
  FOOTER: "served by $\${HOSTNAME}"
`,
];
let written = 0;
for (let f = 0; written < OBJECTS; f++) {
  const docs = [];
  for (let j = 0; j < PER_FILE && written < OBJECTS; j++, written++) docs.push(kinds[written % kinds.length](written));
  fs.writeFileSync(path.join(repo, 'deploy/manifests', `part-${String(f).padStart(4, '0')}.yaml`), docs.join('---\n'));
}
const noTools = { which: () => undefined, exec: async () => ({ code: 1, stdout: '', stderr: '' }) };
const options = {
  repoRoot: repo,
  templates: 'deploy/manifests',
  renderer: 'plain',
  environments: ['bench'],
  valuesFile: 'deploy/environments/{environment}.yaml',
  variables: new Map(),
  helmValuesFiles: [],
  kubernetesVersion: '1.32',
  policy: DEFAULT_POLICY_SEVERITIES,
  dockerfiles: [],
  tools: noTools,
};

// Warm up the JIT and the schema tables once, then measure RUNS times: on a shared machine one run says more about
// the neighbours than about the code, so the best run is the figure and the median is printed beside it.
const RUNS = arg('runs', 5);
await renderAndValidate({ ...options, workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')) });
const runs = [];
let report;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  report = await renderAndValidate({ ...options, workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')) });
  runs.push(performance.now() - t0);
}
runs.sort((a, b) => a - b);
const endToEnd = runs[0];
const endToEndMedian = runs[runs.length >> 1];
const env = report.environments[0];
if (env.objects !== OBJECTS) throw new Error(`rendered ${env.objects} objects, expected ${OBJECTS}`);
const findings = env.findings.length;

// The same work split in its phases, on the same text.
const vars = new Map([
  ['NAMESPACE', 'bench'],
  ['TAG', '1.27.3'],
  ['REPLICAS', '2'],
]);
const files = fs
  .readdirSync(path.join(repo, 'deploy/manifests'))
  .sort()
  .map((f) => fs.readFileSync(path.join(repo, 'deploy/manifests', f), 'utf8'));
// Each phase RUNS times too, its best run kept (and the check timings of the best validation).
const best = (work) => {
  let fastest;
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    const value = work();
    const took = performance.now() - start;
    if (!fastest || took < fastest.ms) fastest = { ms: took, value };
  }
  return fastest;
};
const { ms: substituteMs, value: substituted } = best(() => files.map((text) => substituteYaml(text, vars).text));
const { ms: parseMs, value: objects } = best(() =>
  substituted.flatMap((text, i) => parseManifests(text, `deploy/manifests/part-${i}.yaml`, { yaml: '1.2' }).objects),
);
const { ms: validateMs, value: validation } = best(() => validateManifests(objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES }));
// Findings need field locations (file:line:column): the same text with a policy error in every Deployment, so
// that every file has findings to locate, against the parse + validate of the clean text above.
const flagged = substituted.map((text) => text.replace(/allowPrivilegeEscalation: false/g, 'allowPrivilegeEscalation: true'));
const t = performance.now();
const flaggedObjects = flagged.flatMap((text, i) => parseManifests(text, `deploy/manifests/part-${i}.yaml`, { yaml: '1.2' }).objects);
const flaggedFindings = validateManifests(flaggedObjects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES }).findings;
const locatedMs = performance.now() - t;
if (flaggedFindings.some((f) => f.line === undefined)) throw new Error('a finding without a line');
const bytes = files.reduce((n, s) => n + Buffer.byteLength(s), 0);
fs.rmSync(repo, { recursive: true, force: true });

console.log(
  `\n== render + validate: ${OBJECTS} objects in ${files.length} files (${(bytes / 1024 / 1024).toFixed(1)} MiB), Kubernetes 1.32, default policy ==`,
);
console.log(
  `end to end (read, substitute, parse, validate), best of ${RUNS}: ${ms(endToEnd)}  -> ${Math.round(OBJECTS / (endToEnd / 1000))} objects/s  (median ${ms(endToEndMedian)}, ${Math.round(OBJECTS / (endToEndMedian / 1000))} objects/s; ${findings} findings)`,
);
console.log(`  substitute ${ms(substituteMs)} | YAML parse ${ms(parseMs)} | validate ${ms(validateMs)}`);
console.log(
  `  validate by check: ${Object.entries(validation.timings)
    .map(([k, v]) => `${k} ${ms(v)}`)
    .join(', ')}`,
);
console.log(`  ratio validation / YAML parse: ${(validateMs / parseMs).toFixed(3)}`);
console.log(
  `with a finding in every Deployment (${flaggedFindings.length} findings to locate, in all ${files.length} files): parse + validate ${ms(locatedMs)}, ${(locatedMs / (parseMs + validateMs)).toFixed(2)}x the clean text's`,
);

// ---- 2. Dockerfile lint on a long file ------------------------------------------------------------
// 60 copies of the clean multi-stage fixture (2040 lines) against one copy, median of 5 each: the ratio
// at most 60 says the lint grows no faster than the lines (a fixed cost per file keeps it lower).
const { lintDockerfile } = require(path.join(root, 'build/shared/validate/dockerfile/index.js'));
const goodDockerfile = fs.readFileSync(path.join(root, 'test/fixtures/dockerfiles/Dockerfile.good'), 'utf8');
const medianLintMs = (text) => {
  lintDockerfile('Dockerfile', text); // warm-up
  const times = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    lintDockerfile('Dockerfile', text);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2];
};
const oneCopyMs = medianLintMs(goodDockerfile);
const longDockerfile = Array.from({ length: 60 }, () => goodDockerfile).join('\n');
const longMs = medianLintMs(longDockerfile);
console.log(`\n== Dockerfile lint: ${longDockerfile.split('\n').length} lines (60 copies) against ${goodDockerfile.split('\n').length} lines (1 copy) ==`);
console.log(`60 copies ${ms(longMs)} | 1 copy ${ms(oneCopyMs)} | ratio ${(longMs / oneCopyMs).toFixed(1)} (60 would be linear)`);
