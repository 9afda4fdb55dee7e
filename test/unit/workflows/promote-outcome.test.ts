import * as assert from 'node:assert/strict';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import type { ReconciliationResult } from '../../../shared/azure/wait';
import { fillPlaceholders } from '../../../shared/workflows/placeholders';
import { promotionRecord } from '../../../shared/workflows/promote-context';
import { finishPromotion, promotionOutcome } from '../../../shared/workflows/promote-outcome';
import { fluxProgress } from '../../../shared/workflows/promote-flux';
import { promotionMarkdown, PromotionRecord } from '../../../shared/workflows/promote-report';
import { subject } from './promotion-world';

const DEPLOYED = 'fedcba9876543210fedcba9876543210fedcba98';
const reconciled = (ok: boolean, message: string): ReconciliationResult => ({ ok, outcomes: [], message, elapsedMs: 1000, requests: 2 });

function record(steps: Parameters<typeof promotionRecord>[2], mode: 'push' | 'pullRequest' = 'pullRequest'): PromotionRecord {
  return promotionRecord(subject(), mode, { repository: { display: 'proj/gitops', url: 'https://x/proj/_git/gitops' }, ...steps });
}

describe('promotion outcome', () => {
  const where = '(proj/gitops /apps/dev/web)';

  it('says the environment already runs the release when nothing changed', () => {
    assert.deepEqual(promotionOutcome(record({ delivery: { outcome: 'unchanged', deployedCommit: DEPLOYED } }), false), {
      result: 'Succeeded',
      message: `dev already runs web 7 ${where}`,
    });
    assert.deepEqual(
      promotionOutcome(record({ delivery: { outcome: 'unchanged', deployedCommit: DEPLOYED }, reconciliation: reconciled(true, 'Flux reconciled') }), true),
      { result: 'Succeeded', message: `dev already runs web 7 ${where}; Flux reconciled` },
    );
  });

  it('names the deployed commit for a push or a merge, and whether Flux was awaited', () => {
    assert.deepEqual(promotionOutcome(record({ delivery: { outcome: 'pushed', deployedCommit: DEPLOYED } }, 'push'), false), {
      result: 'Succeeded',
      message: `web 7 promoted to dev at fedcba987654 ${where}; Flux not awaited`,
    });
    assert.deepEqual(
      promotionOutcome(record({ delivery: { outcome: 'merged', deployedCommit: DEPLOYED }, reconciliation: reconciled(true, 'ok on 2') }), true),
      {
        result: 'Succeeded',
        message: `web 7 promoted to dev at fedcba987654 ${where}; ok on 2`,
      },
    );
  });

  it('names the pull request when the merge is not awaited', () => {
    const r = record({ delivery: { outcome: 'pull-request' }, pullRequest: { id: 12, url: 'https://x/pr/12', created: true } });
    assert.deepEqual(promotionOutcome(r, false), {
      result: 'Succeeded',
      message: `Pull request 12 opened for web 7 -> dev ${where}; not waiting for the merge`,
    });
  });

  it('says adopted, not opened, for a pull request an earlier run opened', () => {
    const r = record({ delivery: { outcome: 'pull-request' }, pullRequest: { id: 12, url: 'https://x/pr/12', created: false } });
    assert.equal(promotionOutcome(r, false).message, `Pull request 12 adopted for web 7 -> dev ${where}; not waiting for the merge`);
    assert.match(promotionMarkdown(r), /^Pull request \[12\]\(https:\/\/x\/pr\/12\) adopted; the merge was not awaited\.$/m);
  });

  it('maps Flux progress into 60-95% and reports 100% only for a promotion that succeeded', () => {
    assert.deepEqual([fluxProgress(0, 1), fluxProgress(1, 2), fluxProgress(2, 2), fluxProgress(0, 0)], [60, 77.5, 95, 60]);
    const done = new MemoryAgent();
    finishPromotion(done, record({ delivery: { outcome: 'merged', deployedCommit: DEPLOYED }, reconciliation: reconciled(true, 'done') }), true);
    assert.deepEqual(done.progressReports, [{ percent: 100, operation: `web 7 promoted to dev at fedcba987654 ${where}; done` }]);
    const failed = new MemoryAgent();
    finishPromotion(
      failed,
      record({ delivery: { outcome: 'merged', deployedCommit: DEPLOYED }, reconciliation: reconciled(false, 'arc-1: not compliant') }),
      true,
    );
    assert.deepEqual(failed.progressReports, []);
  });

  it('fails with the reconciliation message when Flux did not reconcile', () => {
    const r = record({ delivery: { outcome: 'merged', deployedCommit: DEPLOYED }, reconciliation: reconciled(false, 'arc-1: not compliant') });
    assert.deepEqual(promotionOutcome(r, true), { result: 'Failed', message: 'arc-1: not compliant' });
  });

  it('finishes: the reconciled output, the summary tab, the result', () => {
    const agent = new MemoryAgent();
    finishPromotion(agent, record({ delivery: { outcome: 'merged', deployedCommit: DEPLOYED }, reconciliation: reconciled(true, 'done') }), true);
    assert.deepEqual(Object.fromEntries(agent.outputs), { reconciled: 'true', verified: 'skipped' });
    assert.deepEqual(
      agent.summaries.map((s) => [s.title, s.fileName]),
      [['GitOps promotion: dev', 'gitops-promote-dev.md']],
    );
    assert.match(agent.summaries[0].markdown, /^## web 7 → dev$/m);
    assert.deepEqual(agent.result, { result: 'Succeeded', message: `web 7 promoted to dev at fedcba987654 ${where}; done` });
  });

  it('keeps the error of a failed promotion in its record', () => {
    const r = promotionRecord(subject(), 'push', {}, new Error('boom'));
    assert.equal(r.error, 'boom');
    assert.equal(r.outcome, undefined);
    assert.equal(r.objects, 2);
  });
});

describe('fillPlaceholders', () => {
  it('fills the names given and leaves the others', () => {
    assert.equal(fillPlaceholders('{app}/{environment}/{release}/{app}', { app: 'web', environment: 'dev', release: '7' }), 'web/dev/7/web');
    assert.equal(fillPlaceholders('gitops-flow/{app}/{environment}/{release}', { app: 'web', environment: 'dev' }), 'gitops-flow/web/dev/{release}');
    assert.equal(fillPlaceholders('{other}', { app: 'web' }), '{other}');
  });
});
