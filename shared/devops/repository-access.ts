/**
 * Why a repository the task must read is not visible, and what to change. Azure DevOps answers a
 * repository the caller may not read exactly like one that does not exist (404, TF401019), so the
 * message lists the likely causes in the order a new organization meets them: the pipeline does
 * not reference the repository (job scope limited to referenced repositories, on by default since
 * 2020), the build service identity lacks permissions, the project scope hides another project's
 * repository, and the service connection alternative.
 */
import { NotFoundError } from './errors';

export interface RepositoryAccess {
  /** "project/name" as looked up. */
  repository: string;
  /** Collection URL, e.g. https://dev.azure.com/contoso. */
  collectionUrl: string;
  /** The pipeline's project (System.TeamProject), when known. */
  pipelineProject?: string;
  /** The input naming the repository, e.g. gitopsRepository. */
  repositoryInput: string;
  /** The service connection input that replaces the job token, e.g. gitopsConnection. */
  connectionInput: string;
  /** Set when the call used that service connection instead of the job token. */
  viaServiceConnection: boolean;
}

/** The organization's name as the build service identities show it: "contoso" for https://dev.azure.com/contoso or https://contoso.visualstudio.com. */
export function organizationName(collectionUrl: string): string {
  const url = new URL(collectionUrl);
  const segments = url.pathname.split('/').filter((s) => s !== '');
  if (url.hostname.toLowerCase() === 'dev.azure.com' && segments.length > 0) return decodeURIComponent(segments[0]);
  const vs = /^([^.]+)\.visualstudio\.com$/i.exec(url.hostname);
  if (vs) return vs[1];
  return segments.length > 0 ? decodeURIComponent(segments[segments.length - 1]) : url.hostname;
}

/** The full explanation for a repository the caller cannot see (no trailing newline). */
export function repositoryNotVisibleMessage(access: RepositoryAccess): string {
  const org = organizationName(access.collectionUrl);
  const [repoProject, repoName] = splitDisplay(access.repository, access.pipelineProject);
  const alias = repoName.replace(/[^A-Za-z0-9_]/g, '_');
  if (access.viaServiceConnection) {
    return [
      `The GitOps repository "${access.repository}" is not visible through the ${access.connectionInput} service connection (${access.collectionUrl}):`,
      'Azure DevOps answers "does not exist" (TF401019) both for a missing repository and for one the caller may not read. Check:',
      `  1. The name: ${access.repositoryInput} is "${access.repository}"; give it as project/name or the clone URL when the repository is in another project.`,
      `  2. The connection's personal access token: it must belong to the organization ${org}, be unexpired and have the scope Code (Read & write).`,
      "  3. The token's user: it needs Contribute, Create branch and Contribute to pull requests on the repository (Project settings > Repositories > Security).",
      `  Or leave ${access.connectionInput} empty to use the job's own token (see the README, "Setting up an organization").`,
    ].join('\n');
  }
  const crossProject = access.pipelineProject !== undefined && repoProject.toLowerCase() !== access.pipelineProject.toLowerCase();
  return [
    `The GitOps repository "${access.repository}" is not visible to this job's access token (${access.collectionUrl}):`,
    'Azure DevOps answers "does not exist" (TF401019) both for a missing repository and for one the job may not read. Likely causes and fixes:',
    '  1. The pipeline does not reference the repository. With "Limit job authorization scope to referenced Azure DevOps repositories" (on by default',
    '     in organizations created since 2020) a job token reaches only repositories the pipeline references. Declare it and use it in the job:',
    `       resources: { repositories: [ { repository: ${alias}, type: git, name: ${repoProject}/${repoName} } ] }`,
    `       and on the job that runs this task: uses: { repositories: [ ${alias} ] }   (a deployment job does not check out; a checkout: ${alias} also counts)`,
    '  2. The build service identity lacks permissions on the repository. The job runs as',
    `     "${access.pipelineProject ?? '<Project>'} Build Service (${org})" when "Limit job authorization scope to current project" is on, else as`,
    `     "Project Collection Build Service (${org})". Give that identity Contribute, Create branch and Contribute to pull requests on`,
    `     ${repoProject}/${repoName} (Project settings > Repositories > ${repoName} > Security).`,
    crossProject
      ? `  3. The repository is in project ${repoProject}, the pipeline in ${access.pipelineProject}: with "Limit job authorization scope to current project" on`
      : '  3. The job scope settings (Organization settings and Project settings > Pipelines > Settings): "Limit job authorization scope to current project"',
    crossProject
      ? "     (Organization or Project settings > Pipelines > Settings) the job token cannot reach it; turn it off for this pipeline's project, or use 4."
      : '     hides repositories of other projects, "...to referenced Azure DevOps repositories" hides unreferenced ones (see 1). Classic release pipelines have their own setting.',
    `  4. Or set ${access.connectionInput} to an Azure Repos service connection (personal access token with Code: Read & write) instead of the job token.`,
    `  Also check the name: ${access.repositoryInput} is "${access.repository}".`,
  ].join('\n');
}

/** The repository is not visible to the caller; the message says why it may be and what to change. */
export class RepositoryNotVisibleError extends NotFoundError {
  constructor(
    action: string,
    readonly access: RepositoryAccess,
  ) {
    super(action, repositoryNotVisibleMessage(access));
    this.name = 'RepositoryNotVisibleError';
    // The explanation is the whole message: it already names the repository and the organization.
    this.message = repositoryNotVisibleMessage(access);
  }
}

function splitDisplay(display: string, fallbackProject: string | undefined): [string, string] {
  const slash = display.lastIndexOf('/');
  if (slash < 0) return [fallbackProject ?? '<Project>', display];
  return [display.slice(0, slash), display.slice(slash + 1)];
}
