import * as assert from 'node:assert/strict';
import type { FolderHistoryEntry, PromotionTrailers } from '../../../shared/devops/promotion-history';
import { planRollback } from '../../../shared/workflows/promote-rollback';
import { InputError } from '../../../shared/util/errors';

const t = (release: string, extra: Partial<PromotionTrailers> = {}): PromotionTrailers => ({
  action: 'promote',
  app: 'web',
  environment: 'dev',
  release,
  sourceCommit: `src-${release}`,
  ...extra,
});
const entry = (commitId: string, trailers?: PromotionTrailers): FolderHistoryEntry => ({ commitId, subject: commitId, trailers });
const WHERE = '/apps/dev/web on main of p/gitops';

describe('planRollback: which folder state a rollback restores, from the history alone', () => {
  it('restores the folder as of the commit before the most recent promotion, naming the earlier release', () => {
    const history = [entry('c4', t('r3')), entry('c3'), entry('c2', t('r2')), entry('c1', t('r1'))];
    assert.deepEqual(planRollback(history, 'web', 'dev', WHERE), {
      fromRelease: 'r3',
      fromCommit: 'c4',
      // a hand edit after r2 is part of the state before r3
      restoredFrom: 'c3',
      toRelease: 'r2',
      toSourceCommit: 'src-r2',
      alreadyRolledBack: false,
    });
  });

  it('skips other apps and environments sharing the folder history', () => {
    const history = [entry('c3', t('r9', { app: 'api' })), entry('c2', t('r2')), entry('c1', t('s1', { environment: 'stage' })), entry('c0', t('r1'))];
    const plan = planRollback(history, 'web', 'dev', WHERE);
    assert.deepEqual([plan.fromRelease, plan.fromCommit, plan.restoredFrom, plan.toRelease], ['r2', 'c2', 'c1', 'r1']);
  });

  it('after a rollback, restores that rollback’s own state again: a re-run is a no-op', () => {
    const history = [entry('c3', t('r1', { action: 'rollback', rolledBackFrom: 'r2' })), entry('c2', t('r2')), entry('c1', t('r1'))];
    assert.deepEqual(planRollback(history, 'web', 'dev', WHERE), {
      fromRelease: 'r2',
      fromCommit: 'c3',
      restoredFrom: 'c3',
      toRelease: 'r1',
      toSourceCommit: 'src-r1',
      alreadyRolledBack: true,
    });
  });

  it('refuses, as an input error, when there is no promotion or no earlier one', () => {
    assert.throws(
      () => planRollback([entry('c1')], 'web', 'dev', WHERE),
      (e: Error) =>
        e instanceof InputError && e.message === `Input "action": the history of ${WHERE} holds no promotion of web to dev: there is nothing to roll back`,
    );
    assert.throws(
      () => planRollback([entry('c2abcdef012345', t('r1')), entry('c1')], 'web', 'dev', WHERE),
      (e: Error) =>
        e instanceof InputError &&
        e.message ===
          `Input "action": web r1 (commit c2abcdef0123) is the first promotion to dev in the history of ${WHERE}: there is no earlier release to roll back to`,
    );
  });
});
