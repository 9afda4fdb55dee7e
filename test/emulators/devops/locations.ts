// ApiResourceLocation entries answered to `OPTIONS {collection}/_apis/{area}`. Location ids and
// route templates are the service's (azure-devops-node-api GitApi/LocationsApi use these ids);
// maxVersion == releasedVersion == 7.1 makes client 17.x negotiate api-version 7.1.

export interface ApiResourceLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

const REPO = '{project}/_apis/{area}/repositories/{repositoryId}';
const PR = `${REPO}/pullRequests/{pullRequestId}`;

const git = (id: string, resourceName: string, routeTemplate: string, resourceVersion: number): ApiResourceLocation => ({
  id,
  area: 'git',
  resourceName,
  routeTemplate,
  resourceVersion,
  minVersion: '1.0',
  maxVersion: '7.1',
  releasedVersion: '7.1',
});

export const GIT_LOCATIONS: ApiResourceLocation[] = [
  git('225f7195-f9c7-4d14-ab28-a83f7ff77e1f', 'repositories', '{project}/_apis/{area}/{resource}/{repositoryId}', 2),
  git('2d874a60-a811-4f62-9c9f-963a6ea0a55b', 'refs', `${REPO}/{resource}/{*filter}`, 2),
  git('ea98d07b-3c87-4971-8ede-a613694ffb55', 'pushes', `${REPO}/{resource}/{pushId}`, 3),
  git('fb93c0db-47ed-4a31-8c20-47552878fb44', 'items', `${REPO}/{resource}/{*path}`, 1),
  git('7b28e929-2c99-405d-9c5c-6167a06e6816', 'blobs', `${REPO}/{resource}/{sha1}`, 1),
  git('c2570c3b-5b3f-41b8-98bf-5407bfde8d58', 'commits', `${REPO}/{resource}/{commitId}`, 2),
  git('615588d5-c0c7-4b88-88f8-e625306446e8', 'diffs', `${REPO}/{resource}/commits`, 1),
  git('428dd4fb-fda5-4722-af02-9313b80305da', 'statuses', `${REPO}/commits/{commitId}/{resource}`, 2),
  git('7cf2abb6-c964-4f7e-9872-f78c66e72e9c', 'mergeBases', '{project}/_apis/{area}/repositories/{repositoryNameOrId}/commits/{commitId}/{resource}', 1),
  git('9946fd70-0d40-406e-b686-b4744cbbcc37', 'pullRequests', `${REPO}/{resource}/{pullRequestId}`, 2),
  git('a5d28130-9cd2-40fa-9f08-902e7daa9efb', 'pullRequests', '{project}/_apis/{area}/{resource}', 2),
  git('01a46dea-7d46-4d40-bc84-319e7c260d99', 'pullRequests', '{project}/_apis/{area}/{resource}/{pullRequestId}', 2),
  git('ab6e2e5d-a0b7-4153-b64a-a4efe0d49449', 'threads', `${PR}/{resource}/{threadId}`, 1),
  git('965a3ec7-5ed8-455a-bdcb-835a5ea7fe7b', 'comments', `${PR}/threads/{threadId}/{resource}/{commentId}`, 1),
  git('b5f6bb4f-8d1e-4d79-8d11-4c9172c99c35', 'statuses', `${PR}/{resource}/{statusId}`, 2),
  git('48a52185-5b9e-4736-9dc1-bb1e2feac80b', 'properties', `${PR}/{resource}`, 1),
  git('52823034-34a8-4576-922c-8d8b77e9e4c4', 'commits', `${PR}/{resource}`, 1),
  git('4b6702c7-aa35-4b89-9c96-b9abf6d3e540', 'reviewers', `${PR}/{resource}/{reviewerId}`, 1),
  git('0a637fcc-5370-4ce8-b0e8-98091f5f9482', 'workItems', `${PR}/{resource}`, 1),
  git('b3a6eebe-9cf0-49ea-b6cb-1a4c5f5007b0', 'pullRequestQuery', `${REPO}/{resource}`, 1),
];

/** Work Item Tracking: the work items resource (WorkItemTrackingApi getWorkItem, getWorkItems, updateWorkItem). */
export const WIT_LOCATIONS: ApiResourceLocation[] = [
  {
    id: '72c7ddf8-2cdc-4f60-90cd-ab71c14a399b',
    area: 'wit',
    resourceName: 'workItems',
    routeTemplate: '{project}/_apis/{area}/{resource}/{id}',
    resourceVersion: 3,
    minVersion: '1.0',
    maxVersion: '7.1',
    releasedVersion: '7.1',
  },
];

/**
 * Policy: evaluations (PolicyApi getPolicyEvaluations). A preview resource (released 0.0), so client
 * 17.x, asking for 7.2-preview.1, negotiates 7.1-preview.1.
 */
export const POLICY_LOCATIONS: ApiResourceLocation[] = [
  {
    id: 'c23ddff5-229c-4d04-a80b-0fdce9f360c8',
    area: 'policy',
    resourceName: 'evaluations',
    routeTemplate: '{project}/_apis/{area}/{resource}',
    resourceVersion: 1,
    minVersion: '5.0',
    maxVersion: '7.1',
    releasedVersion: '0.0',
  },
];

/** Build: builds (BuildApi getBuilds) and artifacts (getArtifact, getArtifacts, getArtifactContentZip). */
export const BUILD_LOCATIONS: ApiResourceLocation[] = [
  {
    id: '0cd358e1-9217-4d94-8269-1c1ee6f93dcf',
    area: 'build',
    resourceName: 'builds',
    routeTemplate: '{project}/_apis/{area}/{resource}/{buildId}',
    resourceVersion: 7,
    minVersion: '1.0',
    maxVersion: '7.1',
    releasedVersion: '7.1',
  },
  {
    id: '1db06c96-014e-44e1-ac91-90b2d4b3e984',
    area: 'build',
    resourceName: 'artifacts',
    routeTemplate: '{project}/_apis/{area}/builds/{buildId}/{resource}',
    resourceVersion: 5,
    minVersion: '2.0',
    maxVersion: '7.1',
    releasedVersion: '7.1',
  },
];

export const LOCATION_LOCATIONS: ApiResourceLocation[] = [
  {
    id: 'e81700f7-3be2-46de-8624-2eb35882fcaa',
    area: 'Location',
    resourceName: 'ResourceAreas',
    routeTemplate: '_apis/{resource}/{areaId}',
    resourceVersion: 1,
    minVersion: '3.2',
    maxVersion: '7.1',
    releasedVersion: '7.1',
  },
];

/** Resource areas (id -> name) answered by `GET _apis/ResourceAreas`, all served at the collection URL. */
export const RESOURCE_AREAS: Array<{ id: string; name: string }> = [
  { id: '4e080c62-fa21-4fbc-8fef-2a10a2b38049', name: 'git' },
  { id: '79134c72-4a58-4b42-976c-04e7115f32bf', name: 'core' },
  { id: '965220d5-5bb9-42cf-8d67-9b146df2a5a4', name: 'build' },
  { id: 'fb13a388-40dd-4a04-b530-013a739c72ef', name: 'policy' },
  { id: '8aa40520-446d-40e6-89f6-9c9f9ce44c48', name: 'tfvc' },
  { id: '5264459e-e5e0-4bd8-b118-0985e68a4ec5', name: 'wit' },
  { id: 'e81700f7-3be2-46de-8624-2eb35882fcaa', name: 'Location' },
];

export function locationsFor(area: string): ApiResourceLocation[] {
  const a = area.toLowerCase();
  if (a === 'git') return GIT_LOCATIONS;
  if (a === 'location') return LOCATION_LOCATIONS;
  if (a === 'wit') return WIT_LOCATIONS;
  if (a === 'policy') return POLICY_LOCATIONS;
  if (a === 'build') return BUILD_LOCATIONS;
  return [];
}
