import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { GitStatusState, PullRequestAsyncStatus, PullRequestStatus, CommentThreadStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { connectWithJobToken, connectWithPat } from '../../../shared/devops/connection';
import { DevOpsError, describeFailure, maskSecrets, wrapFailure } from '../../../shared/devops/errors';
import {
  describeWaitingState,
  describeWhatHolds,
  judgePullRequest,
  PullRequestAbandonedError,
  PullRequestConflictError,
  PullRequestRejectedByPolicyError,
  PullRequestMergeFailedError,
  PullRequestWaitTimeoutError,
} from '../../../shared/devops/pull-request-wait';
import { toPullRequestInfo, truncateForField } from '../../../shared/devops/pull-requests';
import { isSameStatus, latestStatusFor } from '../../../shared/devops/statuses';
import { commentWithMarker, findMarkedThread, markerFor, MAX_COMMENT_LENGTH } from '../../../shared/devops/comment-thread';
import { commitFolder, isStaleRef } from '../../../shared/devops/commit-folder';
import { UnsafePathError } from '../../../shared/devops/errors';
import type { Repository } from '../../../shared/devops/repository';

const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-job-token';
const repo: Repository = { id: 'r1', name: 'gitops', project: { id: 'p1', name: 'demo' }, display: 'demo/gitops' };

describe('error messages', () => {
  it('say the action, the status, the typeKey and the server message', () => {
    const failure = Object.assign(new Error('TF401028: The reference has already been updated'), {
      statusCode: 409,
      result: { typeKey: 'GitReferenceStaleException', message: 'TF401028: The reference has already been updated' },
    });
    const e = wrapFailure('pushing 2 files to /dev on refs/heads/main of demo/gitops', failure);
    assert.equal(
      e.message,
      'pushing 2 files to /dev on refs/heads/main of demo/gitops: HTTP 409 GitReferenceStaleException: TF401028: The reference has already been updated',
    );
    assert.equal(e.statusCode, 409);
    assert.equal(e.typeKey, 'GitReferenceStaleException');
    assert.equal(isStaleRef(e), true);
    assert.equal(describeFailure(Object.assign(new Error('Failed request: (503)'), { statusCode: 503 })), 'HTTP 503');
    assert.equal(describeFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 'read ECONNRESET');
  });

  it('never contain the token, raw or as a basic-auth header', () => {
    const b64 = Buffer.from(`:${TOKEN}`).toString('base64');
    const failure = Object.assign(new Error(`echo: Bearer ${TOKEN} Basic ${b64}`), { statusCode: 401 });
    const e = wrapFailure(`calling with ${TOKEN}`, failure, [TOKEN]);
    assert.ok(!e.message.includes(TOKEN) && !e.message.includes(b64), e.message);
    assert.equal(maskSecrets('abc', ['']), 'abc');
  });

  it('connection errors are masked too, and the token is required', async () => {
    const conn = connectWithJobToken('http://127.0.0.1:9/org', TOKEN, { retry: { maxAttempts: 1 } });
    sinon.stub(conn.git, 'getRepository').rejects(Object.assign(new Error(`denied for ${TOKEN}`), { statusCode: 401 }));
    await assert.rejects(
      conn.idempotent('looking up demo/gitops', (git) => git.getRepository('gitops', 'demo')),
      (e: Error) => {
        assert.ok(e instanceof DevOpsError);
        assert.equal(e.message, 'looking up demo/gitops: HTTP 401: denied for ***');
        return true;
      },
    );
    assert.throws(() => connectWithPat('https://dev.azure.com/other', ''), /no personal access token for https:\/\/dev.azure.com\/other/);
  });

  it('a read is retried on 503 through the connection, with the waits it was told', async () => {
    const waits: number[] = [];
    const conn = connectWithJobToken('http://127.0.0.1:9/org', TOKEN, {
      retry: {
        wait: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
        random: () => 0,
        baseDelayMs: 100,
      },
    });
    const stub = sinon.stub(conn.git, 'getRepository');
    stub.onCall(0).rejects(Object.assign(new Error('x'), { statusCode: 503 }));
    stub.onCall(1).rejects(Object.assign(new Error('y'), { statusCode: 429, responseHeaders: { 'retry-after': '1' } }));
    stub.onCall(2).resolves({ id: 'r' });
    assert.deepEqual(await conn.idempotent('reading', (git) => git.getRepository('r', 'p')), { id: 'r' });
    assert.deepEqual(waits, [50, 1000]);
  });

  it('a write is sent once', async () => {
    const conn = connectWithJobToken('http://127.0.0.1:9/org', TOKEN);
    sinon.stub(conn, 'ensureGitLocations').resolves();
    const stub = sinon.stub(conn.git, 'createPush').rejects(Object.assign(new Error('boom'), { statusCode: 500 }));
    await assert.rejects(
      conn.once('pushing', (git) => git.createPush({}, 'r')),
      /pushing: HTTP 500: boom/,
    );
    assert.equal(stub.callCount, 1);
  });
});

describe('commitFolder before any request', () => {
  it('rejects unsafe paths and sends nothing', async () => {
    const conn = connectWithJobToken('http://127.0.0.1:9/org', TOKEN);
    const spies = [sinon.spy(conn.git, 'getRefs'), sinon.spy(conn.git, 'getItems'), sinon.spy(conn.git, 'createPush')];
    for (const files of <Record<string, string>[]>[{ 'ok.yaml': 'a', '../prod/x.yaml': 'b' }, { '/abs.yaml': 'a' }, { '.git/config': 'a' }]) {
      await assert.rejects(commitFolder(conn, repo, { branch: 'main', folder: 'clusters/dev', files, message: 'm' }), UnsafePathError);
    }
    await assert.rejects(commitFolder(conn, repo, { branch: 'main', folder: 'clusters/../prod', files: {}, message: 'm' }), UnsafePathError);
    await assert.rejects(commitFolder(conn, repo, { branch: 'main', folder: 'dev', files: {}, message: ' ' }), /commit message is empty/);
    for (const s of spies) assert.equal(s.callCount, 0);
  });
});

describe('pull request states', () => {
  const conn = connectWithJobToken('https://dev.azure.com/contoso', TOKEN);
  const pr = (fields: Record<string, unknown>) =>
    toPullRequestInfo(conn, repo, {
      pullRequestId: 7,
      status: PullRequestStatus.Active,
      mergeStatus: PullRequestAsyncStatus.Succeeded,
      targetRefName: 'refs/heads/main',
      ...fields,
    });

  it('projects the client object and builds the web URL', () => {
    const info = pr({ autoCompleteSetBy: { id: 'u1' }, reviewers: [{ id: 'g1', vote: 10, isRequired: true }], lastMergeCommit: { commitId: 'ABC' } });
    assert.equal(info.webUrl, 'https://dev.azure.com/contoso/demo/_git/gitops/pullrequest/7');
    assert.equal(info.autoComplete, true);
    assert.equal(info.lastMergeCommit, 'abc');
    assert.deepEqual(info.reviewers, [{ id: 'g1', displayName: undefined, vote: 10, required: true }]);
    assert.equal(pr({ autoCompleteSetBy: { id: '00000000-0000-0000-0000-000000000000' } }).autoComplete, false);
  });

  it('judges merged, pending and each failure with its own error', () => {
    assert.deepEqual(judgePullRequest(pr({ status: PullRequestStatus.Completed, lastMergeCommit: { commitId: 'c1' } })), { kind: 'merged', commitId: 'c1' });
    assert.deepEqual(judgePullRequest(pr({ status: PullRequestStatus.Completed })), { kind: 'pending' });
    assert.deepEqual(judgePullRequest(pr({})), { kind: 'pending' });
    const failed = (fields: Record<string, unknown>) => {
      const v = judgePullRequest(pr(fields));
      assert.equal(v.kind, 'failed');
      return (v as { error: Error }).error;
    };
    const abandoned = failed({ status: PullRequestStatus.Abandoned });
    assert.ok(abandoned instanceof PullRequestAbandonedError);
    assert.equal(abandoned.message, 'pull request 7 (https://dev.azure.com/contoso/demo/_git/gitops/pullrequest/7) was abandoned before it was merged');
    assert.ok(failed({ mergeStatus: PullRequestAsyncStatus.Conflicts }) instanceof PullRequestConflictError);
    assert.match(
      failed({ mergeStatus: PullRequestAsyncStatus.Conflicts, mergeFailureMessage: 'a.yaml' }).message,
      /has merge conflicts with refs\/heads\/main: a.yaml/,
    );
    assert.ok(failed({ mergeStatus: PullRequestAsyncStatus.RejectedByPolicy }) instanceof PullRequestRejectedByPolicyError);
    assert.ok(failed({ mergeStatus: PullRequestAsyncStatus.Failure }) instanceof PullRequestMergeFailedError);
    assert.match(
      failed({ reviewers: [{ id: 'g1', displayName: 'Ops', vote: -10, isRequired: true }] }).message,
      /rejected by policy: required reviewer Ops rejected it/,
    );
    assert.deepEqual(judgePullRequest(pr({ reviewers: [{ id: 'g1', vote: -10, isRequired: false }] })), { kind: 'pending' });
  });

  it('says what a held PR waits for', () => {
    const held = pr({
      autoCompleteSetBy: { id: 'u1' },
      reviewers: [
        { id: 'a', vote: 0, isRequired: true },
        { id: 'b', vote: 10, isRequired: true },
      ],
    });
    assert.equal(describeWaitingState(held), 'active, merge status succeeded, auto-complete on, waiting for 1 of 2 required reviewer(s) to approve');
    assert.match(new PullRequestWaitTimeoutError(held, 90_000).message, /was not merged within 1.5 min|was not merged within 1 min 30 s/);
    // The last read's failure, whatever was thrown, is told as text (not "[object Object]").
    assert.match(new PullRequestWaitTimeoutError(held, 90_000, new Error('socket hang up')).message, /; the last read failed: socket hang up$/);
    assert.match(new PullRequestWaitTimeoutError(held, 90_000, { statusCode: 503 }).message, /; the last read failed: \{"statusCode":503\}$/);
  });

  it('names what holds a PR: conflicts, draft, required reviewers not approved, a reviewer waiting for the author, auto-complete off, else policies', () => {
    const holds = (extra: Parameters<typeof pr>[0]) => describeWhatHolds(pr({ autoCompleteSetBy: { id: 'u1' }, ...extra }));
    assert.deepEqual(
      holds({
        reviewers: [
          { id: 'a', displayName: 'Release Approver', vote: 0, isRequired: true },
          { id: 'b', displayName: 'Ops', vote: 5, isRequired: true },
          { id: 'c', vote: -5, isRequired: true },
          { id: 'd', displayName: 'Optional', vote: 0, isRequired: false },
        ],
      }),
      ['required reviewer(s) Release Approver, c not yet approved', 'reviewer(s) c waiting for the author'],
    );
    assert.deepEqual(holds({ mergeStatus: PullRequestAsyncStatus.Conflicts, isDraft: true, autoCompleteSetBy: undefined }), [
      'merge conflicts with refs/heads/main',
      'it is a draft',
      'auto-complete is off: someone must complete it',
    ]);
    assert.deepEqual(holds({ mergeStatus: PullRequestAsyncStatus.Queued }), ['the merge is not computed yet']);
    assert.deepEqual(holds({}), ['branch policies not yet met (e.g. a build or comment resolution)']);
    const held = pr({ autoCompleteSetBy: { id: 'u1' }, reviewers: [{ id: 'a', displayName: 'Release Approver', vote: 0, isRequired: true }] });
    assert.match(new PullRequestWaitTimeoutError(held, 60_000).message, /; held by: required reviewer\(s\) Release Approver not yet approved$/);
  });

  it('truncates long fields with a note', () => {
    assert.equal(truncateForField('short', 10), 'short');
    const t = truncateForField('x'.repeat(5000), 4000);
    assert.equal(t.length, 4000);
    assert.ok(t.endsWith('(truncated)'));
  });
});

describe('status dedupe', () => {
  const ctx = { genre: 'gitops-flow', name: 'dev/reconciled' };
  const statuses = [
    { id: 1, state: GitStatusState.Pending, description: 'waiting', context: ctx },
    { id: 3, state: GitStatusState.Succeeded, description: 'done', context: ctx, targetUrl: 'http://run/1' },
    { id: 2, state: GitStatusState.Failed, description: 'x', context: { genre: 'gitops-flow', name: 'stage/reconciled' } },
  ];
  it('compares with the latest status of the same context only', () => {
    const latest = latestStatusFor(statuses, ctx);
    assert.equal(latest?.id, 3);
    assert.equal(isSameStatus(latest, { state: 'succeeded', description: 'done', targetUrl: 'http://run/1', context: ctx }), true);
    assert.equal(isSameStatus(latest, { state: 'succeeded', description: 'done', context: ctx }), false);
    assert.equal(isSameStatus(latest, { state: 'pending', description: 'done', targetUrl: 'http://run/1', context: ctx }), false);
    assert.equal(latestStatusFor(statuses, { genre: 'other', name: 'dev/reconciled' }), undefined);
  });
});

describe('comment thread marker', () => {
  it('hides a marker in the first line and finds the live marked thread', () => {
    assert.equal(markerFor('diff/dev'), '<!-- gitops-flow:diff/dev -->');
    assert.throws(() => markerFor('x --> <script>'), /use 1-100 letters/);
    const body = commentWithMarker('diff/dev', '## Diff');
    assert.equal(body, '<!-- gitops-flow:diff/dev -->\n## Diff');
    const threads = [
      { id: 5, comments: [{ id: 1, content: body }], status: CommentThreadStatus.Active },
      { id: 2, isDeleted: true, comments: [{ id: 1, content: body }] },
      { id: 9, comments: [{ id: 1, content: 'reply mentioning <!-- gitops-flow:diff/prod -->' }] },
      { id: 4, comments: [{ id: 1, content: 'plain' }] },
    ];
    assert.equal(findMarkedThread(threads, 'diff/dev')?.id, 5);
    assert.equal(findMarkedThread(threads, 'diff/stage'), undefined);
  });

  it('cuts a long comment under the limit, keeping the marker', () => {
    const body = commentWithMarker('k', 'y'.repeat(MAX_COMMENT_LENGTH * 2));
    assert.equal(body.length, MAX_COMMENT_LENGTH);
    assert.ok(body.startsWith('<!-- gitops-flow:k -->'));
    assert.match(body, /truncated/);
  });
});
