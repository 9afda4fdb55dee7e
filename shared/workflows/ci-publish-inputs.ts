import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { boolInput, choiceInput } from '../agent/inputs';
import { ImageSpec, parseImageList } from '../images/image-list';
import { isValidTag } from '../images/reference';
import { TAG_STRATEGIES, TagStrategy } from '../images/tag-strategy';
import { InputError } from '../util/errors';
import { readRenderAndValidateInputs } from './pr-validate-inputs';
import { readReportingInputs, ReportingOptions } from './reporting-inputs';

/** Every input of GitOpsCiPublish@1, read and checked before anything is tagged or rendered. */
export interface CiPublishInputs {
  build: BuildContext;
  options: ReturnType<typeof readRenderAndValidateInputs>;
  reporting: ReportingOptions;
  publish: PublishInputs;
}

/** Reads GitOpsCiPublish@1's inputs: the task reads them before it loads the code that tags, renders and publishes. */
export function readCiPublishInputs(agent: Agent): CiPublishInputs {
  const build = readBuildContext(agent);
  const options = readRenderAndValidateInputs(agent, build.sourcesDirectory);
  const reporting = readReportingInputs(agent, build.sourcesDirectory);
  const publish = readPublishInputs(agent, build);
  return { build, options, reporting, publish };
}

/** The build this task runs in, from the Build.* and System.* pipeline variables (YAML and classic alike). */
export interface BuildContext {
  sourcesDirectory: string;
  stagingDirectory: string;
  buildId: string;
  buildNumber: string;
  commit: string;
  branch: string;
  repository: string;
  repositoryUri?: string;
  definition?: string;
  /** The build's results page, when System.CollectionUri and System.TeamProject are known. */
  url?: string;
}

const REQUIRED_BUILD_VARIABLES = [
  'Build.SourcesDirectory',
  'Build.ArtifactStagingDirectory',
  'Build.BuildId',
  'Build.BuildNumber',
  'Build.SourceVersion',
  'Build.SourceBranch',
  'Build.Repository.Name',
] as const;

/** Reads the build's variables; a clear error lists the missing ones (e.g. run in a release pipeline or outside Azure Pipelines). */
export function readBuildContext(agent: Agent): BuildContext {
  const missing = REQUIRED_BUILD_VARIABLES.filter((name) => agent.variable(name) === undefined);
  if (missing.length > 0) {
    throw new Error(
      `GitOpsCiPublish@1 runs in a build (a YAML pipeline job or a classic build definition) and reads its pipeline variables, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. Run it in a build pipeline's agent job after the repository checkout, not in a classic release pipeline, an agentless job or outside Azure Pipelines.`,
    );
  }
  const v = (name: string) => agent.variable(name) as string;
  const collection = agent.variable('System.CollectionUri');
  const project = agent.variable('System.TeamProject');
  const buildId = v('Build.BuildId');
  return {
    sourcesDirectory: path.resolve(v('Build.SourcesDirectory')),
    stagingDirectory: path.resolve(v('Build.ArtifactStagingDirectory')),
    buildId,
    buildNumber: v('Build.BuildNumber'),
    commit: v('Build.SourceVersion'),
    branch: v('Build.SourceBranch'),
    repository: v('Build.Repository.Name'),
    repositoryUri: agent.variable('Build.Repository.Uri'),
    definition: agent.variable('Build.DefinitionName'),
    url:
      collection && project
        ? `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(buildId)}`
        : undefined,
  };
}

/** The previousRelease value that reads the last successful run's release.json through the Build API. */
export const PREVIOUS_FROM_RUN = 'lastSuccessfulRun';

export interface PublishInputs {
  images: ImageSpec[];
  tagStrategy: TagStrategy;
  tag: string;
  humanTag: string;
  /** Absolute path of the previous release.json (or its bundle folder); empty when not given or read from the last successful run. */
  previousRelease: string;
  /** previousRelease is `lastSuccessfulRun`: read release.json of this pipeline's last successful run on the branch (Build API, job token). */
  previousReleaseFromRun: boolean;
  appName: string;
  /** The bundleFolder input as given (resolved against the staging directory later). */
  bundleFolder: string;
  publishArtifact: boolean;
  artifactName: string;
}

export function readPublishInputs(agent: Agent, build: BuildContext): PublishInputs {
  const images = parseImageList(agent.input('images'), 'images');
  const tagStrategy = choiceInput<TagStrategy>(agent, 'tagStrategy', TAG_STRATEGIES, 'content');
  const tag = agent.input('tag');
  const humanTag = agent.input('humanTag');
  if (humanTag !== '' && !isValidTag(humanTag))
    throw new InputError('humanTag', `"${humanTag}" is not a valid image tag (letters, digits, _, . and -, at most 128, not starting with . or -)`);
  const previousInput = agent.input('previousRelease').trim();
  const previousReleaseFromRun = previousInput.toLowerCase() === PREVIOUS_FROM_RUN.toLowerCase();
  // `none` says so explicitly; a path is relative to the sources directory.
  const previous = previousReleaseFromRun || previousInput.toLowerCase() === 'none' ? '' : previousInput;
  const publishArtifact = boolInput(agent, 'publishArtifact', true);
  const artifactName = agent.input('artifactName') || 'release';
  if (!/^[A-Za-z0-9_.-]+$/.test(artifactName))
    throw new InputError('artifactName', `"${artifactName}" is not a valid artifact name (letters, digits, _, . and -)`);
  return {
    images,
    tagStrategy,
    tag,
    humanTag,
    previousRelease: previous === '' ? '' : path.resolve(build.sourcesDirectory, previous),
    previousReleaseFromRun,
    appName: agent.input('appName') || build.repository,
    bundleFolder: agent.input('bundleFolder'),
    publishArtifact,
    artifactName,
  };
}
