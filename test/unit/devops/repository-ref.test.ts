import * as assert from 'node:assert/strict';
import { parseRepositoryRef, withoutCredentials } from '../../../shared/devops/repository-ref';
import { normalizeCollectionUrl, sameCollection } from '../../../shared/devops/connection';
import { branchRef } from '../../../shared/devops/repository';

describe('parseRepositoryRef', () => {
  it('reads a name and project/name', () => {
    assert.deepEqual(parseRepositoryRef('fleet'), { name: 'fleet' });
    assert.deepEqual(parseRepositoryRef(' infra/fleet '), { project: 'infra', name: 'fleet' });
  });

  it('reads dev.azure.com, visualstudio.com, on-premises and emulator URLs', () => {
    assert.deepEqual(parseRepositoryRef('https://dev.azure.com/contoso/Platform%20Team/_git/fleet-gitops'), {
      collectionUrl: 'https://dev.azure.com/contoso',
      project: 'Platform Team',
      name: 'fleet-gitops',
    });
    assert.deepEqual(parseRepositoryRef('https://contoso@dev.azure.com/contoso/infra/_git/fleet'), {
      collectionUrl: 'https://dev.azure.com/contoso',
      project: 'infra',
      name: 'fleet',
    });
    assert.deepEqual(parseRepositoryRef('https://contoso.visualstudio.com/infra/_git/fleet'), {
      collectionUrl: 'https://contoso.visualstudio.com',
      project: 'infra',
      name: 'fleet',
    });
    assert.deepEqual(parseRepositoryRef('https://contoso.visualstudio.com/DefaultCollection/infra/_git/fleet'), {
      collectionUrl: 'https://contoso.visualstudio.com/DefaultCollection',
      project: 'infra',
      name: 'fleet',
    });
    assert.deepEqual(parseRepositoryRef('https://tfs.corp.example/tfs/Main/infra/_git/fleet/'), {
      collectionUrl: 'https://tfs.corp.example/tfs/Main',
      project: 'infra',
      name: 'fleet',
    });
    assert.deepEqual(parseRepositoryRef('http://127.0.0.1:41234/emuorg/demo/_git/gitops'), {
      collectionUrl: 'http://127.0.0.1:41234/emuorg',
      project: 'demo',
      name: 'gitops',
    });
  });

  it('takes the project from the repository name for a project-named default repository', () => {
    assert.deepEqual(parseRepositoryRef('https://dev.azure.com/contoso/_git/infra'), {
      collectionUrl: 'https://dev.azure.com/contoso',
      project: 'infra',
      name: 'infra',
    });
  });

  it('rejects what it cannot read, never echoing a password', () => {
    assert.throws(() => parseRepositoryRef(''), /empty/);
    assert.throws(() => parseRepositoryRef('a/b/c'), /expected a name, project\/name or a clone URL/);
    assert.throws(() => parseRepositoryRef('git@ssh.dev.azure.com:v3/contoso/infra/fleet'), /SSH URLs are not supported/);
    assert.throws(() => parseRepositoryRef('https://dev.azure.com/contoso/infra/fleet'), /expected \.\.\.\/<project>\/_git\/<repository>/);
    assert.throws(
      () => parseRepositoryRef('https://me:s3cretpat@dev.azure.com/contoso/infra/_git/fleet/extra'),
      (e: Error) => !e.message.includes('s3cretpat') && e.message.includes('https://dev.azure.com/contoso'),
    );
    assert.throws(() => parseRepositoryRef('ftp://x/p/_git/r'), /only http\(s\)/);
  });

  it('strips credentials from URLs it shows', () => {
    assert.equal(withoutCredentials('https://u:p@dev.azure.com/o/p/_git/r'), 'https://dev.azure.com/o/p/_git/r');
  });
});

describe('collection URLs and branch refs', () => {
  it('normalises collection URLs and compares them case-insensitively', () => {
    assert.equal(normalizeCollectionUrl('https://user:pw@dev.azure.com/contoso/?x=1'), 'https://dev.azure.com/contoso');
    assert.equal(sameCollection('https://dev.azure.com/Contoso/', 'https://dev.azure.com/contoso'), true);
    assert.equal(sameCollection('https://dev.azure.com/a', 'https://dev.azure.com/b'), false);
    assert.throws(() => normalizeCollectionUrl('not a url'), /not a collection URL/);
  });

  it('builds refs/heads names', () => {
    assert.equal(branchRef('main'), 'refs/heads/main');
    assert.equal(branchRef('heads/gitops/dev'), 'refs/heads/gitops/dev');
    assert.equal(branchRef('refs/heads/x'), 'refs/heads/x');
    assert.throws(() => branchRef(' '), /empty/);
  });
});
