// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): what the reference
// scripts' support costs, each against a baseline measured in the same run.
//  1. substitution of a generated text of N objects with variableSyntax envsubst ($NAME) against flux (${NAME}).
//  2. the image reference check (manifest/image-reference) against the policy check on the same objects.
//  3. the helm-kustomize renderer on test/fixtures/reference-app against the helm renderer alone.
// Options: --objects N (default 12000), --renders N (default 5).
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
const RENDERS = arg('renders', 5);

if (!fs.existsSync(path.join(root, 'build', 'shared'))) execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const { substituteYaml } = require(path.join(root, 'build/shared/render/substitute.js'));
const { parseManifests } = require(path.join(root, 'build/shared/manifests/parse.js'));
const { checkImageReferences } = require(path.join(root, 'build/shared/validate/image-reference.js'));
const { checkPolicy, DEFAULT_POLICY_SEVERITIES } = require(path.join(root, 'build/shared/validate/policy.js'));
const { renderEnvironment } = require(path.join(root, 'build/shared/render/render.js'));
const { parseValuesFile } = require(path.join(root, 'build/shared/render/variables.js'));
const { processTools, toolsBin } = require(path.join(root, 'build/test/harness/process-tools.js'));

const ms = (t) => `${t.toFixed(1)} ms`;
const time = (run) => {
  const t = performance.now();
  const result = run();
  return [performance.now() - t, result];
};

// ---- 1. substitution -----------------------------------------------------------------------------
const doc = (i, v) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: ${v('NAMESPACE')}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ${v('REPO')}/app-${i}:${v('TAG')}
          args: ["--rewrite=/$2", "--path=(/|$)"]
---
`;
const braced = Array.from({ length: OBJECTS }, (_, i) => doc(i, (n) => `\${${n}}`)).join('');
const bare = Array.from({ length: OBJECTS }, (_, i) => doc(i, (n) => `$${n}`)).join('');
const variables = new Map([
  ['NAMESPACE', 'bench'],
  ['REPO', 'contosoacr.azurecr.io/bench'],
  ['TAG', '1.27.3'],
]);
substituteYaml(braced, variables); // warm up
const [fluxMs, flux] = time(() => substituteYaml(braced, variables, { syntax: 'flux' }));
const [envsubstMs, envsubst] = time(() => substituteYaml(bare, variables, { syntax: 'envsubst' }));
if (flux.text !== envsubst.text || flux.errors.length + envsubst.errors.length > 0) throw new Error('the two syntaxes did not give the same text');
console.log(
  `substitution of ${OBJECTS} objects: flux \${NAME} ${ms(fluxMs)} | envsubst $NAME ${ms(envsubstMs)}  ratio envsubst/flux ${(envsubstMs / fluxMs).toFixed(2)}`,
);

// ---- 2. image reference check ------------------------------------------------------------------------
const objects = parseManifests(flux.text, 'bench.yaml').objects;
checkImageReferences(objects.slice(0, 100));
const [imagesMs, imageFindings] = time(() => checkImageReferences(objects));
const [policyMs] = time(() => checkPolicy(objects, DEFAULT_POLICY_SEVERITIES));
console.log(
  `image references of ${objects.length} objects: ${ms(imagesMs)} (${imageFindings.length} findings) | policy check ${ms(policyMs)}  ratio images/policy ${(imagesMs / policyMs).toFixed(2)}`,
);

// ---- 3. helm-kustomize against helm alone ------------------------------------------------------------
const fixture = path.join(root, 'test/fixtures/reference-app');
const values = parseValuesFile(fs.readFileSync(path.join(fixture, 'environments/dev.yaml'), 'utf8'), 'dev.yaml').variables;
const tools = processTools([toolsBin()]);
const render = async (renderer) => {
  const start = performance.now();
  for (let i = 0; i < RENDERS; i++) {
    const r = await renderEnvironment({
      repoRoot: fixture,
      templates: path.join(fixture, 'azure-vote/helm'),
      renderer,
      kustomization: path.join(fixture, 'azure-vote/kustomize/base'),
      environment: 'dev',
      variables: values,
      variableSyntax: 'envsubst',
      helmValuesFiles: [],
      valuesFiles: [],
      releaseName: 'azure-vote',
      workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-bench-render-')),
      tools,
    });
    if (r.findings.length > 0 || r.objects.length !== 4) throw new Error(`${renderer}: ${JSON.stringify(r.findings)}`);
  }
  return (performance.now() - start) / RENDERS;
};
const helmMs = await render('helm');
const chainMs = await render('helm-kustomize');
console.log(`render of the reference app (mean of ${RENDERS}): helm ${ms(helmMs)} | helm-kustomize ${ms(chainMs)}  ratio ${(chainMs / helmMs).toFixed(2)}`);
