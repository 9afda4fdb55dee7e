/**
 * The reference workflow's own kind of app (test/fixtures/reference-app: a Helm chart whose values
 * use envsubst's `$VAR`, a kustomize base listing the Helm output, namespace and image tags set by
 * variables) through the three built tasks: the gate (flux syntax fails naming each `$VAR`,
 * envsubst passes), CI (helm-kustomize and envsubst recorded in the release) and Promote (the
 * rendered objects carry the substituted images and namespace) in both folder layouts, with the
 * substituted templates beside the manifests, against the Azure DevOps emulator.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DevOpsEmulator, startDevOpsEmulator } from '../emulators/devops';
import { runBuiltTask, RunTaskOptions, TaskRun } from '../harness/task-runner';
import { toolsBin } from '../harness/process-tools';
import type { ReleaseManifest } from '../../shared/release/release-manifest';

const root = process.cwd();
const fixture = path.join(root, 'test/fixtures/reference-app');
const PROJECT = 'Vote';
const runs: TaskRun[] = [];
const cleanup: string[] = [];
const env = { PATH: `${toolsBin()}${path.delimiter}${process.env.PATH}` };

const RENDERING = {
  templates: 'azure-vote/helm',
  renderer: 'helm-kustomize',
  kustomization: 'azure-vote/kustomize/base',
  environments: 'dev,stage',
  valuesFile: 'environments/{environment}.yaml',
  releaseName: 'azure-vote',
  dockerfiles: '',
};

async function run(task: string, options: Omit<RunTaskOptions, 'taskDir'>): Promise<TaskRun> {
  const result = await runBuiltTask({ taskDir: path.join(root, 'dist/tasks', task, 'v1'), env, ...options });
  runs.push(result);
  return result;
}

const issueBrief = (r: TaskRun) => r.issues.filter((i) => i.code).map((i) => `${i.type} ${i.code} ${i.sourcepath}:${i.linenumber}`);

describe("The reference scripts' app through the built tasks", function () {
  this.timeout(180_000);
  after(() => {
    for (const r of runs) fs.rmSync(r.folders.work, { recursive: true, force: true });
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('GitOpsPrValidate@1', () => {
    it('fails in the default flux syntax, naming each $VAR at its file and line', async () => {
      const r = await run('GitOpsPrValidate', { inputs: RENDERING, variables: { 'Build.SourcesDirectory': fixture } });
      assert.equal(r.result, 'Failed', r.stdout);
      const perEnvironment = [
        'error render/unbraced-variable azure-vote/helm/values.yaml:2',
        'error render/unbraced-variable azure-vote/helm/values.yaml:4',
        'error render/unbraced-variable azure-vote/kustomize/base/kustomization.yaml:3',
        'error render/unbraced-variable azure-vote/kustomize/base/kustomization.yaml:7',
        'error render/unbraced-variable azure-vote/kustomize/base/kustomization.yaml:8',
        'error render/unbraced-variable azure-vote/kustomize/base/kustomization.yaml:9',
        'error render/unbraced-variable azure-vote/kustomize/base/kustomization.yaml:10',
      ];
      // The same finding in dev and stage is reported once, naming both environments.
      assert.deepEqual(issueBrief(r).sort(), [...perEnvironment].sort());
      for (const name of ['VOTE_APP_TITLE', 'AZURE_VOTE_IMAGE_REPO', 'TARGET_NAMESPACE', 'FRONTEND_IMAGE', 'BACKEND_IMAGE']) {
        assert.ok(
          r.issues.some((i) => i.message.includes(`"$${name}" is not substituted`) && i.message.includes('variableSyntax: envsubst')),
          `no finding names $${name}`,
        );
      }
      // Nothing was written into the checkout.
      assert.equal(fs.existsSync(path.join(fixture, 'azure-vote/kustomize/base/manifests.yaml')), false);
    });

    it('passes with variableSyntax: envsubst', async () => {
      const r = await run('GitOpsPrValidate', { inputs: { ...RENDERING, variableSyntax: 'envsubst' }, variables: { 'Build.SourcesDirectory': fixture } });
      assert.equal(r.result, 'Succeeded', r.stdout);
      assert.deepEqual(issueBrief(r), []);
      assert.match(r.stdout, /dev: 4 object\(s\) rendered \(helm-kustomize\), 0 error\(s\), 0 warning\(s\)/);
      assert.equal(fs.existsSync(path.join(fixture, 'azure-vote/kustomize/base/manifests.yaml')), false);
    });

    it('fails an image that can never be pulled at its Helm template line', async () => {
      const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-app-bad-image-'));
      cleanup.push(repo);
      fs.cpSync(fixture, repo, { recursive: true });
      // The reference's AZURE_VOTE_IMAGE_REPO with an uppercase path component: helm and kustomize take it, the kubelet does not.
      for (const e of ['dev', 'stage']) {
        const file = path.join(repo, 'environments', `${e}.yaml`);
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('contosoacr.azurecr.io/azvote', 'contosoacr.azurecr.io/AzVote'));
      }
      const r = await run('GitOpsPrValidate', {
        inputs: { ...RENDERING, environments: 'dev', variableSyntax: 'envsubst' },
        variables: { 'Build.SourcesDirectory': repo },
      });
      assert.equal(r.result, 'Failed', r.stdout);
      assert.deepEqual(issueBrief(r), [
        'error manifest/image-reference azure-vote/helm/templates/az-vote-back-deployment.yaml:20',
        'error manifest/image-reference azure-vote/helm/templates/az-vote-front-deployment.yaml:20',
      ]);
      assert.match(
        r.issues.find((i) => i.code === 'manifest/image-reference')!.message,
        /"AzVote" is not a valid path component \(repository paths are lowercase\)/,
      );
    });
  });

  describe('GitOpsCiPublish@1 and GitOpsPromote@1', () => {
    let devops: DevOpsEmulator;
    let bundle: string;
    let bare: string;
    const git = (...args: string[]) => execFileSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const ls = (folder: string) => {
      const out = git('ls-tree', '-r', '--name-only', 'refs/heads/main', '--', folder);
      return out === '' ? [] : out.split('\n').map((f) => f.slice(folder.length + 1));
    };
    const show = (file: string) => git('show', `refs/heads/main:${file}`);

    before(async () => {
      const app = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-app-ci-'));
      cleanup.push(app);
      fs.cpSync(fixture, app, { recursive: true });
      const ci = await run('GitOpsCiPublish', {
        inputs: { ...RENDERING, variableSyntax: 'envsubst', images: '', appName: 'azure-vote', publishArtifact: 'false' },
        variables: {
          'Build.SourcesDirectory': app,
          'Build.BuildId': '7',
          'Build.BuildNumber': '20261206.1',
          'Build.SourceVersion': 'b'.repeat(40),
          'Build.SourceBranch': 'refs/heads/master',
          'Build.Repository.Name': 'arc-cicd-demo-src',
        },
      });
      assert.equal(ci.result, 'Succeeded', ci.stdout);
      bundle = ci.outputs.bundlePath;
      cleanup.push(bundle);

      devops = await startDevOpsEmulator({ org: 'contoso' });
      devops.admin.createProject(PROJECT);
      await devops.admin.createRepository(PROJECT, 'arc-cicd-demo-gitops', { defaultBranch: 'main' });
      await devops.admin.seedFiles(
        PROJECT,
        'arc-cicd-demo-gitops',
        'main',
        { 'arc-cicd-cluster/manifests/namespaces.yml': Buffer.from('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n') },
        'seed',
      );
      bare = devops.admin.bareRepositoryPath(PROJECT, 'arc-cicd-demo-gitops');
    });
    after(async () => {
      await devops?.stop();
    });

    it('records the renderer, the kustomization and the variable syntax in the release, with the kustomize base in the bundle', () => {
      const release = JSON.parse(fs.readFileSync(path.join(bundle, 'release.json'), 'utf8')) as ReleaseManifest;
      assert.deepEqual(
        {
          renderer: release.render.renderer,
          kustomization: release.render.kustomization,
          helmOutput: release.render.helmOutput,
          variableSyntax: release.render.variableSyntax,
        },
        { renderer: 'helm-kustomize', kustomization: 'azure-vote/kustomize/base', helmOutput: 'manifests.yaml', variableSyntax: 'envsubst' },
      );
      assert.deepEqual(
        release.environments.map((e) => [e.name, e.renderer, e.objects, e.errors]),
        [
          ['dev', 'helm-kustomize', 4, 0],
          ['stage', 'helm-kustomize', 4, 0],
        ],
      );
      assert.ok(release.files['source/azure-vote/kustomize/base/kustomization.yaml']);
      assert.ok(release.files['source/azure-vote/helm/values.yaml']);
      assert.equal(release.files['source/azure-vote/kustomize/base/manifests.yaml'], undefined);
    });

    async function promote(inputs: Record<string, string>): Promise<TaskRun> {
      const r = await run('GitOpsPromote', {
        inputs: {
          bundle,
          environment: 'dev',
          gitopsRepository: 'arc-cicd-demo-gitops',
          targetFolder: 'arc-cicd-cluster/manifests/{environment}',
          deliveryMode: 'push',
          waitForReconciliation: 'false',
          ...inputs,
        },
        variables: { 'System.CollectionUri': `${devops.url}/`, 'System.TeamProject': PROJECT, 'Build.BuildId': '8', 'Build.BuildNumber': '20261206.2' },
        endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } },
      });
      assert.equal(r.result, 'Succeeded', r.stdout);
      return r;
    }

    type Obj = {
      kind: string;
      metadata: { name: string; namespace?: string };
      spec?: { template?: { spec: { containers: { image: string; env?: { name: string; value: string }[] }[] } } };
    };
    const images = (objects: Obj[]) => objects.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o.spec!.template!.spec.containers[0].image]);

    it('promotes one file per object, carrying the substituted images and namespace', async () => {
      await promote({});
      const folder = 'arc-cicd-cluster/manifests/dev';
      assert.deepEqual(ls(folder), [
        'deployment-azure-vote-back.yaml',
        'deployment-azure-vote-front.yaml',
        'service-azure-vote-back.yaml',
        'service-azure-vote-front.yaml',
      ]);
      const objects = ls(folder).map((f) => parseAllDocuments(show(`${folder}/${f}`))[0].toJS() as Obj);
      assert.deepEqual(
        objects.map((o) => o.metadata.namespace),
        ['dev', 'dev', 'dev', 'dev'],
      );
      assert.deepEqual(images(objects), [
        ['azure-vote-back', 'contosoacr.azurecr.io/azvote/azure-vote-back:3b1e2c9d8a7f'],
        ['azure-vote-front', 'contosoacr.azurecr.io/azvote/azure-vote-front:7f921f6a0c1d'],
      ]);
      assert.deepEqual(
        objects[1].spec!.template!.spec.containers[0].env!.find((e) => e.name === 'TITLE'),
        { name: 'TITLE', value: 'Voting App (dev)' },
      );
      // The seed beside the folder is untouched.
      assert.deepEqual(ls('arc-cicd-cluster/manifests/namespaces.yml'), ['']);
    });

    it('switches to singleFile: one azure-vote.yaml in a stable order, the per-object files removed, templates beside the manifests', async () => {
      const r = await promote({ layout: 'singleFile', templatesFolder: 'arc-cicd-cluster/templates/{environment}/{app}' });
      const folder = 'arc-cicd-cluster/manifests/dev';
      assert.deepEqual(ls(folder), ['azure-vote.yaml']);
      const objects = parseAllDocuments(show(`${folder}/azure-vote.yaml`)).map((d) => d.toJS() as Obj);
      assert.deepEqual(
        objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name]),
        [
          ['Service', 'dev', 'azure-vote-back'],
          ['Service', 'dev', 'azure-vote-front'],
          ['Deployment', 'dev', 'azure-vote-back'],
          ['Deployment', 'dev', 'azure-vote-front'],
        ],
      );
      assert.deepEqual(images(objects), [
        ['azure-vote-back', 'contosoacr.azurecr.io/azvote/azure-vote-back:3b1e2c9d8a7f'],
        ['azure-vote-front', 'contosoacr.azurecr.io/azvote/azure-vote-front:7f921f6a0c1d'],
      ]);
      const templates = 'arc-cicd-cluster/templates/dev/azure-vote';
      assert.deepEqual(ls(templates), [
        'helm/Chart.yaml',
        'helm/templates/az-vote-back-deployment.yaml',
        'helm/templates/az-vote-back-service.yaml',
        'helm/templates/az-vote-front-deployment.yaml',
        'helm/templates/az-vote-front-service.yaml',
        'helm/values.yaml',
        'kustomize/base/kustomization.yaml',
      ]);
      assert.match(show(`${templates}/helm/values.yaml`), /^title: "Voting App \(dev\)"$/m);
      assert.match(show(`${templates}/helm/values.yaml`), /^imageRepo: contosoacr.azurecr.io\/azvote$/m);
      assert.match(show(`${templates}/kustomize/base/kustomization.yaml`), /^namespace: dev$/m);
      assert.match(show(`${templates}/kustomize/base/kustomization.yaml`), /newTag: 7f921f6a0c1d/);
      assert.equal(r.outputs.changed, 'true');
      // One commit holds the manifests and the templates: the branch never has one without the other.
      const head = git('log', '--format=%s', '-1', 'refs/heads/main');
      assert.equal(head, 'Promote azure-vote 20261206.1 to dev');
      const touched = git('show', '--name-only', '--format=', 'refs/heads/main').split('\n').filter(Boolean);
      assert.ok(touched.includes('arc-cicd-cluster/manifests/dev/azure-vote.yaml'), touched.join(', '));
      assert.ok(touched.includes('arc-cicd-cluster/templates/dev/azure-vote/helm/values.yaml'), touched.join(', '));
    });

    it('changes nothing when run again, and switching back removes azure-vote.yaml', async () => {
      const before = git('rev-parse', 'refs/heads/main');
      const again = await promote({ layout: 'singleFile', templatesFolder: 'arc-cicd-cluster/templates/{environment}/{app}' });
      assert.equal(again.outputs.changed, 'false');
      assert.equal(git('rev-parse', 'refs/heads/main'), before);
      await promote({ layout: 'filePerObject' });
      assert.deepEqual(ls('arc-cicd-cluster/manifests/dev'), [
        'deployment-azure-vote-back.yaml',
        'deployment-azure-vote-front.yaml',
        'service-azure-vote-back.yaml',
        'service-azure-vote-front.yaml',
      ]);
    });

    it('refuses a templates folder inside the target folder before anything is written', async () => {
      const head = git('rev-parse', 'refs/heads/main');
      const r = await run('GitOpsPromote', {
        inputs: {
          bundle,
          environment: 'dev',
          gitopsRepository: 'arc-cicd-demo-gitops',
          targetFolder: 'arc-cicd-cluster/manifests/{environment}',
          templatesFolder: 'arc-cicd-cluster/manifests/{environment}/templates',
          deliveryMode: 'push',
          waitForReconciliation: 'false',
        },
        variables: { 'System.CollectionUri': `${devops.url}/`, 'System.TeamProject': PROJECT },
        endpoints: { SystemVssConnection: { url: `${devops.url}/`, scheme: 'OAuth', parameters: { AccessToken: devops.token } } },
      });
      assert.equal(r.result, 'Failed');
      assert.match(
        r.resultMessage ?? '',
        /Input "templatesFolder": "arc-cicd-cluster\/manifests\/dev\/templates" lies inside the target folder "arc-cicd-cluster\/manifests\/dev"/,
      );
      assert.equal(git('rev-parse', 'refs/heads/main'), head);
    });
  });
});
