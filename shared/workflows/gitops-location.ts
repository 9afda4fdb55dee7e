/**
 * Which inputs name the GitOps repository, its branch and the connection that reaches it, for
 * GitOpsPromote@1 and GitOpsPrValidate@1 alike. The classic editor fills an input from one list
 * only (the last dataSourceBinding naming it), so a list from the job's connection and one from
 * `gitopsConnection` need inputs of their own. As Microsoft's UniversalPackages@0 does for feeds
 * ("This organization/collection" or "Another organization/collection"), the `gitopsLocation`
 * radio chooses between them:
 * - `internal`: `gitopsRepository` and `targetBranch`, listed through the job's connection;
 *   `gitopsConnection` set anyway (YAML written before this input) still selects that connection;
 * - `external`: `gitopsConnection` (required), `gitopsConnectionProject`,
 *   `gitopsConnectionRepository` and `gitopsConnectionBranch`, listed through that connection;
 *   `gitopsRepository` and `targetBranch` stand in when those are empty.
 */
import type { Agent } from '../agent/agent';
import { choiceInput } from '../agent/inputs';
import { InputError } from '../util/errors';

export const GITOPS_LOCATIONS = ['internal', 'external'] as const;
export type GitOpsLocation = (typeof GITOPS_LOCATIONS)[number];

export interface GitOpsRepositoryChoice {
  /** As typed or picked: name, project/name or URL; empty when no input names it. */
  repository: string;
  /** The input the repository came from, for messages. */
  repositoryInput: string;
  /** Endpoint id of the Azure Repos/TFS service connection; undefined: the job's own token. */
  repositoryConnection?: string;
  /** As typed or picked (empty when unset): the caller applies its default. */
  targetBranch: string;
}

export function readGitOpsRepositoryChoice(agent: Agent): GitOpsRepositoryChoice {
  const location = choiceInput<GitOpsLocation>(agent, 'gitopsLocation', GITOPS_LOCATIONS, 'internal');
  if (location === 'internal') {
    return {
      repository: agent.input('gitopsRepository'),
      repositoryInput: 'gitopsRepository',
      repositoryConnection: agent.input('gitopsConnection') || undefined,
      targetBranch: agent.input('targetBranch'),
    };
  }
  const connection = agent.input('gitopsConnection');
  if (!connection)
    throw new InputError(
      'gitopsConnection',
      'is required when gitopsLocation is external (an Azure Repos/Team Foundation Server service connection to that organization)',
    );
  const picked = agent.input('gitopsConnectionRepository');
  const project = agent.input('gitopsConnectionProject');
  const qualified = picked && project && !picked.includes('/') ? `${project}/${picked}` : picked;
  return {
    repository: qualified || agent.input('gitopsRepository'),
    repositoryInput: picked ? 'gitopsConnectionRepository' : 'gitopsRepository',
    repositoryConnection: connection,
    targetBranch: agent.input('gitopsConnectionBranch') || agent.input('targetBranch'),
  };
}
