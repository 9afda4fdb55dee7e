import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import type { Finding } from '../../../shared/manifests/finding';
import { checkApiRules, kubernetesMinor } from '../../../shared/validate/api-rules/registry';

const FILE = 'deploy/app.yaml';

/** `rule severity file:line:column message` of each finding. */
function run(text: string, kubernetesVersion = '1.32'): string[] {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return checkApiRules(parsed.objects, { kubernetesVersion }).map(brief);
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
      assert.deepEqual(run(SERVICE('type: LoadBalancr\nports:\n  - port: 80\n')), [
        `k8s/enum error ${FILE}:8:3 spec.type: Unsupported value: "LoadBalancr": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
        `ref/service-selector warning ${FILE}:6:3 spec.selector: selects no pod template rendered in this environment; the Service has no endpoints unless other pods carry these labels`,
      ]);
      assert.deepEqual(run(SERVICE('type: LoadBalancer\nports:\n  - port: 80\n') + '---\n' + deployment(CONTAINER)), []);
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
      assert.deepEqual(run(bad), [
        `k8s/enum error ${FILE}:17:11 spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`,
        `k8s/enum error ${FILE}:20:15 spec.template.spec.containers[0].ports[0].protocol: Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"`,
      ]);
      assert.deepEqual(run(bad.replace('Sometimes', 'IfNotPresent').replace('TCPX', 'UDP')), []);
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

  it('reads the Kubernetes minor version (newest when it does not parse)', () => {
    assert.deepEqual(['1.30', 'v1.31.4', '1.34.1-gke.1', 'latest'].map(kubernetesMinor), [30, 31, 34, 36]);
  });
});
