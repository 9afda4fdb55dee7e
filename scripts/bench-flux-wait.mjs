// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): how the Flux wait
// (shared/azure waitForReconciliation) behaves against the ARM emulator and the Flux simulation,
// through the real @azure/arm-kubernetesconfiguration client over HTTPS, for 1 and 50 clusters:
//  - ARM requests per cluster per minute while waiting,
//  - how long after the simulated sync (the status reaching ARM) the wait sees each cluster
//    reconciled, and how long after the last sync the whole wait returns.
// Baseline in the same run: a fixed-interval poll (every 5 s, what a script loop of
// `az k8s-configuration flux show` does), on its own emulator, at the same time.
// Options: --sync-after S (seconds until the clusters sync, default 45; the 50 clusters sync
// spread over the last third of that), --clusters a,b (default 1,50), --build-dir DIR (default build).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SYNC_AFTER_MS = Number(arg('sync-after', '45')) * 1000;
const SIZES = String(arg('clusters', '1,50')).split(',').map(Number);
const buildDir = path.resolve(root, arg('build-dir', process.env.GITOPS_FLOW_BUILD_DIR ?? 'build'));

if (!fs.existsSync(path.join(buildDir, 'shared', 'azure', 'wait.js')) || !fs.existsSync(path.join(buildDir, 'test', 'emulators', 'arm', 'index.js'))) {
  if (buildDir !== path.join(root, 'build')) throw new Error(`${buildDir} has no compiled shared/azure and test/emulators/arm`);
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
const tools = path.join(root, '.tools', 'bin');
if (fs.existsSync(tools)) process.env.PATH = `${tools}${path.delimiter}${process.env.PATH}`;

const { startArmEmulator } = require(path.join(buildDir, 'test/emulators/arm/index.js'));
const { createTestRepo, sampleGitOpsFiles } = require(path.join(buildDir, 'test/emulators/flux/test-repo.js'));
const { createAzureCredential } = require(path.join(buildDir, 'shared/azure/credential.js'));
const { waitForReconciliation } = require(path.join(buildDir, 'shared/azure/wait.js'));

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const pct = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
};

/** An emulator whose clusters have synced the current head; `measure` then waits for `target`. */
async function prepare(label, clusterCount, poll, repo) {
  const clusters = Array.from({ length: clusterCount }, (_, i) => ({
    name: `c${String(i).padStart(2, '0')}`,
    type: i % 2 ? 'managedClusters' : 'connectedClusters',
  }));
  const emu = await startArmEmulator({
    gitopsRepositoryUrl: repo.url,
    clusters,
    kustomizations: { clusters: { path: './clusters/arc-nonprod', prune: true } },
    syncIntervalMs: 3_600_000,
  });
  await Promise.all(clusters.map((c) => emu.flux.reconcileNow(c.name, 'cluster-config')));
  return { measure: (target) => measure(label, clusterCount, poll, repo, emu, clusters, target) };
}

async function measure(label, clusterCount, poll, repo, emu, clusters, target) {
  try {
    const cred = createAzureCredential(
      {
        id: 'bench',
        scheme: 'ServicePrincipal',
        parameters: { tenantid: emu.tenantId, serviceprincipalid: emu.clientId, serviceprincipalkey: emu.clientSecret },
        data: { subscriptionId: emu.subscriptionId, activeDirectoryAuthority: emu.tokenUrl },
        url: emu.armUrl,
      },
      {},
      { tlsOptions: { ca: emu.caCertPem } },
    );
    await cred.credential.getToken(cred.cloud.scope); // token outside the measured window
    emu.requests.length = 0;
    const started = Date.now();
    // each cluster syncs once, at SYNC_AFTER (1 cluster) or spread over the last third before it
    const timers = clusters.map((c, i) => {
      // (+1.234 s so the sync does not fall on either poller's grid)
      const at = 1234 + (clusterCount === 1 ? SYNC_AFTER_MS : SYNC_AFTER_MS * (2 / 3 + i / (clusterCount - 1) / 3));
      return setTimeout(() => void emu.flux.reconcileNow(c.name, 'cluster-config').catch(() => undefined), at);
    });
    const result = await waitForReconciliation(
      {
        clusters: clusters.map((c) => ({ resourceGroup: emu.resourceGroup, clusterType: c.type, clusterName: c.name })),
        fluxConfigurationName: 'cluster-config',
        targetCommit: target,
        isAncestor: repo.isAncestor,
        timeoutMs: SYNC_AFTER_MS + 120_000,
        concurrency: 8,
        poll,
      },
      { credential: cred.credential, subscriptionId: emu.subscriptionId, armUrl: emu.armUrl, clientOptions: { tlsOptions: { ca: emu.caCertPem } } },
    );
    const returned = Date.now();
    timers.forEach(clearTimeout);
    if (!result.ok) throw new Error(`${label}: ${result.message}`);
    const lags = [];
    let lastSync = 0;
    for (const o of result.outcomes) {
      const synced = emu.flux.events.find((e) => e.cluster === o.cluster.clusterName && e.phase === 'status' && e.sha === target);
      lastSync = Math.max(lastSync, synced.at);
      lags.push(started + o.reconciledAfterMs - synced.at);
    }
    const gets = emu.requests.filter((r) => r.route === 'flux.get').length;
    if (process.env.BENCH_DEBUG) {
      const syncs = emu.flux.events.filter((e) => e.phase === 'status' && e.sha === target).map((e) => e.at - started);
      const durations = emu.requests.filter((r) => r.route === 'flux.get').map((r) => r.at - started);
      console.error(
        label,
        'syncs',
        Math.min(...syncs),
        Math.max(...syncs),
        'gets',
        durations.length,
        'first',
        Math.min(...durations),
        'last',
        Math.max(...durations),
      );
    }
    const minutes = (returned - started) / 60_000;
    return {
      label,
      clusters: clusterCount,
      perClusterPerMinute: gets / clusterCount / minutes,
      waitMs: returned - started,
      lagP50: pct(lags, 0.5),
      lagMax: Math.max(...lags),
      returnAfterLastSync: returned - lastSync,
      gets,
    };
  } finally {
    await emu.stop();
  }
}

const repo = await createTestRepo(sampleGitOpsFiles());
let release = 1;
try {
  console.log(
    `Flux wait: clusters sync ${s(SYNC_AFTER_MS)} after the wait starts (50 clusters: spread over the last third); adaptive polling (2 s, x1.5, 20 s ceiling) vs a fixed 5 s poll, both through the real ARM client over HTTPS.`,
  );
  console.log('');
  console.log('clusters  polling         ARM GETs/cluster/min  wait     seen after sync (p50 / max)  returns after last sync');
  for (const n of SIZES) {
    const runs = await Promise.all([prepare('adaptive', n, undefined, repo), prepare('fixed 5 s', n, { initialMs: 5000, maxMs: 5000, factor: 1 }, repo)]);
    // the promotion merges after every cluster has synced the previous head
    const target = await repo.commit(
      { 'apps/dev/web/deployment.yaml': sampleGitOpsFiles('arc-nonprod', `2.0.${release++}`)['apps/dev/web/deployment.yaml'] },
      'promote',
    );
    const [adaptive, fixed] = await Promise.all(runs.map((r) => r.measure(target)));
    for (const r of [adaptive, fixed]) {
      console.log(
        `${String(r.clusters).padEnd(10)}${r.label.padEnd(16)}${r.perClusterPerMinute.toFixed(1).padEnd(22)}${s(r.waitMs).padEnd(9)}${`${s(r.lagP50)} / ${s(r.lagMax)}`.padEnd(29)}${s(r.returnAfterLastSync)}`,
      );
    }
    console.log(`${''.padEnd(10)}ratio           ${(adaptive.perClusterPerMinute / fixed.perClusterPerMinute).toFixed(2)}x requests of the fixed poll`);
  }
} finally {
  repo.remove();
}
