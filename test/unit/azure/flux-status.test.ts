import * as assert from 'node:assert/strict';
import { evaluate, FluxStatus, parseRevision, revisionInMessage, selectObjects } from '../../../shared/azure/flux-status';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const OLD = '0'.repeat(40);
// B is a descendant of A; OLD is older than both
const atOrAfterA = (sha: string) => Promise.resolve(sha === A || sha === B);

function status(synced: string, ks: { state: string; revision?: string; message?: string }, extra: Partial<FluxStatus> = {}): FluxStatus {
  return {
    sourceSyncedCommitId: synced,
    sourceUpdatedAt: '2026-01-01T00:00:10Z',
    statusUpdatedAt: '2026-01-01T00:00:20Z',
    complianceState: ks.state,
    statuses: [
      { kind: 'GitRepository', name: 'cluster-config', namespace: 'flux-system', complianceState: 'Compliant' },
      {
        kind: 'Kustomization',
        name: 'cluster-config-apps',
        namespace: 'flux-system',
        complianceState: ks.state,
        statusConditions: [
          {
            type: 'Ready',
            status: ks.state === 'Compliant' ? 'True' : 'False',
            message: ks.message ?? (ks.revision ? `Applied revision: main@sha1:${ks.revision}` : undefined),
          },
        ],
      },
      {
        kind: 'Deployment',
        name: 'web',
        namespace: 'team-a',
        complianceState: ks.state === 'Compliant' ? 'Compliant' : ks.state,
        appliedBy: { name: 'cluster-config-apps', namespace: 'flux-system' },
      },
      {
        kind: 'Deployment',
        name: 'db',
        namespace: 'team-b',
        complianceState: 'Compliant',
        appliedBy: { name: 'cluster-config-apps', namespace: 'flux-system' },
      },
    ],
    ...extra,
  };
}

describe('flux-status', () => {
  it('parses both revision formats and bare shas', () => {
    assert.deepEqual(parseRevision(`main@sha1:${A}`), { ref: 'main', sha: A });
    assert.deepEqual(parseRevision(`refs/heads/release/1.0@sha1:${A.toUpperCase()}`), { ref: 'refs/heads/release/1.0', sha: A });
    assert.deepEqual(parseRevision(`master/${A}`), { ref: 'master', sha: A });
    assert.deepEqual(parseRevision(`feature/x/${A}`), { ref: 'feature/x', sha: A });
    assert.deepEqual(parseRevision(A), { sha: A });
    assert.deepEqual(parseRevision(`v1.2.3@sha256:${'c'.repeat(64)}`), { ref: 'v1.2.3', sha: 'c'.repeat(64) });
    assert.deepEqual(parseRevision('main@sha1:abc'), {});
    assert.deepEqual(parseRevision(''), {});
    assert.deepEqual(parseRevision(null), {});
  });

  it('finds the revision in Ready messages (quoted or not)', () => {
    assert.equal(revisionInMessage(`Applied revision: main@sha1:${A}`), A);
    assert.equal(revisionInMessage(`'Applied revision: master/${A}'`), A);
    assert.equal(revisionInMessage(`stored artifact for revision 'main@sha1:${B}'`), B);
    assert.equal(revisionInMessage('Health check failed after 30s'), undefined);
  });

  it('selects by kustomization (status name or configuration key) and namespace', () => {
    const s = status(`main@sha1:${A}`, { state: 'Compliant', revision: A });
    assert.deepEqual(
      selectObjects(s, 'cluster-config', {}).objects.map((o) => o.name),
      ['web', 'db'],
    );
    assert.deepEqual(
      selectObjects(s, 'cluster-config', { kustomizations: ['apps'] }).kustomizations.map((k) => k.name),
      ['cluster-config-apps'],
    );
    assert.deepEqual(
      selectObjects(s, 'cluster-config', { namespaces: ['team-a'] }).objects.map((o) => o.name),
      ['web'],
    );
    assert.deepEqual(selectObjects(s, 'cluster-config', { kustomizations: ['nope'] }).missing, ['nope']);
  });

  it('waits for the source, then for the objects, and accepts a descendant', async () => {
    assert.equal(
      (await evaluate(status(`main@sha1:${OLD}`, { state: 'Compliant', revision: OLD }), 'cluster-config', A, {}, atOrAfterA)).phase,
      'waiting-for-source',
    );
    assert.equal(
      (await evaluate(status('', { state: 'Pending' }, { sourceSyncedCommitId: null }), 'cluster-config', A, {}, atOrAfterA)).phase,
      'waiting-for-source',
    );
    // synced, but the Kustomization still reports the old revision (relay lag)
    const lag = await evaluate(
      status(`main@sha1:${A}`, { state: 'Compliant', revision: OLD }, { statusUpdatedAt: '2026-01-01T00:00:05Z' }),
      'cluster-config',
      A,
      {},
      atOrAfterA,
    );
    assert.equal(lag.phase, 'waiting-for-objects');
    assert.match(lag.summary, /waiting for Kustomization flux-system\/cluster-config-apps: Compliant/);
    assert.equal((await evaluate(status(`main@sha1:${A}`, { state: 'Compliant', revision: A }), 'cluster-config', A, {}, atOrAfterA)).phase, 'reconciled');
    assert.equal((await evaluate(status(`main/${B}`, { state: 'Compliant', revision: B }), 'cluster-config', A, {}, atOrAfterA)).phase, 'reconciled');
    assert.equal(
      (await evaluate(status(`main@sha1:${A}`, { state: 'Pending', message: 'Reconciliation in progress' }), 'cluster-config', A, {}, atOrAfterA)).phase,
      'waiting-for-objects',
    );
  });

  it('Non-Compliant counts only at our revision and with statuses newer than the source', async () => {
    const failing = await evaluate(
      status(`main@sha1:${A}`, { state: 'Non-Compliant', message: 'Health check failed after 30s' }),
      'cluster-config',
      A,
      {},
      atOrAfterA,
    );
    assert.equal(failing.phase, 'non-compliant');
    assert.match(failing.summary, /Kustomization flux-system\/cluster-config-apps: Non-Compliant \(Health check failed after 30s\)/);
    // an older revision's failure still showing
    const olderStatus = status(`main@sha1:${A}`, { state: 'Non-Compliant', message: `Applied revision: main@sha1:${OLD}` });
    olderStatus.statuses![2].complianceState = 'Compliant';
    const older = await evaluate(olderStatus, 'cluster-config', A, {}, atOrAfterA);
    assert.notEqual(older.phase, 'non-compliant');
    // statuses relayed before the source moved
    const stale = await evaluate(
      status(`main@sha1:${A}`, { state: 'Non-Compliant', message: 'x' }, { statusUpdatedAt: '2026-01-01T00:00:01Z' }),
      'cluster-config',
      A,
      {},
      atOrAfterA,
    );
    assert.equal(stale.phase, 'waiting-for-objects');
    // a failing object outside the namespace filter is not ours
    const s = status(`main@sha1:${A}`, { state: 'Compliant', revision: A });
    s.statuses![3].complianceState = 'Non-Compliant';
    assert.equal((await evaluate(s, 'cluster-config', A, { namespaces: ['team-a'] }, atOrAfterA)).phase, 'reconciled');
    assert.equal((await evaluate(s, 'cluster-config', A, {}, atOrAfterA)).phase, 'non-compliant');
  });

  it('suspended and failed provisioning are terminal', async () => {
    assert.equal((await evaluate(status(`main@sha1:${OLD}`, { state: 'Compliant' }, { suspend: true }), 'c', A, {}, atOrAfterA)).phase, 'suspended');
    assert.equal(
      (await evaluate(status(`main@sha1:${OLD}`, { state: 'Suspended' }, { complianceState: 'Suspended' }), 'c', A, {}, atOrAfterA)).phase,
      'suspended',
    );
    const failed = await evaluate(
      status(`main@sha1:${OLD}`, { state: 'Compliant' }, { provisioningState: 'Failed', errorMessage: 'extension not installed' }),
      'c',
      A,
      {},
      atOrAfterA,
    );
    assert.equal(failed.phase, 'provisioning-failed');
    assert.equal(failed.summary, 'provisioningState is Failed: extension not installed');
    const bare = await evaluate(status(`main@sha1:${OLD}`, { state: 'Compliant' }, { provisioningState: 'Failed' }), 'c', A, {}, atOrAfterA);
    assert.equal(bare.summary, 'provisioningState is Failed (no errorMessage given)');
  });
});
