import * as assert from 'node:assert/strict';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { readGitOpsRepositoryChoice } from '../../../shared/workflows/gitops-location';
import { readPreviewInputs } from '../../../shared/workflows/pr-preview-inputs';

const agent = (inputs: Record<string, string>) => new MemoryAgent({ inputs, variables: { 'Build.Repository.Name': 'voting-app' } });

describe('gitopsLocation: which inputs name the GitOps repository and its connection', () => {
  it('this organization (the default): gitopsRepository and targetBranch through the job token', () => {
    assert.deepEqual(readGitOpsRepositoryChoice(agent({ gitopsRepository: 'voting-gitops', targetBranch: 'prod' })), {
      repository: 'voting-gitops',
      repositoryInput: 'gitopsRepository',
      repositoryConnection: undefined,
      targetBranch: 'prod',
    });
    // The other organization's pickers keep their values when the editor hides them: not read here.
    assert.deepEqual(
      readGitOpsRepositoryChoice(agent({ gitopsLocation: 'internal', gitopsRepository: 'a', gitopsConnectionRepository: 'b', gitopsConnectionBranch: 'x' })),
      { repository: 'a', repositoryInput: 'gitopsRepository', repositoryConnection: undefined, targetBranch: '' },
    );
  });

  it('YAML written before gitopsLocation: gitopsConnection with gitopsRepository still selects that connection', () => {
    assert.deepEqual(readGitOpsRepositoryChoice(agent({ gitopsConnection: 'conn-1', gitopsRepository: 'fleet/gitops' })), {
      repository: 'fleet/gitops',
      repositoryInput: 'gitopsRepository',
      repositoryConnection: 'conn-1',
      targetBranch: '',
    });
  });

  it("another organization: the connection's project, repository and branch pickers", () => {
    const picked = { gitopsLocation: 'external', gitopsConnection: 'conn-1', gitopsConnectionProject: 'platform', gitopsConnectionRepository: 'fleet' };
    assert.deepEqual(
      readGitOpsRepositoryChoice(agent({ ...picked, gitopsConnectionBranch: 'refs/heads/live', gitopsRepository: 'stale', targetBranch: 'main' })),
      {
        repository: 'platform/fleet',
        repositoryInput: 'gitopsConnectionRepository',
        repositoryConnection: 'conn-1',
        targetBranch: 'refs/heads/live',
      },
    );
    // A typed project/name or URL is taken as it is; without a project, the name is looked up in the pipeline's project name.
    assert.equal(readGitOpsRepositoryChoice(agent({ ...picked, gitopsConnectionRepository: 'other/fleet' })).repository, 'other/fleet');
    const url = 'https://dev.azure.com/fabrikam/platform/_git/fleet';
    assert.equal(readGitOpsRepositoryChoice(agent({ ...picked, gitopsConnectionRepository: url })).repository, url);
    assert.equal(readGitOpsRepositoryChoice(agent({ ...picked, gitopsConnectionProject: '' })).repository, 'fleet');
    // Empty pickers: YAML may name the repository and branch with the usual inputs.
    assert.deepEqual(
      readGitOpsRepositoryChoice(agent({ gitopsLocation: 'External', gitopsConnection: 'conn-1', gitopsRepository: 'platform/fleet', targetBranch: 'live' })),
      { repository: 'platform/fleet', repositoryInput: 'gitopsRepository', repositoryConnection: 'conn-1', targetBranch: 'live' },
    );
  });

  it('names the input that is missing or wrong', () => {
    assert.throws(
      () => readGitOpsRepositoryChoice(agent({ gitopsLocation: 'external', gitopsConnectionRepository: 'fleet' })),
      /^InputError: Input "gitopsConnection": is required when gitopsLocation is external/,
    );
    assert.throws(
      () => readGitOpsRepositoryChoice(agent({ gitopsLocation: 'elsewhere' })),
      /Input "gitopsLocation": expected one of internal, external, got "elsewhere"/,
    );
    assert.throws(
      () => readPreviewInputs(agent({ preview: 'true', gitopsLocation: 'external', gitopsConnection: 'c' }), ['dev']),
      /Input "gitopsRepository": is required when preview is true/,
    );
    assert.throws(
      () => readPreviewInputs(agent({ preview: 'true', gitopsLocation: 'external', gitopsConnection: 'c', gitopsConnectionRepository: 'a/b/c' }), ['dev']),
      /Input "gitopsConnectionRepository": repository "a\/b\/c": expected/,
    );
  });

  it('the preview reads the same choice as GitOpsPromote@1', () => {
    const inputs = readPreviewInputs(
      agent({
        preview: 'true',
        gitopsLocation: 'external',
        gitopsConnection: 'conn-1',
        gitopsConnectionProject: 'platform',
        gitopsConnectionRepository: 'fleet',
      }),
      ['dev'],
    );
    assert.equal(inputs?.repository, 'platform/fleet');
    assert.equal(inputs?.repositoryConnection, 'conn-1');
    assert.equal(inputs?.targetBranch, 'main');
  });
});
