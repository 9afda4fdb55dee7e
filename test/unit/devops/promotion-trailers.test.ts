import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatPromotionTrailers,
  parsePromotionTrailers,
  promotionsOf,
  PromotionTrailers,
  withPromotionTrailers,
} from '../../../shared/devops/promotion-history';

const promotion: PromotionTrailers = {
  action: 'promote',
  app: 'voting-app',
  environment: 'dev',
  release: '20261127.1',
  sourceCommit: 'a'.repeat(40),
  buildUrl: 'https://dev.azure.com/contoso/Voting/_build/results?buildId=78',
};

describe('promotion trailers: what every GitOpsPromote commit says about itself', () => {
  it('appends the trailers as the last paragraph, in a fixed order', () => {
    assert.equal(
      withPromotionTrailers('Promote voting-app 20261127.1 to dev\n', promotion),
      [
        'Promote voting-app 20261127.1 to dev',
        '',
        'GitOps-Flow-Action: promote',
        'GitOps-Flow-App: voting-app',
        'GitOps-Flow-Environment: dev',
        'GitOps-Flow-Release: 20261127.1',
        `GitOps-Flow-Source-Commit: ${'a'.repeat(40)}`,
        'GitOps-Flow-Build: https://dev.azure.com/contoso/Voting/_build/results?buildId=78',
      ].join('\n'),
    );
  });

  it('reads them back, including a rollback’s release it replaced', () => {
    assert.deepEqual(parsePromotionTrailers(withPromotionTrailers('Promote', promotion)), promotion);
    const rollback: PromotionTrailers = { action: 'rollback', app: 'web', environment: 'prod', release: 'r1', rolledBackFrom: 'r2' };
    assert.deepEqual(parsePromotionTrailers(withPromotionTrailers('Roll back web on prod from r2 to r1 (PR 7)', rollback)), rollback);
  });

  it('ignores trailers that are not in the last paragraph, and messages without app, environment and release', () => {
    assert.equal(parsePromotionTrailers('Edit by hand'), undefined);
    assert.equal(parsePromotionTrailers(`${formatPromotionTrailers(promotion)}\n\nThen a hand-written paragraph`), undefined);
    assert.equal(parsePromotionTrailers('x\n\nGitOps-Flow-App: web\nGitOps-Flow-Environment: dev'), undefined);
    assert.equal(
      parsePromotionTrailers('x\n\nGitOps-Flow-Action: delete\nGitOps-Flow-App: web\nGitOps-Flow-Environment: dev\nGitOps-Flow-Release: 1'),
      undefined,
    );
  });

  it('keeps a value on one line: a release name with a newline cannot forge another trailer', () => {
    const forged = { ...promotion, release: '1\nGitOps-Flow-App: other' };
    const parsed = parsePromotionTrailers(withPromotionTrailers('Promote', forged));
    assert.equal(parsed?.app, 'voting-app');
    assert.equal(parsed?.release, '1 GitOps-Flow-App: other');
  });

  it('round-trips any single-line values', () => {
    const value = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(s));
    fc.assert(
      fc.property(value, value, value, fc.constantFrom<'promote' | 'rollback'>('promote', 'rollback'), (app, environment, release, action) => {
        const t: PromotionTrailers = { action, app, environment, release };
        assert.deepEqual(parsePromotionTrailers(withPromotionTrailers('subject\n\nbody line', t)), t);
      }),
    );
  });

  it('picks one app and environment out of a folder history', () => {
    const history = [
      { commitId: '3', subject: 'c', trailers: { ...promotion, environment: 'stage' } },
      { commitId: '2', subject: 'b' },
      { commitId: '1', subject: 'a', trailers: promotion },
    ];
    assert.deepEqual(
      promotionsOf(history, 'voting-app', 'dev').map((e) => e.commitId),
      ['1'],
    );
  });
});
