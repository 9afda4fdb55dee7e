/**
 * The fixtures the GitOpsPromote@1 bundle tests share: the sample app (examples/app) published by
 * the built GitOpsCiPublish@1 as release 20261127.1 (web image 1.5.0), the sample GitOps repository
 * (examples/gitops) as files to seed the Azure DevOps emulator with, and both emulators started.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ArmEmulator, startArmEmulator } from '../emulators/arm';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { toolsBin } from './process-tools';
import { runBuiltTask, RunTaskOptions, TaskRun } from './task-runner';

const root = process.cwd();
const publishDir = path.join(root, 'dist/tasks/GitOpsCiPublish/v1');

/**
 * Publishes the sample app's Kustomize overlays for dev, stage and prod. The copy of the app is made
 * under `prefix` in the temp folder; the caller removes `appDir` and the run's work folder (`run.folders.work`).
 */
export async function publishSampleRelease(
  prefix: string,
  release: { tag?: string; buildNumber?: string; sourceVersion?: string; repositoryUri?: string } = {},
): Promise<{ run: TaskRun; bundle: string; appDir: string }> {
  const appDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.join(root, 'examples/app'), appDir, { recursive: true });
  const run = await runBuiltTask({
    taskDir: publishDir,
    inputs: {
      templates: 'deploy/kustomize/overlays/{environment}',
      environments: 'dev,stage,prod',
      valuesFile: 'deploy/environments/{environment}.yaml',
      images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
      tagStrategy: 'fixed',
      tag: release.tag ?? '1.5.0',
      appName: 'voting-app',
      dockerfiles: '',
      publishArtifact: 'false',
    },
    variables: {
      'Build.SourcesDirectory': appDir,
      'Build.BuildId': '42',
      'Build.BuildNumber': release.buildNumber ?? '20261127.1',
      'Build.SourceVersion': release.sourceVersion ?? 'a'.repeat(40),
      ...(release.repositoryUri ? { 'Build.Repository.Uri': release.repositoryUri } : {}),
      'Build.SourceBranch': 'refs/heads/main',
      'Build.Repository.Name': 'voting-app',
    },
    env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
  });
  assert.equal(run.result, 'Succeeded', run.stdout);
  return { run, bundle: run.outputs.bundlePath, appDir };
}

/** Every file of examples/gitops, by its path in the repository. */
export function exampleGitOpsFiles(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
      else files[`${rel}${e.name}`] = fs.readFileSync(path.join(dir, e.name));
    }
  };
  walk(path.join(root, 'examples/gitops'), '');
  return files;
}

/** The job token startGitOpsEmulators minted for each emulator's pipeline job (what promoteRunOptions passes as System.AccessToken). */
const jobTokens = new WeakMap<DevOpsEmulator, string>();

/**
 * Both emulators as the promotion tests use them: project `project` with a repository `gitops` seeded
 * from examples/gitops, and one Arc cluster whose Flux syncs that repository every 400 ms, reached
 * through a service connection with a workload identity federation job. The job's token is scoped
 * as in a new organization (only referenced repositories) and its job declares `gitops`
 * (`uses: repositories`), as examples/pipelines/cd.yml does. The caller stops both.
 */
export async function startGitOpsEmulators(project: string): Promise<{
  devops: DevOpsEmulator;
  arm: ArmEmulator;
  bare: string;
  connectionId: string;
  oidcRequestUri: string;
  jobToken: string;
}> {
  const devops = await startDevOpsEmulator({ org: 'contoso' });
  devops.admin.createProject(project);
  await devops.admin.createRepository(project, 'gitops', { defaultBranch: 'main' });
  await devops.admin.seedFiles(project, 'gitops', 'main', exampleGitOpsFiles(), 'GitOps repository from examples/gitops');
  const arm = await startArmEmulator({
    gitopsRepositoryUrl: `${devops.url}/${project}/_git/gitops`,
    sourceHeaders: { Authorization: `Bearer ${devops.token}` },
    clusters: [{ name: 'arc-nonprod', type: 'connectedClusters' }],
    syncIntervalMs: 400,
    kubectl: path.join(toolsBin(), 'kubectl'),
  });
  const jobToken = devops.admin.mintJobToken(project, ['gitops']);
  jobTokens.set(devops, jobToken);
  return {
    devops,
    arm,
    bare: devops.admin.bareRepositoryPath(project, 'gitops'),
    connectionId: arm.identity.addServiceConnection({ clientId: arm.clientId }).id,
    oidcRequestUri: arm.identity.addJob({ accessToken: jobToken }).oidcRequestUri,
    jobToken,
  };
}

/**
 * How the promotion tests run the built GitOpsPromote@1: `bundle` to dev in the emulated `gitops`
 * repository of `project`, Flux awaited on arc-nonprod through the workload identity federation
 * connection, one-minute merge and reconcile timeouts; `inputs` override.
 */
export function promoteRunOptions(
  world: { devops: DevOpsEmulator; arm: ArmEmulator; connectionId: string; oidcRequestUri: string; jobToken?: string },
  project: string,
  bundle: string,
  inputs: Record<string, string>,
): RunTaskOptions {
  const { devops, arm, connectionId } = world;
  const jobToken = world.jobToken ?? jobTokens.get(devops) ?? devops.token;
  return {
    taskDir: path.join(root, 'dist/tasks/GitOpsPromote/v1'),
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
      'System.TeamProject': project,
      'System.OidcRequestUri': world.oidcRequestUri,
      'Build.BuildId': '78',
      'Build.BuildNumber': '20261127.4',
    },
    endpoints: {
      SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: jobToken } },
      [connectionId]: {
        url: arm.armUrl,
        scheme: 'WorkloadIdentityFederation',
        parameters: { tenantid: arm.tenantId, serviceprincipalid: arm.clientId },
        data: { subscriptionId: arm.subscriptionId, activeDirectoryAuthority: arm.tokenUrl },
      },
    },
    env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}`, NODE_EXTRA_CA_CERTS: arm.caCertFile },
  };
}

/**
 * GitOpsPromote@1 (built) pushes `bundle` to dev of the emulated `gitops` repository of `project`
 * (emulators started here, stopped by `cleanup`), with every chart repository and registry the
 * caller stopped: the run, and the objects it committed under apps/dev/voting-app, parsed.
 */
export async function promoteBundleOffline(
  project: string,
  bundle: string,
  cleanup: (() => Promise<void> | void)[],
): Promise<{ run: TaskRun; objects: unknown[] }> {
  const world = await startGitOpsEmulators(project);
  cleanup.push(async () => {
    await world.arm.stop();
    await world.devops.stop();
  });
  const run = await runBuiltTask(promoteRunOptions(world, project, bundle, { deliveryMode: 'push', waitForReconciliation: 'false' }));
  cleanup.push(() => fs.rmSync(run.folders.work, { recursive: true, force: true }));
  const git = (...args: string[]) => execFileSync('git', ['--git-dir', world.bare, ...args], { encoding: 'utf8' }).trim();
  const folder = 'apps/dev/voting-app';
  const files = run.result === 'Succeeded' ? git('ls-tree', '-r', '--name-only', 'refs/heads/main', '--', folder).split('\n') : [];
  const objects = files
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('/kustomization.yaml'))
    .map((f) => parse(git('show', `refs/heads/main:${f}`)) as unknown);
  return { run, objects };
}
