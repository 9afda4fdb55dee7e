// Pull requests over real git: the test merge (refs/pull/<id>/merge) with merge-tree, conflicts,
// completion with the four merge strategies, auto-complete held by branch policies, threads,
// statuses and properties. JSON shapes follow the 7.1 definitions GitPullRequest,
// GitPullRequestCommentThread, Comment, GitPullRequestStatus and the properties wire format.
import { randomUUID } from 'node:crypto';
import { errors } from './errors';
import {
  CommentThreadStatus,
  CommentType,
  GitPullRequestMergeStrategy,
  GitStatusState,
  PullRequestAsyncStatus,
  PullRequestStatus,
  enumName,
  parseEnum,
} from './enums';
import { CommitInfo, GitPerson, ZERO_ID } from './git';
import { Identity, PullRequest, Repository, StoredComment, StoredStatus, StoredThread, TypedValue, identityFor, nowIso, pullRequestArtifactId } from './model';
import type { DevOpsService, Json } from './service';
import type { WorkItems } from './work-items';
import { text } from '../common/json';

const ACTIVE = PullRequestStatus.active;
const COMPLETED = PullRequestStatus.completed;
const ABANDONED = PullRequestStatus.abandoned;
const EMPTY_IDENTITY = '00000000-0000-0000-0000-000000000000';

export class PullRequests {
  constructor(
    private readonly svc: DevOpsService,
    readonly workItems: WorkItems,
  ) {}

  identity(repo: Repository, id: unknown): Identity {
    const org = repo.project.org;
    const key = text(id, '').toLowerCase();
    const known = org.identities.get(key);
    if (known) return known;
    // Unknown ids are accepted as they come (the emulator has no directory of users).
    const created: Identity = { id: key, displayName: `User ${key.slice(0, 8)}`, uniqueName: `${key}@emulator.local`, email: `${key}@emulator.local` };
    org.identities.set(key, created);
    return created;
  }

  identityByName(repo: Repository, name: string): Identity {
    const org = repo.project.org;
    for (const i of org.identities.values()) if (i.displayName === name || i.id === name.toLowerCase() || i.uniqueName === name) return i;
    const created = identityFor(name);
    org.identities.set(created.id, created);
    return created;
  }

  find(repo: Repository, id: number): PullRequest {
    const pr = repo.pullRequests.get(id);
    if (!pr) throw errors.pullRequestNotFound(id);
    return pr;
  }

  // ---------- create ----------

  async create(repo: Repository, body: Json, by: Identity): Promise<PullRequest> {
    const sourceRefName = text(body.sourceRefName, '');
    const targetRefName = text(body.targetRefName, '');
    if (!sourceRefName) throw errors.argumentNull('sourceRefName');
    if (!targetRefName) throw errors.argumentNull('targetRefName');
    if (sourceRefName === targetRefName)
      throw errors.badRequest('InvalidArgumentValueException', 'TF401389: The source and target branch of a pull request cannot be the same.');
    const description = text(body.description, '');
    if (description.length > 4000) throw errors.invalidArgument('description', 'The description is limited to 4000 characters.');
    if (body.forkSource) throw errors.invalidArgument('forkSource', 'Forks are not supported by the emulator.');
    return repo.lock.run(async () => {
      for (const ref of [sourceRefName, targetRefName]) if (!(await repo.git.resolveCommit(ref))) throw errors.refNotFound(ref);
      for (const other of repo.pullRequests.values()) {
        if (other.status === ACTIVE && other.sourceRefName === sourceRefName && other.targetRefName === targetRefName) throw errors.pullRequestExists();
      }
      const id = ++repo.project.org.counters.pullRequest;
      const reviewers = Array.isArray(body.reviewers) ? (body.reviewers as Json[]) : [];
      const pr: PullRequest = {
        id,
        repo,
        status: ACTIVE,
        createdBy: by,
        creationDate: nowIso(),
        title: text(body.title, ''),
        description,
        sourceRefName,
        targetRefName,
        isDraft: body.isDraft === true || body.isDraft === 'true',
        mergeId: randomUUID(),
        mergeStatus: PullRequestAsyncStatus.queued,
        reviewers: reviewers.map((r) => ({
          identity: this.identity(repo, r.id),
          vote: Number(r.vote ?? 0),
          isRequired: r.isRequired === true,
          hasDeclined: false,
          isFlagged: false,
        })),
        labels: Array.isArray(body.labels) ? (body.labels as Json[]).map((l) => ({ id: randomUUID(), name: text(l.name, ''), active: true })) : [],
        ...(body.completionOptions ? { completionOptions: normalizeCompletionOptions(body.completionOptions as Json) } : {}),
        ...(body.mergeOptions ? { mergeOptions: body.mergeOptions as Json } : {}),
        threads: new Map(),
        statuses: [],
        properties: new Map(),
      };
      repo.pullRequests.set(id, pr);
      // Work item refs become ArtifactLinks on the work items (unknown ids are ignored, as the service does).
      for (const ref of Array.isArray(body.workItemRefs) ? (body.workItemRefs as Json[]) : []) this.workItems.linkPullRequest(pr, ref?.id, by);
      await this.refreshMerge(pr);
      return pr;
    });
  }

  // ---------- merge state ----------

  /** Recomputes the test merge when the source or target moved (called under the repository lock). */
  async refreshMerge(pr: PullRequest): Promise<void> {
    if (pr.status !== ACTIVE) return;
    const git = pr.repo.git;
    const source = await git.resolveCommit(pr.sourceRefName);
    const target = await git.resolveCommit(pr.targetRefName);
    if (source === pr.lastMergeSourceCommit && target === pr.lastMergeTargetCommit && pr.mergeStatus !== PullRequestAsyncStatus.queued) return;
    pr.policyRejected = undefined;
    pr.mergeFailureMessage = undefined;
    pr.mergeFailureType = undefined;
    if (!source || !target) {
      pr.mergeStatus = PullRequestAsyncStatus.failure!;
      pr.mergeFailureType = 'unknown';
      pr.mergeFailureMessage = `The ${source ? 'target' : 'source'} branch of the pull request no longer exists.`;
      pr.lastMergeCommit = undefined;
      return;
    }
    pr.lastMergeSourceCommit = source;
    pr.lastMergeTargetCommit = target;
    pr.mergeId = randomUUID();
    const merge = await git.mergeTree(target, source);
    if (!merge.clean) {
      pr.mergeStatus = PullRequestAsyncStatus.conflicts!;
      pr.lastMergeCommit = undefined;
      await git.tryGit(['update-ref', '-d', `refs/pull/${pr.id}/merge`]);
      return;
    }
    const who = this.person(pr.createdBy);
    const id = await git.commitTree(
      merge.tree,
      [target, source],
      `Merge pull request ${pr.id} from ${shortRef(pr.sourceRefName)} into ${shortRef(pr.targetRefName)}`,
      who,
      who,
    );
    await git.forceRef(`refs/pull/${pr.id}/merge`, id);
    pr.lastMergeCommit = summary(await git.readCommit(id));
    pr.mergeStatus = PullRequestAsyncStatus.succeeded!;
  }

  person(identity: Identity, date = nowIso()): GitPerson {
    return { name: identity.displayName, email: identity.email, date };
  }

  policyProblems(pr: PullRequest): string[] {
    const problems: string[] = [];
    const policy = pr.repo.policies.get(pr.targetRefName);
    const approvals = pr.reviewers.filter((r) => r.vote >= 5 && r.identity.id !== pr.createdBy.id).length;
    if (policy && policy.requiredReviewers > approvals) problems.push(`At least ${policy.requiredReviewers} reviewer(s) must approve (${approvals} approved).`);
    if (policy && policy.requiredReviewers > 0 && pr.reviewers.some((r) => r.vote <= -10)) problems.push('A reviewer rejected the pull request.');
    for (const r of pr.reviewers) if (r.isRequired && r.vote < 5) problems.push(`${r.identity.displayName} is a required reviewer and has not approved.`);
    if (policy?.rejectCompletion) problems.push(policy.rejectCompletion);
    return problems;
  }

  /** Completes the pull request if auto-complete is set and nothing holds it (under the lock). */
  async evaluateAutoComplete(pr: PullRequest): Promise<void> {
    if (pr.status !== ACTIVE || !pr.autoCompleteSetBy || pr.isDraft) return;
    await this.refreshMerge(pr);
    if (pr.mergeStatus !== PullRequestAsyncStatus.succeeded) return;
    const problems = this.policyProblems(pr).filter((p) => p !== pr.repo.policies.get(pr.targetRefName)?.rejectCompletion);
    if (problems.length > 0) return; // held: waiting for reviewers
    await this.complete(pr, { ...(pr.completionOptions ?? {}), triggeredByAutoComplete: true }, pr.autoCompleteSetBy);
  }

  /** Merges with the chosen strategy and moves the target branch (under the lock). */
  async complete(pr: PullRequest, options: Json, by: Identity): Promise<boolean> {
    const git = pr.repo.git;
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.refreshMerge(pr);
      if (pr.mergeStatus !== PullRequestAsyncStatus.succeeded) return false;
      const problems = this.policyProblems(pr);
      if (problems.length > 0 && options.bypassPolicy !== true) {
        pr.policyRejected = problems.join(' ');
        return false;
      }
      const source = pr.lastMergeSourceCommit!;
      const target = pr.lastMergeTargetCommit!;
      const strategy =
        parseEnum(GitPullRequestMergeStrategy, options.mergeStrategy, 'mergeStrategy') ??
        (options.squashMerge === true ? GitPullRequestMergeStrategy.squash : GitPullRequestMergeStrategy.noFastForward);
      const message =
        typeof options.mergeCommitMessage === 'string' && options.mergeCommitMessage
          ? options.mergeCommitMessage
          : `Merged PR ${pr.id}: ${pr.title}${pr.description ? `\n\n${pr.description}` : ''}`;
      const me = this.person(by);
      const mergedTree = (await git.readCommit(pr.lastMergeCommit!.commitId)).tree;
      let result: string;
      if (strategy === GitPullRequestMergeStrategy.squash) {
        result = await git.commitTree(mergedTree, [target], message, me, me);
      } else if (strategy === GitPullRequestMergeStrategy.rebase || strategy === GitPullRequestMergeStrategy.rebaseMerge) {
        const rebased = await this.rebase(pr, source, target, by);
        if (!rebased) return false;
        if (strategy === GitPullRequestMergeStrategy.rebase) result = rebased;
        else {
          const tree = (await git.readCommit(rebased)).tree;
          result = rebased === target ? target : await git.commitTree(tree, [target, rebased], message, me, me);
        }
      } else {
        result = await git.commitTree(mergedTree, [target, source], message, me, me);
      }
      if (!(await git.compareAndSwapRef(pr.targetRefName, result, target))) continue; // target moved underneath: merge again
      const now = nowIso();
      pr.status = COMPLETED;
      pr.closedDate = now;
      pr.closedBy = by;
      pr.completionQueueTime = now;
      pr.completionOptions = normalizeCompletionOptions({ ...(pr.completionOptions ?? {}), ...options });
      pr.lastMergeCommit = summary(await git.readCommit(result));
      pr.mergeStatus = PullRequestAsyncStatus.succeeded!;
      pr.policyRejected = undefined;
      pr.repo.pushes.push({
        pushId: ++pr.repo.project.org.counters.push,
        date: now,
        pushedBy: by,
        commits: [result],
        refUpdates: [{ name: pr.targetRefName, oldObjectId: target, newObjectId: result }],
      });
      if (options.deleteSourceBranch === true) await git.compareAndSwapRef(pr.sourceRefName, ZERO_ID, source);
      return true;
    }
    pr.mergeStatus = PullRequestAsyncStatus.failure!;
    pr.mergeFailureType = 'unknown';
    pr.mergeFailureMessage = 'The target branch kept moving while the pull request was being completed.';
    return false;
  }

  /** Replays the source commits onto the target (cherry-picks), keeping authors. */
  private async rebase(pr: PullRequest, source: string, target: string, by: Identity): Promise<string | null> {
    const git = pr.repo.git;
    if (await git.isAncestor(target, source)) return source; // fast-forward: nothing to rewrite
    const ids = await git.revList(['--reverse', '--topo-order', `${target}..${source}`]);
    let tip = target;
    for (const id of ids) {
      const c: CommitInfo = await git.readCommit(id);
      if (c.parents.length > 1) {
        pr.mergeStatus = PullRequestAsyncStatus.failure!;
        pr.mergeFailureType = 'unknown';
        pr.mergeFailureMessage = `The source branch contains the merge commit ${id}; rebase cannot replay merge commits.`;
        return null;
      }
      const picked = await git.cherryPickTree(c, tip);
      if (!picked.clean) {
        pr.mergeStatus = PullRequestAsyncStatus.conflicts!;
        pr.mergeFailureMessage = `Rebasing ${id} onto the target conflicts in: ${picked.conflicts.join(', ')}.`;
        return null;
      }
      tip = await git.commitTree(picked.tree, [tip], c.message, c.author, this.person(by));
    }
    return tip;
  }

  // ---------- update ----------

  /** PATCH pullrequests/{id}; returns the state to answer with (before auto-complete runs). */
  async update(pr: PullRequest, body: Json, by: Identity): Promise<Json> {
    return pr.repo.lock.run(async () => {
      await this.refreshMerge(pr);
      const status = parseEnum(PullRequestStatus, body.status, 'status');
      if (pr.status === COMPLETED) throw errors.pullRequestNotActive(pr.id);
      if (pr.status === ABANDONED && status !== ACTIVE) throw errors.pullRequestNotActive(pr.id);
      if (typeof body.title === 'string') pr.title = body.title;
      if (typeof body.description === 'string') {
        if (body.description.length > 4000) throw errors.invalidArgument('description', 'The description is limited to 4000 characters.');
        pr.description = body.description;
      }
      if (body.isDraft !== undefined && body.isDraft !== null) pr.isDraft = body.isDraft === true || body.isDraft === 'true';
      if (body.mergeOptions) pr.mergeOptions = body.mergeOptions as Json;
      if (body.completionOptions) pr.completionOptions = normalizeCompletionOptions({ ...(pr.completionOptions ?? {}), ...(body.completionOptions as Json) });
      if (typeof body.targetRefName === 'string' && body.targetRefName !== pr.targetRefName) {
        if (!(await pr.repo.git.resolveCommit(body.targetRefName))) throw errors.refNotFound(body.targetRefName);
        pr.targetRefName = body.targetRefName;
        pr.mergeStatus = PullRequestAsyncStatus.queued!;
        await this.refreshMerge(pr);
      }
      if (body.autoCompleteSetBy !== undefined && body.autoCompleteSetBy !== null) {
        const id = text((body.autoCompleteSetBy as Json).id, '');
        if (id === '' || id === EMPTY_IDENTITY) {
          pr.autoCompleteSetBy = undefined;
          pr.completionQueueTime = undefined;
        } else {
          pr.autoCompleteSetBy = this.identity(pr.repo, id);
          pr.completionQueueTime = nowIso();
        }
      }
      if (status === ABANDONED && pr.status === ACTIVE) {
        pr.status = ABANDONED;
        pr.closedDate = nowIso();
        pr.closedBy = by;
        pr.autoCompleteSetBy = undefined;
      } else if (status === ACTIVE && pr.status === ABANDONED) {
        for (const other of pr.repo.pullRequests.values()) {
          if (other !== pr && other.status === ACTIVE && other.sourceRefName === pr.sourceRefName && other.targetRefName === pr.targetRefName)
            throw errors.pullRequestExists();
        }
        pr.status = ACTIVE;
        pr.closedDate = undefined;
        pr.closedBy = undefined;
        pr.mergeStatus = PullRequestAsyncStatus.queued!;
        await this.refreshMerge(pr);
      } else if (status === COMPLETED) {
        const expected = (body.lastMergeSourceCommit as Json | undefined)?.commitId;
        if (typeof expected !== 'string' || !expected) throw errors.argumentNull('lastMergeSourceCommit');
        const current = await pr.repo.git.resolveCommit(pr.sourceRefName);
        if (expected.toLowerCase() !== current) throw errors.pullRequestStale(expected, current ?? ZERO_ID);
        await this.complete(pr, { ...(pr.completionOptions ?? {}), ...((body.completionOptions as Json | undefined) ?? {}) }, by);
        return this.json(pr);
      }
      const answer = await this.json(pr);
      await this.evaluateAutoComplete(pr);
      return answer;
    });
  }

  /** A reviewer votes (10 approve, 5 approve with suggestions, 0 none, -5 wait, -10 reject). */
  async vote(pr: PullRequest, reviewer: Identity, vote: number, isRequired?: boolean): Promise<void> {
    await pr.repo.lock.run(async () => {
      let r = pr.reviewers.find((x) => x.identity.id === reviewer.id);
      if (!r) {
        r = { identity: reviewer, vote: 0, isRequired: false, hasDeclined: false, isFlagged: false };
        pr.reviewers.push(r);
      }
      r.vote = vote;
      if (isRequired !== undefined) r.isRequired = isRequired;
      pr.policyRejected = undefined;
      await this.evaluateAutoComplete(pr);
    });
  }

  /** After refs moved: refresh the PRs whose branches moved and let auto-complete run (under the lock). */
  async afterRefChange(repo: Repository, refs: string[]): Promise<void> {
    for (const pr of repo.pullRequests.values()) {
      if (pr.status !== ACTIVE) continue;
      if (refs.includes(pr.sourceRefName) || refs.includes(pr.targetRefName)) {
        await this.refreshMerge(pr);
        await this.evaluateAutoComplete(pr);
      }
    }
  }

  async refreshAll(repo: Repository): Promise<void> {
    await repo.lock.run(async () => {
      for (const pr of repo.pullRequests.values()) {
        await this.refreshMerge(pr);
        await this.evaluateAutoComplete(pr);
      }
    });
  }

  // ---------- JSON ----------

  commitRef(repo: Repository, id: string): Json {
    return { commitId: id, url: `${this.svc.repoApiUrl(repo)}/commits/${id}` };
  }

  async json(pr: PullRequest, opts: { includeCommits?: boolean; includeWorkItemRefs?: boolean } = {}): Promise<Json> {
    const repo = pr.repo;
    const org = repo.project.org;
    const url = `${this.svc.repoApiUrl(repo)}/pullRequests/${pr.id}`;
    const mergeStatus = pr.policyRejected ? PullRequestAsyncStatus.rejectedByPolicy : pr.mergeStatus;
    const result: Json = {
      repository: await this.svc.repositoryJson(repo),
      pullRequestId: pr.id,
      codeReviewId: pr.id,
      status: enumName(PullRequestStatus, pr.status),
      createdBy: this.svc.identityRef(org, pr.createdBy),
      creationDate: pr.creationDate,
      ...(pr.closedDate ? { closedDate: pr.closedDate } : {}),
      ...(pr.closedBy ? { closedBy: this.svc.identityRef(org, pr.closedBy) } : {}),
      title: pr.title,
      description: pr.description,
      sourceRefName: pr.sourceRefName,
      targetRefName: pr.targetRefName,
      mergeStatus: enumName(PullRequestAsyncStatus, mergeStatus),
      ...(pr.mergeFailureType ? { mergeFailureType: pr.mergeFailureType } : {}),
      ...(pr.policyRejected || pr.mergeFailureMessage ? { mergeFailureMessage: pr.policyRejected ?? pr.mergeFailureMessage } : {}),
      isDraft: pr.isDraft,
      mergeId: pr.mergeId,
      ...(pr.lastMergeSourceCommit ? { lastMergeSourceCommit: this.commitRef(repo, pr.lastMergeSourceCommit) } : {}),
      ...(pr.lastMergeTargetCommit ? { lastMergeTargetCommit: this.commitRef(repo, pr.lastMergeTargetCommit) } : {}),
      ...(pr.lastMergeCommit
        ? {
            lastMergeCommit: {
              commitId: pr.lastMergeCommit.commitId,
              author: this.svc.userDate(pr.lastMergeCommit.author),
              committer: this.svc.userDate(pr.lastMergeCommit.committer),
              comment: pr.lastMergeCommit.comment,
              url: `${this.svc.repoApiUrl(repo)}/commits/${pr.lastMergeCommit.commitId}`,
            },
          }
        : {}),
      reviewers: pr.reviewers.map((r) => ({
        reviewerUrl: `${url}/reviewers/${r.identity.id}`,
        vote: r.vote,
        hasDeclined: r.hasDeclined,
        ...(r.isRequired ? { isRequired: true } : {}),
        isFlagged: r.isFlagged,
        ...this.svc.identityRef(org, r.identity),
      })),
      ...(pr.labels.length ? { labels: pr.labels.map((l) => ({ ...l, url: `${this.svc.collectionUrl(org)}/_apis/tags/${l.id}` })) } : {}),
      ...(opts.includeWorkItemRefs && this.workItems.linkedTo(pr).length
        ? { workItemRefs: this.workItems.linkedTo(pr).map((w) => this.workItems.ref(w)) }
        : {}),
      url,
      _links: {
        self: { href: url },
        repository: { href: this.svc.repoApiUrl(repo) },
        workItems: { href: `${url}/workitems` },
        sourceBranch: { href: `${this.svc.repoApiUrl(repo)}/refs/${pr.sourceRefName.slice(5)}` },
        targetBranch: { href: `${this.svc.repoApiUrl(repo)}/refs/${pr.targetRefName.slice(5)}` },
        statuses: { href: `${url}/statuses` },
        ...(pr.lastMergeSourceCommit ? { sourceCommit: { href: `${this.svc.repoApiUrl(repo)}/commits/${pr.lastMergeSourceCommit}` } } : {}),
        ...(pr.lastMergeTargetCommit ? { targetCommit: { href: `${this.svc.repoApiUrl(repo)}/commits/${pr.lastMergeTargetCommit}` } } : {}),
        createdBy: { href: `${this.svc.collectionUrl(org)}/_apis/Identities/${pr.createdBy.id}` },
        iterations: { href: `${url}/iterations` },
      },
      ...(pr.completionOptions ? { completionOptions: pr.completionOptions } : {}),
      ...(pr.mergeOptions ? { mergeOptions: pr.mergeOptions } : {}),
      ...(pr.autoCompleteSetBy ? { autoCompleteSetBy: this.svc.identityRef(org, pr.autoCompleteSetBy) } : {}),
      ...(pr.completionQueueTime ? { completionQueueTime: pr.completionQueueTime } : {}),
      supportsIterations: true,
      artifactId: pullRequestArtifactId(pr),
    };
    if (opts.includeCommits) result.commits = await this.commits(pr);
    return result;
  }

  async commits(pr: PullRequest): Promise<Json[]> {
    const git = pr.repo.git;
    const source = pr.lastMergeSourceCommit;
    const target = pr.lastMergeTargetCommit;
    if (!source || !target) return [];
    const base = pr.status === COMPLETED ? ((await git.readCommit(pr.lastMergeCommit!.commitId)).parents[0] ?? target) : target;
    const list = await git.log([`${base}..${source}`]);
    return list.map((c) => this.svc.commitRefJson(pr.repo, c));
  }

  // ---------- threads and comments ----------

  createThread(pr: PullRequest, body: Json, by: Identity): StoredThread {
    const now = nowIso();
    const org = pr.repo.project.org;
    const thread: StoredThread = {
      id: ++org.counters.thread,
      publishedDate: now,
      lastUpdatedDate: now,
      status: parseEnum(CommentThreadStatus, body.status, 'status') ?? CommentThreadStatus.active,
      comments: [],
      threadContext: body.threadContext ?? null,
      pullRequestThreadContext: body.pullRequestThreadContext ?? undefined,
      properties: typedProperties(body.properties),
      isDeleted: false,
    };
    const comments = Array.isArray(body.comments) ? (body.comments as Json[]) : [];
    for (const c of comments) thread.comments.push(this.newComment(thread, c, by));
    pr.threads.set(thread.id, thread);
    return thread;
  }

  newComment(thread: StoredThread, body: Json, by: Identity): StoredComment {
    const now = nowIso();
    const comment: StoredComment = {
      id: thread.comments.length + 1,
      parentCommentId: Number(body.parentCommentId ?? 0),
      author: by,
      content: text(body.content, ''),
      publishedDate: now,
      lastUpdatedDate: now,
      lastContentUpdatedDate: now,
      commentType: parseEnum(CommentType, body.commentType, 'commentType') ?? CommentType.text,
      isDeleted: false,
    };
    thread.lastUpdatedDate = now;
    return comment;
  }

  findThread(pr: PullRequest, id: number): StoredThread {
    const t = pr.threads.get(id);
    if (!t) throw errors.threadNotFound(id);
    return t;
  }

  updateThread(thread: StoredThread, body: Json): void {
    const status = parseEnum(CommentThreadStatus, body.status, 'status');
    if (status !== undefined) thread.status = status;
    if (body.properties) Object.assign(thread.properties, typedProperties(body.properties));
    if (body.isDeleted === true) thread.isDeleted = true;
    thread.lastUpdatedDate = nowIso();
  }

  threadJson(pr: PullRequest, t: StoredThread): Json {
    const url = `${this.svc.repoApiUrl(pr.repo)}/pullRequests/${pr.id}/threads/${t.id}`;
    return {
      pullRequestThreadContext: t.pullRequestThreadContext ?? null,
      id: t.id,
      publishedDate: t.publishedDate,
      lastUpdatedDate: t.lastUpdatedDate,
      comments: t.comments.map((c) => this.commentJson(pr, t, c)),
      status: enumName(CommentThreadStatus, t.status),
      threadContext: t.threadContext ?? null,
      properties: t.properties,
      identities: null,
      isDeleted: t.isDeleted,
      _links: { self: { href: url }, repository: { href: this.svc.repoApiUrl(pr.repo) } },
    };
  }

  commentJson(pr: PullRequest, t: StoredThread, c: StoredComment): Json {
    const url = `${this.svc.repoApiUrl(pr.repo)}/pullRequests/${pr.id}/threads/${t.id}/comments/${c.id}`;
    return {
      id: c.id,
      parentCommentId: c.parentCommentId,
      author: this.svc.identityRef(pr.repo.project.org, c.author),
      content: c.content,
      publishedDate: c.publishedDate,
      lastUpdatedDate: c.lastUpdatedDate,
      lastContentUpdatedDate: c.lastContentUpdatedDate,
      ...(c.isDeleted ? { isDeleted: true } : {}),
      commentType: enumName(CommentType, c.commentType),
      usersLiked: [],
      _links: { self: { href: url }, repository: { href: this.svc.repoApiUrl(pr.repo) }, threads: { href: url.replace(/\/comments\/\d+$/, '') } },
    };
  }

  // ---------- statuses ----------

  newStatus(repo: Repository, body: Json, by: Identity, withIteration: boolean): StoredStatus {
    const context = (body.context ?? {}) as Json;
    if (!context.name) throw errors.argumentNull('context.name');
    const state = parseEnum(GitStatusState, body.state, 'state') ?? GitStatusState.notSet;
    const now = nowIso();
    return {
      id: ++repo.project.org.counters.status,
      state,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      context: { name: text(context.name), ...(context.genre ? { genre: text(context.genre) } : {}) },
      ...(typeof body.targetUrl === 'string' ? { targetUrl: body.targetUrl } : {}),
      creationDate: now,
      updatedDate: now,
      createdBy: by,
      ...(withIteration && body.iterationId !== undefined && body.iterationId !== null ? { iterationId: Number(body.iterationId) } : {}),
      ...(withIteration && body.properties ? { properties: typedProperties(body.properties) } : {}),
    };
  }

  statusJson(repo: Repository, s: StoredStatus, selfUrl: string): Json {
    return {
      id: s.id,
      state: enumName(GitStatusState, s.state),
      ...(s.description !== undefined ? { description: s.description } : {}),
      context: s.context,
      creationDate: s.creationDate,
      updatedDate: s.updatedDate,
      createdBy: this.svc.identityRef(repo.project.org, s.createdBy),
      ...(s.targetUrl !== undefined ? { targetUrl: s.targetUrl } : {}),
      ...(s.iterationId !== undefined ? { iterationId: s.iterationId } : {}),
      ...(s.properties ? { properties: s.properties } : {}),
      _links: { self: { href: selfUrl }, repository: { href: this.svc.repoApiUrl(repo) } },
    };
  }

  // ---------- properties ----------

  propertiesJson(pr: PullRequest): Json {
    const value: Record<string, TypedValue> = {
      'Microsoft.Git.PullRequest.SourceRefName': { $type: 'System.String', $value: pr.sourceRefName },
      'Microsoft.Git.PullRequest.TargetRefName': { $type: 'System.String', $value: pr.targetRefName },
    };
    for (const [k, v] of pr.properties) value[k] = v;
    return { count: Object.keys(value).length, value };
  }

  /** JSON Patch (add, replace, remove, test) on /<key>; "add" at "" merges an object. */
  patchProperties(pr: PullRequest, ops: unknown): void {
    if (!Array.isArray(ops)) throw errors.invalidArgument('patchDocument', 'A JSON patch document (an array of operations) is expected.');
    const next = new Map(pr.properties);
    for (const [i, raw] of (ops as Json[]).entries()) {
      const op = text(raw?.op, '').toLowerCase();
      const p = text(raw?.path, '');
      if (p !== '' && !p.startsWith('/')) throw errors.invalidArgument(`patchDocument[${i}].path`, `'${p}' must start with '/'.`);
      const key = p.slice(1).replace(/~1/g, '/').replace(/~0/g, '~');
      if (op === 'add' || op === 'replace') {
        if (key === '') {
          if (!raw.value || typeof raw.value !== 'object') throw errors.invalidArgument(`patchDocument[${i}].value`, 'An object is expected at the root.');
          for (const [k, v] of Object.entries(raw.value as Json)) next.set(k, patchValue(v));
        } else {
          if (op === 'replace' && !next.has(key)) throw errors.invalidArgument(`patchDocument[${i}].path`, `The property '${key}' does not exist.`);
          next.set(key, patchValue(raw.value));
        }
      } else if (op === 'remove') {
        next.delete(key);
      } else if (op === 'test') {
        if (String(next.get(key)?.$value) !== String(raw.value)) throw errors.badRequest('TestOperationFailedException', `The test of '${key}' failed.`);
      } else {
        throw errors.invalidArgument(`patchDocument[${i}].op`, `'${op}' is not supported.`);
      }
    }
    pr.properties.clear();
    for (const [k, v] of next) pr.properties.set(k, v);
  }
}

export function normalizeCompletionOptions(raw: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null) continue;
    if (k === 'mergeStrategy')
      out.mergeStrategy = enumName(GitPullRequestMergeStrategy, parseEnum(GitPullRequestMergeStrategy, v, 'completionOptions.mergeStrategy')!);
    else if (['bypassPolicy', 'deleteSourceBranch', 'squashMerge', 'transitionWorkItems', 'triggeredByAutoComplete'].includes(k))
      out[k] = v === true || v === 'true';
    else out[k] = v;
  }
  return out;
}

function summary(c: CommitInfo): { commitId: string; author: GitPerson; committer: GitPerson; comment: string } {
  return { commitId: c.id, author: c.author, committer: c.committer, comment: c.message.replace(/\n+$/, '') };
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/heads\//, '');
}

/** Thread and status properties: plain values are typed as the service types them. */
function typedProperties(raw: unknown): Record<string, TypedValue> {
  const out: Record<string, TypedValue> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Json)) {
    if (v && typeof v === 'object' && '$type' in (v as Json)) out[k] = v as TypedValue;
    else if (typeof v === 'number') out[k] = { $type: Number.isInteger(v) ? 'System.Int32' : 'System.Double', $value: v };
    else if (typeof v === 'boolean') out[k] = { $type: 'System.Boolean', $value: v };
    else out[k] = { $type: 'System.String', $value: String(v) };
  }
  return out;
}

/** PR properties through JSON patch: values are stored as strings, ISO dates as DateTime (httpExamples/pullRequestProperties). */
function patchValue(v: unknown): TypedValue {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) return { $type: 'System.DateTime', $value: new Date(v).toISOString() };
  if (v && typeof v === 'object') return { $type: 'System.String', $value: JSON.stringify(v) };
  return { $type: 'System.String', $value: String(v) };
}
