import * as assert from 'node:assert/strict';
import { NotFoundError } from '../../../shared/devops/errors';
import { organizationName, RepositoryAccess, RepositoryNotVisibleError, repositoryNotVisibleMessage } from '../../../shared/devops/repository-access';

const jobToken: RepositoryAccess = {
  repository: 'apps/gitops',
  collectionUrl: 'https://dev.azure.com/contoso',
  pipelineProject: 'apps',
  repositoryInput: 'gitopsRepository',
  connectionInput: 'gitopsConnection',
  viaServiceConnection: false,
};

describe('repositoryNotVisibleMessage', () => {
  it('names the declaration, the build service identities and their permissions, the scope settings and gitopsConnection', () => {
    assert.equal(
      repositoryNotVisibleMessage(jobToken),
      [
        `The GitOps repository "apps/gitops" is not visible to this job's access token (https://dev.azure.com/contoso):`,
        'Azure DevOps answers "does not exist" (TF401019) both for a missing repository and for one the job may not read. Likely causes and fixes:',
        '  1. The pipeline does not reference the repository. With "Limit job authorization scope to referenced Azure DevOps repositories" (on by default',
        '     in organizations created since 2020) a job token reaches only repositories the pipeline references. Declare it and use it in the job:',
        '       resources: { repositories: [ { repository: gitops, type: git, name: apps/gitops } ] }',
        '       and on the job that runs this task: uses: { repositories: [ gitops ] }   (a deployment job does not check out; a checkout: gitops also counts)',
        '  2. The build service identity lacks permissions on the repository. The job runs as',
        '     "apps Build Service (contoso)" when "Limit job authorization scope to current project" is on, else as',
        '     "Project Collection Build Service (contoso)". Give that identity Contribute, Create branch and Contribute to pull requests on',
        '     apps/gitops (Project settings > Repositories > gitops > Security).',
        '  3. The job scope settings (Organization settings and Project settings > Pipelines > Settings): "Limit job authorization scope to current project"',
        '     hides repositories of other projects, "...to referenced Azure DevOps repositories" hides unreferenced ones (see 1). Classic release pipelines have their own setting.',
        '  4. Or set gitopsConnection to an Azure Repos service connection (personal access token with Code: Read & write) instead of the job token.',
        '  Also check the name: gitopsRepository is "apps/gitops".',
      ].join('\n'),
    );
  });

  it('says that the project scope hides a repository of another project, and turns a name with dots into a valid alias', () => {
    const lines = repositoryNotVisibleMessage({ ...jobToken, repository: 'infra/fleet.config' }).split('\n');
    assert.equal(lines[4], '       resources: { repositories: [ { repository: fleet_config, type: git, name: infra/fleet.config } ] }');
    assert.equal(lines[10], '  3. The repository is in project infra, the pipeline in apps: with "Limit job authorization scope to current project" on');
    assert.equal(
      lines[11],
      "     (Organization or Project settings > Pipelines > Settings) the job token cannot reach it; turn it off for this pipeline's project, or use 4.",
    );
  });

  it('checks the personal access token and its user when the service connection was used', () => {
    assert.equal(
      repositoryNotVisibleMessage({ ...jobToken, collectionUrl: 'https://fabrikam.visualstudio.com', viaServiceConnection: true }),
      [
        'The GitOps repository "apps/gitops" is not visible through the gitopsConnection service connection (https://fabrikam.visualstudio.com):',
        'Azure DevOps answers "does not exist" (TF401019) both for a missing repository and for one the caller may not read. Check:',
        '  1. The name: gitopsRepository is "apps/gitops"; give it as project/name or the clone URL when the repository is in another project.',
        "  2. The connection's personal access token: it must belong to the organization fabrikam, be unexpired and have the scope Code (Read & write).",
        "  3. The token's user: it needs Contribute, Create branch and Contribute to pull requests on the repository (Project settings > Repositories > Security).",
        `  Or leave gitopsConnection empty to use the job's own token (see the README, "Setting up an organization").`,
      ].join('\n'),
    );
  });

  it('is a NotFoundError whose whole message is the explanation', () => {
    const e = new RepositoryNotVisibleError('looking up repository "apps/gitops" in https://dev.azure.com/contoso', jobToken);
    assert.ok(e instanceof NotFoundError);
    assert.equal(e.statusCode, 404);
    assert.equal(e.name, 'RepositoryNotVisibleError');
    assert.equal(e.message, repositoryNotVisibleMessage(jobToken));
  });
});

describe('organizationName', () => {
  for (const [url, name] of [
    ['https://dev.azure.com/contoso', 'contoso'],
    ['https://dev.azure.com/contoso/', 'contoso'],
    ['https://contoso.visualstudio.com', 'contoso'],
    ['https://tfs.example.com/tfs/DefaultCollection', 'DefaultCollection'],
    ['http://127.0.0.1:4321/gitops-org', 'gitops-org'],
  ] as const) {
    it(`is ${name} for ${url}`, () => assert.equal(organizationName(url), name));
  }
});
