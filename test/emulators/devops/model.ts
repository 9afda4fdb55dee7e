// In-memory state around the bare repositories: organizations, projects, repositories, pushes,
// pull requests, threads, statuses, policies. Git holds the content; this holds what git cannot.
import { createHash, randomUUID } from 'node:crypto';
import type { BareRepository, GitPerson } from './git';

export interface Identity {
  id: string;
  /** For a group, the scoped name "[scope]\\Name" (providerDisplayName), as reviewers show it. */
  displayName: string;
  /** For a group, "<domain>\\Name" (vstfs:///Classification/TeamProject/<id>\\Name), as the service sends it. */
  uniqueName: string;
  email: string;
  /** A group (security group or team): isContainer in IdentityRef and Identity. */
  group?: GroupInfo;
}

export interface GroupInfo {
  /** Group name without the scope, the Account property. */
  name: string;
  /** Project name, or the organization name for a collection-level group. */
  scopeName: string;
  /** vstfs:///Classification/TeamProject/<projectId> or vstfs:///Framework/IdentityDomain/<orgId>. */
  domain: string;
  description: string;
  /** Security identifier, in the descriptor (Microsoft.TeamFoundation.Identity;S-1-9-...). */
  sid: string;
  memberIds: string[];
}

/** A relation of a work item (WorkItemRelation): a link to another work item or an artifact. */
export interface WorkItemRelation {
  rel: string;
  url: string;
  attributes: Record<string, unknown>;
}

export interface WorkItem {
  id: number;
  rev: number;
  project: Project;
  fields: Record<string, unknown>;
  relations: WorkItemRelation[];
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
  /** Work items by id (ids are unique in the organization). */
  workItems: Map<number, WorkItem>;
  counters: { pullRequest: number; push: number; thread: number; status: number; workItem: number; link: number };
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
    workItems: new Map(),
    counters: { pullRequest: 0, push: 0, thread: 0, status: 0, workItem: 0, link: 0 },
  };
  return org;
}

/**
 * A stable identity for a display name (the same name gives the same id in every run). `seed`
 * tells apart identities that share a display name (two people called the same).
 */
export function identityFor(displayName: string, email?: string, seed: string = displayName): Identity {
  const id = stableGuid(seed);
  const slug =
    displayName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '.')
      .replace(/^\.|\.$/g, '') || 'user';
  return { id, displayName, uniqueName: email ?? `${slug}@emulator.local`, email: email ?? `${slug}@emulator.local` };
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** A name-based GUID (version 5 layout) from any text: the same text gives the same id. */
export function stableGuid(text: string): string {
  const hex = createHash('sha1').update(`gitops-flow-emulator:${text}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The artifact URI of a pull request, as work item links name it (GitPullRequest.artifactId). */
export function pullRequestArtifactId(pr: PullRequest): string {
  return `vstfs:///Git/PullRequestId/${pr.repo.project.id}%2f${pr.repo.id}%2f${pr.id}`;
}
