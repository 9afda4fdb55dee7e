import * as assert from 'node:assert/strict';
import { parseAzureReposUrl } from '../../../shared/workflows/promote-source-status';

describe('the source commit status: which repository release.json names', () => {
  it('reads Azure Repos clone URLs of every form', () => {
    assert.deepEqual(parseAzureReposUrl('https://dev.azure.com/contoso/Voting%20App/_git/voting-app'), {
      collection: 'https://dev.azure.com/contoso',
      project: 'Voting App',
      repository: 'voting-app',
    });
    assert.deepEqual(parseAzureReposUrl('https://build@contoso.visualstudio.com/Voting/_git/web'), {
      collection: 'https://contoso.visualstudio.com/',
      project: 'Voting',
      repository: 'web',
    });
    assert.deepEqual(parseAzureReposUrl('https://tfs.contoso.local/tfs/DefaultCollection/Voting/_git/web'), {
      collection: 'https://tfs.contoso.local/tfs/DefaultCollection',
      project: 'Voting',
      repository: 'web',
    });
  });

  it('is none for other hosts and malformed URLs', () => {
    assert.equal(parseAzureReposUrl('https://github.com/contoso/voting-app'), undefined);
    assert.equal(parseAzureReposUrl('https://dev.azure.com/contoso/_git'), undefined);
    assert.equal(parseAzureReposUrl('not a url'), undefined);
  });
});
