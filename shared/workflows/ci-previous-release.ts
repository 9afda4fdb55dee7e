/**
 * The previous release GitOpsCiPublish@1 compares image tags with: a release.json (or bundle folder)
 * given as a path, or (previousRelease: lastSuccessfulRun) the release.json in the artifact of this
 * pipeline's last successful run on the same branch, read through the Build API with the job token.
 * The second needs no download step that may fail: a first run simply has no previous release.
 */
import type { Agent } from '../agent/agent';
import { jobAccessToken } from '../agent/endpoints';
import { collectionUri } from '../agent/inputs';
import { buildReader, BuildReader, readLastSuccessfulRunFile } from '../devops/last-successful-run';
import { parseReleaseJson, readPreviousImages, RELEASE_FILE } from '../release/release-manifest';
import { InputError } from '../util/errors';
import type { BuildContext } from './ci-publish-inputs';
import { PREVIOUS_FROM_RUN, PublishInputs } from './ci-publish-inputs';

/** Image name -> reference of the previous release; undefined when there is none (every tag is then new). */
export async function previousImages(
  agent: Agent,
  build: BuildContext,
  publish: PublishInputs,
  reader?: (collection: string, token: string) => BuildReader,
): Promise<Map<string, string> | undefined> {
  if (publish.previousReleaseFromRun) return imagesOfLastSuccessfulRun(agent, build, publish, reader ?? buildReader);
  if (!publish.previousRelease) return undefined;
  const previous = readPreviousImages(publish.previousRelease, 'previousRelease');
  if (!previous) agent.warning(`No previous release at ${publish.previousRelease}: every image tag counts as new.`);
  return previous;
}

async function imagesOfLastSuccessfulRun(
  agent: Agent,
  build: BuildContext,
  publish: PublishInputs,
  reader: (collection: string, token: string) => BuildReader,
): Promise<Map<string, string> | undefined> {
  const definition = agent.variable('System.DefinitionId');
  const project = agent.variable('System.TeamProjectId') ?? agent.variable('System.TeamProject');
  const collection = collectionUri(agent);
  const token = jobAccessToken(agent);
  const missing = [
    ...(definition ? [] : ['System.DefinitionId']),
    ...(project ? [] : ['System.TeamProject']),
    ...(collection ? [] : ['System.CollectionUri']),
    ...(token ? [] : ['the job access token (System.AccessToken)']),
  ];
  if (missing.length > 0 || !definition || !project || !collection || !token)
    throw new InputError(
      'previousRelease',
      `${PREVIOUS_FROM_RUN} reads the pipeline's earlier runs through the Build API, but ${missing.join(', ')} is not available in this job`,
    );
  const definitionId = Number(definition);
  if (!Number.isInteger(definitionId) || definitionId <= 0) throw new InputError('previousRelease', `System.DefinitionId "${definition}" is not a pipeline id`);

  const result = await readLastSuccessfulRunFile(
    reader(collection, token),
    { project, definitionId, branch: build.branch, artifactName: publish.artifactName, file: RELEASE_FILE },
    { secrets: [token], log: (line) => agent.info(line) },
  );
  if (!result.found) {
    agent.info(`No previous release: ${result.reason}. Every image tag counts as new.`);
    return undefined;
  }
  const label = `${RELEASE_FILE} of run ${result.buildNumber} (build ${result.buildId}, artifact "${publish.artifactName}")`;
  const release = parseReleaseJson(label, 'previousRelease', result.content.toString('utf8'));
  if (!Array.isArray(release.images)) throw new InputError('previousRelease', `${label} has no images list`);
  const images = new Map<string, string>();
  for (const image of release.images)
    if (image && typeof image.name === 'string' && typeof image.reference === 'string') images.set(image.name, image.reference);
  agent.info(`Previous release: ${label} on ${build.branch}, ${images.size} image(s)`);
  return images;
}
