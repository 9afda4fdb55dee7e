/**
 * GitOpsCiPublish@1 as the agent runs it: the built bundle (dist/tasks), inputs as INPUT_*
 * variables, the build's variables, and a real git repository made here (the sample app in
 * three commits) as Build.SourcesDirectory.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';
import type { ReleaseManifest } from '../../shared/release/release-manifest';

const root = process.cwd();
const taskDir = path.join(root, 'dist/tasks/GitOpsCiPublish/v1');
const runs: TaskRun[] = [];
const cleanup: string[] = [];

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'CI', GIT_AUTHOR_EMAIL: 'ci@example.com', GIT_COMMITTER_NAME: 'CI', GIT_COMMITTER_EMAIL: 'ci@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();

interface Repo {
  dir: string;
  /** Commit adding the sample app (last to touch src/web). */
  app: string;
  /** Commit adding src/worker. */
  worker: string;
  /** HEAD: touches deploy/environments/dev.yaml only. */
  head: string;
}

/** The sample app in a fresh git repository: app, then a worker image's sources, then a values change. */
function makeRepo(): Repo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-ci-repo-'));
  cleanup.push(dir);
  fs.cpSync(path.join(root, 'examples/app'), dir, { recursive: true, filter: (src) => !src.includes('node_modules') });
  git(dir, 'init', '-q', '-b', 'main');
  const commitAll = (message: string) => {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', message);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const app = commitAll('voting app');
  fs.mkdirSync(path.join(dir, 'src/worker'));
  fs.writeFileSync(path.join(dir, 'src/worker/worker.js'), 'console.log("work");\n');
  const worker = commitAll('worker');
  fs.appendFileSync(path.join(dir, 'deploy/environments/dev.yaml'), '# reviewed\n');
  const head = commitAll('dev values');
  return { dir, app, worker, head };
}

function buildVariables(repo: Repo, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'Build.SourcesDirectory': repo.dir,
    'Build.BuildId': '1234',
    'Build.BuildNumber': '20260315.2',
    'Build.SourceVersion': repo.head,
    'Build.SourceBranch': 'refs/heads/main',
    'Build.Repository.Name': 'voting-app',
    'Build.Repository.Uri': 'https://dev.azure.com/contoso/Voting/_git/voting-app',
    'Build.DefinitionName': 'voting-app-ci',
    'System.CollectionUri': 'https://dev.azure.com/contoso/',
    'System.TeamProject': 'Voting',
    ...extra,
  };
}

const KUSTOMIZE = {
  templates: 'deploy/kustomize/overlays/{environment}',
  images: 'WEB=contosoacr.azurecr.io/voting/web:src/web\nWORKER=contosoacr.azurecr.io/voting/worker:src/worker',
  dockerfiles: '',
};

async function publish(
  repo: Repo,
  inputs: Record<string, string>,
  extra: Partial<RunTaskOptions> & { variables?: Record<string, string> } = {},
): Promise<TaskRun> {
  const { variables, ...rest } = extra;
  const run = await runBuiltTask({
    taskDir,
    inputs: { ...KUSTOMIZE, ...inputs },
    variables: variables ?? buildVariables(repo),
    env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    ...rest,
  });
  runs.push(run);
  return run;
}

/** Every file of a folder with its bytes, by relative path. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(path.relative(dir, full), fs.readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

const readRelease = (bundle: string) => JSON.parse(fs.readFileSync(path.join(bundle, 'release.json'), 'utf8')) as ReleaseManifest;

const issueBrief = (run: TaskRun) => run.issues.filter((i) => i.code).map((i) => `${i.type} ${i.code ?? ''} ${i.sourcepath ?? ''}:${i.linenumber ?? ''}`);

describe('GitOpsCiPublish@1 bundle', function () {
  this.timeout(120_000);
  let repo: Repo;
  before(() => {
    repo = makeRepo();
  });
  after(() => {
    for (const run of runs) fs.rmSync(run.folders.work, { recursive: true, force: true });
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });

  const nodes: [string, string | undefined][] = [
    ['Node 20', undefined],
    ['Node 24', process.env.GITOPS_FLOW_NODE24],
  ];
  for (const [label, nodePath] of nodes) {
    it(`tags images by content, validates every environment and publishes the bundle (${label})`, async function () {
      if (label === 'Node 24' && !nodePath) this.skip();
      const run = await publish(repo, { humanTag: '1.4.$(Build.BuildId)', dockerfiles: 'src/**/Dockerfile' }, { nodePath });
      assert.equal(run.result, 'Succeeded', run.stdout);
      assert.deepEqual(issueBrief(run), []);
      const bundle = path.join(run.folders.staging, 'release');
      const web = `contosoacr.azurecr.io/voting/web:${repo.app}`;
      assert.deepEqual(run.outputs, {
        errorCount: '0',
        warningCount: '0',
        objectCount: '24',
        testResultsFile: path.join(run.folders.temp, 'gitops-validation.xml'),
        WEB_IMAGE: 'contosoacr.azurecr.io/voting/web',
        WEB_TAG: repo.app,
        WEB_REF: web,
        WEB_REPOSITORY: 'voting/web',
        WEB_TAG_NEW: 'true',
        WORKER_IMAGE: 'contosoacr.azurecr.io/voting/worker',
        WORKER_TAG: repo.worker,
        WORKER_REF: `contosoacr.azurecr.io/voting/worker:${repo.worker}`,
        WORKER_REPOSITORY: 'voting/worker',
        WORKER_TAG_NEW: 'true',
        humanTag: '1.4.1234',
        newImages: 'WEB,WORKER',
        bundlePath: bundle,
        // The exact bytes written (and published): test/tasks/release-digest.test.ts pins a promotion with it.
        releaseDigest: `sha256:${createHash('sha256')
          .update(fs.readFileSync(path.join(bundle, 'release.json')))
          .digest('hex')}`,
      });
      // The tag is the commit that last touched src/web, not HEAD.
      assert.notEqual(repo.app, repo.head);
      const upload = run.commands.filter((c) => c.command === 'artifact.upload');
      assert.deepEqual(
        upload.map((c) => [c.properties.artifactname, c.properties.containerfolder, c.message]),
        [['release', 'release', bundle]],
      );

      const release = readRelease(bundle);
      assert.equal(release.kind, 'gitops-flow/release/v1');
      assert.equal(release.app, 'voting-app');
      assert.deepEqual(release.source, {
        repository: 'voting-app',
        repositoryUri: 'https://dev.azure.com/contoso/Voting/_git/voting-app',
        branch: 'refs/heads/main',
        commit: repo.head,
      });
      assert.deepEqual(release.build, {
        id: '1234',
        number: '20260315.2',
        url: 'https://dev.azure.com/contoso/Voting/_build/results?buildId=1234',
        definition: 'voting-app-ci',
      });
      assert.deepEqual(release.images[0], {
        name: 'WEB',
        repository: 'contosoacr.azurecr.io/voting/web',
        tag: repo.app,
        reference: web,
        strategy: 'content',
        sourcePaths: ['src/web'],
        contentCommit: repo.app,
        humanTag: '1.4.1234',
        variables: { WEB_IMAGE: 'contosoacr.azurecr.io/voting/web', WEB_REF: web, WEB_REPOSITORY: 'voting/web', WEB_TAG: repo.app },
      });
      assert.deepEqual(
        release.environments.map((e) => [e.name, e.renderer, e.objects]),
        [
          ['dev', 'kustomize', 7],
          ['stage', 'kustomize', 8],
          ['prod', 'kustomize', 9],
        ],
      );
      assert.deepEqual(release.render.templates, 'deploy/kustomize/overlays/{environment}');
      // GitOpsPromote validates again with the policy the release was validated with.
      assert.deepEqual(release.render.policy, {
        imageTag: 'error',
        resources: 'warning',
        privileged: 'error',
        runAsRoot: 'warning',
        hostPath: 'warning',
        probes: 'warning',
      });
      // Every file is listed with its checksum, and only the bundle's files are.
      const files = snapshot(bundle);
      assert.deepEqual(Object.keys(release.files), [...files.keys()].filter((f) => f !== 'release.json').sort());
      for (const [rel, sum] of Object.entries(release.files)) assert.equal(sum, createHash('sha256').update(files.get(rel)!).digest('hex'), rel);
      assert.ok(files.has('source/deploy/kustomize/base/web-deployment.yaml'));
      assert.ok(files.has('source/deploy/environments/prod.yaml'));
      assert.match(fs.readFileSync(path.join(bundle, 'images.yaml'), 'utf8'), new RegExp(`^WEB_TAG: "${repo.app}"$`, 'm'));
      assert.deepEqual(fs.readdirSync(run.folders.staging), ['release'], 'no partial folder left behind');
      assert.match(run.summaries[0].markdown, new RegExp(`\\| WEB \\| \`${web}\` \\| last commit touching src/web \\| yes \\|`));
      assert.match(run.summaries[0].markdown, /\| src\/web\/Dockerfile \| 0 \| 0 \|/);
    });
  }

  it('publishes a clean app with everything under deploy/ on the task.json defaults (values files are no manifests)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-ci-deploy-'));
    cleanup.push(dir);
    fs.cpSync(path.join(root, 'test/fixtures/repos/everything-in-deploy'), dir, { recursive: true });
    fs.mkdirSync(path.join(dir, 'src/web'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/web/server.js'), 'console.log("web");\n');
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'app');
    const head = git(dir, 'rev-parse', 'HEAD');
    const deployRepo: Repo = { dir, app: head, worker: head, head };
    // Only the required images input: templates deploy, valuesFile deploy/environments/{environment}.yaml, environments dev,stage,prod.
    const run = await runBuiltTask({
      taskDir,
      inputs: { images: 'WEB=contosoacr.azurecr.io/voting/web:src/web' },
      variables: buildVariables(deployRepo),
      env: { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` },
    });
    runs.push(run);
    assert.deepEqual(issueBrief(run), []);
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.deepEqual([run.outputs.errorCount, run.outputs.warningCount, run.outputs.objectCount], ['0', '0', '6']);
    const release = readRelease(run.outputs.bundlePath);
    assert.deepEqual(
      release.environments.map((e) => [e.name, e.renderer, e.objects]),
      [
        ['dev', 'plain', 2],
        ['stage', 'plain', 2],
        ['prod', 'plain', 2],
      ],
    );
  });

  it('renders the Helm chart with build-number tags', async () => {
    const run = await publish(repo, {
      templates: 'deploy/helm/voting-app',
      helmValuesFiles: 'deploy/helm/values-{environment}.yaml',
      releaseName: 'voting-app',
      tagStrategy: 'buildNumber',
      images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
    });
    assert.equal(run.result, 'Succeeded', run.stdout);
    assert.equal(run.outputs.WEB_REF, 'contosoacr.azurecr.io/voting/web:20260315.2');
    assert.equal(run.outputs.objectCount, '24');
    const release = readRelease(run.outputs.bundlePath);
    assert.deepEqual(
      release.images.map((i) => [i.strategy, i.tag, i.contentCommit]),
      [['buildNumber', '20260315.2', undefined]],
    );
    assert.deepEqual(release.render.helmValuesFiles, ['deploy/helm/values-{environment}.yaml']);
    assert.ok(fs.existsSync(path.join(run.outputs.bundlePath, 'source/deploy/helm/values-prod.yaml')));
    assert.ok(fs.existsSync(path.join(run.outputs.bundlePath, 'source/deploy/helm/voting-app/templates/_helpers.tpl')));
  });

  it('uses a given tag, substituted into what is validated', async () => {
    // A tag with a policy problem proves the image variables reach the rendered objects.
    const run = await publish(repo, {
      tagStrategy: 'fixed',
      tag: 'latest',
      images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
      environments: 'dev',
      bundleFolder: 'fixed',
    });
    assert.equal(run.result, 'Failed');
    assert.deepEqual(issueBrief(run), ['error policy/image-tag deploy/kustomize/base/web-deployment.yaml:39'], run.stdout);
    assert.match(run.issues[0].message, /uses image contosoacr\.azurecr\.io\/voting\/web:latest with the mutable latest tag/);
    assert.match(run.resultMessage!, /^Validation failed, no release bundle written: 1 environment\(s\)/);
    assert.deepEqual(fs.readdirSync(run.folders.staging), [], 'nothing half-written');
    assert.equal(run.outputs.bundlePath, undefined);
    assert.equal(run.outputs.releaseDigest, undefined);
    const ok = await publish(repo, {
      tagStrategy: 'fixed',
      tag: '1.4.7',
      images: 'WEB=contosoacr.azurecr.io/voting/web:src/web',
      environments: 'dev',
      bundleFolder: '$(Build.ArtifactStagingDirectory)/fixed',
    });
    assert.equal(ok.result, 'Succeeded', ok.stdout);
    assert.equal(ok.outputs.WEB_REF, 'contosoacr.azurecr.io/voting/web:1.4.7');
    assert.equal(ok.outputs.bundlePath, path.join(ok.folders.staging, 'fixed'));
  });

  it('knows a content tag is not new when the previous release already holds it', async () => {
    const first = await publish(repo, { publishArtifact: 'false' });
    assert.equal(first.result, 'Succeeded', first.stdout);
    assert.equal(first.commands.filter((c) => c.command === 'artifact.upload').length, 0);
    const previous = path.join(first.outputs.bundlePath, 'release.json');
    const second = await publish(repo, { previousRelease: previous, publishArtifact: 'false' });
    assert.equal(second.outputs.WEB_TAG_NEW, 'false');
    assert.equal(second.outputs.WORKER_TAG_NEW, 'false');
    assert.equal(second.outputs.newImages, '');
    // A later commit touching src/web gives WEB a new tag; WORKER keeps its own.
    const later = makeRepo();
    fs.appendFileSync(path.join(later.dir, 'src/web/server.js'), '// change\n');
    git(later.dir, 'commit', '-q', '-am', 'web change');
    const changed = git(later.dir, 'rev-parse', 'HEAD');
    const copy = path.join(later.dir, '..', `${path.basename(later.dir)}-previous.json`);
    cleanup.push(copy);
    // The earlier release, as if built from the same history: WORKER's commit id is the one of this repository.
    const prior = JSON.parse(fs.readFileSync(previous, 'utf8')) as ReleaseManifest;
    for (const image of prior.images) if (image.name === 'WORKER') image.reference = `contosoacr.azurecr.io/voting/worker:${later.worker}`;
    fs.writeFileSync(copy, JSON.stringify(prior));
    const third = await publish(later, { previousRelease: copy, publishArtifact: 'false' }, { variables: buildVariables({ ...later, head: changed }) });
    assert.equal(third.outputs.WEB_TAG, changed);
    assert.deepEqual([third.outputs.WEB_TAG_NEW, third.outputs.WORKER_TAG_NEW, third.outputs.newImages], ['true', 'false', 'WEB']);
  });

  it('warns and counts every tag as new when the previous release is missing (a first run)', async () => {
    const run = await publish(repo, { previousRelease: '$(Pipeline.Workspace)/previous/release', publishArtifact: 'false' });
    // A first run is no problem: the warning says why every tag is new, the task succeeds.
    assert.equal(run.result, 'Succeeded');
    assert.ok(run.issues.some((i) => i.type === 'warning' && /No previous release at .*previous\/release: every image tag counts as new/.test(i.message)));
    assert.equal(run.outputs.newImages, 'WEB,WORKER');
  });

  it('writes byte-for-byte identical bundles for the same inputs', async () => {
    const a = await publish(repo, { humanTag: '1.4.7' });
    const b = await publish(repo, { humanTag: '1.4.7' });
    assert.equal(a.result, 'Succeeded');
    const first = snapshot(a.outputs.bundlePath);
    const second = snapshot(b.outputs.bundlePath);
    assert.deepEqual([...first.keys()], [...second.keys()]);
    for (const [rel, bytes] of first) assert.ok(bytes.equals(second.get(rel)!), `${rel} differs`);
    assert.ok(!first.get('release.json')!.includes('\r'));
    // Re-running into the same folder replaces the previous bundle with the same bytes.
    const again = await publish(
      repo,
      { humanTag: '1.4.7', bundleFolder: a.outputs.bundlePath },
      { variables: buildVariables(repo, { 'Build.ArtifactStagingDirectory': a.folders.staging }) },
    );
    assert.equal(again.result, 'Succeeded', again.stdout);
    assert.ok(snapshot(a.outputs.bundlePath).get('release.json')!.equals(first.get('release.json')!));
  });

  describe('errors', () => {
    it('fails when run outside a build, naming the missing variables', async () => {
      const run = await publish(repo, {}, { variables: { 'Build.SourcesDirectory': repo.dir } });
      assert.equal(run.result, 'Failed');
      assert.match(
        run.resultMessage!,
        /^GitOpsCiPublish@1 runs in a build \(a YAML pipeline job or a classic build definition\) and reads its pipeline variables, but Build.BuildId, Build.BuildNumber, Build.SourceVersion, Build.SourceBranch, Build.Repository.Name are not set\./,
      );
    });

    it('names the input and line of a malformed image repository', async () => {
      const run = await publish(repo, { images: 'WEB=contosoacr.azurecr.io/voting/web:src/web\nAPI=contosoacr.azurecr.io/Voting/API:src/api' });
      assert.equal(
        run.resultMessage,
        'Input "images": line 2: "contosoacr.azurecr.io/Voting/API" is not a valid image repository: "Voting" is not a valid path component (repository paths are lowercase)',
      );
      const tagged = await publish(repo, { images: 'WEB=contosoacr.azurecr.io/voting/web:1.0:src/web' });
      assert.equal(
        tagged.resultMessage,
        'Input "images": line 1: source path "1.0:src/web" contains ":"; if the repository has a tag, remove it (the task computes the tag)',
      );
    });

    it('names the source path that matches nothing', async () => {
      const run = await publish(repo, { images: 'WEB=contosoacr.azurecr.io/voting/web:src/web,src/shared' });
      assert.equal(run.resultMessage, `Input "images": line 1, image "WEB": source path "src/shared" matches no file tracked by git in ${repo.dir}`);
    });

    it('refuses a bundle folder outside the staging directory', async () => {
      const outside = path.join(repo.dir, 'release');
      const run = await publish(repo, { bundleFolder: outside });
      assert.equal(run.result, 'Failed');
      assert.match(run.resultMessage!, /^Input "bundleFolder": ".*\/release" is outside the artifact staging directory .* \(Build.ArtifactStagingDirectory\)/);
      assert.ok(!fs.existsSync(outside));
    });

    it('points at the template line using an image variable no image defines', async () => {
      const bad = makeRepo();
      fs.mkdirSync(path.join(bad.dir, 'deploy/plain'));
      fs.writeFileSync(
        path.join(bad.dir, 'deploy/plain/configmap.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: images\ndata:\n  web: ${WEB_REF}\n  api: ${API_TAG}\n',
      );
      git(bad.dir, 'add', '-A');
      git(bad.dir, 'commit', '-q', '-m', 'plain');
      const run = await publish(
        bad,
        { templates: 'deploy/plain', environments: 'dev', images: 'WEB=contosoacr.azurecr.io/voting/web:src/web' },
        { variables: buildVariables(bad) },
      );
      assert.equal(run.result, 'Failed');
      assert.deepEqual(issueBrief(run), ['error images/unknown-variable deploy/plain/configmap.yaml:7']);
      assert.equal(
        run.issues.find((i) => i.code)!.message,
        '[images/unknown-variable] Image variable "API_TAG" is not defined: the images input has no image "API" (it lists WEB), and neither the values file nor the variables input sets it',
      );
      assert.deepEqual(fs.readdirSync(run.folders.staging), [], 'no bundle');
    });

    it('refuses an image variable also set by the variables input', async () => {
      const run = await publish(repo, { variables: 'WEB_TAG=1.0' });
      assert.equal(
        run.resultMessage,
        'Input "variables": "WEB_TAG" is also an image variable of the images input; remove it from variables (the image\'s tag is computed by the task)',
      );
    });

    it('refuses a shallow checkout for content tags', async () => {
      const shallow = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-ci-shallow-'));
      cleanup.push(shallow);
      git(os.tmpdir(), 'clone', '-q', '--depth', '1', `file://${repo.dir}`, shallow);
      const run = await publish(repo, {}, { variables: buildVariables({ ...repo, dir: shallow }) });
      assert.equal(run.result, 'Failed');
      assert.match(run.resultMessage!, new RegExp(`^line 1, image "WEB": the checkout is shallow and its history ends at ${repo.head}, .*fetchDepth: 0`));
    });

    it('refuses a missing tag, a bad tag and a bad build number', async () => {
      assert.equal((await publish(repo, { tagStrategy: 'fixed' })).resultMessage, 'Input "tag": is required with tagStrategy fixed');
      assert.equal(
        (await publish(repo, { humanTag: 'release 1' })).resultMessage,
        'Input "humanTag": "release 1" is not a valid image tag (letters, digits, _, . and -, at most 128, not starting with . or -)',
      );
      const run = await publish(repo, { tagStrategy: 'buildNumber' }, { variables: buildVariables(repo, { 'Build.BuildNumber': 'CI run #3' }) });
      assert.match(run.resultMessage!, /^Input "tagStrategy": the build number "CI run #3" \(Build.BuildNumber\) is not a valid image tag/);
    });
  });
});
