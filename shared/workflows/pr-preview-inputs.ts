import type { Agent } from '../agent/agent';
import { boolInput, choiceInput } from '../agent/inputs';
import { normalizeFolder } from '../devops/repo-paths';
import { parseRepositoryRef } from '../devops/repository-ref';
import { InputError } from '../util/errors';
import { readGitOpsRepositoryChoice } from './gitops-location';
import { fillPlaceholders } from './placeholders';
import { FOLDER_LAYOUTS, FolderLayout } from './folder-layout';

/** The preview inputs of GitOpsPrValidate@1 (names and forms as GitOpsPromote@1's). */
export interface PreviewInputs {
  repository: string;
  /** Endpoint id of an Azure Repos/TFS service connection for a repository in another organization. */
  repositoryConnection?: string;
  targetBranch: string;
  /** Pattern with {app} and {environment}. */
  targetFolder: string;
  /** As GitOpsPromote@1's `layout`, so the preview compares the files promotion would write. */
  layout: FolderLayout;
  app: string;
}

/** undefined when `preview` is off; every preview input checked before anything is rendered. */
export function readPreviewInputs(agent: Agent, environments: readonly string[]): PreviewInputs | undefined {
  if (!boolInput(agent, 'preview', false)) return undefined;
  const { repository, repositoryInput, repositoryConnection, targetBranch } = readGitOpsRepositoryChoice(agent);
  if (!repository) throw new InputError(repositoryInput, 'is required when preview is true (name, project/name or the clone URL of the GitOps repository)');
  try {
    parseRepositoryRef(repository);
  } catch (err) {
    throw new InputError(repositoryInput, (err as Error).message);
  }
  const app = agent.input('appName') || agent.variable('Build.Repository.Name');
  if (!app) throw new InputError('appName', 'is required when the pipeline has no Build.Repository.Name');
  const targetFolder = agent.input('targetFolder') || 'apps/{environment}/{app}';
  for (const environment of environments) {
    let folder: string;
    try {
      folder = normalizeFolder(fillPlaceholders(targetFolder, { app, environment }));
    } catch (err) {
      throw new InputError('targetFolder', (err as Error).message);
    }
    if (folder === '') throw new InputError('targetFolder', 'must name a folder, not the repository root');
  }
  return {
    repository,
    repositoryConnection,
    targetBranch: targetBranch || 'main',
    targetFolder,
    layout: choiceInput<FolderLayout>(agent, 'layout', FOLDER_LAYOUTS, 'filePerObject'),
    app,
  };
}
