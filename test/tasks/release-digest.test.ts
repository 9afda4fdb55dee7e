/**
 * The release digest from CI to CD with the built bundles: GitOpsCiPublish@1 sets releaseDigest to
 * the sha256 of the release.json it wrote; GitOpsPromote@1, given it as the stage's variable
 * ($(releaseDigest), as a stageDependencies mapping provides it), promotes that bundle and refuses an
 * edited release.json before anything reaches the GitOps repository (Azure DevOps emulator). Flux is
 * not awaited here: test/tasks/promote.test.ts covers that.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectWithJobToken } from '../../shared/devops/connection';
import { resolveRepository } from '../../shared/devops/repository';
import type { ReleaseManifest } from '../../shared/release/release-manifest';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { toolsBin } from '../harness/process-tools';
import { publishSampleRelease } from '../harness/sample-release';
import { runBuiltTask, TaskRun } from '../harness/task-runner';

const root = process.cwd();
const promoteDir = path.join(root, 'dist/tasks/GitOpsPromote/v1');
const PROJECT = 'Voting';
const runs: TaskRun[] = [];
const cleanup: string[] = [];

describe('release digest: GitOpsCiPublish@1 output pins the bundle GitOpsPromote@1 accepts', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let bundle: string;
  let published: TaskRun;
  let bare: string;

  const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

  /** GitOpsPromote@1 without Flux; `releaseDigest` is the pipeline variable the input's $(releaseDigest) expands from (unset: left as written). */
  async function promote(inputs: Record<string, string>, releaseDigest?: string): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir: promoteDir,
      inputs: { bundle, environment: 'dev', gitopsRepository: 'gitops', waitForReconciliation: 'false', mergeTimeoutMinutes: '1', ...inputs },
      variables: {
        'System.CollectionUri': `${devops.url}/`,
        'System.TeamProject': PROJECT,
        'Build.BuildId': '77',
        'Build.BuildNumber': '20261127.3',
        ...(releaseDigest === undefined ? {} : { releaseDigest }),
      },
      endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } },
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    runs.push(run);
    return run;
  }

  async function pullRequests() {
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    return conn.git.getPullRequests(repo.id, { status: 4 /* all */ }, PROJECT);
  }

  /** A copy of the bundle whose release.json says the web image is 6.6.6; every file it lists is untouched. */
  function editedBundle(): string {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-edited-release-'));
    cleanup.push(copy);
    fs.cpSync(bundle, copy, { recursive: true });
    const file = path.join(copy, 'release.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as ReleaseManifest;
    doc.images[0].variables.WEB_TAG = '6.6.6';
    doc.images[0].variables.WEB_REF = 'contosoacr.azurecr.io/voting/web:6.6.6';
    fs.writeFileSync(file, JSON.stringify(doc));
    return copy;
  }

  before(async () => {
    const sample = await publishSampleRelease('gitops-digest-app-');
    cleanup.push(sample.appDir);
    published = sample.run;
    runs.push(published);
    bundle = sample.bundle;

    devops = await startDevOpsEmulator({ org: 'contoso' });
    devops.admin.createProject(PROJECT);
    await devops.admin.createRepository(PROJECT, 'gitops', { defaultBranch: 'main' });
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', { 'README.md': 'GitOps repository\n' }, 'seed');
    bare = devops.admin.bareRepositoryPath(PROJECT, 'gitops');
  });

  after(async () => {
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  it('GitOpsCiPublish@1 sets releaseDigest to sha256: and the sha256 of the release.json it wrote, and logs it', () => {
    const expected = `sha256:${createHash('sha256')
      .update(fs.readFileSync(path.join(bundle, 'release.json')))
      .digest('hex')}`;
    assert.equal(published.outputs.releaseDigest, expected);
    assert.ok(
      published.stdout.split('\n').includes(`Release digest ${expected}: pass it to GitOpsPromote@1's releaseDigest input to refuse any other bundle`),
      published.stdout,
    );
  });

  it('refuses an edited release.json with the CI run digest before anything is rendered or written', async () => {
    const edited = editedBundle();
    const refs = git('for-each-ref');
    const run = await promote(
      { bundle: edited, releaseDigest: '$(releaseDigest)', autoComplete: 'false', waitForMerge: 'false' },
      published.outputs.releaseDigest,
    );
    assert.equal(run.result, 'Failed', run.stdout);
    const actual = `sha256:${createHash('sha256')
      .update(fs.readFileSync(path.join(edited, 'release.json')))
      .digest('hex')}`;
    assert.equal(
      run.resultMessage,
      `Input "releaseDigest": "${path.join(edited, 'release.json')}" has the digest ${actual}, not ${published.outputs.releaseDigest}: this is not the release the CI run published (or it was edited since). Nothing was rendered or committed.`,
    );
    assert.doesNotMatch(run.stdout, /Rendering voting-app/);
    assert.deepEqual(run.summaries, []);
    assert.equal(git('for-each-ref'), refs, 'no branch, no commit');
    assert.deepEqual(await pullRequests(), []);
  });

  it('without a digest the same edit would ship: the task says the bundle was not pinned', async () => {
    const run = await promote({ bundle: editedBundle(), autoComplete: 'false', waitForMerge: 'false' });
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.match(
      run.stdout,
      /^Release digest sha256:[0-9a-f]{64} \(not pinned: set the releaseDigest input to the CI run's releaseDigest output to refuse any other bundle\)$/m,
    );
    const branch = 'gitops-flow/voting-app/dev/20261127.1';
    assert.match(
      git('show', `refs/heads/${branch}:apps/dev/voting-app/deployment-voting-app-web.yaml`),
      /image: contosoacr\.azurecr\.io\/voting\/web:6\.6\.6\n/,
    );
    const [pr] = await pullRequests();
    assert.match(pr.description ?? '', /\nRelease digest `sha256:[0-9a-f]{64}` \(not pinned by the releaseDigest input\)\.\n/);
    // Gone again, so the next test starts from the seeded repository.
    const conn = connectWithJobToken(devops.url, devops.token);
    const repo = await resolveRepository(conn, `${PROJECT}/gitops`);
    await conn.git.updatePullRequest({ status: 2 /* abandoned */ }, repo.id, pr.pullRequestId!, PROJECT);
    git('update-ref', '-d', `refs/heads/${branch}`);
  });

  it('promotes the bundle with the CI run digest, and the summary and the pull request show it', async () => {
    const digest = published.outputs.releaseDigest;
    const run = await promote({ releaseDigest: '$(releaseDigest)' }, digest);
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.ok(run.stdout.split('\n').includes(`Release digest ${digest} matches the releaseDigest input`), run.stdout);
    assert.equal(run.outputs.deployedCommitId, git('rev-parse', 'refs/heads/main'));
    assert.match(git('show', 'refs/heads/main:apps/dev/voting-app/deployment-voting-app-web.yaml'), /image: contosoacr\.azurecr\.io\/voting\/web:1\.5\.0\n/);
    assert.ok(run.summaries[0].markdown.includes(`| Release digest | \`${digest}\` (matches the releaseDigest input) |`), run.summaries[0].markdown);
    const pr = (await pullRequests()).find((p) => String(p.pullRequestId) === run.outputs.pullRequestId);
    assert.ok(pr?.description?.includes(`\nRelease digest \`${digest}\` (matches the releaseDigest input).\n`), pr?.description);
  });

  it('names the input when the digest variable was not set or is malformed, before touching anything', async () => {
    const refs = git('for-each-ref');
    const unset = await promote({ releaseDigest: '$(releaseDigest)' });
    assert.equal(unset.result, 'Failed');
    assert.match(unset.resultMessage ?? '', /^Input "releaseDigest": "\$\(releaseDigest\)" is a pipeline expression that was not expanded/);
    const malformed = await promote({ releaseDigest: published.outputs.releaseDigest.slice('sha256:'.length) });
    assert.equal(malformed.result, 'Failed');
    assert.match(malformed.resultMessage ?? '', /^Input "releaseDigest": "[0-9a-f]{64}" is not a release digest: expected sha256: and 64 hex digits/);
    assert.equal(git('for-each-ref'), refs);
  });
});
