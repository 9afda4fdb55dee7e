import * as assert from 'node:assert/strict';
import type { FluxStatus } from '../../../shared/azure/flux-status';
import { nextSyncAt, PollPacer, resolvePollPolicy, sourceDelay, sourceScheduleOf, syncWindowMs, throttleFloor } from '../../../shared/azure/poll-schedule';
import { backoffDelay } from '../../../shared/util/retry';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();
const policy = resolvePollPolicy();

describe('poll schedule: when a fluxConfigurations resource can show something new', () => {
  it('the source schedule: syncIntervalInSeconds and the latest of statusUpdatedAt and sourceUpdatedAt (strings or Dates)', () => {
    const git = { syncIntervalInSeconds: 300 };
    assert.deepEqual(sourceScheduleOf({ gitRepository: git, statusUpdatedAt: iso(-20), sourceUpdatedAt: iso(-900) }), {
      intervalMs: 300_000,
      lastSyncAt: T0 - 20_000,
    });
    assert.deepEqual(sourceScheduleOf({ gitRepository: git, statusUpdatedAt: null, sourceUpdatedAt: new Date(T0 - 5000) }), {
      intervalMs: 300_000,
      lastSyncAt: T0 - 5000,
    });
    const none: FluxStatus[] = [
      { statusUpdatedAt: iso(-20) },
      { gitRepository: { syncIntervalInSeconds: 0 }, statusUpdatedAt: iso(-20) },
      { gitRepository: { syncIntervalInSeconds: null }, statusUpdatedAt: iso(-20) },
      { gitRepository: git },
      { gitRepository: git, statusUpdatedAt: 'not a time' },
    ];
    for (const status of none) assert.equal(sourceScheduleOf(status), undefined, JSON.stringify(status));
  });

  it('the next sync is projected from the last one over whole intervals, until its window has passed', () => {
    const schedule = { intervalMs: 60_000, lastSyncAt: T0 };
    assert.equal(syncWindowMs(60_000), 10_000);
    assert.equal(syncWindowMs(20_000), 6000);
    assert.equal(syncWindowMs(4000), 2000);
    assert.equal(syncWindowMs(3_600_000), 30_000);
    assert.equal(nextSyncAt(schedule, T0 + 1000, policy), T0 + 60_000);
    // 60 s + 1 s settle + 10 s window: still that sync at 70.9 s, the next at 71 s
    assert.equal(nextSyncAt(schedule, T0 + 70_900, policy), T0 + 60_000);
    assert.equal(nextSyncAt(schedule, T0 + 71_000, policy), T0 + 120_000);
    // the resource's last sync long ago (the agent relays only changes): still on the same grid
    assert.equal(nextSyncAt(schedule, T0 + 10 * 60_000 + 30_000, policy), T0 + 11 * 60_000);
  });

  it('sleeps until just after the next sync (an idle read at least every idleMs), then reads every windowStepMs', () => {
    const schedule = { intervalMs: 60_000, lastSyncAt: T0 };
    assert.equal(sourceDelay(schedule, T0 + 1000, policy), 30_000);
    assert.equal(sourceDelay(schedule, T0 + 45_000, policy), 16_000);
    assert.equal(sourceDelay(schedule, T0 + 61_000, policy), 3000);
    assert.equal(sourceDelay(schedule, T0 + 70_000, policy), 3000);
    assert.equal(sourceDelay(schedule, T0 + 71_000, policy), 30_000);
  });

  it('the schedule times scale with a fast test policy', () => {
    assert.deepEqual(resolvePollPolicy({ initialMs: 40, maxMs: 200 }), {
      initialMs: 40,
      maxMs: 200,
      factor: 1.5,
      lowReads: 100,
      criticalReads: 5,
      criticalIntervalMs: 60_000,
      idleMs: 300,
      settleMs: 20,
      windowStepMs: 60,
    });
    assert.equal(resolvePollPolicy({ idleMs: 1000 }).idleMs, 1000);
  });

  it('the pacer: the schedule while waiting for the source, else a backoff that restarts when the phase moves; failures back off from twice the first interval', () => {
    const pacer = new PollPacer(policy, () => 0.5);
    const scheduled: FluxStatus = { gitRepository: { syncIntervalInSeconds: 60 }, statusUpdatedAt: iso(0) };
    assert.equal(pacer.afterRead('waiting-for-source', scheduled, T0 + 1000), 30_000);
    assert.equal(pacer.afterRead('waiting-for-source', {}, T0 + 1000), 2250); // no schedule: the second unchanged read
    assert.equal(pacer.afterRead('waiting-for-objects', scheduled, T0 + 1000), 1500); // phase moved: first interval again
    assert.equal(pacer.afterRead('waiting-for-objects', scheduled, T0 + 1000), 2250);
    assert.equal(pacer.afterFailure(), 3000);
    assert.equal(pacer.afterFailure(), 6000);
    assert.equal(pacer.afterFailure(45_000), 45_000);
    assert.equal(pacer.afterRead('waiting-for-objects', {}, T0), 3375); // a read after failures continues the phase's backoff
    assert.equal(pacer.afterFailure(), 3000); // and the failure count started again
  });

  it('util/retry backoff with a gentler factor', () => {
    const ceilings = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, { baseDelayMs: 2000, maxDelayMs: 6000, factor: 1.5, random: () => 1 }));
    assert.deepEqual(ceilings, [2000, 3000, 4500, 6000, 6000]);
    assert.equal(backoffDelay(3, { baseDelayMs: 500, random: () => 0 }), 1000); // default factor 2: ceiling 2 s, half of it fixed
  });

  it('low remaining subscription reads put a floor on every poll', () => {
    assert.equal(throttleFloor(undefined, policy), 0);
    assert.equal(throttleFloor(100, policy), 0);
    assert.equal(throttleFloor(99, policy), 20_000);
    assert.equal(throttleFloor(4, policy), 60_000);
  });
});
