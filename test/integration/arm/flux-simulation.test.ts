import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitAncestry, GitSourceCache } from '../../emulators/flux/git-source';
import { FluxSimulator, FluxConfigSpec } from '../../emulators/flux/simulator';
import { createTestRepo, sampleGitOpsFiles } from '../../emulators/flux/test-repo';
import { startArmEmulator } from '../../emulators/arm';
import { startDevOpsEmulator } from '../../emulators/devops';
import { createAzureCredential } from '../../../shared/azure/credential';
import { waitForReconciliation } from '../../../shared/azure/wait';

const spec = (url: string, kustomizations: FluxConfigSpec['kustomizations'], extra: Partial<FluxConfigSpec> = {}): FluxConfigSpec => ({
  namespace: 'flux-system',
  gitRepository: { url, repositoryRef: { branch: 'main' } },
  kustomizations,
  ...extra,
});

describe('Flux simulation', function () {
  this.timeout(60_000);
  let work: string;
  let sim: FluxSimulator;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-sim-test-'));
    sim = new FluxSimulator({ workDir: work, timeScale: 1 });
  });
  afterEach(async () => {
    await sim.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('builds kustomize paths with kubectl kustomize, plain folders with postBuild substitution, in dependsOn order; HelmReleases report their revision', async () => {
    const repo = await createTestRepo({
      'infra/kustomization.yaml': 'resources: [ns.yaml]\ncommonLabels:\n  team: a\n',
      'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-apps\n',
      'apps/release.yaml': [
        'apiVersion: helm.toolkit.fluxcd.io/v2',
        'kind: HelmRelease',
        'metadata: {name: podinfo, namespace: team-apps}',
        'spec:',
        '  chart: {spec: {chart: podinfo, version: "6.5.0", sourceRef: {kind: HelmRepository, name: podinfo}}}',
        '  values: {replicas: ${REPLICAS:=1}, env: "${ENV}"}',
        '',
      ].join('\n'),
    });
    try {
      sim.configure(
        'c1',
        'arc',
        'cfg',
        spec(repo.url, { apps: { path: './apps', dependsOn: ['infra'], postBuild: { substitute: { ENV: 'dev' } } }, infra: { path: './infra', prune: true } }),
      );
      const report = await sim.reconcileNow('arc', 'cfg');
      assert.equal(report.complianceState, 'Compliant');
      assert.deepEqual(
        report.statuses.map((s) => `${s.kind}/${s.name}`),
        ['GitRepository/cfg', 'Kustomization/cfg-infra', 'Namespace/team-apps', 'Kustomization/cfg-apps', 'HelmRelease/podinfo'],
      );
      const hr = report.statuses.find((s) => s.kind === 'HelmRelease')!;
      assert.equal(hr.helmReleaseProperties!.lastRevisionApplied, 1);
      assert.match(hr.statusConditions![0].message, /Helm install succeeded for release team-apps\/podinfo.v1 with chart podinfo@6.5.0/);
      assert.deepEqual(sim.clusterObjects('arc').get('Namespace//team-apps')!.object.metadata.labels, { team: 'a' }); // kustomize ran
      const applied = sim.clusterObjects('arc').get('HelmRelease/team-apps/podinfo')!.object as unknown as { spec: { values: unknown } };
      assert.deepEqual(applied.spec.values, { replicas: 1, env: 'dev' });
      // a changed release spec is a Helm upgrade: revision 2
      const release = fs.readFileSync(path.join(repo.bare, '..', 'work', 'apps', 'release.yaml'), 'utf8');
      await repo.commit({ 'apps/release.yaml': release.replace('6.5.0', '6.6.0') });
      const upgraded = (await sim.reconcileNow('arc', 'cfg')).statuses.find((s) => s.kind === 'HelmRelease')!;
      assert.equal(upgraded.helmReleaseProperties!.lastRevisionApplied, 2);
      assert.match(upgraded.statusConditions![0].message, /Helm upgrade succeeded for release team-apps\/podinfo.v2 with chart podinfo@6.6.0/);
    } finally {
      repo.remove();
    }
  });

  it('reports build failures, missing namespaces, missing paths, fetch failures and blocked dependents', async () => {
    const repo = await createTestRepo({
      'dup/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: n}\n',
      'dup/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: n}\n',
      'nons/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
      'ok/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: n}\n',
    });
    try {
      sim.configure(
        'c1',
        'arc',
        'cfg',
        spec(repo.url, {
          dup: { path: './dup' },
          nons: { path: './nons' },
          gone: { path: './gone' },
          after: { path: './ok', dependsOn: ['dup'] },
        }),
      );
      const report = await sim.reconcileNow('arc', 'cfg');
      const by = (name: string) => report.statuses.find((s) => s.name === name)!;
      assert.equal(report.complianceState, 'Non-Compliant');
      assert.match(by('cfg-dup').statusConditions![0].message, /may not add resource with an already registered id: ConfigMap\/n\/x/);
      assert.match(by('cfg-nons').statusConditions![0].message, /ConfigMap\/x namespace not specified/);
      assert.match(by('cfg-gone').statusConditions![0].message, /kustomization path not found/);
      assert.equal(by('cfg-after').complianceState, 'Pending');
      assert.match(by('cfg-after').statusConditions![0].message, /dependency 'flux-system\/cfg-dup' is not ready/);

      sim.configure('c2', 'arc2', 'cfg', spec(path.join(work, 'no-such-repo.git'), { a: { path: './ok' } }));
      const broken = await sim.reconcileNow('arc2', 'cfg');
      assert.equal(broken.complianceState, 'Non-Compliant');
      assert.equal(broken.statuses[0].kind, 'GitRepository');
      assert.match(broken.statuses[0].statusConditions![0].message, /failed to checkout and determine revision: unable to clone/);
    } finally {
      repo.remove();
    }
  });

  it('prune removes what a kustomization no longer has; without prune the object stays', async () => {
    const repo = await createTestRepo({
      'p/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n',
      'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: n}\n',
    });
    try {
      sim.configure('c1', 'arc', 'cfg', spec(repo.url, { pruned: { path: './p', prune: true }, kept: { path: './k', prune: false } }));
      await sim.reconcileNow('arc', 'cfg');
      assert.deepEqual([...sim.clusterObjects('arc').keys()].sort(), ['ConfigMap/n/a', 'ConfigMap/n/b']);
      await repo.commit({
        'p/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a2, namespace: n}\n',
        'k/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b2, namespace: n}\n',
      });
      await sim.reconcileNow('arc', 'cfg');
      assert.deepEqual([...sim.clusterObjects('arc').keys()].sort(), ['ConfigMap/n/a2', 'ConfigMap/n/b', 'ConfigMap/n/b2']);
      // deleting the configuration: the pruning Kustomization takes its objects with it, the other leaves them
      const objects = sim.clusterObjects('arc');
      sim.remove('c1', 'cfg');
      assert.deepEqual([...objects.keys()].sort(), ['ConfigMap/n/b', 'ConfigMap/n/b2']);
    } finally {
      repo.remove();
    }
  });

  it('several clusters fetching one repository for the first time at once share one mirror (one git init, no lost race)', async () => {
    const repo = await createTestRepo({ 'p/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n' });
    try {
      // concurrent `git init` of one folder fails more often than not: every round must fetch four times
      for (let round = 0; round < 8; round++) {
        const cache = new GitSourceCache(path.join(work, `round-${round}`));
        const fetched = await Promise.all([1, 2, 3, 4].map(() => cache.fetch(repo.url, { branch: 'main' })));
        assert.deepEqual(
          fetched.map((f) => f.sha),
          [repo.first, repo.first, repo.first, repo.first],
        );
        assert.equal(new Set(fetched.map((f) => f.mirror)).size, 1);
      }
    } finally {
      repo.remove();
    }
  });

  it('syncs on its own interval and picks up new commits; a suspended configuration does not', async () => {
    const repo = await createTestRepo({ 'p/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n' });
    try {
      sim.setScenario('arc', { syncIntervalMs: 100 });
      sim.configure('c1', 'arc', 'cfg', spec(repo.url, { p: { path: './p' } }));
      const next = await repo.commit({ 'p/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: n}\n' });
      for (let i = 0; i < 100 && sim.report('c1', 'cfg')?.sourceSyncedCommitId !== `main@sha1:${next}`; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(sim.report('c1', 'cfg')!.sourceSyncedCommitId, `main@sha1:${next}`);
      assert.ok(sim.reconcileCount('arc', 'cfg') >= 2);
      sim.configure('c1', 'arc', 'cfg', spec(repo.url, { p: { path: './p' } }, { suspend: true }));
      const last = await repo.commit({ 'p/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n' });
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(sim.report('c1', 'cfg')!.complianceState, 'Suspended');
      assert.notEqual(sim.report('c1', 'cfg')!.sourceSyncedCommitId, `main@sha1:${last}`);
    } finally {
      repo.remove();
    }
  });
});

describe('Flux simulation over the Azure DevOps emulator (git smart HTTP with the token as bearer)', function () {
  this.timeout(90_000);

  it('syncs the gitops repository the emulators seed, and the wait sees a promotion pushed there', async () => {
    const devops = await startDevOpsEmulator();
    let arm: Awaited<ReturnType<typeof startArmEmulator>> | undefined;
    try {
      devops.admin.createProject('gitops-flow');
      await devops.admin.createRepository('gitops-flow', 'gitops', { defaultBranch: 'main' });
      await devops.admin.seedFiles('gitops-flow', 'gitops', 'main', sampleGitOpsFiles('arc-nonprod'), 'seed');
      arm = await startArmEmulator({
        gitopsRepositoryUrl: `${devops.url}/gitops-flow/_git/gitops`,
        sourceHeaders: { Authorization: `Bearer ${devops.token}` },
        clusters: [{ name: 'arc-nonprod', type: 'connectedClusters' }],
        syncIntervalMs: 3_600_000,
      });
      const first = await arm.flux.reconcileNow('arc-nonprod', 'cluster-config');
      assert.equal(first.complianceState, 'Compliant', JSON.stringify(first.statuses[0]));
      const target = await devops.admin.seedFiles(
        'gitops-flow',
        'gitops',
        'main',
        { 'apps/dev/web/deployment.yaml': sampleGitOpsFiles('arc-nonprod', '9.9.9')['apps/dev/web/deployment.yaml'] },
        'promote 9.9.9',
      );
      const c = createAzureCredential(
        {
          id: '',
          scheme: 'ServicePrincipal',
          parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId, serviceprincipalkey: arm.clientSecret },
          data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
          url: arm.armUrl,
        },
        {},
        { tlsOptions: { ca: arm.caCertPem } },
      );
      const emu = arm;
      setTimeout(() => void emu.flux.reconcileNow('arc-nonprod', 'cluster-config').catch(() => undefined), 200);
      const result = await waitForReconciliation(
        {
          clusters: [{ resourceGroup: arm.resourceGroup, clusterType: 'connectedClusters', clusterName: 'arc-nonprod' }],
          fluxConfigurationName: 'cluster-config',
          targetCommit: target,
          // the repository in another spelling (user info, case, .git, slash) is the same repository
          expectedSource: { url: `${devops.url.replace('://', '://build@')}/GITOPS-FLOW/_git/GitOps.git/`, branch: 'refs/heads/main' },
          kustomizations: ['voting-app-dev'],
          isAncestor: gitAncestry(devops.admin.bareRepositoryPath('gitops-flow', 'gitops')),
          timeoutMs: 20_000,
          poll: { initialMs: 50, maxMs: 200 },
        },
        { credential: c.credential, subscriptionId: arm.subscriptionId, armUrl: arm.armUrl, clientOptions: { tlsOptions: { ca: arm.caCertPem } } },
      );
      assert.equal(result.ok, true, result.message);
      assert.match(JSON.stringify(arm.flux.clusterObjects('arc-nonprod').get('Deployment/voting-dev/web')!.object), /9\.9\.9/);
    } finally {
      await arm?.stop();
      await devops.stop();
    }
  });
});
