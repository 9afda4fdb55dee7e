// npm run demo: the whole GitOps workflow on the sample app, through the built task bundles, against
// the built-in emulators (npm run emulators: Azure DevOps Git + ARM with the Flux simulation):
//   1. PR gate (GitOpsPrValidate@1): the Helm chart and the Kustomize overlays for dev, stage and prod,
//      then a pull request that breaks things, to show the annotations a PR gets (expected to fail);
//   2. CI (GitOpsCiPublish@1): image tag from the last commit touching src/web, release bundle;
//   3. CD (GitOpsPromote@1): dev, stage, then prod: a pull request into the emulated GitOps repository,
//      auto-completed (prod waits for a reviewer, approved here after a few seconds), then the wait for
//      the simulated Flux on the emulated Arc / AKS cluster to reconcile the merge commit;
//   4. PR preview (GitOpsPrValidate@1, preview: true): a pull request on the app, compared with what CD
//      promoted, the change posted as one comment and a gitops-flow/preview status on the pull request.
//   5. a bad release to stage that never becomes Ready: onFailure rollback puts stage back on the
//      release before in the same run (the task fails, as it must), with the time it took.
// Each task's summary (the tab a run shows in Azure DevOps) is kept in out/demo/<step>/ after the end.
// Options: --skip-pr-gate (parts 2-3 only).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { root } from './lib/versions.mjs';

const node = process.execPath;
const skipGate = process.argv.includes('--skip-pr-gate');
execFileSync(node, [path.join(root, 'scripts', 'setup-tools.mjs')], { stdio: 'inherit' });
execFileSync(node, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const load = createRequire(import.meta.url);
const { runBuiltTask } = load(path.join(root, 'build', 'test', 'harness', 'task-runner.js'));
const { createTaskOutput } = load(path.join(root, 'build', 'test', 'harness', 'task-output.js'));
const toolsBin = JSON.parse(fs.readFileSync(path.join(root, '.tools', 'tools.json'), 'utf8')).bin;
const PATH = `${toolsBin}${path.delimiter}${process.env.PATH}`;
const app = path.join(root, 'examples', 'app');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-demo-'));
const results = [];
// The agent folders go after each task; the summaries stay here, one folder per step.
const summariesDir = path.join(root, 'out', 'demo');
fs.rmSync(summariesDir, { recursive: true, force: true });
let step = 0;
let stepDir;
const keepSummary = (file) => {
  const kept = path.join(stepDir, path.basename(file));
  fs.mkdirSync(stepDir, { recursive: true });
  fs.copyFileSync(file, kept);
  return path.relative(process.env.INIT_CWD ?? process.cwd(), kept);
};
// One output for the whole demo: a secret registered once stays masked, and is announced once.
const output = createTaskOutput({ summaryPath: keepSummary });

async function task(title, name, options, secrets = []) {
  console.log(`\n━━━ ${title} ━━━`);
  step += 1;
  stepDir = path.join(summariesDir, `${String(step).padStart(2, '0')}-${slug(title)}`);
  output.addSecrets(secrets);
  const run = await runBuiltTask({
    taskDir: path.join(root, 'dist', 'tasks', name, 'v1'),
    ...options,
    env: { PATH, ...(options.env ?? {}) },
    onLine: output.show,
  });
  if (run.stderr.trim()) console.error(output.mask(run.stderr.trimEnd()));
  output.summaries(run);
  fs.rmSync(run.folders.work, { recursive: true, force: true });
  return run;
}

let emulators;
try {
  // ── 1. PR gate ────────────────────────────────────────────────────────────────────────────────
  if (!skipGate) {
    const gate = (title, sources, inputs) => task(title, 'GitOpsPrValidate', { inputs, variables: { 'Build.SourcesDirectory': sources } });
    const helm = await gate('PR gate: Helm chart, dev/stage/prod', app, {
      templates: 'deploy/helm/voting-app',
      helmValuesFiles: 'deploy/helm/values-{environment}.yaml',
      releaseName: 'voting-app',
      dockerfiles: 'src/**/Dockerfile',
    });
    const kustomize = await gate('PR gate: Kustomize overlays, dev/stage/prod', app, { templates: 'deploy/kustomize/overlays/{environment}', dockerfiles: '' });
    // A pull request with two mistakes: a typo in the base, and prod's values losing a variable the overlay uses.
    const broken = path.join(temp, 'broken-pr');
    fs.cpSync(app, broken, { recursive: true });
    const deployment = path.join(broken, 'deploy/kustomize/base/web-deployment.yaml');
    fs.writeFileSync(deployment, fs.readFileSync(deployment, 'utf8').replace('revisionHistoryLimit: 5', 'revisionHistoryLimt: 5'));
    const prodValues = path.join(broken, 'deploy/environments/prod.yaml');
    fs.writeFileSync(prodValues, fs.readFileSync(prodValues, 'utf8').replace(/^INGRESS_HOST:.*\n/m, ''));
    const bad = await gate('PR gate: a pull request with a typo and an undefined variable (expected to fail)', broken, {
      templates: 'deploy/kustomize/overlays/{environment}',
      dockerfiles: '',
    });
    results.push(['PR gate, Helm', helm.succeeded], ['PR gate, Kustomize', kustomize.succeeded], ['PR gate, broken PR fails', bad.result === 'Failed']);
  }

  // ── 2. CI: the sample app as a git repository, tag from its history ───────────────────────────
  const repo = path.join(temp, 'voting-app');
  fs.cpSync(app, repo, { recursive: true });
  const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Demo',
    GIT_AUTHOR_EMAIL: 'demo@example.com',
    GIT_COMMITTER_NAME: 'Demo',
    GIT_COMMITTER_EMAIL: 'demo@example.com',
  };
  const git = (...args) => execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'voting app');
  const commit = git('rev-parse', 'HEAD');
  // GitOpsCiPublish@1's inputs in every CI run of the demo (the good release and the bad one).
  const CI_INPUTS = {
    images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
    tagStrategy: 'content',
    humanTag: '1.4.$(Build.BuildId)',
    templates: 'deploy/kustomize/overlays/{environment}',
    renderer: 'kustomize',
    dockerfiles: 'src/**/Dockerfile',
    publishArtifact: 'false',
  };
  const ci = await task('CI: GitOpsCiPublish@1 (image tags, render, validate, release bundle)', 'GitOpsCiPublish', {
    inputs: CI_INPUTS,
    variables: {
      // The bundle outlives the CI run's agent folder, as a published artifact would.
      'Build.ArtifactStagingDirectory': path.join(temp, 'staging'),
      'Build.SourcesDirectory': repo,
      'Build.BuildId': '101',
      'Build.BuildNumber': '20261127.1',
      'Build.SourceVersion': commit,
      'Build.SourceBranch': 'refs/heads/main',
      'Build.Repository.Name': 'voting-app',
    },
  });
  results.push(['CI publish', ci.succeeded]);
  if (!ci.succeeded) throw new Error('CI failed: no release to promote');

  // ── 3. CD on the emulators ──────────────────────────────────────────────────────────────────
  console.log('\n━━━ Starting the emulators (npm run emulators) ━━━');
  emulators = spawn(node, [path.join(root, 'scripts', 'emulators.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: emulators.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line)));
    emulators.once('exit', (code) => reject(new Error(`the emulators exited (${code}) before starting`)));
  });
  console.log(
    `Azure DevOps ${info.devopsUrl} (project ${info.project}), ARM ${info.armUrl}, clusters ${info.clusters.map((c) => `${c.name} (${c.type})`).join(', ')}`,
  );
  const admin = async (route, body) => {
    const res = await fetch(`${info.adminUrl}/${info.devopsOrg}/${info.project}/gitops/${route}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`admin ${route}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  const cluster = (name) => info.clusters.find((c) => c.name === name).resourceId;
  // The AzureRM service connection: workload identity federation, the scheme Azure DevOps recommends.
  const connection = info.serviceConnectionId;
  const promote = (environment, clusterName, extra = {}, note = '') =>
    task(
      `CD: GitOpsPromote@1 to ${environment}${note}`,
      'GitOpsPromote',
      {
        inputs: {
          bundle: ci.outputs.bundlePath,
          environment,
          gitopsRepository: 'gitops',
          targetFolder: 'apps/{environment}/{app}',
          azureSubscription: connection,
          clusters: cluster(clusterName),
          kustomizations: `voting-app-${environment}`,
          reconcileTimeoutMinutes: '3',
          mergeTimeoutMinutes: '3',
          ...extra,
        },
        variables: {
          'System.CollectionUri': `${info.devopsUrl}/`,
          'System.TeamProject': info.project,
          'System.OidcRequestUri': info.oidcRequestUri,
          'Build.BuildId': '102',
          'Build.BuildNumber': '20261127.2',
        },
        endpoints: {
          SystemVssConnection: { url: `${info.devopsUrl}/`, scheme: 'OAuth', parameters: { AccessToken: info.devopsToken } },
          [connection]: {
            url: info.armUrl,
            scheme: 'WorkloadIdentityFederation',
            parameters: { tenantid: info.tenantId, serviceprincipalid: info.clientId },
            data: { subscriptionId: info.subscriptionId, activeDirectoryAuthority: info.tokenUrl },
          },
        },
        env: { NODE_EXTRA_CA_CERTS: info.caCertFile },
      },
      [info.devopsToken, info.clientSecret],
    );

  const dev = await promote('dev', 'arc-nonprod');
  const stage = await promote('stage', 'arc-nonprod');
  // prod: a branch policy wants one approval; the release manager, a required reviewer named by
  // email, approves a few seconds after the PR opens.
  await admin('policies', { branch: 'main', requiredReviewers: 1 });
  const identity = await fetch(`${info.adminUrl}/${info.devopsOrg}/identities`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ displayName: 'Release Manager', email: 'release.manager@contoso.example' }),
  });
  if (!identity.ok) throw new Error(`admin identities: HTTP ${identity.status}`);
  const reviewer = (async () => {
    const url = `${info.devopsUrl}/${info.project}/_apis/git/repositories/gitops/pullrequests?searchCriteria.status=active&api-version=7.1`;
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const res = await fetch(url, { headers: { Authorization: `Bearer ${info.devopsToken}` } });
      const active = res.ok ? (await res.json()).value : [];
      if (active.length > 0) {
        await new Promise((r) => setTimeout(r, 3000));
        console.log(`\n(demo: "Release Manager" approves pull request ${active[0].pullRequestId})\n`);
        return admin(`pullrequests/${active[0].pullRequestId}/approve`, { reviewer: 'Release Manager' });
      }
    }
  })();
  const prod = await promote('prod', 'aks-prod', { clusters: cluster('aks-prod'), reviewers: 'required:release.manager@contoso.example' });
  await reviewer;
  const again = await promote('dev', 'arc-nonprod', {}, ' again (a re-run: nothing changes)');
  const preview = await previewPullRequest(info, ci.outputs.WEB_TAG);
  // A bad release: a change to src/web whose image never becomes Ready on the clusters (the Flux
  // simulation's image failure, a test double). Promoted to stage with smoke checks and
  // onFailure: rollback, it rolls itself back to the release before in the same run, and fails.
  fs.appendFileSync(path.join(repo, 'src/web/server.js'), '\n// a change that breaks the web image\n');
  git('commit', '-q', '-am', 'web: a bad change');
  const ciBad = await task('CI: GitOpsCiPublish@1 for a bad release', 'GitOpsCiPublish', {
    inputs: CI_INPUTS,
    variables: {
      'Build.ArtifactStagingDirectory': path.join(temp, 'staging-bad'),
      'Build.SourcesDirectory': repo,
      'Build.BuildId': '103',
      'Build.BuildNumber': '20261127.3',
      'Build.SourceVersion': git('rev-parse', 'HEAD'),
      'Build.SourceBranch': 'refs/heads/main',
      'Build.Repository.Name': 'voting-app',
    },
  });
  if (!ciBad.succeeded) throw new Error('CI of the bad release failed');
  await admin('policies', { branch: 'main', requiredReviewers: 0 }); // the approval was for prod
  const armAdmin = async (route, body) => {
    const res = await fetch(`${info.armAdminUrl}/${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`ARM admin ${route}: HTTP ${res.status} ${await res.text()}`);
  };
  await armAdmin('image-failures', { pattern: `voting/web:${ciBad.outputs.WEB_TAG}$`, message: 'readiness probe failed (demo: a bad release)' });
  const bad = await promote(
    'stage',
    'arc-nonprod',
    {
      bundle: ciBad.outputs.bundlePath,
      onFailure: 'rollback',
      verifyUrls: `${info.appsUrl}/arc-nonprod/voting-stage/ 200`,
      verifyTimeoutMinutes: '1',
      nonCompliantGraceSeconds: '5',
    },
    ' with a bad release (expected to fail, and roll back)',
  );
  const rolledBackIn = /^Rolled back in (.+?): from the failure to Flux reconciled on/m.exec(bad.stdout)?.[1];
  if (rolledBackIn) console.log(`\n(demo: from the failed Flux wait to Flux reconciled on the rollback commit: ${rolledBackIn})`);
  results.push(
    ['CD dev', dev.succeeded && dev.outputs.reconciled === 'true'],
    ['CD stage', stage.succeeded && stage.outputs.reconciled === 'true'],
    ['CD prod (after approval)', prod.succeeded && prod.outputs.reconciled === 'true'],
    ['CD dev re-run is a no-op', again.succeeded && again.outputs.changed === 'false'],
    ['PR preview: one comment and a gitops-flow/preview status on the app pull request', preview],
  );
  results.push([
    'CD stage: a bad release rolls itself back (task failed, stage back on the release before)',
    bad.result === 'Failed' && /\nRolled back: stage is back on voting-app 20261127\.1 \(commit [0-9a-f]{12}, Flux reconciled\)$/.test(bad.resultMessage ?? ''),
  ]);
} catch (err) {
  console.error(`\ndemo stopped: ${err instanceof Error ? err.message : err}`);
  results.push(['demo ran to the end', false]);
} finally {
  emulators?.kill('SIGTERM');
  fs.rmSync(temp, { recursive: true, force: true });
}

console.log('\n━━━ Demo ━━━');
for (const [what, ok] of results) console.log(`${ok ? '✔' : '✘'} ${what}`);
const ok = results.every(([, passed]) => passed);
if (fs.existsSync(summariesDir)) console.log(`task summaries: ${path.relative(process.env.INIT_CWD ?? process.cwd(), summariesDir) || '.'}/`);
console.log(ok ? 'demo finished as expected' : 'demo did NOT behave as expected');
process.exit(ok ? 0 : 1);

/**
 * Part 4: a pull request on the app (prod gets a fourth replica, dev another second vote) validated
 * with `preview: true`: GitOpsPrValidate@1 compares each environment's rendering with what CD just
 * promoted and comments the change on the pull request. The comment is kept beside the summary.
 */
async function previewPullRequest(info, webTag) {
  const auth = { Authorization: `Bearer ${info.devopsToken}`, 'Content-Type': 'application/json' };
  const changed = path.join(temp, 'preview-pr');
  fs.cpSync(app, changed, { recursive: true });
  const edit = (file, from, to) => fs.writeFileSync(path.join(changed, file), fs.readFileSync(path.join(changed, file), 'utf8').replace(from, to));
  edit('deploy/environments/prod.yaml', 'WEB_REPLICAS: 3', 'WEB_REPLICAS: 4');
  edit('deploy/environments/dev.yaml', 'VOTE2: Dogs', 'VOTE2: Penguins');
  const branch = 'feature/prod-capacity';
  const seeded = await fetch(`${info.adminUrl}/${info.devopsOrg}/${info.project}/app/seed`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      branch,
      message: 'More replicas in prod',
      files: Object.fromEntries(
        ['prod', 'dev'].map((e) => [`deploy/environments/${e}.yaml`, fs.readFileSync(path.join(changed, `deploy/environments/${e}.yaml`), 'utf8')]),
      ),
    }),
  });
  if (!seeded.ok) throw new Error(`admin seed: HTTP ${seeded.status}`);
  const api = `${info.devopsUrl}/${info.project}/_apis/git/repositories/app`;
  const created = await fetch(`${api}/pullrequests?api-version=7.1`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ sourceRefName: `refs/heads/${branch}`, targetRefName: 'refs/heads/main', title: 'More replicas in prod' }),
  });
  if (!created.ok) throw new Error(`creating the app pull request: HTTP ${created.status} ${await created.text()}`);
  const pr = await created.json();
  const appRepo = info.repositories.find((r) => r.name === 'app');
  const run = await task(
    `PR gate with preview: pull request ${pr.pullRequestId} on the app, compared with the GitOps repository`,
    'GitOpsPrValidate',
    {
      inputs: {
        templates: 'deploy/kustomize/overlays/{environment}',
        dockerfiles: '',
        // The image the CD run promoted, so the preview shows only what the pull request changes.
        variables: `WEB_TAG=${webTag}`,
        preview: 'true',
        gitopsRepository: 'gitops',
        appName: 'voting-app',
      },
      variables: {
        'Build.SourcesDirectory': changed,
        'System.CollectionUri': `${info.devopsUrl}/`,
        'System.TeamProject': info.project,
        'Build.BuildId': '103',
        'Build.Reason': 'PullRequest',
        'System.PullRequest.PullRequestId': String(pr.pullRequestId),
        'Build.Repository.ID': appRepo.id,
        'Build.Repository.Name': 'app',
        'Build.Repository.Provider': 'TfsGit',
      },
      endpoints: { SystemVssConnection: { url: `${info.devopsUrl}/`, scheme: 'OAuth', parameters: { AccessToken: info.devopsToken } } },
    },
    [info.devopsToken],
  );
  const threads = await (await fetch(`${api}/pullRequests/${pr.pullRequestId}/threads?api-version=7.1`, { headers: auth })).json();
  const comment = threads.value.map((t) => t.comments?.[0]?.content ?? '').find((c) => c.includes('<!-- gitops-flow:preview/'));
  const statuses = await (await fetch(`${api}/pullRequests/${pr.pullRequestId}/statuses?api-version=7.1`, { headers: auth })).json();
  const status = statuses.value.filter((s) => s.context?.name === 'preview').pop();
  if (comment) {
    fs.mkdirSync(stepDir, { recursive: true });
    fs.writeFileSync(path.join(stepDir, 'pull-request-comment.md'), comment);
    // The pull request's statuses as the service lists them (scripts/screenshots.mjs shows them beside the comment).
    fs.writeFileSync(
      path.join(stepDir, 'pull-request.json'),
      JSON.stringify(
        { pullRequestId: pr.pullRequestId, title: pr.title, sourceRefName: pr.sourceRefName, targetRefName: pr.targetRefName, statuses: statuses.value },
        null,
        2,
      ) + '\n',
    );
    console.log(
      `\nThe comment on pull request ${pr.pullRequestId} (${path.relative(process.env.INIT_CWD ?? process.cwd(), stepDir)}/pull-request-comment.md), its tables:\n`,
    );
    console.log(comment.split('<details>')[0].trimEnd());
  }
  if (status) console.log(`\nPull request status gitops-flow/preview: ${status.state}, "${status.description}"`);
  return run.succeeded && comment !== undefined && status?.state === 'succeeded';
}

/** `cd-gitopspromote-1-to-dev` for a step title: a folder name, cut at a word within 40 characters. */
function slug(title) {
  const words = title
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let out = words[0];
  for (const word of words.slice(1)) {
    if (out.length + 1 + word.length > 40) break;
    out += `-${word}`;
  }
  return out;
}
