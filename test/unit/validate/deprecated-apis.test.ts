import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import type { ManifestObject } from '../../../shared/manifests/model';
import { API_LIFECYCLES, checkApiVersions, findApiLifecycle, findFluxApiLifecycle, parseKubernetesVersion } from '../../../shared/validate/deprecated-apis';

function parse(text: string): ManifestObject[] {
  const result = parseManifests(text, 'apps/web.yaml');
  assert.deepEqual(result.errors, []);
  return result.objects;
}

const INGRESS_V1BETA1 = `# leading comment
---
kind: Ingress
metadata:
  name: web
  namespace: prod
apiVersion: extensions/v1beta1
spec: {}
`;

const CRONJOB_V1BETA1 = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: nightly
spec: {}
`;

describe('deprecated-apis', () => {
  describe('parseKubernetesVersion', () => {
    it('accepts 1.31, v1.31, 1.31.2 and v1.31.2', () => {
      for (const input of ['1.31', 'v1.31', '1.31.2', 'v1.31.2', ' 1.31 ']) {
        assert.deepEqual(parseKubernetesVersion(input), { major: 1, minor: 31 }, input);
      }
    });

    it('rejects anything else with an error naming kubernetesVersion and the input', () => {
      for (const input of ['', '1', '1.31-rc.1', 'latest', '1.x', '2.0', 'v1.31.2.1', 'V1.31']) {
        assert.throws(
          () => parseKubernetesVersion(input),
          (err: Error) => err.message.includes('kubernetesVersion') && err.message.includes(JSON.stringify(input)),
          input,
        );
      }
    });

    it('checkApiVersions rejects a bad version even with no objects', () => {
      assert.throws(() => checkApiVersions([], '1.3x'), /kubernetesVersion "1\.3x"/);
    });
  });

  describe('table', () => {
    it('has one entry per group/version/kind and consistent versions', () => {
      const keys = API_LIFECYCLES.map((e) => `${e.apiVersion}|${e.kind}`);
      assert.equal(new Set(keys).size, keys.length);
      for (const entry of API_LIFECYCLES) {
        assert.ok(entry.deprecatedIn || entry.removedIn, `${entry.apiVersion} ${entry.kind}`);
        if (entry.deprecatedIn) parseKubernetesVersion(entry.deprecatedIn);
        if (entry.removedIn) parseKubernetesVersion(entry.removedIn);
        if (entry.deprecatedIn && entry.removedIn) {
          assert.ok(parseKubernetesVersion(entry.deprecatedIn).minor < parseKubernetesVersion(entry.removedIn).minor, `${entry.apiVersion} ${entry.kind}`);
        }
        assert.ok(entry.replacement || entry.advice, `${entry.apiVersion} ${entry.kind} needs a replacement or advice`);
      }
    });

    it('records the removals the migration guide lists', () => {
      const removed = (apiVersion: string, kind: string) => findApiLifecycle(apiVersion, kind)?.removedIn;
      assert.equal(removed('extensions/v1beta1', 'Deployment'), '1.16');
      assert.equal(removed('apps/v1beta2', 'DaemonSet'), '1.16');
      assert.equal(removed('networking.k8s.io/v1beta1', 'IngressClass'), '1.22');
      assert.equal(removed('policy/v1beta1', 'PodSecurityPolicy'), '1.25');
      assert.equal(findApiLifecycle('policy/v1beta1', 'PodSecurityPolicy')?.replacement, undefined);
      assert.equal(removed('autoscaling/v2beta1', 'HorizontalPodAutoscaler'), '1.25');
      assert.equal(removed('autoscaling/v2beta2', 'HorizontalPodAutoscaler'), '1.26');
      assert.equal(removed('storage.k8s.io/v1beta1', 'CSIStorageCapacity'), '1.27');
      assert.equal(removed('storage.k8s.io/v1beta1', 'StorageClass'), '1.22');
      assert.equal(removed('flowcontrol.apiserver.k8s.io/v1beta2', 'FlowSchema'), '1.29');
      assert.equal(removed('flowcontrol.apiserver.k8s.io/v1beta3', 'PriorityLevelConfiguration'), '1.32');
      assert.equal(findApiLifecycle('autoscaling/v1', 'HorizontalPodAutoscaler'), undefined);
      assert.equal(findApiLifecycle('apps/v1', 'Deployment'), undefined);
    });
  });

  describe('checkApiVersions', () => {
    it('reports a removed API as an error at the apiVersion line', () => {
      const findings = checkApiVersions(parse(INGRESS_V1BETA1), '1.31');
      assert.deepEqual(findings, [
        {
          rule: 'api/removed',
          severity: 'error',
          message: 'extensions/v1beta1 Ingress was removed in Kubernetes 1.22; use networking.k8s.io/v1 (Ingress prod/web, target Kubernetes 1.31)',
          object: { apiVersion: 'extensions/v1beta1', kind: 'Ingress', namespace: 'prod', name: 'web' },
          file: 'apps/web.yaml',
          line: 7,
          column: 1,
        },
      ]);
    });

    it('treats removal exactly at the chosen version as removed', () => {
      const findings = checkApiVersions(parse(CRONJOB_V1BETA1), 'v1.25.0');
      assert.equal(findings.length, 1);
      assert.equal(findings[0].rule, 'api/removed');
      assert.equal(findings[0].severity, 'error');
      assert.equal(findings[0].line, 6);
      assert.match(findings[0].message, /^batch\/v1beta1 CronJob was removed in Kubernetes 1\.25; use batch\/v1 /);
    });

    it('warns one release before removal, with the removal version', () => {
      const findings = checkApiVersions(parse(CRONJOB_V1BETA1), '1.24');
      assert.deepEqual(
        findings.map((f) => [f.rule, f.severity, f.file, f.line]),
        [['api/deprecated', 'warning', 'apps/web.yaml', 6]],
      );
      assert.match(
        findings[0].message,
        /^batch\/v1beta1 CronJob is deprecated since Kubernetes 1\.21 and is removed in Kubernetes 1\.25; use batch\/v1 \(CronJob nightly, target Kubernetes 1\.24\)$/,
      );
    });

    it('warns from the deprecating release itself', () => {
      const findings = checkApiVersions(parse(CRONJOB_V1BETA1), '1.21.14');
      assert.deepEqual(
        findings.map((f) => f.rule),
        ['api/deprecated'],
      );
    });

    it('is silent before deprecation', () => {
      assert.deepEqual(checkApiVersions(parse(CRONJOB_V1BETA1), '1.20'), []);
    });

    it('gives zero findings for current APIs', () => {
      const text = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
---
apiVersion: example.com/v1beta1
kind: Ingress
metadata: {name: custom}
`;
      assert.deepEqual(checkApiVersions(parse(text), '1.33'), []);
    });

    it('explains that PodSecurityPolicy has no replacement', () => {
      const text = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: restricted
`;
      const findings = checkApiVersions(parse(text), '1.25');
      assert.equal(findings.length, 1);
      assert.equal(findings[0].rule, 'api/removed');
      assert.equal(findings[0].line, 1);
      assert.match(
        findings[0].message,
        /^policy\/v1beta1 PodSecurityPolicy was removed in Kubernetes 1\.25; there is no replacement API: use Pod Security admission/,
      );
    });

    it('warns about deprecated APIs that are still served and have no removal date', () => {
      const text = `apiVersion: v1
kind: Endpoints
metadata:
  name: external-db
  namespace: prod
subsets: []
---
apiVersion: v1
kind: ComponentStatus
metadata:
  name: scheduler
`;
      const objects = parse(text);
      const on133 = checkApiVersions(objects, '1.33');
      assert.deepEqual(
        on133.map((f) => [f.rule, f.severity, f.line, f.object?.kind]),
        [
          ['api/deprecated', 'warning', 1, 'Endpoints'],
          ['api/deprecated', 'warning', 8, 'ComponentStatus'],
        ],
      );
      assert.equal(
        on133[0].message,
        'v1 Endpoints is deprecated since Kubernetes 1.33; use discovery.k8s.io/v1 EndpointSlice (Endpoints prod/external-db, target Kubernetes 1.33)',
      );
      assert.doesNotMatch(on133[1].message, /removed/);
      assert.deepEqual(
        checkApiVersions(objects, '1.32').map((f) => f.object?.kind),
        ['ComponentStatus'],
      );
    });

    it('walks the flowcontrol versions release by release', () => {
      const text = `apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: fs
`;
      const objects = parse(text);
      assert.deepEqual(checkApiVersions(objects, '1.28'), []);
      assert.deepEqual(
        checkApiVersions(objects, '1.29').map((f) => f.rule),
        ['api/deprecated'],
      );
      assert.deepEqual(
        checkApiVersions(objects, '1.31').map((f) => f.rule),
        ['api/deprecated'],
      );
      assert.deepEqual(
        checkApiVersions(objects, '1.32').map((f) => f.rule),
        ['api/removed'],
      );
    });

    it('finds objects inside a List at their own apiVersion line', () => {
      const text = `apiVersion: v1
kind: List
items:
  - apiVersion: policy/v1beta1
    kind: PodDisruptionBudget
    metadata:
      name: web
`;
      const findings = checkApiVersions(parse(text), '1.30');
      assert.deepEqual(
        findings.map((f) => [f.rule, f.line, f.column]),
        [['api/removed', 4, 5]],
      );
      assert.match(findings[0].message, /use policy\/v1 /);
    });
  });

  describe('Flux apiVersions of the microsoft.flux extension', () => {
    const FLUX = `apiVersion: source.toolkit.fluxcd.io/v1beta1
kind: HelmRepository
metadata:
  name: bitnami
  namespace: flux-system
---
apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata:
  name: web
---
apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
metadata:
  name: teams
---
apiVersion: image.toolkit.fluxcd.io/v1beta1
kind: ImageRepository
metadata:
  name: web
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: web
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: current
`;

    it('reports the apiVersions microsoft.flux 1.23.0 removed as errors, and its deprecated ones as warnings, at any Kubernetes version', () => {
      for (const version of ['1.30', '1.36']) {
        assert.deepEqual(
          checkApiVersions(parse(FLUX), version).map((f) => `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`),
          [
            `api/removed error apps/web.yaml:1:1 source.toolkit.fluxcd.io/v1beta1 HelmRepository was removed in microsoft.flux 1.23.0 (Flux 2.7): the cluster answers 'no matches for kind "HelmRepository" in version "source.toolkit.fluxcd.io/v1beta1"'; use source.toolkit.fluxcd.io/v1 (HelmRepository flux-system/bitnami)`,
            `api/removed error apps/web.yaml:7:1 helm.toolkit.fluxcd.io/v2beta2 HelmRelease was removed in microsoft.flux 1.23.0 (Flux 2.7): the cluster answers 'no matches for kind "HelmRelease" in version "helm.toolkit.fluxcd.io/v2beta2"'; use helm.toolkit.fluxcd.io/v2 (HelmRelease web)`,
            `api/removed error apps/web.yaml:12:1 notification.toolkit.fluxcd.io/v1beta1 Alert was removed in microsoft.flux 1.23.0 (Flux 2.7): the cluster answers 'no matches for kind "Alert" in version "notification.toolkit.fluxcd.io/v1beta1"'; use notification.toolkit.fluxcd.io/v1beta3 (Alert teams)`,
            `api/removed error apps/web.yaml:17:1 image.toolkit.fluxcd.io/v1beta1 ImageRepository was removed in microsoft.flux 1.23.0 (Flux 2.7): the cluster answers 'no matches for kind "ImageRepository" in version "image.toolkit.fluxcd.io/v1beta1"'; use image.toolkit.fluxcd.io/v1; microsoft.flux 1.22.x (Flux 2.6) does not serve it: image.toolkit.fluxcd.io/v1beta2 works on both (ImageRepository web)`,
            `api/deprecated warning apps/web.yaml:22:1 image.toolkit.fluxcd.io/v1beta2 ImagePolicy is deprecated in microsoft.flux 1.23.0 (Flux 2.7) (v1beta2 ImagePolicy is deprecated, upgrade to v1); use image.toolkit.fluxcd.io/v1; microsoft.flux 1.22.x (Flux 2.6) does not serve it: move once every cluster runs 1.23.0 (ImagePolicy web)`,
          ],
          version,
        );
      }
    });

    it('knows every removed apiVersion of the extension release notes, with the CRD storage version to move to', () => {
      const removed = (apiVersion: string, kind: string) => {
        const entry = findFluxApiLifecycle(apiVersion, kind);
        return entry?.removed ? entry.replacement : undefined;
      };
      for (const kind of ['Bucket', 'GitRepository', 'HelmChart', 'HelmRepository'])
        assert.equal(removed('source.toolkit.fluxcd.io/v1beta1', kind), 'source.toolkit.fluxcd.io/v1');
      for (const kind of ['Bucket', 'GitRepository', 'HelmChart', 'HelmRepository', 'OCIRepository'])
        assert.equal(removed('source.toolkit.fluxcd.io/v1beta2', kind), 'source.toolkit.fluxcd.io/v1');
      assert.equal(removed('kustomize.toolkit.fluxcd.io/v1beta1', 'Kustomization'), 'kustomize.toolkit.fluxcd.io/v1');
      assert.equal(removed('kustomize.toolkit.fluxcd.io/v1beta2', 'Kustomization'), 'kustomize.toolkit.fluxcd.io/v1');
      assert.equal(removed('helm.toolkit.fluxcd.io/v2beta1', 'HelmRelease'), 'helm.toolkit.fluxcd.io/v2');
      assert.equal(removed('notification.toolkit.fluxcd.io/v1beta1', 'Provider'), 'notification.toolkit.fluxcd.io/v1beta3');
      assert.equal(removed('notification.toolkit.fluxcd.io/v1beta1', 'Receiver'), 'notification.toolkit.fluxcd.io/v1');
      for (const kind of ['ImagePolicy', 'ImageRepository', 'ImageUpdateAutomation'])
        assert.equal(removed('image.toolkit.fluxcd.io/v1beta1', kind), 'image.toolkit.fluxcd.io/v1');
      // Served by the extension (deprecated or current): not removed.
      for (const [apiVersion, kind] of [
        ['notification.toolkit.fluxcd.io/v1beta2', 'Alert'],
        ['notification.toolkit.fluxcd.io/v1beta2', 'Receiver'],
        ['image.toolkit.fluxcd.io/v1beta2', 'ImageUpdateAutomation'],
        ['source.toolkit.fluxcd.io/v1', 'OCIRepository'],
        ['notification.toolkit.fluxcd.io/v1beta3', 'Alert'],
      ])
        assert.equal(removed(apiVersion, kind), undefined, `${apiVersion} ${kind}`);
      assert.equal(findFluxApiLifecycle('source.toolkit.fluxcd.io/v1', 'OCIRepository'), undefined);
    });
  });
});
