// Part of npm run bench (scripts/bench.mjs runs every scripts/bench-*.mjs): how the Flux wait
// (shared/azure waitForReconciliation) behaves against the ARM emulator and the Flux simulation,
// through the real @azure/arm-kubernetesconfiguration client over HTTPS, for 1 and 50 clusters:
//  - ARM GETs per cluster per minute of the wait (all GETs / clusters / wall minutes of the wait),
//    and GETs per cluster in all,
//  - how long after the simulated sync (the status reaching ARM) the wait sees each cluster
//    reconciled (p50 / max), and how long after the last sync the whole wait returns.
// What it models: each cluster's Flux fetches the GitOps repository on its own schedule, every
// gitRepository.syncIntervalInSeconds (default 60 s, a common setting; the simulation runs at the
// interval the resource shows, timeScale 1, and nobody triggers a sync). The clusters' Flux
// started at different times: when the promotion merges and the wait starts, the one cluster
// syncs next after --sync-after seconds, the 50 clusters evenly over the next interval. The
// first sync of each configuration happens before the wait (its creation), the one that brings
// the merge commit during it.
// Baseline in the same run, on its own emulator at the same time: a fixed poll every 5 s of each
// cluster (what a script loop of `az k8s-configuration flux show` does), same reader, same
// evaluation, same limit of 8 requests in flight.
// Options: --interval S (syncIntervalInSeconds, default 60), --sync-after S (1 cluster: its next
// sync, default 45, less than the interval), --clusters a,b (default 1,50), --build-dir DIR
// (default build).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/versions.mjs';

const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const INTERVAL_S = Number(arg('interval', '60'));
const SYNC_AFTER_MS = Number(arg('sync-after', '45')) * 1000;
const SIZES = String(arg('clusters', '1,50')).split(',').map(Number);
const buildDir = path.resolve(root, arg('build-dir', process.env.GITOPS_FLOW_BUILD_DIR ?? 'build'));
if (!(SYNC_AFTER_MS > 0 && SYNC_AFTER_MS < INTERVAL_S * 1000)) throw new Error('--sync-after must be more than 0 and less than --interval');

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
const { createFluxConfigurationReader } = require(path.join(buildDir, 'shared/azure/flux-reader.js'));
const { evaluate } = require(path.join(buildDir, 'shared/azure/flux-status.js'));
const { createLimiter } = require(path.join(buildDir, 'shared/util/concurrency.js'));

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const pct = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The cluster's next sync after the wait starts: the one cluster at --sync-after, a fleet evenly over one interval. */
const syncOffset = (i, n) => (n === 1 ? SYNC_AFTER_MS : (INTERVAL_S * 1000 * (i + 0.5)) / n);

/** An emulator with `n` clusters; `configure(startAt)` creates their configurations so that they sync at startAt + offset. */
async function prepare(n, repo) {
  const clusters = Array.from({ length: n }, (_, i) => ({ name: `c${String(i).padStart(2, '0')}`, type: i % 2 ? 'managedClusters' : 'connectedClusters' }));
  const emu = await startArmEmulator({ clusters, timeScale: 1 });
  const properties = {
    scope: 'cluster',
    namespace: 'flux-system',
    sourceKind: 'GitRepository',
    suspend: false,
    gitRepository: { url: repo.url, timeoutInSeconds: 600, syncIntervalInSeconds: INTERVAL_S, repositoryRef: { branch: 'main' } },
    kustomizations: {
      clusters: { path: './clusters/arc-nonprod', prune: true, dependsOn: [], timeoutInSeconds: 600, syncIntervalInSeconds: 600, wait: true },
    },
  };
  return {
    emu,
    clusters,
    /** Creates each configuration one interval before its sync during the wait (its first sync is at creation). */
    configure: (startAt) =>
      Promise.all(
        clusters.map(async (c, i) => {
          await sleep(startAt + syncOffset(i, n) - INTERVAL_S * 1000 - Date.now());
          emu.admin.addFluxConfiguration(c.name, 'cluster-config', properties);
        }),
      ),
  };
}

function access(emu) {
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
  return {
    cred,
    arm: { credential: cred.credential, subscriptionId: emu.subscriptionId, armUrl: emu.armUrl, clientOptions: { tlsOptions: { ca: emu.caCertPem } } },
  };
}

/** The baseline: every cluster read every 5 s until it is reconciled (a script loop around `az k8s-configuration flux show`). */
async function fixedPoll(request, arm) {
  const read = createFluxConfigurationReader(arm);
  const limit = createLimiter(request.concurrency);
  const started = Date.now();
  const outcomes = await Promise.all(
    request.clusters.map(async (cluster) => {
      for (;;) {
        const at = Date.now();
        const { status } = await limit(() => read(cluster, request.fluxConfigurationName));
        const e = await evaluate(status, request.fluxConfigurationName, request.targetCommit, {}, (sha) => request.isAncestor(request.targetCommit, sha));
        if (e.phase === 'reconciled') return { cluster, state: 'reconciled', reconciledAfterMs: Date.now() - started };
        if (Date.now() - started > request.timeoutMs) return { cluster, state: 'timed-out' };
        await sleep(at + 5000 - Date.now());
      }
    }),
  );
  return { ok: outcomes.every((o) => o.state === 'reconciled'), outcomes, message: 'fixed poll timed out' };
}

async function measure(label, run, prepared, repo, target) {
  const { emu, clusters, arm } = prepared;
  try {
    emu.requests.length = 0;
    const started = Date.now();
    const request = {
      clusters: clusters.map((c) => ({ resourceGroup: emu.resourceGroup, clusterType: c.type, clusterName: c.name })),
      fluxConfigurationName: 'cluster-config',
      targetCommit: target,
      isAncestor: repo.isAncestor,
      timeoutMs: INTERVAL_S * 1000 + 120_000,
      concurrency: 8,
    };
    const result = await run(request, arm);
    const returned = Date.now();
    if (!result.ok) throw new Error(`${label}: ${result.message}`);
    const lags = [];
    let lastSync = 0;
    for (const o of result.outcomes) {
      const synced = emu.flux.events.find((e) => e.cluster === o.cluster.clusterName && e.phase === 'status' && e.sha === target);
      lastSync = Math.max(lastSync, synced.at);
      lags.push(started + o.reconciledAfterMs - synced.at);
    }
    const gets = emu.requests.filter((r) => r.route === 'flux.get').length;
    const minutes = (returned - started) / 60_000;
    return {
      label,
      clusters: clusters.length,
      perClusterPerMinute: gets / clusters.length / minutes,
      perCluster: gets / clusters.length,
      waitMs: returned - started,
      lagP50: pct(lags, 0.5),
      lagMax: Math.max(...lags),
      returnAfterLastSync: returned - lastSync,
    };
  } finally {
    await emu.stop();
  }
}

const repo = await createTestRepo(sampleGitOpsFiles());
let release = 1;
try {
  console.log(
    `Flux wait: each cluster's Flux syncs on its own every ${INTERVAL_S} s (gitRepository.syncIntervalInSeconds); after the merge the one cluster syncs next ` +
      `after ${s(SYNC_AFTER_MS)}, the 50 evenly over the interval. The wait (reads planned by the resource's interval and timestamps) vs a fixed 5 s poll, ` +
      `both through the real ARM client over HTTPS, at the same time on two emulators.`,
  );
  console.log('');
  console.log('clusters  polling         GETs/cluster/min  GETs/cluster  wait     seen after sync (p50 / max)  returns after last sync');
  for (const n of SIZES) {
    const runs = await Promise.all([prepare(n, repo), prepare(n, repo)]);
    const startAt = Date.now() + 2000 + INTERVAL_S * 1000 - Math.min(...Array.from({ length: n }, (_, i) => syncOffset(i, n)));
    await Promise.all(runs.map((r) => r.configure(startAt)));
    for (const r of runs) {
      const { cred, arm } = access(r.emu);
      await cred.credential.getToken(cred.cloud.scope); // the token outside the measured window
      r.arm = arm;
    }
    await sleep(startAt - Date.now());
    // the promotion merges; the wait starts at once
    const target = await repo.commit(
      { 'apps/dev/web/deployment.yaml': sampleGitOpsFiles('arc-nonprod', `2.0.${release++}`)['apps/dev/web/deployment.yaml'] },
      'promote',
    );
    const [adaptive, fixed] = await Promise.all([
      measure('adaptive', waitForReconciliation, runs[0], repo, target),
      measure('fixed 5 s', fixedPoll, runs[1], repo, target),
    ]);
    for (const r of [adaptive, fixed]) {
      console.log(
        `${String(r.clusters).padEnd(10)}${r.label.padEnd(16)}${r.perClusterPerMinute.toFixed(1).padEnd(18)}${r.perCluster.toFixed(1).padEnd(14)}${s(r.waitMs).padEnd(9)}${`${s(r.lagP50)} / ${s(r.lagMax)}`.padEnd(29)}${s(r.returnAfterLastSync)}`,
      );
    }
    console.log(
      `${''.padEnd(10)}ratio           ${(adaptive.perClusterPerMinute / fixed.perClusterPerMinute).toFixed(2)}x the requests of the fixed poll, ` +
        `${(adaptive.lagMax / fixed.lagMax).toFixed(2)}x its worst detection latency`,
    );
  }
} finally {
  repo.remove();
}
