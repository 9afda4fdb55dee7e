import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { parseManifests } from '../../../shared/manifests/parse';
import type { Finding } from '../../../shared/manifests/finding';
import { checkApiRules, kubernetesMinor } from '../../../shared/validate/api-rules/registry';
import { validateSchemas } from '../../../shared/validate/schema';

const FILE = 'deploy/app.yaml';

/** `rule severity file:line:column message` of each finding. */
function run(text: string, kubernetesVersion = '1.32'): string[] {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return checkApiRules(parsed.objects, { kubernetesVersion }).map(brief);
}

/**
 * The schema check, then the API rules: the enums of the Kubernetes API types (Service type, imagePullPolicy,
 * protocol, accessModes, policyTypes, ...) are the schema data's, reported under the same rule id (k8s/enum).
 */
function runWithSchema(text: string, kubernetesVersion = '1.32'): string[] {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return [...validateSchemas(parsed.objects, { kubernetesVersion }), ...checkApiRules(parsed.objects, { kubernetesVersion })].map(brief);
}

function brief(f: Finding): string {
  return `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`;
}

/** A Deployment whose pod template is `containers`/extra spec, everything else valid. */
function deployment(podSpec: string, { name = 'web', labels = 'app: web', selector = 'app: web' } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      ${selector}
  template:
    metadata:
      labels:
        ${labels}
    spec:
${podSpec
  .split('\n')
  .map((l) => (l ? `      ${l}` : l))
  .join('\n')}
`;
}

const CONTAINER = `containers:
  - name: web
    image: nginx:1.27
`;

const SERVICE = (spec: string) => `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
${spec
  .split('\n')
  .map((l) => (l ? `  ${l}` : l))
  .join('\n')}
`;

const DNS_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('API server rules (api-rules)', () => {
  describe("the issue's table: what the cluster rejects at apply time", () => {
    it('Flux Kustomization interval "5 minutes": the CRD pattern', () => {
      const flux = (interval: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: ${interval}
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`;
      assert.deepEqual(run(flux('5 minutes')), [
        `schema/pattern error ${FILE}:7:3 spec.interval: Invalid value: "5 minutes": spec.interval in body should match '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$'`,
      ]);
      assert.deepEqual(run(flux('1h30m')), []);
      assert.deepEqual(run(flux('10m0.5s')), []);
    });

    it('other Flux CRD constraints: lengths, list sizes; a deprecated apiVersion has its own, a removed one none', () => {
      const kustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  targetNamespace: ${'n'.repeat(64)}
  namePrefix: ""
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`;
      assert.deepEqual(run(kustomization), [
        `schema/length error ${FILE}:8:3 spec.namePrefix: Invalid value: "": spec.namePrefix in body should be at least 1 chars long`,
        `schema/length error ${FILE}:7:3 spec.targetNamespace: Too long: may not be more than 63 bytes`,
      ]);
      assert.deepEqual(run(kustomization.replace('n'.repeat(64), 'apps').replace('namePrefix: ""', 'namePrefix: dev-')), []);
      // The CRDs of microsoft.flux 1.23.0's controllers have no map lists and no minItems; ImageRepository has a maxItems,
      // in its deprecated v1beta2 (still served) as in v1.
      const repository = (apiVersion: string, exclusions: number) => `apiVersion: ${apiVersion}
kind: ImageRepository
metadata:
  name: web
spec:
  image: ghcr.io/example/web
  interval: 5 minutes
  exclusionList: [${Array.from({ length: exclusions }, (_, i) => `"^${i}$"`).join(', ')}]
`;
      for (const apiVersion of ['image.toolkit.fluxcd.io/v1', 'image.toolkit.fluxcd.io/v1beta2']) {
        assert.deepEqual(run(repository(apiVersion, 26)), [
          `schema/items error ${FILE}:8:3 spec.exclusionList: Too many: 26: must have at most 25 items`,
          `schema/pattern error ${FILE}:7:3 spec.interval: Invalid value: "5 minutes": spec.interval in body should match '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$'`,
        ]);
        assert.deepEqual(run(repository(apiVersion, 25).replace('5 minutes', '5m')), []);
      }
      // A removed apiVersion (helm.toolkit.fluxcd.io/v2beta2) has no constraints: its finding is api/removed.
      const release = `apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: ten minutes
`;
      assert.deepEqual(run(release), []);
    });

    it('the Flux schema and constraint data are what the committed CRDs give (generate-flux-schemas.mjs --check)', function () {
      this.timeout(30_000); // a Node process reading 300 KB of CRDs, on a loaded machine
      const out = execFileSync(process.execPath, [path.join(process.cwd(), 'scripts/generate-flux-schemas.mjs'), '--check'], { encoding: 'utf8' });
      assert.equal(out, 'shared/validate/schemas/flux.json is what the CRDs give\nshared/validate/schemas/flux-constraints.json is what the CRDs give\n');
    });

    it('GitRepository timeout in hours: source timeouts take ms, s and m only', () => {
      const repo = (timeout: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
spec:
  interval: 1m
  timeout: ${timeout}
  url: https://example.com/repo.git
`;
      assert.deepEqual(run(repo('1h')), [
        `schema/pattern error ${FILE}:7:3 spec.timeout: Invalid value: "1h": spec.timeout in body should match '^([0-9]+(\\.[0-9]+)?(ms|s|m))+$'`,
      ]);
      assert.deepEqual(run(repo('90s')), []);
    });

    it('Service type LoadBalancr: Unsupported value', () => {
      assert.deepEqual(runWithSchema(SERVICE('type: LoadBalancr\nports:\n  - port: 80\n')), [
        `k8s/enum error ${FILE}:8:3 spec.type: Unsupported value: "LoadBalancr": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
        `ref/service-selector warning ${FILE}:6:3 spec.selector: selects no pod template rendered in this environment; the Service has no endpoints unless other pods carry these labels`,
      ]);
      assert.deepEqual(runWithSchema(SERVICE('type: LoadBalancer\nports:\n  - port: 80\n') + '---\n' + deployment(CONTAINER)), []);
    });

    it('imagePullPolicy Sometimes and protocol TCPX: Unsupported value', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    imagePullPolicy: Sometimes
    ports:
      - containerPort: 8080
        protocol: TCPX
`);
      assert.deepEqual(runWithSchema(bad), [
        `k8s/enum error ${FILE}:17:11 spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`,
        `k8s/enum error ${FILE}:20:15 spec.template.spec.containers[0].ports[0].protocol: Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"`,
      ]);
      assert.deepEqual(runWithSchema(bad.replace('Sometimes', 'IfNotPresent').replace('TCPX', 'UDP')), []);
    });

    it('limits.memory "12 gigs": quantities must match the regular expression', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    resources:
      limits:
        memory: 12 gigs
`);
      assert.deepEqual(run(bad), [
        `k8s/quantity error ${FILE}:19:15 spec.template.spec.containers[0].resources.limits.memory: Invalid value: "12 gigs": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ]);
      for (const good of ['12Gi', '12G', '1.5e9', '12884901888', '0.5Gi']) assert.deepEqual(run(bad.replace('12 gigs', good)), [], good);
    });

    it('metadata.name Web_App: a lowercase RFC 1123 subdomain', () => {
      const bad = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Web_App\n`;
      assert.deepEqual(run(bad), [`k8s/name error ${FILE}:4:3 metadata.name: Invalid value: "Web_App": ${DNS_SUBDOMAIN}`]);
      assert.deepEqual(run(bad.replace('Web_App', 'web-app.settings')), []);
    });

    it('pod label "hello world": a valid label must be an empty string or ...', () => {
      const bad = deployment(CONTAINER, { labels: 'app: hello world', selector: 'app: hello world' });
      assert.deepEqual(run(bad), [
        `k8s/label error ${FILE}:12:9 spec.template.metadata.labels.app: Invalid value: "hello world": ${LABEL_VALUE}`,
        `k8s/label error ${FILE}:8:7 spec.selector.matchLabels.app: Invalid value: "hello world": ${LABEL_VALUE}`,
      ]);
      assert.deepEqual(run(bad.replaceAll('hello world', 'hello-world')), []);
    });

    it('selector app: web, template labels app: api: `selector` does not match template `labels`', () => {
      const bad = deployment(CONTAINER, { labels: 'app: api', selector: 'app: web' });
      assert.deepEqual(run(bad), [
        `k8s/selector error ${FILE}:11:7 spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: \`selector\` does not match template \`labels\``,
      ]);
      assert.deepEqual(run(deployment(CONTAINER, { labels: 'app: web\n        tier: front', selector: 'app: web' })), []);
    });

    it('containerPort 70000: must be between 1 and 65535, inclusive', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    ports:
      - containerPort: 70000
`);
      assert.deepEqual(run(bad), [
        `k8s/port error ${FILE}:18:15 spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
      ]);
      assert.deepEqual(run(bad.replace('70000', '65535')), []);
    });
  });

  describe('object names as each kind requires', () => {
    it('Services are DNS-1035 labels, Namespaces DNS-1123 labels, RBAC objects path segments', () => {
      const svc = `apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\nspec:\n  ports:\n    - port: 80\n`;
      assert.deepEqual(run(svc), [
        `k8s/name error ${FILE}:4:3 metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ]);
      assert.deepEqual(run(svc.replace('1web', 'web1')), []);
      const ns = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team.a\n`;
      assert.deepEqual(run(ns), [`k8s/name error ${FILE}:4:3 metadata.name: Invalid value: "team.a": ${DNS_LABEL}`]);
      assert.deepEqual(run(ns.replace('team.a', 'team-a')), []);
      const role = `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: a/b\nrules: []\n`;
      assert.deepEqual(run(role), [`k8s/name error ${FILE}:4:3 metadata.name: Invalid value: "a/b": may not contain '/'`]);
      assert.deepEqual(run(role.replace('a/b', 'system:aggregate-to-view')), []);
    });

    it('metadata.namespace is a DNS-1123 label; a CronJob name has at most 52 characters', () => {
      assert.deepEqual(run(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: Team_A\n`), [
        `k8s/name error ${FILE}:5:3 metadata.namespace: Invalid value: "Team_A": ${DNS_LABEL}`,
      ]);
      const cron = (name: string) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: job
              image: busybox:1.36
`;
      assert.deepEqual(run(cron('a'.repeat(53))), [
        `k8s/name error ${FILE}:4:3 metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
      ]);
      assert.deepEqual(run(cron('a'.repeat(52))), []);
    });

    it('custom resources are DNS subdomains too', () => {
      const cr = `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: My.Widget\n`;
      assert.deepEqual(run(cr), [`k8s/name error ${FILE}:4:3 metadata.name: Invalid value: "My.Widget": ${DNS_SUBDOMAIN}`]);
      assert.deepEqual(run(cr.replace('My.Widget', 'my.widget')), []);
    });
  });

  it('label and annotation keys: qualified names with an optional DNS subdomain prefix', () => {
    const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels:
    Example.com/tier: web
  annotations:
    a/b/c: x
`;
    assert.deepEqual(run(cm), [
      `k8s/label error ${FILE}:6:5 metadata.labels.Example.com/tier: Invalid value: "Example.com/tier": prefix part ${DNS_SUBDOMAIN}`,
      `k8s/annotation error ${FILE}:8:5 metadata.annotations.a/b/c: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
    // Annotation keys are checked lowercased: an upper-case prefix is accepted there.
    assert.deepEqual(run(cm.replace('Example.com/tier', 'example.com/tier').replace('a/b/c', 'Example.com/Note')), []);
  });

  describe('pod spec', () => {
    it('restartPolicy: Always for a Deployment, OnFailure or Never for a Job', () => {
      assert.deepEqual(run(deployment(`restartPolicy: OnFailure\n${CONTAINER}`)), [
        `k8s/enum error ${FILE}:14:7 spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`,
      ]);
      const job = (policy: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: ${policy}
      containers:
        - name: job
          image: busybox:1.36
`;
      assert.deepEqual(run(job('Always')), [
        `k8s/enum error ${FILE}:8:7 spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`,
      ]);
      assert.deepEqual(run(job('Never')), []);
    });

    it('container, volume and port names: DNS-1123 labels and IANA_SVC_NAME, each unique', () => {
      const bad = deployment(`containers:
  - name: Web
    image: nginx:1.27
    ports:
      - containerPort: 8080
        name: http_port
      - containerPort: 8081
        name: metrics
      - containerPort: 8082
        name: metrics
  - name: sidecar
    image: busybox:1.36
  - name: sidecar
    image: busybox:1.36
volumes:
  - name: data
    emptyDir: {}
  - name: data
    emptyDir: {}
`);
      assert.deepEqual(run(bad), [
        `k8s/duplicate-name error ${FILE}:31:11 spec.template.spec.volumes[1].name: Duplicate value: "data"`,
        `k8s/name error ${FILE}:15:11 spec.template.spec.containers[0].name: Invalid value: "Web": ${DNS_LABEL}`,
        `k8s/port-name error ${FILE}:19:15 spec.template.spec.containers[0].ports[0].name: Invalid value: "http_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
        `k8s/duplicate-name error ${FILE}:23:15 spec.template.spec.containers[0].ports[2].name: Duplicate value: "metrics"`,
        `k8s/duplicate-name error ${FILE}:26:11 spec.template.spec.containers[2].name: Duplicate value: "sidecar"`,
      ]);
      const good = bad
        .replace('name: Web', 'name: web')
        .replace('http_port', 'http')
        .replace(/name: metrics\n(\s+- containerPort: 8082\n\s+)name: metrics/, 'name: metrics\n$1name: admin')
        .replace(/name: sidecar\n(\s+image: busybox:1.36\n\s+- )name: sidecar/, 'name: sidecar\n$1name: sidecar-2')
        .replace(/name: data\n(\s+emptyDir: \{\}\n\s+- )name: data/, 'name: data\n$1name: cache');
      assert.deepEqual(run(good), []);
    });

    it('a port name longer than 15 characters or without a letter', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    ports:
      - containerPort: 8080
        name: very-long-port-name
      - containerPort: 8081
        name: "8081"
`);
      assert.deepEqual(run(bad), [
        `k8s/port-name error ${FILE}:19:15 spec.template.spec.containers[0].ports[0].name: Invalid value: "very-long-port-name": must be no more than 15 characters`,
        `k8s/port-name error ${FILE}:21:15 spec.template.spec.containers[0].ports[1].name: Invalid value: "8081": must contain at least one letter (a-z)`,
      ]);
    });

    it('volumeMounts name a declared volume (a StatefulSet volumeClaimTemplate counts)', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    volumeMounts:
      - name: data
        mountPath: /data
volumes:
  - name: cache
    emptyDir: {}
`);
      assert.deepEqual(run(bad), [`k8s/volume-mount error ${FILE}:18:15 spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"`]);
      assert.deepEqual(run(bad.replace('name: cache', 'name: data')), []);
      const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: { app: db }
  template:
    metadata:
      labels: { app: db }
    spec:
      containers:
        - name: db
          image: postgres:16
          volumeMounts:
            - name: data
              mountPath: /var/lib/postgresql
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
`;
      assert.deepEqual(run(sts), []);
      assert.deepEqual(runWithSchema(sts.replace('[ReadWriteOnce]', '[ReadWriteAlways]')), [
        `k8s/enum error ${FILE}:23:23 spec.volumeClaimTemplates[0].spec.accessModes[0]: Unsupported value: "ReadWriteAlways": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`,
      ]);
    });

    it("probes name one of the container's ports, or give a number in range", () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    ports:
      - containerPort: 8080
        name: http
    readinessProbe:
      httpGet:
        path: /ready
        port: healthz
    livenessProbe:
      tcpSocket:
        port: 0
`);
      assert.deepEqual(run(bad), [
        `k8s/port error ${FILE}:26:15 spec.template.spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive`,
        `k8s/probe-port error ${FILE}:23:15 spec.template.spec.containers[0].readinessProbe.httpGet.port: Invalid value: "healthz": the container declares no port with this name, so the probe cannot connect`,
      ]);
      assert.deepEqual(run(bad.replace('port: healthz', 'port: http').replace('port: 0', 'port: 8080')), []);
    });

    it('environment variable names: the C-like rule before 1.32, printable ASCII but "=" from 1.32', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    env:
      - name: 1ST_VALUE
        value: a
      - name: A=B
        value: b
`);
      assert.deepEqual(run(bad, '1.30'), [
        `k8s/env-name error ${FILE}:18:15 spec.template.spec.containers[0].env[0].name: Invalid value: "1ST_VALUE": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
        `k8s/env-name error ${FILE}:20:15 spec.template.spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name', or 'MY_ENV.NAME', or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      ]);
      assert.deepEqual(run(bad, '1.32'), [
        `k8s/env-name error ${FILE}:20:15 spec.template.spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      ]);
      assert.deepEqual(run(bad.replace('1ST_VALUE', 'FIRST_VALUE').replace('A=B', 'my.env-name'), '1.30'), []);
    });

    it('requests above limits, negative and malformed quantities', () => {
      const bad = deployment(`containers:
  - name: web
    image: nginx:1.27
    resources:
      requests:
        cpu: "2"
        memory: -1Gi
      limits:
        cpu: 1500m
        memory: 1Gi
`);
      assert.deepEqual(run(bad), [
        `k8s/quantity error ${FILE}:20:15 spec.template.spec.containers[0].resources.requests.memory: Invalid value: "-1Gi": must be greater than or equal to 0`,
        `k8s/requests-limits error ${FILE}:19:15 spec.template.spec.containers[0].resources.requests.cpu: Invalid value: "2": must be less than or equal to cpu limit of 1500m`,
      ]);
      assert.deepEqual(run(bad.replace('cpu: "2"', 'cpu: 1.5').replace('-1Gi', '1024Mi')), []);
    });
  });

  describe('selectors', () => {
    it('an empty selector, and matchExpressions that exclude the template', () => {
      assert.deepEqual(run(deployment(CONTAINER, { selector: '{}' }).replace('matchLabels:\n      {}', 'matchLabels: {}')), [
        `k8s/selector error ${FILE}:6:3 spec.selector: Invalid value: {"matchLabels":{}}: empty selector is invalid for deployment`,
      ]);
    });

    it('matchExpressions select the template or not; a Job with manualSelector needs a matching selector', () => {
      const expressions = (operator: string) =>
        deployment(CONTAINER).replace('matchLabels:\n      app: web', `matchExpressions:\n      - { key: app, operator: ${operator}, values: [web, api] }`);
      assert.deepEqual(run(expressions('NotIn')), [
        `k8s/selector error ${FILE}:11:7 spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: \`selector\` does not match template \`labels\``,
      ]);
      assert.deepEqual(run(expressions('Within')), [
        `k8s/enum error ${FILE}:8:21 spec.selector.matchExpressions[0].operator: Unsupported value: "Within": supported values: "DoesNotExist", "Exists", "In", "NotIn"`,
      ]);
      assert.deepEqual(run(expressions('In')), []);
      const job = (labels: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  manualSelector: true
  selector:
    matchLabels: { job: migrate }
  template:
    metadata:
      labels: { ${labels} }
    spec:
      restartPolicy: Never
      containers:
        - name: job
          image: busybox:1.36
`;
      assert.deepEqual(run(job('job: other')), [
        `k8s/selector error ${FILE}:11:7 spec.template.metadata.labels: Invalid value: map[string]string{"job":"other"}: \`selector\` does not match template \`labels\``,
      ]);
      assert.deepEqual(run(job('job: migrate')), []);
    });
  });

  it('CronJob schedules: five fields or a descriptor, in range, no TZ', () => {
    const cron = (schedule: string) => `apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "${schedule}"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: job
              image: busybox:1.36
`;
    const at = `k8s/cron-schedule error ${FILE}:6:3 spec.schedule: Invalid value:`;
    assert.deepEqual(run(cron('0 25 * * *')), [`${at} "0 25 * * *": end of range (25) above maximum (23): 25`]);
    assert.deepEqual(run(cron('* * * *')), [`${at} "* * * *": expected exactly 5 fields, found 4: [* * * *]`]);
    assert.deepEqual(run(cron('@fortnightly')), [`${at} "@fortnightly": unrecognized descriptor: @fortnightly`]);
    assert.deepEqual(run(cron('CRON_TZ=UTC 0 1 * * *')), [`${at} "CRON_TZ=UTC 0 1 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`]);
    assert.deepEqual(run(cron('0 x * * *')), [`${at} "0 x * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`]);
    for (const good of ['*/5 * * * *', '0 9-17/2 * * MON-FRI', '30 2 1,15 JAN,jul ?', '@daily', '@every 1h30m', '0 0 * * 0'])
      assert.deepEqual(run(cron(good)), [], good);
  });

  describe('Service', () => {
    it('ports in range, names required when there are several, unique, DNS-1123 labels; ExternalName needs externalName', () => {
      const bad = SERVICE(`type: ExternalName
ports:
  - port: 0
    targetPort: 70000
  - port: 443
    name: HTTPS
    targetPort: https_port
  - port: 8443
    name: HTTPS
`);
      assert.deepEqual(run(bad + '---\n' + deployment(CONTAINER)), [
        `k8s/service error ${FILE}:5:1 spec.externalName: Required value`,
        `k8s/port-name error ${FILE}:10:7 spec.ports[0].name: Required value`,
        `k8s/port error ${FILE}:10:7 spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`,
        `k8s/port error ${FILE}:11:7 spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
        `k8s/port-name error ${FILE}:13:7 spec.ports[1].name: Invalid value: "HTTPS": ${DNS_LABEL}`,
        `k8s/port-name error ${FILE}:14:7 spec.ports[1].targetPort: Invalid value: "https_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
        `k8s/port-name error ${FILE}:16:7 spec.ports[2].name: Invalid value: "HTTPS": ${DNS_LABEL}`,
        `k8s/duplicate-name error ${FILE}:16:7 spec.ports[2].name: Duplicate value: "HTTPS"`,
      ]);
    });
  });

  it('Ingress pathType and backend ports; NetworkPolicy policyTypes, protocols and ports', () => {
    const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - http:
        paths:
          - path: /
            pathType: Prefixed
            backend:
              service:
                name: web
                port:
                  number: 0
`;
    assert.deepEqual(run(ingress), [
      `k8s/enum error ${FILE}:10:13 spec.rules[0].http.paths[0].pathType: Unsupported value: "Prefixed": supported values: "Exact", "ImplementationSpecific", "Prefix"`,
      `k8s/port error ${FILE}:15:19 spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 0: must be between 1 and 65535, inclusive`,
    ]);
    assert.deepEqual(run(ingress.replace('Prefixed', 'Prefix').replace('number: 0', 'number: 80')), []);
    const policy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector: {}
  policyTypes: [Ingress, Outgress]
  ingress:
    - ports:
        - protocol: HTTP
          port: 8080
`;
    assert.deepEqual(runWithSchema(policy), [
      `k8s/enum error ${FILE}:7:26 spec.policyTypes[1]: Unsupported value: "Outgress": supported values: "Egress", "Ingress"`,
      `k8s/enum error ${FILE}:10:11 spec.ingress[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`,
    ]);
    assert.deepEqual(runWithSchema(policy.replace('Outgress', 'Egress').replace('HTTP', 'TCP')), []);
  });

  describe('cross-object warnings', () => {
    it('a ConfigMap, Secret or PVC the pod needs that the environment does not render (optional ones are fine)', () => {
      const pod = deployment(`containers:
  - name: web
    image: nginx:1.27
    envFrom:
      - configMapRef:
          name: settings
      - secretRef:
          name: credentials
      - secretRef:
          name: extra
          optional: true
volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data
`);
      assert.deepEqual(run(pod), [
        `ref/pvc warning ${FILE}:28:13 spec.template.spec.volumes[0].persistentVolumeClaim.claimName: PersistentVolumeClaim "data" is not rendered in this environment; the pod does not start unless it exists in the cluster`,
        `ref/config-map warning ${FILE}:19:17 spec.template.spec.containers[0].envFrom[0].configMapRef.name: ConfigMap "settings" is not rendered in this environment; the pod does not start unless it exists in the cluster`,
        `ref/secret warning ${FILE}:21:17 spec.template.spec.containers[0].envFrom[1].secretRef.name: Secret "credentials" is not rendered in this environment; the pod does not start unless it exists in the cluster`,
      ]);
      const rendered = `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: credentials
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
`;
      assert.deepEqual(run(pod + rendered), []);
    });
  });

  it('reads the Kubernetes minor version (newest when it does not parse)', () => {
    assert.deepEqual(['1.30', 'v1.31.4', '1.34.1-gke.1', 'latest'].map(kubernetesMinor), [30, 31, 34, 36]);
  });
});
