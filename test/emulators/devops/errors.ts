// Errors in the Azure DevOps wire shape: { $id, innerException, message, typeName, typeKey, errorCode, eventId }.
// typeKey and status follow the server's exception table (research/azure-api-contracts.md §3.3).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly typeKey: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly namespace = 'Microsoft.TeamFoundation.Git.Server',
    readonly assembly = 'Microsoft.TeamFoundation.Git.Server',
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return {
      $id: '1',
      innerException: null,
      message: this.message,
      typeName: `${this.namespace}.${this.typeKey}, ${this.assembly}`,
      typeKey: this.typeKey,
      errorCode: 0,
      eventId: 3000,
    };
  }
}

const core = (status: number, typeKey: string, message: string, headers: Record<string, string> = {}) =>
  new ApiError(status, typeKey, message, headers, 'Microsoft.TeamFoundation.Core.WebApi', 'Microsoft.TeamFoundation.Core.WebApi');
const common = (status: number, typeKey: string, message: string, headers: Record<string, string> = {}) =>
  new ApiError(status, typeKey, message, headers, 'Microsoft.VisualStudio.Services.Common', 'Microsoft.VisualStudio.Services.Common');
const webApi = (status: number, typeKey: string, message: string) =>
  new ApiError(status, typeKey, message, {}, 'Microsoft.VisualStudio.Services.WebApi', 'Microsoft.VisualStudio.Services.WebApi');

export const errors = {
  unauthorized: () => common(401, 'UnauthorizedRequestException', "TF400813: The user '' is not authorized to access this resource."),
  projectNotFound: (project: string) =>
    core(
      404,
      'ProjectDoesNotExistWithNameException',
      `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
    ),
  repositoryNotFound: (repo: string) =>
    new ApiError(
      404,
      'GitRepositoryNotFoundException',
      `TF401019: The Git repository with name or identifier ${repo} does not exist or you do not have permissions for the operation you are attempting.`,
    ),
  refStale: (ref: string) =>
    new ApiError(
      409,
      'GitReferenceStaleException',
      `TF401028: The reference '${ref}' has already been updated by another client, so you cannot update it. Please try again.`,
    ),
  refRejectedByPolicy: (ref: string) =>
    new ApiError(
      403,
      'GitRefUpdateRejectedByPolicyException',
      `TF402455: Pushes to this branch are not permitted; you must use a pull request to update this branch. (${ref})`,
    ),
  itemNotFound: (path: string, repo: string, version: string, commit: string) =>
    new ApiError(
      404,
      'GitItemNotFoundException',
      `TF401174: The item '${path}' could not be found in the repository '${repo}' at the version specified by '${version}' (resolved to commit '${commit}').`,
    ),
  unresolvableVersion: (version: string) =>
    new ApiError(404, 'GitUnresolvableToCommitException', `TF401175: The version descriptor ${version} could not be resolved to a version in the repository.`),
  objectNotFound: (id: string) => new ApiError(404, 'GitObjectDoesNotExistException', `TF401035: The object '${id}' does not exist.`),
  commitNotFound: (id: string) => new ApiError(404, 'GitCommitDoesNotExistException', `TF401035: The object '${id}' does not exist.`),
  pullRequestNotFound: (id: number | string) =>
    new ApiError(404, 'GitPullRequestNotFoundException', `TF401180: The requested pull request was not found. (${id})`),
  pullRequestExists: () =>
    new ApiError(409, 'GitPullRequestExistsException', 'TF401179: An active pull request for the source and target branch already exists.'),
  pullRequestStale: (expected: string, actual: string) =>
    new ApiError(
      409,
      'GitPullRequestStaleException',
      `The pull request source branch has been updated: lastMergeSourceCommit ${expected} is not the current source commit ${actual}. Refresh the pull request and try again.`,
    ),
  pullRequestNotActive: (id: number) =>
    new ApiError(409, 'GitPullRequestNotEditableException', `TF401181: The pull request ${id} cannot be edited due to its state.`),
  refNotFound: (ref: string) =>
    new ApiError(
      404,
      'GitRefNotFoundException',
      `TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists, or the requested refs are not branches. (${ref})`,
    ),
  threadNotFound: (id: number | string) =>
    new ApiError(
      404,
      'CommentThreadNotFoundException',
      `The comment thread ${id} does not exist.`,
      {},
      'Microsoft.TeamFoundation.Discussion.Server',
      'Microsoft.TeamFoundation.Discussion.Server',
    ),
  commentNotFound: (id: number | string) =>
    new ApiError(
      404,
      'CommentNotFoundException',
      `The comment ${id} does not exist.`,
      {},
      'Microsoft.TeamFoundation.Discussion.Server',
      'Microsoft.TeamFoundation.Discussion.Server',
    ),
  statusNotFound: (id: number | string) => new ApiError(404, 'GitStatusNotFoundException', `The status ${id} does not exist.`),
  pushNotFound: (id: number | string) => new ApiError(404, 'GitPushNotFoundException', `TF401033: The push ${id} does not exist.`),
  invalidArgument: (name: string, detail: string) =>
    common(400, 'InvalidArgumentValueException', `The value specified for the following variable must be valid: ${name}. ${detail}`.trim()),
  argumentNull: (name: string) => common(400, 'ArgumentNullException', `Value cannot be null.\r\nParameter name: ${name}`),
  badRequest: (typeKey: string, message: string) => new ApiError(400, typeKey, message),
  versionOutOfRange: (requested: string) =>
    webApi(
      400,
      'VssVersionOutOfRangeException',
      `The requested REST API version of ${requested} is out of range for this server. The latest REST API version this server supports is 7.1.`,
    ),
  notFoundRoute: (path: string) => webApi(404, 'VssResourceNotFoundException', `API resource location not found for ${path}.`),
  methodNotAllowed: (method: string) => webApi(405, 'VssMethodNotAllowedException', `The requested resource does not support http method '${method}'.`),
  throttled: (retryAfter?: number) =>
    common(
      429,
      'RequestBlockedException',
      'TF400733: The request has been blocked due to exceeding usage of resource in a short period of time.',
      retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {},
    ),
  internal: () => common(500, 'InternalServerErrorException', 'An unexpected error occurred on the server (injected fault).'),
  unavailable: () => new ApiError(503, 'GitServiceUnavailableException', 'TF401007: The service is temporarily unavailable (injected fault).'),
  hostNotFound: (org: string) => webApi(404, 'HostNotFoundException', `The organization '${org}' could not be found.`),
};
