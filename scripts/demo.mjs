// npm run demo: the PR gate on the sample app, as a pipeline would run it, through the built bundle:
// the Helm chart and the Kustomize overlays for dev, stage and prod, then a pull request that
// breaks things (a typo'd field in the base, a variable missing from prod's values), to show the annotations a PR gets.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from './lib/versions.mjs';

const node = process.execPath;
execFileSync(node, [path.join(root, 'scripts', 'setup-tools.mjs')], { stdio: 'inherit' });
execFileSync(node, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const app = path.join(root, 'examples', 'app');
const task = (title, sources, inputs) => {
  console.log(`\n━━━ ${title} ━━━`);
  const args = [path.join(root, 'scripts', 'run-task.mjs'), 'GitOpsPrValidate', '--sources', sources];
  for (const [k, v] of Object.entries(inputs)) args.push('--input', `${k}=${v}`);
  return spawnSync(node, args, { stdio: 'inherit' }).status;
};

const helm = task('Sample app: Helm chart, dev/stage/prod', app, {
  templates: 'deploy/helm/voting-app',
  helmValuesFiles: 'deploy/helm/values-{environment}.yaml',
  releaseName: 'voting-app',
  dockerfiles: 'src/**/Dockerfile',
});
const kustomize = task('Sample app: Kustomize overlays, dev/stage/prod', app, { templates: 'deploy/kustomize/overlays/{environment}', dockerfiles: '' });

// A pull request with two mistakes, on a copy of the sample app: a typo in the base, and prod's
// values file losing a variable the overlay uses.
const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-demo-pr-'));
fs.cpSync(app, broken, { recursive: true });
const deployment = path.join(broken, 'deploy/kustomize/base/web-deployment.yaml');
fs.writeFileSync(
  deployment,
  fs
    .readFileSync(deployment, 'utf8')
    .replace('revisionHistoryLimit: 5', 'revisionHistoryLimt: 5'),
);
const prodValues = path.join(broken, 'deploy/environments/prod.yaml');
fs.writeFileSync(prodValues, fs.readFileSync(prodValues, 'utf8').replace(/^INGRESS_HOST:.*\n/m, ''));
const bad = task('A pull request with a typo and an undefined variable (expected to fail)', broken, { templates: 'deploy/kustomize/overlays/{environment}', dockerfiles: '' });
fs.rmSync(broken, { recursive: true, force: true });

const ok = helm === 0 && kustomize === 0 && bad === 1;
console.log(`\ndemo ${ok ? 'finished as expected' : 'did NOT behave as expected'}: helm ${helm === 0 ? 'passed' : 'failed'}, kustomize ${kustomize === 0 ? 'passed' : 'failed'}, broken PR ${bad === 1 ? 'failed' : 'passed'}`);
process.exit(ok ? 0 : 1);
