import * as assert from 'node:assert/strict';
import type { DevOpsConnection } from '../../../shared/devops/connection';
import { readFilesAt } from '../../../shared/devops/read-files';
import type { Repository } from '../../../shared/devops/repository';
import { deliverPromotion } from '../../../shared/workflows/promote';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';
import {
  checkKustomizationOverlap,
  findOverlaps,
  kustomizationScope,
  MAX_FILE_BYTES,
  MAX_OTHER_FILES,
  OverlapError,
} from '../../../shared/workflows/promote-overlap';
import { git, startWorld, World } from '../../integration/devops/emulator-world';
import { CONNECTION_OPTIONS, promoteAgent, promotionContext, subject } from './promotion-world';

const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: dev\nspec:\n  ports:\n    - port: 80\n';
const DEPLOYMENT = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: dev\n';
/** Release 7 of "web" for dev, rendered to apps/dev/web: a Deployment and a Service, both dev/web. */
const rendered = () => subject('7', { 'deployment-web.yaml': DEPLOYMENT, 'service-web.yaml': SERVICE });

describe('promote overlap: objects another file under the Flux Kustomization path already defines', () => {
  describe('kustomizationScope', () => {
    const web = subject();
    it('is the parent of the target folder by default, none for a top-level folder', () => {
      assert.equal(kustomizationScope(undefined, web), 'apps/dev');
      assert.equal(kustomizationScope('', web), 'apps/dev');
      assert.equal(kustomizationScope(undefined, { ...web, folder: 'web' }), undefined);
    });
    it('fills {environment} and {app} and reads a Flux-style ./path; the target folder itself turns the check off', () => {
      assert.equal(kustomizationScope('./apps/{environment}/', web), 'apps/dev');
      assert.equal(kustomizationScope('apps', web), 'apps');
      assert.equal(kustomizationScope('/', web), '');
      assert.equal(kustomizationScope('apps/{environment}/{app}', web), undefined);
    });
    it('rejects a path that does not contain the target folder, or climbs out', () => {
      assert.throws(() => kustomizationScope('apps/prod', web), {
        name: 'InputError',
        message:
          'Input "kustomizationPath": "apps/prod" does not contain the target folder apps/dev/web; give the path of the Flux Kustomization that applies it',
      });
      assert.throws(() => kustomizationScope('apps/de', web), { message: /"apps\/de" does not contain the target folder apps\/dev\/web/ });
      assert.throws(() => kustomizationScope('../apps', web), { name: 'InputError', message: /^Input "kustomizationPath": .*climbs out/ });
    });
  });

  describe('findOverlaps', () => {
    const ours = new Map([
      ['apps/dev/web/service-web.yaml', SERVICE],
      ['apps/dev/web/deployment-web.yaml', DEPLOYMENT],
      ['apps/dev/web/clusterrole-reader.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n'],
      ['apps/dev/web/hpa-web.yaml', 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: dev\n'],
    ]);
    const none = () => assert.fail('no warning expected');

    it('names the object, our file and the other file with the line of the object', () => {
      const other = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: dev\n---\n${SERVICE}`;
      assert.deepEqual(findOverlaps(ours, new Map([['apps/dev/other/all.yaml', other]]), none), [
        { object: 'Service dev/web', ours: 'apps/dev/web/service-web.yaml', theirs: 'apps/dev/other/all.yaml:7' },
      ]);
    });

    it('identifies objects by group, kind, namespace and name: another version of the group is the same object, another group or namespace is not', () => {
      const theirs = new Map([
        ['a/hpa.yaml', 'apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: dev\n'],
        ['a/other-ns.yaml', SERVICE.replace('namespace: dev', 'namespace: prod')],
        ['a/no-ns.yaml', SERVICE.replace('  namespace: dev\n', '')],
        ['a/other-group.yaml', DEPLOYMENT.replace('apps/v1', 'example.com/v1')],
        ['a/role.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n'],
      ]);
      assert.deepEqual(findOverlaps(ours, theirs, none), [
        { object: 'HorizontalPodAutoscaler dev/web', ours: 'apps/dev/web/hpa-web.yaml', theirs: 'a/hpa.yaml:1' },
        { object: 'ClusterRole reader', ours: 'apps/dev/web/clusterrole-reader.yaml', theirs: 'a/role.yaml:1' },
      ]);
    });

    it('reads the files as Flux does (YAML 1.2): a ConfigMap named `on` in both is one object', () => {
      const on = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: on\n  namespace: dev\n';
      assert.deepEqual(findOverlaps(new Map([['apps/dev/web/configmap-on.yaml', on]]), new Map([['apps/dev/other/on.yaml', on]]), none), [
        { object: 'ConfigMap dev/on', ours: 'apps/dev/web/configmap-on.yaml', theirs: 'apps/dev/other/on.yaml:1' },
      ]);
    });

    it('skips documents that are not Kubernetes objects, and a file that does not parse with a warning', () => {
      const warnings: string[] = [];
      const theirs = new Map([
        ['a/values.yaml', 'replicas: 3\n---\n- a\n- b\n'],
        ['a/kustomize.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: dev\n'],
        ['a/broken.yaml', `${SERVICE}  bad: [\n`],
      ]);
      assert.deepEqual(
        findOverlaps(
          new Map([
            ...ours,
            ['apps/dev/web/k.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: dev\n'],
          ]),
          theirs,
          (w) => warnings.push(w),
        ),
        [],
      );
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0],
        /^a\/broken\.yaml is not valid YAML, so it was not checked for objects this promotion also defines: YAML syntax error: .* \(line \d+\)$/,
      );
    });
  });

  describe('OverlapError', () => {
    it('names the first ten objects with both files and counts the rest', () => {
      const overlaps = Array.from({ length: 12 }, (_, i) => ({
        object: `ConfigMap dev/c${i}`,
        ours: `apps/dev/web/c${i}.yaml`,
        theirs: `apps/dev/x/all.yaml:${i * 6 + 1}`,
      }));
      const error = new OverlapError(overlaps, 'apps/dev', 'main');
      assert.equal(error.name, 'OverlapError');
      assert.equal(error.overlaps, overlaps);
      assert.ok(
        error.message.startsWith(
          '12 object(s) would be defined twice under the Flux Kustomization path /apps/dev of main: ConfigMap dev/c0 is rendered to apps/dev/web/c0.yaml and already defined in apps/dev/x/all.yaml:1; ',
        ),
        error.message,
      );
      assert.ok(
        error.message.includes(
          'ConfigMap dev/c9 is rendered to apps/dev/web/c9.yaml and already defined in apps/dev/x/all.yaml:55; and 2 more. Nothing was committed',
        ),
        error.message,
      );
      assert.ok(!error.message.includes('c10'), error.message);
    });
  });

  describe('readFilesAt', () => {
    it('keeps at most `concurrency` reads in flight, and returns the texts in the order of the paths', async () => {
      let active = 0;
      let most = 0;
      const actions: string[] = [];
      const conn = {
        async idempotent(action: string) {
          actions.push(action);
          most = Math.max(most, ++active);
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
          active--;
          return { isFolder: false, content: action.split(' ')[1] };
        },
      } as unknown as DevOpsConnection;
      const repo = { id: 'r', name: 'gitops', project: { id: 'p', name: 'demo' }, display: 'demo/gitops' } as Repository;
      const paths = Array.from({ length: 10 }, (_, i) => `apps/dev/f${9 - i}.yaml`);
      const files = await readFilesAt(conn, repo, 'c'.repeat(40), paths, 3);
      assert.equal(most, 3);
      assert.deepEqual([...files.keys()], paths);
      assert.deepEqual(
        [...files.values()],
        paths.map((p) => `/${p}`),
      );
      assert.equal(actions[0], `reading /apps/dev/f9.yaml of demo/gitops at ${'c'.repeat(40)}`);
    });
  });

  describe('against the emulated GitOps repository', function () {
    this.timeout(60_000);
    let world: World;
    before(async () => {
      world = await startWorld();
    });
    after(async () => {
      await world?.stop();
    });

    const otherApp = {
      'apps/dev/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - web\n  - other\n',
      'apps/dev/README.md': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: dev\n',
      'apps/dev/other/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: dev\n',
      'apps/prod/web/service.yaml': SERVICE,
    };

    it('fails naming both files when another app under the same path defines one of the objects; our own folder, other paths and non-YAML files do not count', async () => {
      const { name } = await world.newRepo({
        ...otherApp,
        'apps/dev/web/service-web.yaml': SERVICE,
        'apps/dev/other/deep/svc.yml': `# the other app's service\n${SERVICE}`,
      });
      const { ctx } = await promotionContext(world, name, {}, rendered());
      await assert.rejects(checkKustomizationOverlap(ctx), {
        name: 'OverlapError',
        message:
          '1 object(s) would be defined twice under the Flux Kustomization path /apps/dev of main: Service dev/web is rendered to apps/dev/web/service-web.yaml and already defined in apps/dev/other/deep/svc.yml:2. ' +
          'Nothing was committed: rename the object, or give the apps target folders that different Kustomizations apply',
      });
    });

    it('passes, saying what it read, when no other file defines the objects', async () => {
      const { name, bare } = await world.newRepo({ ...otherApp, 'apps/dev/web/service-web.yaml': SERVICE });
      const { ctx, agent } = await promotionContext(world, name, {}, rendered());
      await checkKustomizationOverlap(ctx);
      const head = git(bare, 'rev-parse', 'refs/heads/main').slice(0, 12);
      assert.deepEqual(agent.infoLines.slice(-1), [
        `Checked 1 other YAML file(s) under /apps/dev of main at ${head}: no object of this promotion is defined there`,
      ]);
      assert.deepEqual(
        agent.log.filter((l) => l.kind === 'warning'),
        [],
      );
    });

    it('reads the kustomizationPath input: a wider path finds the object in another environment folder', async () => {
      const { name } = await world.newRepo(otherApp);
      const { ctx } = await promotionContext(world, name, { kustomizationPath: './apps' }, rendered());
      await assert.rejects(checkKustomizationOverlap(ctx), {
        message:
          /^1 object\(s\) would be defined twice under the Flux Kustomization path \/apps of main: Service dev\/web is rendered to apps\/dev\/web\/service-web\.yaml and already defined in apps\/prod\/web\/service\.yaml:1\. /,
      });
    });

    it(`skips a file over ${MAX_FILE_BYTES} bytes with a warning`, async () => {
      const big = `${SERVICE}---\n# ${'x'.repeat(MAX_FILE_BYTES)}\n`;
      const { name } = await world.newRepo({ 'apps/dev/other/big.yaml': big, 'apps/dev/other/cm.yaml': otherApp['apps/dev/other/configmap.yaml'] });
      const { ctx, agent } = await promotionContext(world, name, {}, rendered());
      await checkKustomizationOverlap(ctx);
      assert.deepEqual(
        agent.log.filter((l) => l.kind === 'warning').map((l) => l.text),
        [`apps/dev/other/big.yaml is larger than ${MAX_FILE_BYTES} bytes, so it was not checked for objects this promotion also defines`],
      );
      assert.match(agent.infoLines[agent.infoLines.length - 1], /^Checked 1 other YAML file\(s\) under \/apps\/dev of main at /);
    });

    it('has nothing to compare with when the target branch does not exist yet', async () => {
      const { name } = await world.newRepo({ 'apps/dev/other/svc.yaml': SERVICE });
      const { ctx } = await promotionContext(world, name, { targetBranch: 'release' }, rendered());
      await checkKustomizationOverlap(ctx);
    });

    it(`skips the check with a warning naming the input past ${MAX_OTHER_FILES} YAML files`, async () => {
      const many: Record<string, string> = {};
      for (let i = 0; i <= MAX_OTHER_FILES; i++) many[`apps/dev/bulk/cm-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n`;
      const { name, bare } = await world.newRepo(many);
      const { ctx, agent } = await promotionContext(world, name, {}, rendered());
      const head = git(bare, 'rev-parse', 'refs/heads/main').slice(0, 12);
      await checkKustomizationOverlap(ctx);
      assert.deepEqual(
        agent.log.filter((l) => l.kind === 'warning').map((l) => l.text),
        [
          `/apps/dev of main at ${head} holds ${MAX_OTHER_FILES + 1} YAML files outside the target folder, more than the ${MAX_OTHER_FILES} the check for objects defined twice reads: not checked; set kustomizationPath to the path of the Flux Kustomization that applies the target folder to narrow it`,
        ],
      );
    });

    for (const mode of ['push', 'pullRequest'] as const) {
      it(`${mode}: an overlap fails the delivery before anything is written (no commit, no branch, no pull request)`, async () => {
        const { name, bare, repo } = await world.newRepo({ ...otherApp, 'apps/dev/other/svc.yaml': SERVICE });
        const before = git(bare, 'for-each-ref', '--format=%(refname) %(objectname)');
        const agent = promoteAgent(world, name, { deliveryMode: mode, autoComplete: 'false', waitForMerge: 'false' });
        await assert.rejects(deliverPromotion(agent, readPromoteInputs(agent), rendered(), CONNECTION_OPTIONS), {
          name: 'OverlapError',
          message:
            /Service dev\/web is rendered to apps\/dev\/web\/service-web\.yaml and already defined in apps\/dev\/other\/svc\.yaml:1\. Nothing was committed/,
        });
        assert.equal(git(bare, 'for-each-ref', '--format=%(refname) %(objectname)'), before);
        const prs = await world.connect().git.getPullRequests(repo.id, { status: 4 /* all */ }, repo.project.id);
        assert.deepEqual(prs, []);
        assert.match(agent.summaries[0].markdown, /would be defined twice/);
      });
    }
  });
});
