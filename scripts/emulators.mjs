// npm run emulators: starts the local emulators on free loopback ports, seeds them, prints ONE JSON
// line on stdout with what a client needs, and runs until SIGINT/SIGTERM (then removes the
// temporary repositories). Progress and errors go to stderr, so stdout stays one line.
//
// Admin APIs (documented in test/emulators/README.md): devopsAdminUrl (also adminUrl) for Azure
// DevOps, armAdminUrl for ARM faults and the Flux scenarios.
//
// Each starter returns { fields, stop }: its fields are merged into the JSON line. Add a starter
// (e.g. the ARM emulator) to STARTERS; later starters see the fields of earlier ones.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const outDir = path.join(root, 'build', 'emulators');

/** Bundles an emulator entry (TypeScript under test/emulators) into build/emulators/<name>.cjs. */
async function load(name, entry) {
  const outfile = path.join(outDir, `${name}.cjs`);
  await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return require(outfile);
}

/** Every file under dir as repository path -> content (node_modules and .git left out). */
function filesOf(dir) {
  const files = {};
  const walk = (abs, rel) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      const a = path.join(abs, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(a, r);
      else if (entry.isFile()) files[r] = fs.readFileSync(a);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return files;
}

async function startDevOps() {
  const { startDevOpsEmulator } = await load('devops', 'test/emulators/devops/index.ts');
  const emulator = await startDevOpsEmulator({ org: process.env.DEVOPS_EMULATOR_ORG || 'gitops-org', port: Number(process.env.DEVOPS_EMULATOR_PORT || 0) });
  const project = process.env.DEVOPS_EMULATOR_PROJECT || 'gitops-flow';
  emulator.admin.createProject(project);
  const repositories = [];
  for (const name of ['app', 'gitops']) {
    const repo = await emulator.admin.createRepository(project, name, { defaultBranch: 'main' });
    const files = filesOf(path.join(root, 'examples', name));
    if (Object.keys(files).length === 0) files['README.md'] = `# ${name}\n`;
    const commitId = await emulator.admin.seedFiles(project, name, 'main', files, `Initial commit from examples/${name}`);
    repositories.push({
      name,
      id: repo.id,
      remoteUrl: repo.remoteUrl,
      defaultBranch: 'refs/heads/main',
      commitId,
      path: emulator.admin.bareRepositoryPath(project, name),
    });
  }
  return {
    fields: {
      devopsUrl: emulator.url,
      devopsToken: emulator.token,
      devopsOrg: emulator.org,
      project,
      repositories,
      // adminUrl: the Azure DevOps admin API (kept under its first name); armAdminUrl comes from the ARM starter
      adminUrl: emulator.adminUrl,
      devopsAdminUrl: emulator.adminUrl,
    },
    stop: () => emulator.stop(),
  };
}

async function startArm(fields) {
  const { startArmEmulator } = await load('arm', 'test/emulators/arm/index.ts');
  const kubectl = path.join(root, '.tools', 'bin', 'kubectl');
  const emulator = await startArmEmulator({
    gitopsRepositoryUrl: `${fields.devopsUrl}/${fields.project}/_git/gitops`,
    sourceHeaders: { Authorization: `Bearer ${fields.devopsToken}` },
    ...(fs.existsSync(kubectl) ? { kubectl } : {}),
  });
  // A workload identity federation service connection and a pipeline job whose System.AccessToken is
  // the Azure DevOps token: what an AzureRM connection of that scheme needs (the OIDC request URI).
  const serviceConnection = emulator.identity.addServiceConnection({
    clientId: emulator.clientId,
    organization: fields.devopsOrg,
    projectName: fields.project,
    name: 'arm-gitops',
  });
  const job = emulator.identity.addJob({ accessToken: fields.devopsToken, organization: fields.devopsOrg, projectName: fields.project });
  return { fields: { ...emulator.info, serviceConnectionId: serviceConnection.id, oidcRequestUri: job.oidcRequestUri }, stop: () => emulator.stop() };
}

const STARTERS = [startDevOps, startArm];

const started = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const s of started.reverse()) {
    try {
      await s.stop();
    } catch (e) {
      console.error(`emulators: stop failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const fields = {};
  for (const starter of STARTERS) {
    const s = await starter(fields);
    started.push(s);
    Object.assign(fields, s.fields);
  }
  process.stdout.write(JSON.stringify(fields) + '\n');
  console.error('emulators: running; stop with Ctrl+C (SIGINT) or SIGTERM');
  setInterval(() => undefined, 1 << 30); // keep the process alive
} catch (e) {
  console.error(`emulators: failed to start: ${e instanceof Error ? e.stack : e}`);
  await stopAll(1);
}
