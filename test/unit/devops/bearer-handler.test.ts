import * as assert from 'node:assert/strict';
import type { RequestOptions } from 'node:http';
import { bearerHandler } from '../../../shared/devops/last-successful-run';

describe('bearerHandler (Build API reader)', () => {
  it('sends the token to the first host only, never to a host a redirect leads to', () => {
    const handler = bearerHandler('job-token');
    const first: RequestOptions = { host: 'dev.azure.com', headers: { Accept: 'application/zip' } };
    handler.prepareRequest(first);
    assert.deepEqual(first.headers, { Accept: 'application/zip', Authorization: 'Bearer job-token', 'X-TFS-FedAuthRedirect': 'Suppress' });
    const redirected: RequestOptions = { host: 'artifacts.blob.core.windows.net', headers: {} };
    handler.prepareRequest(redirected);
    assert.deepEqual(redirected.headers, { 'X-TFS-FedAuthRedirect': 'Suppress' });
    const again: RequestOptions = { host: 'dev.azure.com', headers: {} };
    handler.prepareRequest(again);
    assert.equal((again.headers as Record<string, string>).Authorization, 'Bearer job-token');
  });

  it('answers no authentication challenge', async () => {
    const handler = bearerHandler('job-token');
    assert.equal(handler.canHandleAuthentication({} as never), false);
    await assert.rejects(handler.handleAuthentication({} as never, {} as never, undefined), /does not answer authentication challenges/);
  });
});
