// The Azure DevOps Git 7.1 response definitions the emulator answers with, encoded for the
// conformance test. Each entry names the definition of the official spec
// (specification/git/7.1/git.json, "definitions") it is taken from: property names, types,
// formats and enum values as the spec lists them. Where the service's wire format differs from the
// Swagger (documented in httpExamples), the entry says so:
//  - ReferenceLinks: the wire format is { <name>: { href } }, not { links: {...} }.
//  - PropertiesCollection: the wire format is { <key>: { $type, $value } } (threads, statuses), and
//    { count, value: { <key>: { $type, $value } } } for pull request properties
//    (httpExamples/pullRequestProperties).
//  - Change.item is declared "T" (generic); the service sends a GitItem.
//  - GitPush.commits are declared GitCommitRef; the service sends treeId too (httpExamples/pushes).
// Properties the spec declares as objects may be null (threadContext, identities), as the service sends them.

export type Schema =
  | { kind: 'string'; format?: 'date-time' | 'uuid' | 'sha1'; enum?: readonly string[] }
  | { kind: 'integer' }
  | { kind: 'boolean' }
  | { kind: 'array'; items: Schema }
  | { kind: 'map'; values: Schema }
  | { kind: 'ref'; name: string; nullable?: boolean }
  | { kind: 'any' };

export interface Definition {
  /** allOf base definition */
  base?: string;
  properties: Record<string, Schema>;
  /** Properties the conformance test requires (the spec marks none required; these are what clients rely on). */
  required?: readonly string[];
}

const S: Schema = { kind: 'string' };
const DT: Schema = { kind: 'string', format: 'date-time' };
const UUID: Schema = { kind: 'string', format: 'uuid' };
const SHA: Schema = { kind: 'string', format: 'sha1' };
const I: Schema = { kind: 'integer' };
const B: Schema = { kind: 'boolean' };
const ANY: Schema = { kind: 'any' };
const arr = (items: Schema): Schema => ({ kind: 'array', items });
const map = (values: Schema): Schema => ({ kind: 'map', values });
const ref = (name: string, nullable = false): Schema => ({ kind: 'ref', name, nullable });
const en = (...values: string[]): Schema => ({ kind: 'string', enum: values });

export const DEFINITIONS: Record<string, Definition> = {
  // wire format of ReferenceLinks (see header)
  ReferenceLinks: { properties: {} },
  ReferenceLink: { properties: { href: S }, required: ['href'] },
  // definitions.GraphSubjectBase
  GraphSubjectBase: { properties: { _links: ref('ReferenceLinks'), descriptor: S, displayName: S, url: S } },
  // definitions.IdentityRef
  IdentityRef: {
    base: 'GraphSubjectBase',
    properties: { directoryAlias: S, id: S, imageUrl: S, inactive: B, isAadIdentity: B, isContainer: B, isDeletedInOrigin: B, profileUrl: S, uniqueName: S },
    required: ['id', 'displayName'],
  },
  // definitions.IdentityRefWithVote
  IdentityRefWithVote: {
    base: 'IdentityRef',
    properties: { hasDeclined: B, isFlagged: B, isReapprove: B, isRequired: B, reviewerUrl: S, vote: I, votedFor: arr(ref('IdentityRefWithVote')) },
    required: ['id', 'vote'],
  },
  // definitions.TeamProjectReference
  TeamProjectReference: {
    properties: {
      abbreviation: S,
      defaultTeamImageUrl: S,
      description: S,
      id: UUID,
      lastUpdateTime: DT,
      name: S,
      revision: I,
      state: en('deleting', 'new', 'wellFormed', 'createPending', 'all', 'unchanged', 'deleted'),
      url: S,
      visibility: en('private', 'public'),
    },
    required: ['id', 'name'],
  },
  // definitions.GitRepository
  GitRepository: {
    properties: {
      _links: ref('ReferenceLinks'),
      defaultBranch: S,
      id: UUID,
      isDisabled: B,
      isFork: B,
      isInMaintenance: B,
      name: S,
      parentRepository: ANY,
      project: ref('TeamProjectReference'),
      remoteUrl: S,
      size: I,
      sshUrl: S,
      url: S,
      validRemoteUrls: arr(S),
      webUrl: S,
    },
    required: ['id', 'name', 'project', 'remoteUrl', 'url'],
  },
  // definitions.GitStatusContext
  GitStatusContext: { properties: { genre: S, name: S }, required: ['name'] },
  // definitions.GitStatus (state enum of the spec plus partiallySucceeded from the client's GitStatusState)
  GitStatus: {
    properties: {
      _links: ref('ReferenceLinks'),
      context: ref('GitStatusContext'),
      createdBy: ref('IdentityRef'),
      creationDate: DT,
      description: S,
      id: I,
      state: en('notSet', 'pending', 'succeeded', 'failed', 'error', 'notApplicable', 'partiallySucceeded'),
      targetUrl: S,
      updatedDate: DT,
    },
    required: ['id', 'state', 'context', 'creationDate'],
  },
  // definitions.GitPullRequestStatus; properties in the PropertiesCollection wire format
  GitPullRequestStatus: { base: 'GitStatus', properties: { iterationId: I, properties: map(ref('TypedValue')) }, required: ['id', 'state', 'context'] },
  TypedValue: { properties: { $type: S, $value: ANY }, required: ['$type', '$value'] },
  // definitions.GitRef
  GitRef: {
    properties: {
      _links: ref('ReferenceLinks'),
      creator: ref('IdentityRef'),
      isLocked: B,
      isLockedBy: ref('IdentityRef'),
      name: S,
      objectId: SHA,
      peeledObjectId: SHA,
      statuses: arr(ref('GitStatus')),
      url: S,
    },
    required: ['name', 'objectId'],
  },
  // definitions.GitRefUpdateResult
  GitRefUpdateResult: {
    properties: {
      customMessage: S,
      isLocked: B,
      name: S,
      newObjectId: SHA,
      oldObjectId: SHA,
      rejectedBy: S,
      repositoryId: UUID,
      success: B,
      updateStatus: en(
        'succeeded',
        'forcePushRequired',
        'staleOldObjectId',
        'invalidRefName',
        'unprocessed',
        'unresolvableToCommit',
        'writePermissionRequired',
        'manageNotePermissionRequired',
        'createBranchPermissionRequired',
        'createTagPermissionRequired',
        'rejectedByPlugin',
        'locked',
        'refNameConflict',
        'rejectedByPolicy',
        'succeededNonExistentRef',
        'succeededCorruptRef',
      ),
    },
    required: ['name', 'oldObjectId', 'newObjectId', 'success', 'updateStatus'],
  },
  // definitions.GitRefUpdate
  GitRefUpdate: {
    properties: { isLocked: B, name: S, newObjectId: SHA, oldObjectId: SHA, repositoryId: UUID },
    required: ['name', 'oldObjectId', 'newObjectId'],
  },
  // definitions.GitUserDate
  GitUserDate: { properties: { date: DT, email: S, imageUrl: S, name: S }, required: ['name', 'email', 'date'] },
  // definitions.GitPushRef
  GitPushRef: { properties: { _links: ref('ReferenceLinks'), date: DT, pushedBy: ref('IdentityRef'), pushId: I, url: S } },
  // definitions.ItemContent / GitTemplate
  ItemContent: { properties: { content: S, contentType: en('rawText', 'base64Encoded') } },
  // definitions.FileContentMetadata
  FileContentMetadata: { properties: { contentType: S, encoding: I, extension: S, fileName: S, isBinary: B, isImage: B, vsLink: S } },
  // definitions.ItemModel
  ItemModel: {
    properties: { _links: ref('ReferenceLinks'), content: S, contentMetadata: ref('FileContentMetadata'), isFolder: B, isSymLink: B, path: S, url: S },
  },
  // definitions.GitItem
  GitItem: {
    base: 'ItemModel',
    properties: {
      commitId: SHA,
      gitObjectType: en('bad', 'commit', 'tree', 'blob', 'tag', 'ext2', 'ofsDelta', 'refDelta'),
      latestProcessedChange: ref('GitCommitRef'),
      objectId: SHA,
      originalObjectId: SHA,
    },
    required: ['objectId', 'gitObjectType', 'path'],
  },
  // definitions.Change + GitChange (item: GitItem on the wire)
  GitChange: {
    properties: {
      changeType: en(
        'none',
        'add',
        'edit',
        'encoding',
        'rename',
        'delete',
        'undelete',
        'branch',
        'merge',
        'lock',
        'rollback',
        'sourceRename',
        'targetRename',
        'property',
        'all',
      ),
      item: ref('GitItem'),
      newContent: ref('ItemContent'),
      sourceServerItem: S,
      url: S,
      changeId: I,
      newContentTemplate: ANY,
      originalPath: S,
    },
    required: ['changeType', 'item'],
  },
  // definitions.GitCommitRef (changeCounts: ChangeCountDictionary, a map of counts)
  GitCommitRef: {
    properties: {
      _links: ref('ReferenceLinks'),
      author: ref('GitUserDate'),
      changeCounts: map(I),
      changes: arr(ref('GitChange')),
      comment: S,
      commentTruncated: B,
      commitId: SHA,
      committer: ref('GitUserDate'),
      commitTooManyChanges: B,
      parents: arr(SHA),
      push: ref('GitPushRef'),
      remoteUrl: S,
      statuses: arr(ref('GitStatus')),
      url: S,
      workItems: arr(ANY),
    },
    required: ['commitId'],
  },
  // definitions.GitCommit
  GitCommit: { base: 'GitCommitRef', properties: { treeId: SHA }, required: ['commitId', 'treeId', 'author', 'committer', 'comment', 'parents'] },
  // definitions.GitPush (commits: GitCommit on the wire)
  GitPush: {
    base: 'GitPushRef',
    properties: { commits: arr(ref('GitCommit')), refUpdates: arr(ref('GitRefUpdate')), repository: ref('GitRepository') },
    required: ['pushId', 'date', 'pushedBy', 'commits', 'refUpdates'],
  },
  // definitions.GitCommitDiffs
  GitCommitDiffs: {
    properties: {
      aheadCount: I,
      allChangesIncluded: B,
      baseCommit: SHA,
      behindCount: I,
      changeCounts: map(I),
      changes: arr(ref('GitChange')),
      commonCommit: SHA,
      targetCommit: SHA,
    },
    required: ['aheadCount', 'behindCount', 'baseCommit', 'targetCommit', 'changes', 'allChangesIncluded'],
  },
  // definitions.GitPullRequestCompletionOptions
  GitPullRequestCompletionOptions: {
    properties: {
      autoCompleteIgnoreConfigIds: arr(I),
      bypassPolicy: B,
      bypassReason: S,
      deleteSourceBranch: B,
      mergeCommitMessage: S,
      mergeStrategy: en('noFastForward', 'squash', 'rebase', 'rebaseMerge'),
      squashMerge: B,
      transitionWorkItems: B,
      triggeredByAutoComplete: B,
    },
  },
  // definitions.GitPullRequestMergeOptions
  GitPullRequestMergeOptions: { properties: { conflictAuthorshipCommits: B, detectRenameFalsePositives: B, disableRenames: B } },
  // definitions.WebApiTagDefinition
  WebApiTagDefinition: { properties: { active: B, id: UUID, name: S, url: S } },
  // definitions.ResourceRef
  ResourceRef: { properties: { id: S, url: S } },
  // definitions.GitPullRequest
  GitPullRequest: {
    properties: {
      _links: ref('ReferenceLinks'),
      artifactId: S,
      autoCompleteSetBy: ref('IdentityRef'),
      closedBy: ref('IdentityRef'),
      closedDate: DT,
      codeReviewId: I,
      commits: arr(ref('GitCommitRef')),
      completionOptions: ref('GitPullRequestCompletionOptions'),
      completionQueueTime: DT,
      createdBy: ref('IdentityRef'),
      creationDate: DT,
      description: S,
      forkSource: ANY,
      hasMultipleMergeBases: B,
      isDraft: B,
      labels: arr(ref('WebApiTagDefinition')),
      lastMergeCommit: ref('GitCommitRef'),
      lastMergeSourceCommit: ref('GitCommitRef'),
      lastMergeTargetCommit: ref('GitCommitRef'),
      mergeFailureMessage: S,
      mergeFailureType: en('none', 'unknown', 'caseSensitive', 'objectTooLarge'),
      mergeId: UUID,
      mergeOptions: ref('GitPullRequestMergeOptions'),
      mergeStatus: en('notSet', 'queued', 'conflicts', 'succeeded', 'rejectedByPolicy', 'failure'),
      pullRequestId: I,
      remoteUrl: S,
      repository: ref('GitRepository'),
      reviewers: arr(ref('IdentityRefWithVote')),
      sourceRefName: S,
      status: en('notSet', 'active', 'abandoned', 'completed', 'all'),
      supportsIterations: B,
      targetRefName: S,
      title: S,
      url: S,
      workItemRefs: arr(ref('ResourceRef')),
    },
    required: ['pullRequestId', 'status', 'createdBy', 'creationDate', 'sourceRefName', 'targetRefName', 'mergeStatus', 'repository', 'reviewers', 'url'],
  },
  // definitions.Comment
  Comment: {
    properties: {
      _links: ref('ReferenceLinks'),
      author: ref('IdentityRef'),
      commentType: en('unknown', 'text', 'codeChange', 'system'),
      content: S,
      id: I,
      isDeleted: B,
      lastContentUpdatedDate: DT,
      lastUpdatedDate: DT,
      parentCommentId: I,
      publishedDate: DT,
      usersLiked: arr(ref('IdentityRef')),
    },
    required: ['id', 'author', 'content', 'commentType'],
  },
  // definitions.CommentThread + GitPullRequestCommentThread
  GitPullRequestCommentThread: {
    properties: {
      _links: ref('ReferenceLinks'),
      comments: arr(ref('Comment')),
      id: I,
      identities: map(ref('IdentityRef')),
      isDeleted: B,
      lastUpdatedDate: DT,
      properties: map(ref('TypedValue')),
      publishedDate: DT,
      status: en('unknown', 'active', 'fixed', 'wontFix', 'closed', 'byDesign', 'pending'),
      threadContext: ANY,
      pullRequestThreadContext: ANY,
    },
    required: ['id', 'comments', 'status', 'publishedDate'],
  },
  // PropertiesCollection, pull request properties wire format (httpExamples/pullRequestProperties)
  PullRequestProperties: { properties: { count: I, value: map(ref('TypedValue')) }, required: ['count', 'value'] },
  // Error body of the service (VssServiceException serialized; research/azure-api-contracts.md §3.1)
  ServiceError: {
    properties: { $id: S, innerException: ANY, message: S, typeName: S, typeKey: S, errorCode: I, eventId: I },
    required: ['$id', 'message', 'typeName', 'typeKey', 'errorCode', 'eventId'],
  },
  // ApiResourceLocation (Location area; research/azure-api-contracts.md §3.1)
  ApiResourceLocation: {
    properties: { id: UUID, area: S, resourceName: S, routeTemplate: S, resourceVersion: I, minVersion: S, maxVersion: S, releasedVersion: S },
    required: ['id', 'area', 'resourceName', 'routeTemplate', 'resourceVersion', 'minVersion', 'maxVersion', 'releasedVersion'],
  },
  // ResourceAreaInfo (Location area)
  ResourceAreaInfo: { properties: { id: UUID, name: S, locationUrl: S }, required: ['id', 'name', 'locationUrl'] },
};

/** What each operation answers: a definition, or a { count, value: [definition] } collection. */
export const OPERATION_RESPONSES: Record<string, { definition: string; collection?: boolean; status: number }> = {
  'Locations:git': { definition: 'ApiResourceLocation', collection: true, status: 200 },
  'Locations:Location': { definition: 'ApiResourceLocation', collection: true, status: 200 },
  ResourceAreas_List: { definition: 'ResourceAreaInfo', collection: true, status: 200 },
  'Repositories_Get Repository': { definition: 'GitRepository', status: 200 },
  Repositories_List: { definition: 'GitRepository', collection: true, status: 200 },
  Refs_List: { definition: 'GitRef', collection: true, status: 200 },
  'Refs_Update Refs': { definition: 'GitRefUpdateResult', collection: true, status: 200 },
  Pushes_Create: { definition: 'GitPush', status: 201 },
  Pushes_Get: { definition: 'GitPush', status: 200 },
  Items_Get: { definition: 'GitItem', status: 200 },
  'Items_Get:list': { definition: 'GitItem', collection: true, status: 200 },
  Commits_Get: { definition: 'GitCommit', status: 200 },
  'Commits_Get Commits': { definition: 'GitCommitRef', collection: true, status: 200 },
  Diffs_Get: { definition: 'GitCommitDiffs', status: 200 },
  'Pull Requests_Create': { definition: 'GitPullRequest', status: 201 },
  'Pull Requests_Get Pull Request': { definition: 'GitPullRequest', status: 200 },
  'Pull Requests_Get Pull Request By Id': { definition: 'GitPullRequest', status: 200 },
  'Pull Requests_Get Pull Requests': { definition: 'GitPullRequest', collection: true, status: 200 },
  'Pull Requests_Update': { definition: 'GitPullRequest', status: 200 },
  'Pull Request Reviewers_Create Pull Request Reviewer': { definition: 'IdentityRefWithVote', status: 200 },
  'Pull Request Threads_Create': { definition: 'GitPullRequestCommentThread', status: 200 },
  'Pull Request Threads_List': { definition: 'GitPullRequestCommentThread', collection: true, status: 200 },
  'Pull Request Threads_Update': { definition: 'GitPullRequestCommentThread', status: 200 },
  'Pull Request Thread Comments_Create': { definition: 'Comment', status: 200 },
  'Pull Request Thread Comments_List': { definition: 'Comment', collection: true, status: 200 },
  'Pull Request Thread Comments_Update': { definition: 'Comment', status: 200 },
  Statuses_Create: { definition: 'GitStatus', status: 201 },
  Statuses_List: { definition: 'GitStatus', collection: true, status: 200 },
  'Pull Request Statuses_Create': { definition: 'GitPullRequestStatus', status: 200 },
  'Pull Request Statuses_List': { definition: 'GitPullRequestStatus', collection: true, status: 200 },
  'Pull Request Properties_List': { definition: 'PullRequestProperties', status: 200 },
  'Pull Request Properties_Update': { definition: 'PullRequestProperties', status: 200 },
  // "Pull Request Work Items_List": an array of ResourceRef in the spec, { count, value } on the wire
  'Pull Request Work Items_List': { definition: 'ResourceRef', collection: true, status: 200 },
};
