// Job access tokens under "Limit job authorization scope to referenced Azure DevOps repositories"
// and "...to current project" (both on by default): a job token reaches only the repositories its
// job declares, in its own project; any other repository answers as one the identity cannot read
// (404 GitRepositoryNotFoundException, TF401019) over REST and smart HTTP, and lists leave it out.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GitApi } from 'azure-devops-node-api/GitApi';
import { gitApi, gitWork, rejection } from './helpers';
import { DevOpsEmulator, startDevOpsEmulator } from './index';

describe('Azure DevOps emulator: job tokens scoped to the referenced repositories', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;

  before(async () => {
    emu = await startDevOpsEmulator({ org: 'contoso' });
    emu.admin.createProject('apps');
    emu.admin.createProject('infra');
    for (const [project, repo] of [
      ['apps', 'voting-app'],
      ['apps', 'gitops'],
      ['infra', 'fleet'],
    ] as const) {
      await emu.admin.createRepository(project, repo);
      await emu.admin.seedFiles(project, repo, 'main', { 'README.md': `${repo}\n` });
    }
  });
  after(async () => emu?.stop());
  afterEach(() => emu.admin.pipelineSettings({ limitJobScopeToReferencedRepositories: true, limitJobScopeToCurrentProject: true }));

  const names = async (git: GitApi, project?: string) => (await git.getRepositories(project)).map((r) => r.name).sort();

  it('has both scope limits on by default', () => {
    assert.deepEqual(emu.admin.pipelineSettings(), { limitJobScopeToReferencedRepositories: true, limitJobScopeToCurrentProject: true });
  });

  it('answers an undeclared repository with 404 TF401019 and lists only the declared ones', async () => {
    const git = await gitApi(emu, 'bearer', emu.admin.mintJobToken('apps', ['voting-app']));
    assert.deepEqual(await names(git, 'apps'), ['voting-app']);
    assert.deepEqual(await names(git), ['voting-app']);
    assert.equal((await git.getRepository('voting-app', 'apps'))?.name, 'voting-app');
    // The client turns a 404 into null; the raw answer is the service's TF401019.
    assert.equal(await git.getRepository('gitops', 'apps'), null);
    assert.equal(await git.getRefs('gitops', 'apps', 'heads/main'), null);
    const answer = await fetch(`${emu.url}/apps/_apis/git/repositories/gitops/refs?filter=heads/main&api-version=7.1`, {
      headers: { Authorization: `Bearer ${emu.admin.mintJobToken('apps', ['voting-app'])}` },
    });
    assert.equal(answer.status, 404);
    const body = (await answer.json()) as { typeKey: string; message: string };
    assert.equal(body.typeKey, 'GitRepositoryNotFoundException');
    assert.equal(
      body.message,
      'TF401019: The Git repository with name or identifier gitops does not exist or you do not have permissions for the operation you are attempting.',
    );
  });

  it('reaches a declared repository of its project, but not one of another project while the project scope is on', async () => {
    const git = await gitApi(emu, 'bearer', emu.admin.mintJobToken('apps', ['voting-app', 'gitops', 'infra/fleet']));
    assert.deepEqual(await names(git), ['gitops', 'voting-app']);
    assert.equal((await git.getRefs('gitops', 'apps', 'heads/main')).length, 1);
    assert.equal(await git.getRepository('fleet', 'infra'), null);
    emu.admin.pipelineSettings({ limitJobScopeToCurrentProject: false });
    assert.deepEqual(await names(git), ['fleet', 'gitops', 'voting-app']);
  });

  it('reaches every repository of the project when the referenced-repositories limit is off', async () => {
    const git = await gitApi(emu, 'bearer', emu.admin.mintJobToken('apps', ['voting-app']));
    emu.admin.pipelineSettings({ limitJobScopeToReferencedRepositories: false });
    assert.deepEqual(await names(git), ['gitops', 'voting-app']);
    emu.admin.pipelineSettings({ limitJobScopeToCurrentProject: false });
    assert.deepEqual(await names(git), ['fleet', 'gitops', 'voting-app']);
  });

  it('keeps the emulator token unscoped, and refuses an unknown token with 401', async () => {
    assert.deepEqual(await names(await gitApi(emu)), ['fleet', 'gitops', 'voting-app']);
    const refused = await rejection(gitApi(emu, 'bearer', 'not-a-token').then((git) => git.getRepositories()));
    assert.equal(refused.statusCode, 401);
  });

  it('clones a declared repository over smart HTTP and refuses an undeclared one', async () => {
    const token = emu.admin.mintJobToken('apps', ['gitops']);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'job-token-clone-'));
    try {
      await gitWork(work, token, 'clone', '--quiet', `${emu.url}/apps/_git/gitops`, 'gitops');
      assert.equal(fs.readFileSync(path.join(work, 'gitops/README.md'), 'utf8'), 'gitops\n');
      await assert.rejects(gitWork(work, token, 'clone', '--quiet', `${emu.url}/apps/_git/voting-app`, 'voting-app'), /404|not found/i);
      assert.equal(fs.existsSync(path.join(work, 'voting-app/README.md')), false);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('mints and configures over the admin HTTP API', async () => {
    const minted = await fetch(`${emu.adminUrl}/contoso/jobtokens`, {
      method: 'POST',
      body: JSON.stringify({ project: 'apps', repositories: ['gitops'] }),
    });
    assert.equal(minted.status, 201);
    const { token } = (await minted.json()) as { token: string };
    assert.deepEqual(await names(await gitApi(emu, 'bearer', token)), ['gitops']);
    const changed = await fetch(`${emu.adminUrl}/contoso/pipelinesettings`, {
      method: 'PATCH',
      body: JSON.stringify({ limitJobScopeToReferencedRepositories: false }),
    });
    assert.deepEqual(await changed.json(), { limitJobScopeToReferencedRepositories: false, limitJobScopeToCurrentProject: true });
    assert.deepEqual(await names(await gitApi(emu, 'bearer', token)), ['gitops', 'voting-app']);
    const bad = await fetch(`${emu.adminUrl}/contoso/pipelinesettings`, { method: 'PATCH', body: JSON.stringify({ limitJobScopeToCurrentProject: 'yes' }) });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { message: 'limitJobScopeToCurrentProject must be true or false' });
  });
});
