/**
 * GitOpsPromote@1 as the agent runs it: the built bundle (dist/tasks) against the Azure DevOps
 * emulator (the GitOps repository, seeded from examples/gitops) and the ARM emulator whose Flux
 * simulation syncs that repository. The release bundle is made by the built GitOpsCiPublish@1
 * from examples/app, so the whole CI -> CD path runs as in a pipeline.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitStatus, GitStatusState } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { ArmEmulator, startArmEmulator } from '../emulators/arm';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';
import { connectWithJobToken } from '../../shared/devops/connection';
import { resolveRepository } from '../../shared/devops/repository';
import type { ReleaseManifest } from '../../shared/release/release-manifest';

const root = process.cwd();
const promoteDir = path.join(root, 'dist/tasks/GitOpsPromote/v1');
const publishDir = path.join(root, 'dist/tasks/GitOpsCiPublish/v1');
const PROJECT = 'Voting';
const runs: TaskRun[] = [];
const cleanup: string[] = [];

/** One file per object of the dev overlay (the ConfigMap's name carries kustomize's content hash). */
const DEV_FILES = [
  'configmap-voting-app-web-dk26ddgh55.yaml',
  'deployment-voting-app-redis.yaml',
  'deployment-voting-app-web.yaml',
  'ingress-voting-app-web.yaml',
  'networkpolicy-voting-app-redis.yaml',
  'service-voting-app-redis.yaml',
  'service-voting-app-web.yaml',
];

describe('GitOpsPromote@1 bundle against the Azure DevOps and ARM emulators', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let arm: ArmEmulator;
  let bundle: string;
  let bare: string;
  let connectionId: string;
  let oidcRequestUri: string;

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const head = (branch = 'main') => git('rev-parse', `refs/heads/${branch}`);
  const lsFolder = (folder: string, branch = 'main') => {
    const out = git('ls-tree', '-r', '--name-only', `refs/heads/${branch}`, '--', folder);
    return out === '' ? [] : out.split('\n').map((f) => f.slice(folder.length + 1));
  };

  async function promote(inputs: Record<string, string>, extra: Partial<RunTaskOptions> = {}): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir: promoteDir,
      inputs: {
        bundle,
        environment: 'dev',
        gitopsRepository: 'gitops',
        azureSubscription: connectionId,
        clusters: 'arc-nonprod',
        clusterResourceGroup: arm.resourceGroup,
        kustomizations: 'voting-app-dev',
        reconcileTimeoutMinutes: '1',
        nonCompliantGraceSeconds: '2',
        mergeTimeoutMinutes: '1',
        ...inputs,
      },
      variables: {
        'System.CollectionUri': `${devops.url}/`,
        'System.TeamProject': PROJECT,
        'System.OidcRequestUri': oidcRequestUri,
        'Build.BuildId': '77',
        'Build.BuildNumber': '20261127.3',
      },
      endpoints: {
        SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } },
        [connectionId]: {
          url: arm.armUrl,
          scheme: 'WorkloadIdentityFederation',
          parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId },
          data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
        },
      },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}`, NODE_EXTRA_CA_CERTS: arm.caCertFile },
      ...extra,
    });
    runs.push(run);
    // The job token never reaches the log, whatever happened.
    const logged = run.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]'));
    const leaks = [...logged, ...run.stderr.split('\n')].filter((l) => l.includes(devops.token));
    assert.deepEqual(leaks, [], 'the access token was logged');
    return run;
  }

  async function statuses(commitId: string): Promise<GitStatus[]> {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    return (await conn.git.getStatuses(commitId, repo.id, PROJECT)).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  }

  /** The one active PR, once the running task has set auto-complete on it (it then waits for the merge). */
  async function pullRequestAwaitingMerge() {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    for (let i = 0; i < 150; i++) {
      const prs = await conn.git.getPullRequests(repo.id, { status: 1 /* active */ }, PROJECT);
      if (prs.length === 1 && prs[0].autoCompleteSetBy) return { conn, repo, prId: prs[0].pullRequestId! };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no pull request waiting for its merge appeared');
  }

  before(async () => {
    // The release: the built CI task on a copy of the sample app, fixed tag.
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-promote-app-'));
    cleanup.push(app);
    fs.cpSync(path.join(root, 'examples/app'), app, { recursive: true });
    const published = await runBuiltTask({
      taskDir: publishDir,
      inputs: {
        templates: 'deploy/kustomize/overlays/{environment}',
        environments: 'dev,stage,prod',
        valuesFile: 'deploy/environments/{environment}.yaml',
        images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
        tagStrategy: 'fixed',
        tag: '1.5.0',
        appName: 'voting-app',
        dockerfiles: '',
        publishArtifact: 'false',
      },
      variables: {
        'Build.SourcesDirectory': app,
        'Build.BuildId': '42',
        'Build.BuildNumber': '20261127.1',
        'Build.SourceVersion': 'a'.repeat(40),
        'Build.SourceBranch': 'refs/heads/main',
        'Build.Repository.Name': 'voting-app',
      },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    runs.push(published);
    assert.equal(published.result, 'Succeeded', published.stdout);
    bundle = published.outputs.bundlePath;

    devops = await startDevOpsEmulator({ org: 'contoso' });
    devops.admin.createProject(PROJECT);
    await devops.admin.createRepository(PROJECT, 'gitops', { defaultBranch: 'main' });
    const seed: Record<string, Buffer> = {};
    const walk = (dir: string, rel: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
        else seed[`${rel}${e.name}`] = fs.readFileSync(path.join(dir, e.name));
      }
    };
    walk(path.join(root, 'examples/gitops'), '');
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', seed, 'GitOps repository from examples/gitops');
    bare = devops.admin.bareRepositoryPath(PROJECT, 'gitops');

    arm = await startArmEmulator({
      gitopsRepositoryUrl: `${devops.url}/${PROJECT}/_git/gitops`,
      sourceHeaders: { Authorization: `Bearer ${devops.token}` },
      clusters: [
        { name: 'arc-nonprod', type: 'connectedClusters' },
        { name: 'aks-nonprod', type: 'managedClusters', folder: 'arc-nonprod' },
      ],
      syncIntervalMs: 400,
      kubectl: path.join(toolsBin(), 'kubectl'),
    });
    connectionId = arm.identity.addServiceConnection({ clientId: arm.clientId }).id;
    oidcRequestUri = arm.identity.addJob({ accessToken: devops.token }).oidcRequestUri;
  });

  after(async () => {
    await arm?.stop();
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  afterEach(async () => {
    arm.flux.clearFailures();
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 0, rejectCompletion: null });
  });

  it('opens a pull request with one file per object, auto-completes it, and waits for Flux to reconcile the merge commit', async () => {
    const before = head();
    const aks = arm.clusters.find((c) => c.name === 'aks-nonprod')!.resourceId;
    const run = await promote({ clusters: `arc-nonprod\n${aks}` });
    assert.equal(run.result, 'Succeeded', run.stdout);
    const merge = head();
    assert.notEqual(merge, before);
    assert.deepEqual(git('rev-list', '--parents', '-n', '1', merge).split(' '), [merge, before], 'squash: one parent');
    assert.equal(git('log', '-1', '--format=%s', merge), 'Promote voting-app 20261127.1 to dev (PR 1)');
    assert.deepEqual(lsFolder('apps/dev/voting-app'), DEV_FILES);
    const deployment = git('show', `${merge}:apps/dev/voting-app/deployment-voting-app-web.yaml`);
    assert.match(deployment, /image: contosoacr\.azurecr\.io\/voting\/web:1\.5\.0\n/);
    assert.doesNotMatch(deployment, /config\.kubernetes\.io\/origin/);
    assert.deepEqual(run.outputs, {
      changed: 'true',
      commitId: run.outputs.commitId,
      pullRequestId: '1',
      pullRequestUrl: `${devops.url}/${PROJECT}/_git/gitops/pullrequest/1`,
      mergeCommitId: merge,
      deployedCommitId: merge,
      reconciled: 'true',
      verified: 'skipped',
    });
    assert.match(run.outputs.commitId, /^[0-9a-f]{40}$/);
    // The promotion branch is gone (deleteSourceBranch) and the cluster runs the new image.
    assert.throws(() => head('gitops-flow/voting-app/dev/20261127.1'));
    const web = arm.flux.clusterObjects('arc-nonprod').get('Deployment/voting-dev/voting-app-web');
    assert.ok(web, [...arm.flux.clusterObjects('arc-nonprod').keys()].join(', '));
    assert.match(JSON.stringify(web.object), /voting\/web:1\.5\.0/);
    // Commit statuses mirror the wait; the summary names the PR and the cluster.
    const seen = await statuses(merge);
    assert.deepEqual(
      seen.map((s) => [s.context?.genre, s.context?.name, s.state]),
      [
        ['gitops-flow', 'voting-app/dev', GitStatusState.Pending],
        ['gitops-flow', 'voting-app/dev', GitStatusState.Succeeded],
      ],
    );
    assert.match(seen[1].description ?? '', /^Flux reconciled voting-app 20261127\.1 on rg-gitops\/arc-nonprod, rg-gitops\/aks-nonprod in /);
    assert.equal(seen[1].targetUrl, `${devops.url}/${PROJECT}/_build/results?buildId=77`);
    assert.equal(run.summaries.length, 1);
    assert.equal(run.summaries[0].title, 'GitOps promotion: dev');
    assert.match(run.summaries[0].markdown, /Pull request \[1\]\(.*pullrequest\/1\) merged as `[0-9a-f]{12}`/);
    assert.ok(
      run.summaries[0].markdown.includes(
        `| Delivery | pull request |\n| Promotion branch | \`gitops-flow/voting-app/dev/20261127.1\` |\n| Commit | \`${run.outputs.commitId.slice(0, 12)}\` |`,
      ),
    );
    for (const cluster of ['arc-nonprod', 'aks-nonprod']) {
      assert.match(run.summaries[0].markdown, new RegExp(`\\| rg-gitops/${cluster} \\| reconciled \\| main@sha1:[0-9a-f]{40} \\| Compliant \\|`));
    }
    assert.match(
      run.resultMessage ?? '',
      /^voting-app 20261127\.1 promoted to dev at [0-9a-f]{12} \(Voting\/gitops \/apps\/dev\/voting-app\); Flux configuration cluster-config reconciled [0-9a-f]{12} on 2 clusters/,
    );
  });

  it('changes nothing on a re-run of the same release, and still checks Flux, with a service principal secret (Node 24 when installed)', async () => {
    const before = head();
    const run = await promote(
      { azureSubscription: 'spn' },
      {
        nodePath: process.env.GITOPS_FLOW_NODE24,
        endpoints: {
          SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } },
          spn: {
            url: arm.armUrl,
            scheme: 'ServicePrincipal',
            parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId, authenticationType: 'spnKey', serviceprincipalkey: arm.clientSecret },
            data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
          },
        },
      },
    );
    const logged = [...run.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]')), run.stderr];
    assert.deepEqual(
      logged.filter((l) => l.includes(arm.clientSecret)),
      [],
      'the client secret was logged',
    );
    assert.ok(run.stdout.includes(`##vso[task.setsecret]${arm.clientSecret}`), 'the client secret is registered with the agent');
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.equal(head(), before);
    assert.deepEqual(run.outputs, { changed: 'false', deployedCommitId: before, reconciled: 'true', verified: 'skipped' });
    assert.match(run.resultMessage ?? '', /^dev already runs voting-app 20261127\.1/);
  });

  it('reaches the clusters with a certificate service principal and with a managed identity too', async () => {
    const devopsEndpoint = { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } };
    const data = { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl };
    const cert = arm.identity.addCertificate(arm.clientId);
    const pem = cert.certPem + cert.keyPem;
    const byCert = await promote(
      { azureSubscription: 'cert' },
      {
        endpoints: {
          SystemVssConnection: devopsEndpoint,
          cert: {
            url: arm.armUrl,
            scheme: 'ServicePrincipal',
            parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId, authenticationType: 'spnCertificate', servicePrincipalCertificate: pem },
            data,
          },
        },
      },
    );
    assert.equal(byCert.result, 'Succeeded', byCert.stdout);
    assert.equal(byCert.outputs.reconciled, 'true');
    assert.equal(arm.identity.issued.at(-1)!.via, 'client_certificate');
    const keyLines = cert.keyPem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
    const logged = byCert.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]'));
    assert.deepEqual(
      logged.filter((l) => keyLines.some((k) => l.includes(k))),
      [],
      'a private key line was logged',
    );
    // The agent takes one-line secrets only: every line of the key is registered on its own.
    assert.deepEqual(
      keyLines.filter((k) => !byCert.stdout.includes(`##vso[task.setsecret]${k}\n`)),
      [],
    );

    const identity = arm.identity.addManagedIdentity({});
    const byIdentity = await promote(
      { azureSubscription: 'msi' },
      {
        endpoints: {
          SystemVssConnection: devopsEndpoint,
          msi: { url: arm.armUrl, scheme: 'ManagedServiceIdentity', parameters: { tenantid: arm.tenantId }, data: { ...data, msiclientId: identity.clientId } },
        },
        env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}`, NODE_EXTRA_CA_CERTS: arm.caCertFile, AZURE_POD_IDENTITY_AUTHORITY_HOST: arm.imdsUrl },
      },
    );
    assert.equal(byIdentity.result, 'Succeeded', byIdentity.stdout);
    assert.equal(byIdentity.outputs.reconciled, 'true');
    assert.deepEqual([arm.identity.issued.at(-1)!.via, arm.identity.issued.at(-1)!.clientId], ['managed_identity', identity.clientId]);
  });

  it('rides out throttling, server errors and a reset connection from both services', async () => {
    // REST routes only: the Flux simulation fetches the same repository over git's smart HTTP.
    devops.admin.injectFault({ method: 'GET', pathPattern: /_apis\/git\/repositories\/[^/]+\/refs/, status: 429, retryAfterSeconds: 1, count: 1 });
    devops.admin.injectFault({ method: 'GET', pathPattern: /_apis\/git\/repositories\/[^/]+\/items/, status: 503, count: 2 });
    devops.admin.injectFault({ method: 'GET', pathPattern: /_apis\/git\/repositories\/gitops/, reset: true, count: 1 });
    const since = Date.now();
    arm.faults.add({ route: 'flux.get', count: 1, status: 429, retryAfterSeconds: 1 });
    arm.faults.add({ route: 'flux.get', count: 1, status: 500 });
    const run = await promote({});
    devops.admin.clearFaults();
    arm.faults.clear();
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.equal(run.outputs.reconciled, 'true');
    assert.match(run.stdout, /^ECONNRESET while looking up repository "Voting\/gitops" in .*: retry 1 in \d+ ms$/m);
    assert.match(run.stdout, /^HTTP 429 while reading refs\/heads\/main of Voting\/gitops: retry 1 in (\d{4}) ms$/m);
    assert.ok(Number(/^HTTP 429 while reading .*retry 1 in (\d+) ms$/m.exec(run.stdout)![1]) >= 1000, 'Retry-After: 1 is honoured');
    assert.deepEqual(
      arm.requests.filter((r) => r.at >= since && r.fault).map((r) => [r.route, r.status]),
      [
        ['flux.get', 429],
        ['flux.get', 500],
      ],
    );
    // The first listing is the check for objects other apps under the Kustomization path define.
    assert.equal(run.stdout.match(/^HTTP 503 while listing \/apps\/dev of Voting\/gitops at [0-9a-f]{12}: retry \d in \d+ ms$/gm)?.length, 2);
  });

  it('pushes straight to the branch in push mode, deleting files the release no longer renders', async () => {
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', { 'apps/stage/voting-app/old-object.yaml': 'kind: ConfigMap\n' }, 'a stale file');
    const before = head();
    const run = await promote({ environment: 'stage', deliveryMode: 'push', waitForReconciliation: 'false' });
    assert.equal(run.result, 'Succeeded', run.stdout);
    const pushed = head();
    assert.deepEqual(git('rev-list', '--parents', '-n', '1', pushed).split(' '), [pushed, before]);
    assert.equal(git('log', '-1', '--format=%s', pushed), 'Promote voting-app 20261127.1 to stage');
    assert.ok(!lsFolder('apps/stage/voting-app').includes('old-object.yaml'));
    assert.equal(lsFolder('apps/stage/voting-app').length, 8);
    assert.deepEqual(run.outputs, { changed: 'true', commitId: pushed, deployedCommitId: pushed, reconciled: 'false', verified: 'skipped' });
    const seen = await statuses(pushed);
    assert.deepEqual(
      seen.map((s) => [s.context?.name, s.state, s.description]),
      [['voting-app/stage', GitStatusState.Succeeded, 'voting-app 20261127.1 promoted to stage (Flux not awaited)']],
    );
    // Again: the push finds nothing to change, and says so.
    const again = await promote({ environment: 'stage', deliveryMode: 'push', waitForReconciliation: 'false' });
    assert.equal(again.result, 'Succeeded', again.stdout);
    assert.equal(head(), pushed);
    assert.deepEqual(again.outputs, { changed: 'false', deployedCommitId: pushed, reconciled: 'false', verified: 'skipped' });
    assert.match(again.resultMessage ?? '', /^stage already runs voting-app 20261127\.1/);
  });

  it('uses an Azure Repos service connection (PAT) instead of the job token when one is given', async () => {
    const before = head();
    const run = await promote(
      {
        environment: 'prod',
        deliveryMode: 'push',
        waitForReconciliation: 'false',
        gitopsConnection: 'other-org',
        gitopsRepository: `${devops.url}/${PROJECT}/_git/gitops`,
      },
      { endpoints: { 'other-org': { url: devops.url, scheme: 'Token', parameters: { apitoken: devops.token } } } },
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.notEqual(head(), before);
    assert.equal(lsFolder('apps/prod/voting-app').length, 9);
    assert.equal(run.outputs.deployedCommitId, head());
  });

  it("reads the classic editor's other-organization pickers with gitopsLocation: external, not the hidden gitopsRepository", async () => {
    const before = head();
    const run = await promote(
      {
        environment: 'prod',
        deliveryMode: 'push',
        waitForReconciliation: 'false',
        gitopsLocation: 'external',
        gitopsConnection: 'other-org',
        gitopsConnectionProject: PROJECT,
        gitopsConnectionRepository: 'gitops',
        gitopsConnectionBranch: 'refs/heads/main',
        // What the editor keeps of the other location's inputs while they are hidden.
        gitopsRepository: 'no-such-repository',
        targetBranch: 'no-such-branch',
      },
      { endpoints: { 'other-org': { url: devops.url, scheme: 'Token', parameters: { apitoken: devops.admin.mintJobToken(PROJECT, ['gitops']) } } } },
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    // The previous test promoted the same release to prod: found through the connection, nothing to change.
    assert.equal(head(), before);
    assert.deepEqual(run.outputs, { changed: 'false', deployedCommitId: before, reconciled: 'false', verified: 'skipped' });
  });

  it('fails fast when Flux reports the promoted objects Non-Compliant, and marks the commit failed', async () => {
    arm.flux.failObject({
      cluster: 'arc-nonprod',
      kind: 'Deployment',
      name: 'voting-app-web',
      namespace: 'voting-dev',
      message: 'ImagePullBackOff: contosoacr.azurecr.io/voting/web:1.5.0 not found',
      mode: 'health',
    });
    const run = await promote({ variables: 'LOG_LEVEL=warn' });
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(run.resultMessage ?? '', /^Flux configuration cluster-config failed to reconcile [0-9a-f]{12} on rg-gitops\/arc-nonprod/);
    assert.match(run.stdout, /ImagePullBackOff/);
    const merge = head();
    assert.equal(run.outputs.deployedCommitId, merge);
    assert.equal(run.outputs.reconciled, 'false');
    const seen = await statuses(merge);
    assert.deepEqual(
      seen.map((s) => s.state),
      [GitStatusState.Pending, GitStatusState.Failed],
    );
    assert.match(run.summaries[0].markdown, /Deployment voting-dev\/voting-app-web: Non-Compliant \(ImagePullBackOff/);
  });

  it('fails at once when the Flux configuration syncs another branch than the one promoted to', async () => {
    arm.admin.addFluxConfiguration('arc-nonprod', 'other-branch', {
      scope: 'cluster',
      namespace: 'flux-system',
      sourceKind: 'GitRepository',
      suspend: false,
      gitRepository: { url: `${devops.url}/${PROJECT}/_git/gitops`, timeoutInSeconds: 600, syncIntervalInSeconds: 600, repositoryRef: { branch: 'release' } },
      kustomizations: { apps: { path: './apps/dev', prune: true, dependsOn: [], timeoutInSeconds: 600, syncIntervalInSeconds: 600, wait: true } },
    });
    const run = await promote({ fluxConfiguration: 'other-branch', kustomizations: '' });
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(run.resultMessage ?? '', /^Flux configuration other-branch failed to reconcile [0-9a-f]{12} on rg-gitops\/arc-nonprod/);
    assert.match(run.resultMessage ?? '', /not branch "main" where [0-9a-f]{12} was committed: it will never show that commit/);
    assert.ok(run.summaries[0].markdown.includes('| rg-gitops/arc-nonprod | failed |'));
  });

  it('commits nothing when the release does not render to valid manifests for the environment', async () => {
    const refs = git('for-each-ref');
    const run = await promote({ variables: 'WEB_REPLICAS=many' });
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(run.resultMessage ?? '', /does not render to valid manifests for dev \(\d+ error\(s\)\); nothing was committed/);
    assert.ok(
      run.issues.some((i) => i.type === 'error' && i.sourcepath === 'deploy/kustomize/overlays/dev/kustomization.yaml' && /replicas/.test(i.message)),
      JSON.stringify(run.issues),
    );
    assert.equal(git('for-each-ref'), refs);
  });

  it('refuses a bundle whose files changed since it was published, naming the file', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-tampered-'));
    cleanup.push(copy);
    fs.cpSync(bundle, copy, { recursive: true });
    fs.appendFileSync(path.join(copy, 'source/deploy/environments/dev.yaml'), 'WEB_REPLICAS: 9\n');
    const refs = git('for-each-ref');
    const run = await promote({ bundle: copy });
    assert.equal(run.result, 'Failed');
    assert.match(
      run.resultMessage ?? '',
      /^Input "bundle": the release bundle ".*" does not match its release\.json \(1 file\(s\)\):\n {2}- source\/deploy\/environments\/dev\.yaml: changed since the release was published$/,
    );
    assert.equal(git('for-each-ref'), refs);
  });

  it('adds reviewers by name and links work items, waits for the required reviewer, then for Flux', async () => {
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 1 });
    const approver = devops.admin.identity('Release Approver', { email: 'approver@contoso.example' });
    const group = devops.admin.group('Voting Team', { project: PROJECT });
    const workItem = devops.admin.createWorkItem(PROJECT, { title: 'Ship 1.5 to dev' });
    const pending = promote({
      variables: 'LOG_LEVEL=error',
      reviewers: `required:approver@contoso.example\n[${PROJECT}]\\Voting Team`,
      workItems: `#${workItem.id}`,
    });
    // Approve once the task waits for the merge.
    const { conn, repo, prId } = await pullRequestAwaitingMerge();
    const opened = await conn.git.getPullRequestById(prId, PROJECT);
    assert.deepEqual(
      (opened.reviewers ?? []).map((r) => [r.id, r.isRequired === true]).sort(),
      [
        [approver.id, true],
        [group.id, false],
      ].sort(),
    );
    assert.deepEqual(
      (await conn.git.getPullRequestWorkItemRefs(repo.id, prId, PROJECT)).map((w) => w.id),
      [String(workItem.id)],
    );
    await devops.admin.approvePullRequest(PROJECT, 'gitops', prId, { reviewer: 'Release Approver' });
    const run = await pending;
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.equal(run.outputs.mergeCommitId, head());
    assert.equal(run.outputs.reconciled, 'true');
  });

  it("fails with the pull request's fate when it is abandoned, and the summary says how far it got", async () => {
    await devops.admin.setBranchPolicy(PROJECT, 'gitops', 'main', { requiredReviewers: 1 });
    const before = head();
    const pending = promote({ variables: 'LOG_LEVEL=critical' });
    // Abandoned once the task waits for the merge.
    const { conn, repo, prId } = await pullRequestAwaitingMerge();
    await conn.git.updatePullRequest({ status: 2 /* abandoned */ }, repo.id, prId, PROJECT);
    const run = await pending;
    assert.equal(run.result, 'Failed', run.stdout);
    assert.match(run.resultMessage ?? '', new RegExp(`pull request ${prId}.*abandoned`, 'i'));
    assert.equal(head(), before);
    assert.equal(run.outputs.changed, 'true');
    assert.equal(run.outputs.mergeCommitId, undefined);
    assert.match(run.summaries[0].markdown, new RegExp(`Pull request \\[${prId}\\]\\(.*\\) opened, but the promotion did not finish\\.`));
  });

  it('does not reuse a promotion branch the target has moved past: a fresh one, no conflict, no force push', async () => {
    const first = await promote({ variables: 'LOG_LEVEL=first', deleteSourceBranch: 'false', waitForReconciliation: 'false' });
    assert.equal(first.result, 'Succeeded', first.stdout);
    const kept = head('gitops-flow/voting-app/dev/20261127.1');
    const second = await promote({ variables: 'LOG_LEVEL=second', waitForReconciliation: 'false' });
    assert.equal(second.result, 'Succeeded', second.stdout);
    assert.match(second.stdout, /^gitops-flow\/voting-app\/dev\/20261127\.1 is left over from an earlier promotion and behind main: not reusing it$/m);
    assert.match(second.stdout, /^Committed [0-9a-f]{12} to gitops-flow\/voting-app\/dev\/20261127\.1-2: /m);
    assert.equal(head('gitops-flow/voting-app/dev/20261127.1'), kept, 'the kept branch is left as it was');
    assert.match(git('grep', '-h', 'LOG_LEVEL', 'refs/heads/main', '--', 'apps/dev/voting-app'), /LOG_LEVEL: second/);
    git('update-ref', '-d', 'refs/heads/gitops-flow/voting-app/dev/20261127.1');
  });

  it('abandons an older open promotion of the same app and environment, with a comment naming the new one', async () => {
    const older = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-older-release-'));
    cleanup.push(older);
    fs.cpSync(bundle, older, { recursive: true });
    const releaseFile = path.join(older, 'release.json');
    const doc = JSON.parse(fs.readFileSync(releaseFile, 'utf8')) as ReleaseManifest;
    doc.build.number = '20261126.9';
    fs.writeFileSync(releaseFile, JSON.stringify(doc));
    const first = await promote({ bundle: older, variables: 'LOG_LEVEL=trace', autoComplete: 'false', waitForMerge: 'false', waitForReconciliation: 'false' });
    assert.equal(first.result, 'Succeeded', first.stdout);
    assert.match(first.resultMessage ?? '', /^Pull request \d+ opened for voting-app 20261126\.9 -> dev/);
    const olderId = Number(first.outputs.pullRequestId);
    const second = await promote({ variables: 'LOG_LEVEL=info' });
    assert.equal(second.result, 'Succeeded', second.stdout);
    const newerId = Number(second.outputs.pullRequestId);
    assert.match(
      second.stdout,
      new RegExp(`Abandoned pull request ${olderId} \\(refs/heads/gitops-flow/voting-app/dev/20261126\\.9\\): superseded by ${newerId}`),
    );
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    const abandoned = await conn.git.getPullRequestById(olderId, PROJECT);
    assert.equal(abandoned.status, 2 /* abandoned */);
    const threads = await conn.git.getThreads(repo.id, olderId, PROJECT);
    assert.ok(
      threads.some((t) => t.comments?.[0]?.content?.includes(`Superseded by pull request ${newerId}`)),
      JSON.stringify(threads),
    );
    assert.match(second.summaries[0].markdown, new RegExp(`Abandoned the superseded pull request\\(s\\) ${olderId}\\.`));
    assert.equal(second.outputs.reconciled, 'true');
  });

  it('says which input is wrong before touching anything', async () => {
    const refs = git('for-each-ref');
    const cases: [Record<string, string>, RegExp][] = [
      [{ environment: 'qa' }, /^Input "environment": "qa" is not an environment of this release \(it has dev, stage, prod\)$/],
      [{ azureSubscription: '' }, /^Input "azureSubscription": is required to wait for Flux/],
      [{ targetFolder: '/' }, /^Input "targetFolder": must name a folder, not the repository root/],
      [{ targetFolder: 'apps/../../etc' }, /^Input "targetFolder": .*climbs out/],
      [{ variables: 'WEB_TAG=latest' }, /^Input "variables": "WEB_TAG" is an image variable of the release/],
      [{ waitForMerge: 'false' }, /^Input "waitForReconciliation": needs waitForMerge: true/],
      [{ clusters: 'a/b/c' }, /^Input "clusters": "a\/b\/c" is not a cluster/],
      [{ gitopsRepository: 'missing-repo' }, /missing-repo/],
      [
        { azureSubscription: 'not-there' },
        /^Input "azureSubscription": the service connection "not-there" is not available to this job \(is it authorized for the pipeline\?\)$/,
      ],
      [
        { reviewers: 'Nobody Known', variables: 'LOG_LEVEL=warn' },
        /^Input "reviewers": reviewer "Nobody Known": no active user or group in .* has that display name, email, account or group name$/,
      ],
      [{ workItems: '999999', variables: 'LOG_LEVEL=warn' }, /^Input "workItems": .*999999/],
    ];
    for (const [inputs, expected] of cases) {
      const run = await promote(inputs);
      assert.equal(run.result, 'Failed', JSON.stringify(inputs));
      assert.match(run.resultMessage ?? '', expected, JSON.stringify(inputs));
    }
    assert.equal(git('for-each-ref'), refs);
  });
});
