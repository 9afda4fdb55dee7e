import * as assert from 'node:assert/strict';
import type { ReconciliationResult } from '../../../shared/azure/wait';
import { promotionRecord, PromotionSteps } from '../../../shared/workflows/promote-context';
import { deploymentFailure, promotionOutcome } from '../../../shared/workflows/promote-outcome';
import { promotionMarkdown, pullRequestDescription } from '../../../shared/workflows/promote-report';
import type { VerificationResult } from '../../../shared/workflows/promote-verify';
import { subject } from './promotion-world';

const DEPLOYED = 'fedcba9876543210fedcba9876543210fedcba98';
const BACK = '0123456789abcdef0123456789abcdef01234567';
const where = '(proj/gitops /apps/dev/web)';
const flux = (ok: boolean, message: string): ReconciliationResult => ({ ok, outcomes: [], message, elapsedMs: 1000, requests: 2 });
const verification = (ok: boolean, message: string): VerificationResult => ({
  ok,
  message,
  elapsedMs: 3000,
  rounds: 2,
  checks: [{ display: 'https://***@web/health', ok, attempts: 2, firstFailure: 'status 503 (expected 200), body "down"' }],
});
const rollbackOf = { fromRelease: '7', fromCommit: DEPLOYED, restoredFrom: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' };
const steps = (more: PromotionSteps): PromotionSteps => ({ repository: { display: 'proj/gitops', url: 'https://x/proj/_git/gitops' }, ...more });

describe('promotion outcome: verification and rollback', () => {
  it('fails with the verification message when the smoke checks failed after Flux reconciled', () => {
    const r = promotionRecord(
      subject(),
      'push',
      steps({
        delivery: { outcome: 'pushed', deployedCommit: DEPLOYED },
        reconciliation: flux(true, 'ok'),
        verification: verification(false, 'Verification failed: x'),
      }),
    );
    assert.equal(deploymentFailure(r), 'Verification failed: x');
    assert.deepEqual(promotionOutcome(r, true), { result: 'Failed', message: 'Verification failed: x' });
    assert.match(
      promotionMarkdown(r),
      /### Verification\n\nVerification failed: x\n\n\| URL \| Result \| Answers \| First failing answer \|\n\|---\|---\|---\|---\|\n\| https:\/\/\*\*\*@web\/health \| failed \| 2 \| status 503 \(expected 200\), body "down" \|/,
    );
  });

  it('appends the verification to a success', () => {
    const r = promotionRecord(
      subject(),
      'push',
      steps({
        delivery: { outcome: 'pushed', deployedCommit: DEPLOYED },
        reconciliation: flux(true, 'ok'),
        verification: verification(true, '1 URL(s) verified in 3 s'),
      }),
    );
    assert.equal(promotionOutcome(r, true).message, `web 7 promoted to dev at fedcba987654 ${where}; ok; 1 URL(s) verified in 3 s`);
  });

  it('a failed promotion rolled back still fails, saying what failed and which release the environment is back on', () => {
    const failed = promotionRecord(
      subject(),
      'push',
      steps({ delivery: { outcome: 'pushed', deployedCommit: DEPLOYED }, reconciliation: flux(false, 'Flux failed on arc-1') }),
    );
    const back = promotionRecord(
      { ...subject(), names: { app: 'web', environment: 'dev', release: '6' }, rollback: rollbackOf },
      'push',
      steps({ delivery: { outcome: 'pushed', deployedCommit: BACK }, reconciliation: flux(true, 'ok') }),
    );
    assert.deepEqual(promotionOutcome({ ...failed, rolledBack: back }, true), {
      result: 'Failed',
      message: 'web 7 on dev failed: Flux failed on arc-1\nRolled back: dev is back on web 6 (commit 0123456789ab, Flux reconciled)',
    });
    const broken = promotionRecord({ ...subject(), rollback: rollbackOf }, 'push', {}, new Error('no earlier promotion'));
    assert.equal(
      promotionOutcome({ ...failed, rolledBack: broken }, true).message,
      'web 7 on dev failed: Flux failed on arc-1\nThe rollback failed too: no earlier promotion',
    );
  });

  it('a rollback names the releases rolled back from and to, in the result, the summary and the pull request', () => {
    const r = promotionRecord(
      { ...subject(), names: { app: 'web', environment: 'dev', release: '6' }, rollback: rollbackOf },
      'pullRequest',
      steps({ delivery: { outcome: 'merged', deployedCommit: BACK } }),
    );
    assert.equal(promotionOutcome(r, false).message, `web on dev rolled back from 7 to 6 at 0123456789ab ${where}`);
    assert.match(
      promotionMarkdown(r),
      /^## web on dev: rollback 7 → 6\n\nRestores `\/apps\/dev\/web` as it was at `aaaaaaaaaaaa`, before the promotion of 7 \(`fedcba987654`\)\.$/m,
    );
    assert.match(
      pullRequestDescription(r, undefined),
      /^Rolls \*\*web\*\* on \*\*dev\*\* back from release \*\*7\*\* to \*\*6\*\*: `\/apps\/dev\/web` as it was at `aaaaaaaaaaaa`/,
    );
    const unchanged = promotionRecord(
      { ...subject(), names: { app: 'web', environment: 'dev', release: '6' }, rollback: rollbackOf },
      'push',
      steps({ delivery: { outcome: 'unchanged', deployedCommit: BACK } }),
    );
    assert.equal(promotionOutcome(unchanged, false).message, `dev already holds web 6, as the rollback from 7 left it ${where}: nothing to roll back`);
  });
});
