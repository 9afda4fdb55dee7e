import * as assert from 'node:assert/strict';
import { evaluate, FluxStatus } from '../../../shared/azure/flux-status';
import { checkSource, displayUrl, repositoryKey, sameRepository } from '../../../shared/azure/source';

const T = 'a'.repeat(40);
const DIGEST = 'c'.repeat(64);

describe('source: which repository and branch a Flux configuration syncs', () => {
  it('Azure Repos URLs of one repository share a key, whatever the form', () => {
    const forms = [
      'https://dev.azure.com/contoso/Fleet%20Ops/_git/GitOps',
      'https://contoso@dev.azure.com/contoso/Fleet%20Ops/_git/gitops',
      'https://build:secret@dev.azure.com/contoso/fleet%20ops/_git/gitops.git/',
      'https://DEV.AZURE.COM/Contoso/Fleet Ops/_git/gitops/',
      'https://contoso.visualstudio.com/Fleet%20Ops/_git/gitops',
      'https://contoso.visualstudio.com/DefaultCollection/fleet%20ops/_git/GitOps.git',
      'https://contoso.visualstudio.com/Fleet%20Ops/_git/gitops?path=/clusters&version=GBmain#top',
      'git@ssh.dev.azure.com:v3/contoso/Fleet%20Ops/gitops',
      'ssh://git@ssh.dev.azure.com/v3/contoso/Fleet%20Ops/gitops',
      'contoso@vs-ssh.visualstudio.com:v3/contoso/Fleet%20Ops/gitops',
    ];
    for (const form of forms) assert.equal(repositoryKey(form), 'azure-repos:contoso/fleet ops/gitops', form);
    // the project-less form names the project like the repository
    assert.equal(repositoryKey('https://dev.azure.com/contoso/_git/gitops'), 'azure-repos:contoso/gitops/gitops');
    assert.ok(sameRepository('https://contoso.visualstudio.com/_git/gitops', 'https://dev.azure.com/contoso/gitops/_git/gitops'));
  });

  it('another organization, project or repository is another repository', () => {
    const ours = 'https://dev.azure.com/contoso/fleet/_git/gitops';
    assert.equal(sameRepository(ours, 'https://dev.azure.com/fabrikam/fleet/_git/gitops'), false);
    assert.equal(sameRepository(ours, 'https://fabrikam.visualstudio.com/fleet/_git/gitops'), false);
    assert.equal(sameRepository(ours, 'https://dev.azure.com/contoso/apps/_git/gitops'), false);
    assert.equal(sameRepository(ours, 'https://dev.azure.com/contoso/fleet/_git/gitops-prod'), false);
    assert.equal(sameRepository(ours, 'https://dev.azure.com/contoso/_git/gitops'), false);
  });

  it('Azure DevOps Server (and the emulator), other hosts and local paths', () => {
    assert.equal(repositoryKey('http://127.0.0.1:41234/org/gitops-flow/_git/gitops'), 'azure-repos:127.0.0.1/org/gitops-flow/gitops');
    assert.equal(repositoryKey('https://tfs.contoso.local/tfs/Coll/Proj/_git/Repo'), 'azure-repos:tfs.contoso.local/tfs/coll/proj/repo');
    assert.ok(sameRepository('https://tfs.contoso.local:8443/tfs/Coll/Proj/_git/Repo', 'ssh://tfs.contoso.local:22/tfs/Coll/Proj/_ssh/Repo'));
    assert.ok(sameRepository('https://tfs.contoso.local/tfs/Coll/_git/Repo', 'https://tfs.contoso.local/tfs/Coll/Repo/_git/Repo'));
    assert.equal(repositoryKey('git@github.com:Owner/Repo.git'), 'github.com/owner/repo');
    assert.ok(sameRepository('git@github.com:Owner/Repo.git', 'https://github.com/owner/repo'));
    assert.equal(repositoryKey('/tmp/x/gitops.git'), 'file:/tmp/x/gitops');
    assert.equal(repositoryKey('file:///tmp/x/gitops.git/'), 'file:/tmp/x/gitops');
    assert.equal(sameRepository('/tmp/x/gitops.git', '/tmp/x/other.git'), false);
  });

  it('shows URLs without user info', () => {
    assert.equal(displayUrl('https://build:pat123@dev.azure.com/contoso/fleet/_git/gitops'), 'https://dev.azure.com/contoso/fleet/_git/gitops');
    assert.equal(displayUrl(' git@ssh.dev.azure.com:v3/contoso/fleet/gitops '), 'git@ssh.dev.azure.com:v3/contoso/fleet/gitops');
  });

  it('a Bucket, AzureBlob or OCIRepository source can never show the commit', () => {
    assert.deepEqual(checkSource({ sourceKind: 'Bucket', bucket: { url: 'https://minio.contoso.local', bucketName: 'flux' } }, T), {
      phase: 'unsupported-source',
      summary:
        'sourceKind is Bucket (bucket "flux" at https://minio.contoso.local), not GitRepository: what it syncs is an artifact, not a commit of the GitOps repository, ' +
        'so it cannot show that aaaaaaaaaaaa is deployed; promotion through Azure Repos needs a GitRepository source',
    });
    assert.match(
      checkSource({ sourceKind: 'AzureBlob', azureBlob: { url: 'https://u:k@contoso.blob.core.windows.net', containerName: 'gitops' } }, T)!.summary,
      /^sourceKind is AzureBlob \(container "gitops" at https:\/\/contoso\.blob\.core\.windows\.net\), not GitRepository: /,
    );
    assert.equal(checkSource({ sourceKind: 'OCIRepository', ociRepository: { url: 'oci://contoso.azurecr.io/gitops' } }, T)!.phase, 'unsupported-source');
    assert.match(checkSource({ sourceKind: 'OCIRepository' }, T)!.summary, /^sourceKind is OCIRepository, not GitRepository: /);
    // GitRepository, or nothing said (the default)
    assert.equal(checkSource({ sourceKind: 'GitRepository' }, T), undefined);
    assert.equal(checkSource({}, T), undefined);
  });

  it('with the expected source: another repository, branch, tag, semver range or pinned commit is a mismatch', () => {
    const git = (url: string, ref: Record<string, string | null>): FluxStatus => ({
      sourceKind: 'GitRepository',
      gitRepository: { url, repositoryRef: { branch: null, tag: null, semver: null, commit: null, ...ref } },
    });
    const expected = { url: 'https://contoso@dev.azure.com/contoso/fleet/_git/gitops', branch: 'refs/heads/main' };
    const ours = 'https://contoso.visualstudio.com/fleet/_git/GitOps.git';
    assert.equal(checkSource(git(ours, { branch: 'main' }), T, expected), undefined);
    assert.equal(checkSource(git(ours, { branch: 'refs/heads/main' }), T, expected), undefined);
    assert.deepEqual(checkSource(git('https://u:p@dev.azure.com/contoso/fleet/_git/other', { branch: 'main' }), T, expected), {
      phase: 'source-mismatch',
      summary:
        'syncs https://dev.azure.com/contoso/fleet/_git/other, not https://dev.azure.com/contoso/fleet/_git/gitops where aaaaaaaaaaaa was committed: it will never show that commit',
    });
    assert.equal(
      checkSource(git(ours, { branch: 'release' }), T, expected)!.summary,
      'syncs branch "release" of https://contoso.visualstudio.com/fleet/_git/GitOps.git, not branch "main" where aaaaaaaaaaaa was committed: it will never show that commit',
    );
    assert.equal(
      checkSource(git(ours, { branch: 'main', tag: 'v1.2.0' }), T, expected)!.summary,
      'follows tag "v1.2.0" (repositoryRef.tag) of https://contoso.visualstudio.com/fleet/_git/GitOps.git, not branch "main" where aaaaaaaaaaaa was committed: it will never show that commit',
    );
    assert.match(checkSource(git(ours, { semver: '>=1.0.0' }), T, expected)!.summary, /^follows semver range ">=1\.0\.0" \(repositoryRef\.semver\) of /);
    assert.match(
      checkSource(git(ours, { branch: 'main', commit: 'b'.repeat(40) }), T, expected)!.summary,
      /^is pinned to commit bbbbbbbbbbbb \(repositoryRef\.commit\) of /,
    );
    // pinned to the target itself: it can show it
    assert.equal(checkSource(git(ours, { branch: 'main', commit: T }), T, expected), undefined);
    // only what is expected is compared
    assert.equal(checkSource(git('https://dev.azure.com/contoso/fleet/_git/other', { branch: 'main' }), T, { branch: 'main' }), undefined);
    assert.equal(checkSource(git(ours, { branch: 'release' }), T, { url: expected.url }), undefined);
    assert.equal(checkSource(git(ours, { branch: 'release' }), T), undefined);
  });

  it('evaluate: a source that cannot show the commit ends before any ancestry question (a digest is not a commit)', async () => {
    const asked: string[] = [];
    const atOrAfter = (sha: string) => {
      asked.push(sha);
      return Promise.resolve(false);
    };
    const bucket: FluxStatus = {
      sourceKind: 'Bucket',
      bucket: { url: 'https://minio.contoso.local', bucketName: 'flux' },
      sourceSyncedCommitId: DIGEST, // the older Flux format: a bare digest, which reads like a sha256 commit id
      complianceState: 'Compliant',
      statuses: [
        {
          kind: 'Kustomization',
          name: 'cfg-apps',
          namespace: 'flux-system',
          complianceState: 'Compliant',
          statusConditions: [{ type: 'Ready', status: 'True', message: `Applied revision: ${DIGEST}` }],
        },
      ],
    };
    const e = await evaluate(bucket, 'cfg', T, {}, atOrAfter);
    assert.equal(e.phase, 'unsupported-source');
    assert.equal(e.syncedSha, undefined);
    assert.equal(e.syncedRevision, DIGEST);
    assert.deepEqual(asked, []);
    const other = await evaluate(
      {
        gitRepository: { url: 'https://dev.azure.com/contoso/fleet/_git/other', repositoryRef: { branch: 'main' } },
        sourceSyncedCommitId: `main@sha1:${'b'.repeat(40)}`,
      },
      'cfg',
      T,
      {},
      atOrAfter,
      { url: 'https://dev.azure.com/contoso/fleet/_git/gitops' },
    );
    assert.equal(other.phase, 'source-mismatch');
    assert.equal(other.syncedSha, 'b'.repeat(40));
    assert.deepEqual(asked, []);
    // provisioningState Failed is said first
    assert.equal((await evaluate({ ...bucket, provisioningState: 'Failed', errorMessage: 'x' }, 'cfg', T, {}, atOrAfter)).phase, 'provisioning-failed');
  });
});
