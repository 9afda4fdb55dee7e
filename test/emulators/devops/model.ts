// In-memory state around the bare repositories: organizations, projects, repositories, pushes,
// pull requests, threads, statuses, policies. Git holds the content; this holds what git cannot.
import { createHash, randomUUID } from 'node:crypto';
import type { BareRepository, GitPerson } from './git';

export interface Identity {
  id: string;
  displayName: string;
  uniqueName: string;
  email: string;
}

/** Runs async work one at a time (per repository): ref updates, PR merges and completions. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export interface Organization {
  id: string;
  name: string;
  projects: Map<string, Project>;
  identities: Map<string, Identity>;
  /** The identity behind the emulator's token (what System.AccessToken is in a pipeline). */
  serviceIdentity: Identity;
  counters: { pullRequest: number; push: number; thread: number; status: number };
}

export interface Project {
  id: string;
  name: string;
  description: string;
  revision: number;
  lastUpdateTime: string;
  org: Organization;
  repositories: Map<string, Repository>;
}

export interface BranchPolicy {
  /** Minimum number of approving votes (5 or 10) from reviewers other than the author. */
  requiredReviewers: number;
  /** When set, completions into the branch are rejected by policy with this message. */
  rejectCompletion?: string;
}

export interface StoredStatus {
  id: number;
  state: number;
  description?: string;
  context: { name: string; genre?: string };
  targetUrl?: string;
  creationDate: string;
  updatedDate: string;
  createdBy: Identity;
  iterationId?: number;
  properties?: Record<string, TypedValue>;
}

export interface TypedValue {
  $type: string;
  $value: unknown;
}

export interface StoredPush {
  pushId: number;
  date: string;
  pushedBy: Identity;
  commits: string[];
  refUpdates: Array<{ name: string; oldObjectId: string; newObjectId: string }>;
}

export interface Reviewer {
  identity: Identity;
  vote: number;
  isRequired: boolean;
  hasDeclined: boolean;
  isFlagged: boolean;
}

export interface StoredComment {
  id: number;
  parentCommentId: number;
  author: Identity;
  content: string;
  publishedDate: string;
  lastUpdatedDate: string;
  lastContentUpdatedDate: string;
  commentType: number;
  isDeleted: boolean;
}

export interface StoredThread {
  id: number;
  publishedDate: string;
  lastUpdatedDate: string;
  status: number;
  comments: StoredComment[];
  threadContext: unknown;
  pullRequestThreadContext: unknown;
  properties: Record<string, TypedValue>;
  isDeleted: boolean;
}

export interface CommitSummary {
  commitId: string;
  author: GitPerson;
  committer: GitPerson;
  comment: string;
}

export interface PullRequest {
  id: number;
  repo: Repository;
  status: number;
  createdBy: Identity;
  creationDate: string;
  closedDate?: string;
  closedBy?: Identity;
  title: string;
  description: string;
  sourceRefName: string;
  targetRefName: string;
  isDraft: boolean;
  mergeId: string;
  mergeStatus: number;
  mergeFailureMessage?: string;
  mergeFailureType?: string;
  /** A completion was attempted and refused by a branch policy. */
  policyRejected?: string;
  lastMergeSourceCommit?: string;
  lastMergeTargetCommit?: string;
  lastMergeCommit?: CommitSummary;
  reviewers: Reviewer[];
  labels: Array<{ id: string; name: string; active: boolean }>;
  workItemRefs: Array<{ id: string; url?: string }>;
  completionOptions?: Record<string, unknown>;
  mergeOptions?: Record<string, unknown>;
  autoCompleteSetBy?: Identity;
  completionQueueTime?: string;
  threads: Map<number, StoredThread>;
  statuses: StoredStatus[];
  properties: Map<string, TypedValue>;
}

export interface Repository {
  id: string;
  name: string;
  project: Project;
  git: BareRepository;
  lock: Mutex;
  pushes: StoredPush[];
  pullRequests: Map<number, PullRequest>;
  commitStatuses: Map<string, StoredStatus[]>;
  policies: Map<string, BranchPolicy>;
}

export function newOrganization(name: string): Organization {
  const serviceIdentity = identityFor(`Project Collection Build Service (${name})`, `build-service@${name}.emulator`);
  const org: Organization = {
    id: randomUUID(),
    name,
    projects: new Map(),
    identities: new Map([[serviceIdentity.id, serviceIdentity]]),
    serviceIdentity,
    counters: { pullRequest: 0, push: 0, thread: 0, status: 0 },
  };
  return org;
}

/** A stable identity for a display name (the same name gives the same id in every run). */
export function identityFor(displayName: string, email?: string): Identity {
  const hex = createHash('sha1').update(`gitops-flow-emulator:${displayName}`).digest('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  const slug = displayName.toLowerCase().replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '') || 'user';
  return { id, displayName, uniqueName: email ?? `${slug}@emulator.local`, email: email ?? `${slug}@emulator.local` };
}

export function nowIso(): string {
  return new Date().toISOString();
}
