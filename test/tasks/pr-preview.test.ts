/**
 * GitOpsPrValidate@1's pull request preview as the agent runs it: the built bundle against the
 * Azure DevOps emulator, which holds the GitOps repository (its folders seeded with exactly what
 * GitOpsPromote@1 writes: the library's rendering and manifestFiles) and the application
 * repository with the pull requests the preview comments on.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommentThreadStatus, GitPullRequestCommentThread, GitStatus, GitStatusState } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { processTools, toolsBin } from '../harness/process-tools';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { connectWithJobToken } from '../../shared/devops/connection';
import { manifestFiles } from '../../shared/manifests/serialize';
import { DEFAULT_POLICY_SEVERITIES } from '../../shared/validate/policy';
import { renderAndValidate } from '../../shared/workflows/render-and-validate';

const root = process.cwd();
const taskDir = path.join(root, 'dist/tasks/GitOpsPrValidate/v1');
const fixture = path.join(root, 'test/fixtures/repos/everything-in-deploy');
const PROJECT = 'Voting';
const ENVIRONMENTS = ['dev', 'stage', 'prod'];
const MARKER = '<!-- gitops-flow:preview/';

describe('GitOpsPrValidate@1 pull request preview against the Azure DevOps emulator', function () {
  this.timeout(180_000);
  let devops: DevOpsEmulator;
  let appRepoId: string;
  const cleanup: string[] = [];
  const runs: TaskRun[] = [];
  let branchCount = 0;

  const conn = () => connectWithJobToken(devops.url, devops.token);

  /** A copy of the fixture app, changed by `edit`. */
  function appCopy(edit: (dir: string) => void = () => undefined): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-preview-app-'));
    cleanup.push(dir);
    fs.cpSync(fixture, dir, { recursive: true });
    edit(dir);
    return dir;
  }

  function replaceIn(file: string, from: string, to: string): void {
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes(from), `${file} has no "${from}"`);
    fs.writeFileSync(file, text.split(from).join(to));
  }

  /** What GitOpsPromote@1 writes for `appDir` in each environment: the library's own rendering and file layout. */
  async function promotedFiles(appDir: string, environments = ENVIRONMENTS): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-preview-render-'));
    cleanup.push(workDir);
    await renderAndValidate({
      repoRoot: appDir,
      templates: 'deploy',
      renderer: 'auto',
      environments,
      valuesFile: 'deploy/environments/{environment}.yaml',
      variables: new Map(),
      helmValuesFiles: [],
      kubernetesVersion: '1.32',
      policy: DEFAULT_POLICY_SEVERITIES,
      dockerfiles: [],
      tools: processTools([toolsBin()]),
      workDir,
      onRendered: (env, objects) => out.set(env, manifestFiles(objects)),
    });
    return out;
  }

  /** Seeds apps/<env>/<app>/ of the GitOps repository with what a promotion of `appDir` would have written. */
  async function promote(app: string, appDir: string, environments = ENVIRONMENTS, extra: Record<string, string> = {}): Promise<void> {
    const files: Record<string, string> = { ...extra };
    for (const [env, rendered] of await promotedFiles(appDir, environments)) for (const [name, text] of rendered) files[`apps/${env}/${app}/${name}`] = text;
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', files, `Promote ${app}`);
  }

  async function newPullRequest(): Promise<number> {
    const branch = `feature/change-${++branchCount}`;
    await devops.admin.seedFiles(PROJECT, 'voting-app', branch, { [`change-${branchCount}.txt`]: 'x' }, 'A change');
    const pr = await conn().git.createPullRequest(
      { sourceRefName: `refs/heads/${branch}`, targetRefName: 'refs/heads/main', title: `Change ${branchCount}` },
      appRepoId,
      PROJECT,
    );
    return pr.pullRequestId!;
  }

  const jobConnection = () => ({ SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } });

  async function preview(
    appDir: string,
    app: string,
    pullRequestId: number | undefined,
    inputs: Record<string, string> = {},
    extra: Partial<RunTaskOptions> = {},
  ): Promise<TaskRun> {
    const run = await runBuiltTask({
      taskDir,
      inputs: { dockerfiles: '', preview: 'true', gitopsRepository: 'gitops', appName: app, ...inputs },
      variables: {
        'Build.SourcesDirectory': appDir,
        'System.CollectionUri': `${devops.url}/`,
        'System.TeamProject': PROJECT,
        'Build.BuildId': '9',
        'Build.Repository.ID': appRepoId,
        'Build.Repository.Name': 'voting-app',
        'Build.Repository.Provider': 'TfsGit',
        ...(pullRequestId === undefined
          ? { 'Build.Reason': 'IndividualCI' }
          : { 'Build.Reason': 'PullRequest', 'System.PullRequest.PullRequestId': String(pullRequestId) }),
      },
      endpoints: jobConnection(),
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
      ...extra,
    });
    runs.push(run);
    const logged = run.stdout.split('\n').filter((l) => !l.startsWith('##vso[task.setsecret]'));
    assert.deepEqual(
      logged.filter((l) => l.includes(devops.token)),
      [],
      'the access token was logged',
    );
    return run;
  }

  async function threads(pullRequestId: number): Promise<GitPullRequestCommentThread[]> {
    const all = await conn().git.getThreads(appRepoId, pullRequestId, PROJECT);
    return all.filter((t) => t.comments?.[0]?.content?.includes(MARKER));
  }

  async function previewComment(pullRequestId: number): Promise<string> {
    const found = await threads(pullRequestId);
    assert.equal(found.length, 1, 'one preview thread');
    return found[0].comments![0].content!;
  }

  async function latestStatus(pullRequestId: number): Promise<GitStatus> {
    const statuses = await conn().git.getPullRequestStatuses(appRepoId, pullRequestId, PROJECT);
    const mine = statuses.filter((s) => s.context?.genre === 'gitops-flow' && s.context?.name === 'preview').sort((a, b) => (b.id ?? 0) - (a.id ?? 0));
    assert.ok(mine.length > 0, 'a gitops-flow/preview status');
    return mine[0];
  }

  before(async () => {
    devops = await startDevOpsEmulator({ org: 'contoso' });
    devops.admin.createProject(PROJECT);
    await devops.admin.createRepository(PROJECT, 'gitops', { defaultBranch: 'main' });
    await devops.admin.seedFiles(PROJECT, 'gitops', 'main', { 'README.md': '# fleet\n' }, 'Empty GitOps repository');
    appRepoId = (await devops.admin.createRepository(PROJECT, 'voting-app', { defaultBranch: 'main' })).id;
    await devops.admin.seedFiles(PROJECT, 'voting-app', 'main', { 'README.md': '# voting app\n' }, 'App');
  });

  after(async () => {
    await devops?.stop();
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('first preview on an empty GitOps folder: every object added, one thread, a succeeded status, the same preview on the summary tab', async () => {
    const pr = await newPullRequest();
    const run = await preview(appCopy(), 'first', pr);
    assert.equal(run.result, 'Succeeded', run.stdout);
    const comment = await previewComment(pr);
    assert.ok(comment.startsWith(`${MARKER}first -->\n### GitOps preview: \`first\``), comment.slice(0, 200));
    for (const env of ENVIRONMENTS) assert.ok(comment.includes(`| \`${env}\` | \`apps/${env}/first\` | 2 | 0 | 0 | 1 |`), comment);
    assert.ok(comment.includes('| `Deployment web-dev/web` | `web` | (none) | `nginx:1.27.3` |'));
    assert.ok(comment.includes('<summary>Diff of prod: 2 files, +'));
    assert.ok(comment.includes('+++ b/deployment-web.yaml\n@@ -0,0 +1,'));
    const status = await latestStatus(pr);
    assert.equal(status.state, GitStatusState.Succeeded);
    assert.equal(status.description, '6 objects change in dev, stage, prod');
    assert.equal(status.targetUrl, `${devops.url}/${PROJECT}/_build/results?buildId=9`);
    assert.equal(run.summaries.length, 1);
    assert.ok(run.summaries[0].markdown.includes('| `prod` | `apps/prod/first` | 2 | 0 | 0 | 1 |'));
    assert.ok(run.stdout.includes('dev: 2 added, 0 changed, 0 removed object(s), 1 image change(s) in /apps/dev/first'));
  });

  it("a change to one environment's values: that environment shows the field, the others say no change in one line", async () => {
    await promote('values', appCopy());
    const pr = await newPullRequest();
    const run = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/environments/prod.yaml'), 'REPLICAS: 3', 'REPLICAS: 4')),
      'values',
      pr,
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    const comment = await previewComment(pr);
    assert.ok(comment.includes('| `prod` | `apps/prod/values` | 0 | 1 | 0 | 0 |'));
    assert.ok(comment.includes('| `Deployment web-prod/web` | changed | `spec.replicas` |'), comment);
    assert.ok(comment.includes('**`dev`**: no change (2 files already as rendered).'));
    assert.ok(comment.includes('**`stage`**: no change (2 files already as rendered).'));
    assert.ok(comment.includes('-  replicas: 3\n+  replicas: 4\n'));
    assert.equal((await latestStatus(pr)).description, '1 object change in prod');
  });

  it("gitopsLocation external: reads the GitOps repository through gitopsConnection's pickers, not the hidden gitopsRepository", async () => {
    await promote('external', appCopy());
    const pr = await newPullRequest();
    const run = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/environments/prod.yaml'), 'REPLICAS: 3', 'REPLICAS: 4')),
      'external',
      pr,
      {
        gitopsLocation: 'external',
        gitopsConnection: 'gitops-org',
        gitopsConnectionProject: PROJECT,
        gitopsConnectionRepository: 'gitops',
        gitopsConnectionBranch: 'main',
        // What the editor keeps of this organization's pickers while they are hidden.
        gitopsRepository: 'no-such-repository',
        targetBranch: 'no-such-branch',
      },
      {
        endpoints: {
          ...jobConnection(),
          'gitops-org': { url: devops.url, scheme: 'Token', parameters: { apitoken: devops.admin.mintJobToken(PROJECT, ['gitops']) } },
        },
      },
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    const comment = await previewComment(pr);
    assert.ok(comment.includes('| `prod` | `apps/prod/external` | 0 | 1 | 0 | 0 |'), comment);
    assert.equal((await latestStatus(pr)).description, '1 object change in prod');
  });

  it('an image change: old -> new per container', async () => {
    await promote('image', appCopy());
    const pr = await newPullRequest();
    const run = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/deployment.yaml'), 'nginx:1.27.3', 'nginx:1.28.0')),
      'image',
      pr,
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    const comment = await previewComment(pr);
    for (const env of ENVIRONMENTS) {
      assert.ok(comment.includes(`| \`${env}\` | \`apps/${env}/image\` | 0 | 1 | 0 | 1 |`));
      assert.ok(comment.includes(`| \`Deployment web-${env}/web\` | \`web\` | \`nginx:1.27.3\` | \`nginx:1.28.0\` |`));
    }
    assert.ok(comment.includes('`spec.template.spec.containers[web].image`'));
    assert.equal((await latestStatus(pr)).description, '3 objects change in dev, stage, prod');
  });

  it('a removed object: listed as removed, its file deleted in the diff', async () => {
    await promote('removed', appCopy());
    const pr = await newPullRequest();
    const run = await preview(
      appCopy((dir) => fs.rmSync(path.join(dir, 'deploy/service.yaml'))),
      'removed',
      pr,
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    const comment = await previewComment(pr);
    assert.ok(comment.includes('| `Service web-stage/web` | removed |  |'), comment);
    assert.ok(comment.includes('--- a/service-web.yaml\n+++ /dev/null\n'));
    assert.ok(comment.includes('| `dev` | `apps/dev/removed` | 0 | 0 | 1 | 0 |'));
  });

  it('reads what each folder holds in two requests: the listing, then every changed file at once', async () => {
    await promote('reads', appCopy());
    const pr = await newPullRequest();
    devops.admin.clearRequests();
    const run = await preview(
      appCopy((dir) => {
        fs.rmSync(path.join(dir, 'deploy/service.yaml'));
        replaceIn(path.join(dir, 'deploy/deployment.yaml'), 'nginx:1.27.3', 'nginx:1.28.0');
      }),
      'reads',
      pr,
    );
    assert.equal(run.result, 'Succeeded', run.stdout);
    const reads = devops.admin
      .requests()
      .filter((r) => r.operation === 'Items_Get' || r.operation === 'Blobs_Get Blobs Zip')
      .map((r) => (r.operation === 'Items_Get' ? `list ${/scopePath=([^&]*)/.exec(r.path)?.[1] ?? r.path}` : 'blobs'));
    assert.deepEqual(reads, ['list %2Fapps%2Fdev%2Freads', 'blobs', 'list %2Fapps%2Fstage%2Freads', 'blobs', 'list %2Fapps%2Fprod%2Freads', 'blobs']);
    assert.ok((await previewComment(pr)).includes('| `prod` | `apps/prod/reads` | 0 | 1 | 1 | 1 |'));
  });

  it('a Secret change: the field is named, no value is ever shown (old plaintext, new SOPS)', async () => {
    const oldValue = Buffer.from('super-secret-old-password').toString('base64');
    const newCipher = 'ENC[AES256_GCM,data:bmV3LWNpcGhlcnRleHQ=,iv:aXY=,tag:dGFn,type:str]';
    const secretTemplate = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: db',
      '  namespace: ${NAMESPACE}',
      'data:',
      `  password: ${newCipher}`,
      'sops:',
      '  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]',
      '  version: 3.9.0',
      '',
    ].join('\n');
    const oldSecret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web-dev\ndata:\n  password: ${oldValue}\n`;
    await promote('secret', appCopy(), ['dev'], { 'apps/dev/secret/secret-db.yaml': oldSecret });
    const pr = await newPullRequest();
    const run = await preview(
      appCopy((dir) => fs.writeFileSync(path.join(dir, 'deploy/secret.yaml'), secretTemplate)),
      'secret',
      pr,
      { environments: 'dev' },
    );
    // Validated as kustomize-controller applies it once decrypted (no `sops` block, ENC[...] values opaque): no finding.
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.deepEqual(
      run.issues.filter((i) => i.code).map((i) => i.code),
      [],
    );
    const comment = await previewComment(pr);
    assert.ok(comment.includes('| `Secret web-dev/db` | changed | `data.password`, `sops` (added) |'), comment);
    assert.ok(comment.includes("-  password: '[secret value]'\n+  password: '[secret value, changed]'\n"), comment);
    for (const shown of [comment, run.summaries[0].markdown, run.stdout]) {
      for (const value of [oldValue, 'super-secret-old-password', 'bmV3LWNpcGhlcnRleHQ=', 'bWFj']) assert.ok(!shown.includes(value), `${value} shown`);
    }
  });

  it('a re-run updates the same thread in place (a stale preview is replaced, never a second thread)', async () => {
    await promote('rerun', appCopy());
    const pr = await newPullRequest();
    const first = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/environments/dev.yaml'), 'REPLICAS: 1', 'REPLICAS: 5')),
      'rerun',
      pr,
    );
    assert.ok(first.stdout.includes('Preview comment created on pull request'));
    const [before] = await threads(pr);
    assert.ok(before.comments![0].content!.includes('+  replicas: 5'));
    const second = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/environments/dev.yaml'), 'REPLICAS: 1', 'REPLICAS: 6')),
      'rerun',
      pr,
    );
    assert.ok(second.stdout.includes(`Preview comment updated on pull request ${pr} (thread ${before.id})`), second.stdout);
    const after = await threads(pr);
    assert.deepEqual(
      after.map((t) => [t.id, t.comments!.length, t.status]),
      [[before.id, 1, CommentThreadStatus.Active]],
    );
    assert.ok(after[0].comments![0].content!.includes('+  replicas: 6'));
    assert.ok(!after[0].comments![0].content!.includes('replicas: 5'));
    // The same text again: nothing to update.
    const third = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/environments/dev.yaml'), 'REPLICAS: 1', 'REPLICAS: 6')),
      'rerun',
      pr,
    );
    assert.ok(third.stdout.includes(`Preview comment unchanged on pull request ${pr} (thread ${before.id})`));
  });

  it('an environment that does not render: the status fails naming it, the other environments are still previewed', async () => {
    const pr = await newPullRequest();
    const run = await preview(
      appCopy((dir) => replaceIn(path.join(dir, 'deploy/environments/prod.yaml'), 'REPLICAS: 3', 'OTHER: 3')),
      'broken',
      pr,
    );
    assert.equal(run.result, 'Failed');
    const comment = await previewComment(pr);
    assert.ok(comment.includes('| `prod` | `apps/prod/broken` | | | | rendering failed (render/undefined-variable; see the validation findings) |'), comment);
    assert.ok(comment.includes('| `dev` | `apps/dev/broken` | 2 | 0 | 0 | 1 |'));
    const status = await latestStatus(pr);
    assert.equal(status.state, GitStatusState.Failed);
    assert.equal(status.description, 'Rendering failed for prod');
  });

  it('GitOps repository forbidden: a warning naming what to grant, the preview skipped, validation decides the result', async () => {
    const pr = await newPullRequest();
    const fault = devops.admin.injectFault({ method: 'GET', pathPattern: '/_apis/git/repositories/gitops', status: 403, count: 20 });
    let run: TaskRun;
    try {
      run = await preview(appCopy(), 'forbidden', pr);
    } finally {
      fault.cancel();
    }
    assert.equal(run.result, 'Succeeded', run.stdout);
    const warnings = run.issues.filter((i) => i.type === 'warning').map((i) => i.message);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0],
      /^GitOps preview skipped: the GitOps repository "gitops" is forbidden or not found \(.*HTTP 403.*\); grant the project's build service identity/,
    );
    assert.deepEqual(await threads(pr), []);
    const status = await latestStatus(pr);
    assert.equal(status.state, GitStatusState.Error);
    assert.equal(status.description, 'Preview skipped: cannot read gitops');
  });

  it('a 40,000-line diff is cut within the comment budget, the counts kept, the full preview on the summary tab', async () => {
    const pr = await newPullRequest();
    const lines = Array.from({ length: 40_000 }, (_, i) => `  key${i}: "value number ${i}"`).join('\n');
    const app = appCopy((dir) =>
      fs.writeFileSync(
        path.join(dir, 'deploy/big.yaml'),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: \${NAMESPACE}\ndata:\n${lines}\n`,
      ),
    );
    const run = await preview(app, 'big', pr, { environments: 'dev' });
    assert.equal(run.result, 'Succeeded', run.stdout);
    const comment = await previewComment(pr);
    assert.ok(comment.length <= 60_000, `${comment.length} characters`);
    assert.ok(comment.length > 50_000, 'the budget is used');
    assert.ok(comment.includes('| `dev` | `apps/dev/big` | 3 | 0 | 0 | 1 |'));
    assert.match(
      comment,
      /> Diff cut to stay within the size limit: \d of 3 files shown.*The full diff is in the pipeline run's summary tab \(GitOps validation\)\./,
    );
    assert.ok(run.summaries[0].markdown.includes('+  key39999: value number 39999'));
  });

  it('not a pull request build: the preview is on the summary tab only, with a note', async () => {
    const run = await preview(appCopy(), 'nopr', undefined);
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.ok(run.summaries[0].markdown.includes('> Not a pull request build: this preview is on the summary tab only.'));
    assert.ok(run.summaries[0].markdown.includes('| `dev` | `apps/dev/nopr` | 2 | 0 | 0 | 1 |'));
    assert.ok(!run.stdout.includes('Preview comment'));
  });
});
