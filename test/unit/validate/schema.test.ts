import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseManifests } from '../../../shared/manifests/parse';
import type { ManifestObject } from '../../../shared/manifests/model';
import type { Finding } from '../../../shared/manifests/finding';
import {
  SCHEMA_KUBERNETES_VERSIONS,
  closest,
  hasBuiltinGroup,
  hasSchema,
  resolveSchemaVersion,
  validateSchema,
  validateSchemas,
} from '../../../shared/validate/schema';

const FILE = 'apps/web.yaml';

function parse(text: string): ManifestObject[] {
  const result = parseManifests(text, FILE);
  assert.deepEqual(result.errors, []);
  return result.objects;
}

function validate(text: string, kubernetesVersion = '1.30'): Finding[] {
  return validateSchemas(parse(text), { kubernetesVersion });
}

/** rule, line and message only, for compact exact assertions. */
function brief(findings: Finding[]): string[] {
  return findings.map((f) => `${f.rule} ${f.severity} ${f.file ?? '-'}:${f.line ?? '-'} ${f.message}`);
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels:
    app: web
  annotations:
    example.com/build: "42"
spec:
  replicas: 3
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: web
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          args: ["--port", "8080"]
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          env:
            - name: MODE
              value: "prod"
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: 1
              memory: 1Gi
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
          livenessProbe:
            tcpSocket:
              port: 8080
          volumeMounts:
            - name: cache
              mountPath: /cache
      volumes:
        - name: cache
          emptyDir:
            sizeLimit: 1Gi
`;

const VALID_OTHERS = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  MODE: prod
  RETRIES: "3"
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
spec:
  ingressClassName: nginx
  tls:
    - hosts: [web.example.com]
      secretName: web-tls
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: job
              image: busybox:1.36
              command: ["sh", "-c", "date"]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
    - type: Resource
      resource:
        name: memory
        target:
          type: AverageValue
          averageValue: 512Mi
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Percent
          value: 50
          periodSeconds: 60
`;

const VALID_FLUX = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: platform
  namespace: flux-system
spec:
  interval: 1m
  url: https://dev.azure.com/org/project/_git/platform
  ref:
    branch: main
  secretRef:
    name: platform-auth
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  retryInterval: 1m
  path: ./clusters/prod
  prune: true
  wait: true
  timeout: 5m
  targetNamespace: prod
  sourceRef:
    kind: GitRepository
    name: platform
  dependsOn:
    - name: infra
  postBuild:
    substitute:
      cluster: prod
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
  patches:
    - target:
        kind: Deployment
        name: web
      patch: |
        - op: replace
          path: /spec/replicas
          value: 3
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: bitnami
  namespace: flux-system
spec:
  interval: 1h
  url: https://charts.bitnami.com/bitnami
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: legacy
  namespace: flux-system
spec:
  interval: 1h
  image: ghcr.io/example/legacy
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 5m
  url: oci://ghcr.io/stefanprodan/manifests/podinfo
  ref:
    semver: ">=6.0.0"
  provider: generic
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo-chart
  namespace: flux-system
spec:
  interval: 5m
  url: oci://ghcr.io/stefanprodan/charts/podinfo
  ref:
    tag: 6.7.0
  provider: azure
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: redis
  namespace: prod
spec:
  interval: 10m
  releaseName: redis
  chart:
    spec:
      chart: redis
      version: "19.x"
      sourceRef:
        kind: HelmRepository
        name: bitnami
        namespace: flux-system
  install:
    remediation:
      retries: 3
  upgrade:
    cleanupOnFail: true
  values:
    architecture: standalone
    auth:
      enabled: false
    anything: [1, "two", {three: 3}]
  valuesFrom:
    - kind: ConfigMap
      name: redis-values
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: prod
spec:
  interval: 10m
  chartRef:
    kind: OCIRepository
    name: podinfo-chart
    namespace: flux-system
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata:
  name: old
  namespace: prod
spec:
  providerRef:
    name: teams
  eventSeverity: error
  eventSources:
    - kind: HelmRelease
      name: '*'
`;

/** A Pod with a 1.29+ sidecar (restartPolicy: Always on an init container) and in-place resize policy. */
const SIDECAR_POD = `apiVersion: v1
kind: Pod
metadata:
  name: sidecar
spec:
  initContainers:
    - name: proxy
      image: envoy:1.30
      restartPolicy: Always
  containers:
    - name: app
      image: app:1
      resizePolicy:
        - resourceName: cpu
          restartPolicy: NotRequired
`;

/** containers[].restartPolicyRules is new in Kubernetes 1.34. */
const RESTART_RULES_POD = `apiVersion: v1
kind: Pod
metadata:
  name: rules
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: app:1
      restartPolicy: Never
      restartPolicyRules:
        - action: Restart
          exitCodes:
            operator: In
            values: [42]
`;

/** Fields of a Pod added in 1.31 (volumes[].image), 1.32 (spec.resources) and 1.36 (spec.schedulingGroup). */
const NEWER_FIELDS_POD = `apiVersion: v1
kind: Pod
metadata:
  name: newer
spec:
  resources:
    limits:
      cpu: 2
  schedulingGroup:
    podGroupName: training
  containers:
    - name: app
      image: app:1
  volumes:
    - name: model
      image:
        reference: registry.example.com/model:v1
`;

describe('schema', () => {
  describe('valid manifests', () => {
    for (const version of ['1.30', '1.31', '1.32', '1.33', '1.34', '1.35', '1.36']) {
      it(`accepts a Deployment, Service, ConfigMap, Ingress, CronJob and HPA v2 at Kubernetes ${version}`, () => {
        assert.deepEqual(brief(validate(DEPLOYMENT + '---\n' + VALID_OTHERS, version)), []);
      });
    }

    it('accepts Flux Kustomization, HelmRelease, GitRepository, OCIRepository, HelmRepository and deprecated, still served ImageRepository and Alert v1beta2', () => {
      const objects = parse(VALID_FLUX);
      assert.equal(objects.length, 9);
      assert.deepEqual(brief(validateSchemas(objects, { kubernetesVersion: '1.30' })), []);
      assert.deepEqual(brief(validateSchemas(objects, { kubernetesVersion: '1.36' })), []);
    });

    it('accepts `creationTimestamp: null`, a status block and a YAML 1.1 date where a string is expected', () => {
      const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: dates
  creationTimestamp: null
  annotations:
    released: 2024-05-01
data:
  day: "2024-05-01"
`;
      assert.deepEqual(brief(validate(text)), []);
    });

    it('accepts numbers and strings for Quantity fields and ints or strings for IntOrString fields', () => {
      const text = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 50%
  maxUnavailable: 1
  selector:
    matchLabels: {app: web}
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: quota
spec:
  hard:
    cpu: 10
    memory: 20Gi
    pods: "50"
`;
      assert.deepEqual(brief(validate(text)), []);
    });
  });

  describe('newer fields', () => {
    it('accepts sidecar init containers (restartPolicy: Always) and resizePolicy from 1.30 on', () => {
      for (const version of SCHEMA_KUBERNETES_VERSIONS) {
        assert.deepEqual(brief(validate(SIDECAR_POD, version)), [], version);
      }
    });

    it('accepts containers[].restartPolicyRules at 1.34 and later, and reports it as unknown before', () => {
      assert.deepEqual(brief(validate(RESTART_RULES_POD, '1.34')), []);
      assert.deepEqual(brief(validate(RESTART_RULES_POD, 'v1.36.1')), []);
      assert.deepEqual(brief(validate(RESTART_RULES_POD, '1.33')), [
        `schema/unknown-field error ${FILE}:11 unknown field spec.containers[0].restartPolicyRules (not in the Kubernetes 1.33 schema of v1 Pod)`,
      ]);
    });

    it('checks each minor version against its own OpenAPI document: 1.31 and 1.35 are no longer read as 1.32 and 1.36', () => {
      const unknown = (version: string, line: number, field: string) =>
        `schema/unknown-field error ${FILE}:${line} unknown field spec.${field} (not in the Kubernetes ${version} schema of v1 Pod)`;
      assert.deepEqual(brief(validate(NEWER_FIELDS_POD, '1.36')), []);
      assert.deepEqual(brief(validate(NEWER_FIELDS_POD, '1.35')), [unknown('1.35', 9, 'schedulingGroup')]);
      assert.deepEqual(brief(validate(NEWER_FIELDS_POD, '1.32')), [unknown('1.32', 9, 'schedulingGroup')]);
      assert.deepEqual(brief(validate(NEWER_FIELDS_POD, '1.31')), [unknown('1.31', 6, 'resources'), unknown('1.31', 9, 'schedulingGroup')]);
      assert.deepEqual(brief(validate(NEWER_FIELDS_POD, '1.30')), [
        unknown('1.30', 6, 'resources'),
        unknown('1.30', 9, 'schedulingGroup'),
        unknown('1.30', 16, 'volumes[0].image'),
      ]);
    });

    it('serves each apiVersion in the minor versions that have it (flowcontrol v1beta3 up to 1.31, resource.k8s.io/v1 from 1.34)', () => {
      assert.equal(hasSchema('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.31'), true);
      assert.equal(hasSchema('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.32'), false);
      assert.equal(hasSchema('resource.k8s.io/v1', 'ResourceClaim', '1.33'), false);
      assert.equal(hasSchema('resource.k8s.io/v1', 'ResourceClaim', '1.34'), true);
    });
  });

  describe('errors', () => {
    it('reports `replica:` as an unknown field with its path, line and a suggestion', () => {
      const text = DEPLOYMENT.replace('  replicas: 3\n', '  replica: 3\n');
      const findings = validate(text);
      assert.deepEqual(findings, [
        {
          rule: 'schema/unknown-field',
          severity: 'error',
          message: 'unknown field spec.replica (not in the Kubernetes 1.30 schema of apps/v1 Deployment); did you mean replicas?',
          file: FILE,
          line: 11,
          column: 3,
          object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'prod' },
        },
      ]);
    });

    it('reports `contianers:` as an unknown field and the missing containers as required', () => {
      const text = DEPLOYMENT.replace('      containers:\n', '      contianers:\n');
      assert.deepEqual(brief(validate(text)), [
        `schema/unknown-field error ${FILE}:30 unknown field spec.template.spec.contianers (not in the Kubernetes 1.30 schema of apps/v1 Deployment); did you mean containers?`,
        `schema/required error ${FILE}:25 missing required field spec.template.spec.containers (apps/v1 Deployment)`,
      ]);
    });

    it('reports `replicas: "three"` as a type error', () => {
      const text = DEPLOYMENT.replace('  replicas: 3\n', '  replicas: "three"\n');
      assert.deepEqual(brief(validate(text)), [`schema/type error ${FILE}:11 spec.replicas: expected integer, got string "three"`]);
    });

    it('reports wrong scalar types: string port, numeric env value, boolean as string, object as list', () => {
      const text = `apiVersion: v1
kind: Pod
metadata:
  name: types
spec:
  hostNetwork: "true"
  containers:
    - name: app
      image: app:1
      ports:
        - containerPort: "8080"
      env:
        - name: PORT
          value: 8080
      resources:
        limits: [cpu]
`;
      assert.deepEqual(brief(validate(text)), [
        `schema/type error ${FILE}:6 spec.hostNetwork: expected boolean, got string "true"`,
        `schema/type error ${FILE}:11 spec.containers[0].ports[0].containerPort: expected integer, got string "8080"`,
        `schema/type error ${FILE}:14 spec.containers[0].env[0].value: expected string, got integer 8080`,
        `schema/type error ${FILE}:16 spec.containers[0].resources.limits: expected object, got array`,
      ]);
    });

    it('reports a container without a name as required, at the container', () => {
      const text = DEPLOYMENT.replace('        - name: web\n          image: nginx:1.27\n', '        - image: nginx:1.27\n');
      assert.deepEqual(brief(validate(text)), [
        `schema/required error ${FILE}:31 missing required field spec.template.spec.containers[0].name (apps/v1 Deployment)`,
      ]);
    });

    it('reports `metadata.lables` as an unknown field (ObjectMeta is strict)', () => {
      const text = DEPLOYMENT.replace('  labels:\n    app: web\n  annotations', '  lables:\n    app: web\n  annotations');
      assert.deepEqual(brief(validate(text)), [
        `schema/unknown-field error ${FILE}:6 unknown field metadata.lables (not in the Kubernetes 1.30 schema of apps/v1 Deployment); did you mean labels?`,
      ]);
    });

    it('validates Flux kinds strictly: unknown field, enum, required, metadata', () => {
      const text = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  lables: {a: b}
spec:
  interval: 10m
  pth: ./apps
  sourceRef:
    kind: GitRepo
    name: platform
`;
      assert.deepEqual(brief(validate(text)), [
        `schema/unknown-field error ${FILE}:5 unknown field metadata.lables (not in the Flux 2.7 schema of kustomize.toolkit.fluxcd.io/v1 Kustomization); did you mean labels?`,
        `schema/unknown-field error ${FILE}:8 unknown field spec.pth (not in the Flux 2.7 schema of kustomize.toolkit.fluxcd.io/v1 Kustomization); did you mean path?`,
        `schema/type error ${FILE}:10 spec.sourceRef.kind: expected one of OCIRepository, GitRepository, Bucket, ExternalArtifact, got string "GitRepo"`,
        `schema/required error ${FILE}:6 missing required field spec.prune (kustomize.toolkit.fluxcd.io/v1 Kustomization)`,
      ]);
    });
    it('reports fields that only Flux releases newer than the CRDs (2.7) have as unknown', () => {
      // spec.waitStrategy (helm-controller v1.5) and spec.ignore (kustomize-controller v1.8) are not in the CRDs
      // of microsoft.flux 1.23.0's controllers: the cluster rejects them.
      const text = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 10m
  chartRef:
    kind: OCIRepository
    name: web
  waitStrategy:
    name: poller
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  prune: true
  sourceRef:
    kind: GitRepository
    name: platform
  ignore:
    - paths: ["/spec/replicas"]
`;
      assert.deepEqual(brief(validate(text)), [
        `schema/unknown-field error ${FILE}:10 unknown field spec.waitStrategy (not in the Flux 2.7 schema of helm.toolkit.fluxcd.io/v2 HelmRelease)`,
        `schema/unknown-field error ${FILE}:23 unknown field spec.ignore (not in the Flux 2.7 schema of kustomize.toolkit.fluxcd.io/v1 Kustomization)`,
      ]);
    });

    it('says nothing about Flux apiVersions microsoft.flux 1.23.0 removed (the deprecations module reports them)', () => {
      const text = `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata:
  name: legacy
spec:
  whatever: true
---
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: old
`;
      assert.deepEqual(brief(validate(text)), []);
      assert.equal(hasSchema('source.toolkit.fluxcd.io/v1beta2', 'HelmRepository', '1.32'), false);
      assert.equal(hasSchema('image.toolkit.fluxcd.io/v1beta2', 'ImagePolicy', '1.32'), true);
    });
  });

  describe('kinds', () => {
    it('warns that a custom resource is not validated', () => {
      const text = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  anything: goes
`;
      assert.deepEqual(validate(text), [
        {
          rule: 'schema/unknown-kind',
          severity: 'warning',
          message: 'no schema for example.com/v1 Widget (custom resource); not validated',
          file: FILE,
          line: 1,
          column: 1,
          object: { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' },
        },
      ]);
    });

    it('warns about a kind the built-in apiVersion does not have, with a suggestion', () => {
      const text = `apiVersion: apps/v1
kind: Deploymnet
metadata:
  name: web
`;
      assert.deepEqual(brief(validate(text)), [
        `schema/unknown-kind warning ${FILE}:1 apps/v1 has no kind Deploymnet in Kubernetes 1.30 (did you mean Deployment?); not validated`,
      ]);
    });

    it('says nothing about removed built-in apiVersions (the deprecations module reports them)', () => {
      const text = `apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web
spec:
  whatever: true
---
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: fs
`;
      assert.deepEqual(brief(validate(text, '1.33')), []);
      // flowcontrol v1beta3 is still served by 1.30, so it is validated there.
      assert.equal(hasSchema('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.30'), true);
      assert.equal(hasSchema('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.33'), false);
    });

    it('knows the built-in groups', () => {
      for (const apiVersion of ['v1', 'apps/v1', 'batch/v1', 'extensions/v1beta1', 'networking.k8s.io/v1', 'policy/v1beta1', 'apiregistration.k8s.io/v1']) {
        assert.equal(hasBuiltinGroup(apiVersion), true, apiVersion);
      }
      for (const apiVersion of [
        'example.com/v1',
        'gateway.networking.k8s.io/v1',
        'snapshot.storage.k8s.io/v1',
        'kustomize.toolkit.fluxcd.io/v1',
        'metrics.k8s.io/v1beta1',
      ]) {
        assert.equal(hasBuiltinGroup(apiVersion), false, apiVersion);
      }
    });

    it('warns about an unknown Flux kind', () => {
      const text = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepo
metadata:
  name: x
`;
      assert.deepEqual(brief(validate(text)), [`schema/unknown-kind warning ${FILE}:1 no Flux schema for source.toolkit.fluxcd.io/v1 GitRepo; not validated`]);
    });
  });

  describe('versions', () => {
    it('resolves every minor version from 1.30 to 1.36 to its own data', () => {
      assert.deepEqual(resolveSchemaVersion('1.30'), { requested: '1.30', dataVersion: '1.30' });
      assert.deepEqual(resolveSchemaVersion('v1.31.4'), { requested: '1.31', dataVersion: '1.31' });
      assert.deepEqual(resolveSchemaVersion('1.33.2-aks.1'), { requested: '1.33', dataVersion: '1.33' });
      assert.deepEqual(resolveSchemaVersion('1.35'), { requested: '1.35', dataVersion: '1.35' });
      assert.deepEqual(SCHEMA_KUBERNETES_VERSIONS, ['1.30', '1.31', '1.32', '1.33', '1.34', '1.35', '1.36']);
    });

    it('validates against the nearest data and says so once for versions outside it', () => {
      const objects = parse(`${SIDECAR_POD}---\n${SIDECAR_POD.replace('name: sidecar', 'name: sidecar2')}`);
      assert.deepEqual(brief(validateSchemas(objects, { kubernetesVersion: '1.28' })), [
        'schema/unsupported-version warning -:- Kubernetes 1.28 is older than the schema data (1.30–1.36); schemas were checked against Kubernetes 1.30, so fields added after 1.28 are not reported',
      ]);
      assert.deepEqual(brief(validateSchemas(objects, { kubernetesVersion: '1.40' })), [
        'schema/unsupported-version warning -:- Kubernetes 1.40 is newer than the schema data (1.30–1.36); schemas were checked against Kubernetes 1.36, so fields added after 1.36 are reported as unknown',
      ]);
      // Per object, the version finding is not repeated.
      assert.deepEqual(validateSchema(objects[0], { kubernetesVersion: '1.40' }), []);
    });

    it('reports a malformed version as an error and still validates against the newest data', () => {
      const objects = parse(DEPLOYMENT.replace('  replicas: 3\n', '  replica: 3\n'));
      assert.deepEqual(brief(validateSchemas(objects, { kubernetesVersion: 'latest' })), [
        'schema/unsupported-version error -:- Kubernetes version "latest" is not a version like 1.30 or v1.30.4; schemas were checked against Kubernetes 1.36',
        `schema/unknown-field error ${FILE}:11 unknown field spec.replica (not in the Kubernetes 1.36 schema of apps/v1 Deployment); did you mean replicas?`,
      ]);
    });
  });

  describe('ManifestObject built by hand', () => {
    it('uses locate() for each finding and the object ref', () => {
      const obj: ManifestObject = {
        apiVersion: 'v1',
        kind: 'Service',
        name: 'web',
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ prot: 80 }] } },
        source: { file: 'svc.yaml', line: 1 },
        locate: (p) => ({ file: 'svc.yaml', line: 100 + p.length }),
      };
      assert.deepEqual(validateSchema(obj, { kubernetesVersion: '1.32' }), [
        {
          rule: 'schema/unknown-field',
          severity: 'error',
          message: 'unknown field spec.ports[0].prot (not in the Kubernetes 1.32 schema of v1 Service); did you mean port?',
          file: 'svc.yaml',
          line: 104,
          object: { apiVersion: 'v1', kind: 'Service', name: 'web' },
        },
        {
          rule: 'schema/required',
          severity: 'error',
          message: 'missing required field spec.ports[0].port (v1 Service)',
          file: 'svc.yaml',
          line: 103,
          object: { apiVersion: 'v1', kind: 'Service', name: 'web' },
        },
      ]);
    });
  });

  describe('closest', () => {
    it('suggests only obvious candidates', () => {
      assert.equal(closest('replica', ['replicas', 'selector']), 'replicas');
      assert.equal(closest('contianers', ['containers', 'initContainers']), 'containers');
      assert.equal(closest('Labels', ['labels', 'annotations']), 'labels');
      assert.equal(closest('foo', ['for', 'fox']), undefined);
      assert.equal(closest('completelydifferent', ['replicas']), undefined);
    });
  });

  describe('data', () => {
    it('is small and covers 1.30 to 1.36', () => {
      const dir = path.join(process.cwd(), 'shared', 'validate', 'schemas');
      const k8s = JSON.parse(fs.readFileSync(path.join(dir, 'kubernetes.json'), 'utf8')) as { versions: string[] };
      assert.deepEqual(k8s.versions, ['1.30', '1.31', '1.32', '1.33', '1.34', '1.35', '1.36']);
      const size = fs.statSync(path.join(dir, 'kubernetes.json')).size + fs.statSync(path.join(dir, 'flux.json')).size;
      assert.ok(size < 512 * 1024, `schema data is ${size} bytes`);
    });

    it('resolves every Kubernetes definition flux.json refers to (@V1ObjectMeta, ...) in every version', () => {
      const dir = path.join(process.cwd(), 'shared', 'validate', 'schemas');
      const k8s = JSON.parse(fs.readFileSync(path.join(dir, 'kubernetes.json'), 'utf8')) as {
        versions: string[];
        names: string[];
        refAliases: Record<string, string>;
        tables: Record<string, number[]>;
      };
      const flux = fs.readFileSync(path.join(dir, 'flux.json'), 'utf8');
      const refs = [...new Set([...flux.matchAll(/[:\]}]@([A-Za-z]\w*)/g)].map((m) => m[1]))].sort();
      assert.ok(refs.includes('V1ObjectMeta'), refs.join(', '));
      for (const ref of refs) {
        const name = k8s.refAliases[ref] ?? ref;
        for (const version of k8s.versions) assert.ok(k8s.tables[version][k8s.names.indexOf(name)] >= 0, `@${ref} (${name}) in ${version}`);
      }
    });

    it('is what the pinned OpenAPI documents give (generate-k8s-schemas.mjs --check, offline, blob ids verified)', function () {
      this.timeout(60000);
      const result = spawnSync(process.execPath, [path.join('scripts', 'generate-k8s-schemas.mjs'), '--check'], { encoding: 'utf8' });
      assert.equal(result.stderr, '');
      assert.equal(result.status, 0);
    });

    it('validates 10,000 objects', function () {
      // How fast: `npm run bench -- validate` ("schema" among the checks' times), not a wall-clock bound here.
      this.timeout(20000);
      const objects = parse(`${DEPLOYMENT}---\n${VALID_OTHERS}`);
      const many: ManifestObject[] = [];
      while (many.length < 10000) many.push(...objects);
      many.length = 10000;
      assert.deepEqual(validateSchemas(many, { kubernetesVersion: '1.33' }), []);
    });
  });
});
