import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import { checkApiRules } from '../../../shared/validate/api-rules/registry';
import { asServerSees, isTransitionRule } from '../../../shared/validate/api-rules/flux-rules';
import constraintData from '../../../shared/validate/schemas/flux-constraints.json';

const FILE = 'clusters/prod/flux.yaml';
const DATA = (constraintData as unknown as { cel: Record<string, [string, string, string, unknown?][]> }).cel;

/** A Flux object whose `spec:` is on line 6, column 1; `spec` holds the lines given, indented under it. */
function object(type: string, spec: string[]): string {
  const [apiVersion, kind] = type.split(' ');
  return [
    `apiVersion: ${apiVersion}`,
    `kind: ${kind}`,
    'metadata:',
    '  name: example',
    '  namespace: flux-system',
    'spec:',
    ...spec.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/** `file:line:column message` of each CEL finding. */
function cel(text: string): string[] {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return checkApiRules(parsed.objects, { kubernetesVersion: '1.32' })
    .filter((f) => f.rule === 'schema/cel')
    .map((f) => `${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`);
}

const HR = 'helm.toolkit.fluxcd.io/v2 HelmRelease';
const IP = 'image.toolkit.fluxcd.io/v1 ImagePolicy';
const IP_V1BETA2 = 'image.toolkit.fluxcd.io/v1beta2 ImagePolicy';
const KS = 'kustomize.toolkit.fluxcd.io/v1 Kustomization';
const PV = 'notification.toolkit.fluxcd.io/v1beta3 Provider';
const BK = 'source.toolkit.fluxcd.io/v1 Bucket';
const GR = 'source.toolkit.fluxcd.io/v1 GitRepository';

const chartRef = ['interval: 10m', 'chartRef: {kind: OCIRepository, name: podinfo}'];
const KUBECONFIG_MESSAGE = 'exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified';
const bucket = ['interval: 5m', 'bucketName: app', 'endpoint: minio.example.com'];
const at = (line: number, column: number, message: string) => `error ${FILE}:${line}:${column} ${message}`;

interface Case {
  type: string;
  /** The rule the bad spec breaks. */
  rule: string;
  bad: string[];
  /** Every CEL finding of the bad spec (a spec may break more than one rule). */
  findings: string[];
  good: string[];
}

const CASES: Case[] = [
  {
    type: HR,
    rule: '(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))',
    bad: ['interval: 10m', 'chartRef: {kind: OCIRepository, name: podinfo}', 'chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: p}}}'],
    findings: [at(6, 1, 'spec: Invalid value: "object": either chart or chartRef must be set')],
    good: chartRef,
  },
  {
    type: HR,
    rule: "!has(self.retryInterval) || self.name != 'RemediateOnFailure'",
    bad: [...chartRef, 'install:', '  strategy: {name: RemediateOnFailure, retryInterval: 1m}'],
    findings: [at(10, 5, `spec.install.strategy: Invalid value: "object": .retryInterval cannot be set when .name is 'RemediateOnFailure'`)],
    good: [...chartRef, 'install:', '  strategy: {name: RetryOnFailure, retryInterval: 1m}'],
  },
  {
    type: HR,
    rule: 'has(self.configMapRef) || has(self.secretRef)',
    bad: [...chartRef, 'kubeConfig: {}'],
    findings: [at(9, 3, `spec.kubeConfig: Invalid value: "object": ${KUBECONFIG_MESSAGE}`)],
    good: [...chartRef, 'kubeConfig: {secretRef: {name: kubeconfig}}'],
  },
  {
    type: HR,
    rule: '!has(self.configMapRef) || !has(self.secretRef)',
    bad: [...chartRef, 'kubeConfig:', '  secretRef: {name: kubeconfig}', '  configMapRef: {name: kubeconfig}'],
    findings: [at(9, 3, `spec.kubeConfig: Invalid value: "object": ${KUBECONFIG_MESSAGE}`)],
    good: [...chartRef, 'kubeConfig: {configMapRef: {name: kubeconfig}}'],
  },
  {
    type: HR,
    rule: "!has(self.retryInterval) || self.name == 'RetryOnFailure'",
    bad: [...chartRef, 'upgrade:', '  strategy:', '    name: RemediateOnFailure', '    retryInterval: 1m'],
    findings: [at(10, 5, `spec.upgrade.strategy: Invalid value: "object": .retryInterval can only be set when .name is 'RetryOnFailure'`)],
    good: [...chartRef, 'upgrade:', '  strategy: {name: RetryOnFailure, retryInterval: 1m}'],
  },
  {
    type: IP,
    rule: "!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",
    // digestReflectionPolicy defaults to Never: the server fills it in before the rule.
    bad: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'interval: 5m'],
    findings: [at(6, 1, `spec: Invalid value: "object": spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'`)],
    good: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'digestReflectionPolicy: Always', 'interval: 5m'],
  },
  {
    type: IP,
    rule: "has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",
    bad: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'digestReflectionPolicy: Always'],
    findings: [at(6, 1, `spec: Invalid value: "object": spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'`)],
    good: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'digestReflectionPolicy: IfNotPresent'],
  },
  // The deprecated v1beta2 ImagePolicy, still served by the extension, has the same two rules.
  {
    type: IP_V1BETA2,
    rule: "!has(self.interval) || (has(self.digestReflectionPolicy) && self.digestReflectionPolicy == 'Always')",
    bad: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'interval: 5m'],
    findings: [at(6, 1, `spec: Invalid value: "object": spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'`)],
    good: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'digestReflectionPolicy: Always', 'interval: 5m'],
  },
  {
    type: IP_V1BETA2,
    rule: "has(self.interval) || !has(self.digestReflectionPolicy) || self.digestReflectionPolicy != 'Always'",
    bad: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'digestReflectionPolicy: Always'],
    findings: [at(6, 1, `spec: Invalid value: "object": spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'`)],
    good: ['imageRepositoryRef: {name: app}', 'policy: {semver: {range: 1.x}}', 'digestReflectionPolicy: IfNotPresent'],
  },
  {
    type: KS,
    rule: 'has(self.configMapRef) || has(self.secretRef)',
    bad: ['interval: 10m', 'prune: true', 'sourceRef: {kind: GitRepository, name: app}', 'kubeConfig: {}'],
    findings: [at(10, 3, `spec.kubeConfig: Invalid value: "object": ${KUBECONFIG_MESSAGE}`)],
    good: ['interval: 10m', 'prune: true', 'sourceRef: {kind: GitRepository, name: app}', 'kubeConfig: {secretRef: {name: kubeconfig}}'],
  },
  {
    type: KS,
    rule: '!has(self.configMapRef) || !has(self.secretRef)',
    bad: ['interval: 10m', 'prune: true', 'sourceRef: {kind: GitRepository, name: app}', 'kubeConfig: {secretRef: {name: a}, configMapRef: {name: b}}'],
    findings: [at(10, 3, `spec.kubeConfig: Invalid value: "object": ${KUBECONFIG_MESSAGE}`)],
    good: ['interval: 10m', 'prune: true', 'sourceRef: {kind: GitRepository, name: app}', 'kubeConfig: {configMapRef: {name: b}}'],
  },
  {
    type: PV,
    rule: "self.type == 'github' || self.type == 'gitlab' || self.type == 'gitea' || self.type == 'bitbucketserver' || self.type == 'bitbucket' || self.type == 'azuredevops' || !has(self.commitStatusExpr)",
    bad: ['type: slack', 'commitStatusExpr: "event.metadata.app"'],
    findings: [
      at(
        6,
        1,
        `spec: Invalid value: "object": spec.commitStatusExpr is only supported for the 'github', 'gitlab', 'gitea', 'bitbucketserver', 'bitbucket', 'azuredevops' provider types`,
      ),
    ],
    good: ['type: azuredevops', 'commitStatusExpr: "event.metadata.app"'],
  },
  {
    type: BK,
    rule: "self.provider == 'aws' || self.provider == 'generic' || !has(self.sts)",
    bad: [...bucket, 'provider: gcp', 'sts: {provider: aws, endpoint: "https://sts.amazonaws.com"}'],
    findings: [at(6, 1, `spec: Invalid value: "object": STS configuration is only supported for the 'aws' and 'generic' Bucket providers`)],
    good: [...bucket, 'provider: aws', 'sts: {provider: aws, endpoint: "https://sts.amazonaws.com"}'],
  },
  {
    type: BK,
    rule: "self.provider != 'aws' || !has(self.sts) || self.sts.provider == 'aws'",
    bad: [...bucket, 'provider: aws', 'sts: {provider: ldap, endpoint: "https://ldap.example.com"}'],
    findings: [at(6, 1, `spec: Invalid value: "object": 'aws' is the only supported STS provider for the 'aws' Bucket provider`)],
    good: [...bucket, 'provider: generic', 'sts: {provider: ldap, endpoint: "https://ldap.example.com"}'],
  },
  {
    type: BK,
    rule: "self.provider != 'generic' || !has(self.sts) || self.sts.provider == 'ldap'",
    // provider defaults to generic.
    bad: [...bucket, 'sts: {provider: aws, endpoint: "https://sts.amazonaws.com"}'],
    findings: [at(6, 1, `spec: Invalid value: "object": 'ldap' is the only supported STS provider for the 'generic' Bucket provider`)],
    good: [...bucket, 'sts: {provider: ldap, endpoint: "https://ldap.example.com"}'],
  },
  {
    type: BK,
    rule: "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.secretRef)",
    bad: [...bucket, 'provider: aws', 'sts: {provider: aws, endpoint: "https://sts.amazonaws.com", secretRef: {name: s}}'],
    findings: [at(6, 1, `spec: Invalid value: "object": spec.sts.secretRef is not required for the 'aws' STS provider`)],
    good: [...bucket, 'provider: generic', 'sts: {provider: ldap, endpoint: "https://ldap.example.com", secretRef: {name: s}}'],
  },
  {
    type: BK,
    rule: "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.certSecretRef)",
    bad: [...bucket, 'provider: aws', 'sts: {provider: aws, endpoint: "https://sts.amazonaws.com", certSecretRef: {name: c}}'],
    findings: [at(6, 1, `spec: Invalid value: "object": spec.sts.certSecretRef is not required for the 'aws' STS provider`)],
    good: [...bucket, 'provider: generic', 'sts: {provider: ldap, endpoint: "https://ldap.example.com", certSecretRef: {name: c}}'],
  },
  {
    type: BK,
    rule: "self.provider != 'generic' || !has(self.serviceAccountName)",
    bad: [...bucket, 'serviceAccountName: reader'],
    findings: [at(6, 1, `spec: Invalid value: "object": ServiceAccountName is not supported for the 'generic' Bucket provider`)],
    good: [...bucket, 'provider: aws', 'serviceAccountName: reader'],
  },
  {
    type: BK,
    rule: '!has(self.secretRef) || !has(self.serviceAccountName)',
    bad: [...bucket, 'provider: aws', 'secretRef: {name: s}', 'serviceAccountName: reader'],
    findings: [at(6, 1, 'spec: Invalid value: "object": cannot set both .spec.secretRef and .spec.serviceAccountName')],
    good: [...bucket, 'provider: aws', 'secretRef: {name: s}'],
  },
  {
    type: GR,
    rule: "!has(self.serviceAccountName) || (has(self.provider) && self.provider == 'azure')",
    bad: ['interval: 5m', 'url: https://dev.azure.com/org/project/_git/app', 'serviceAccountName: flux'],
    findings: [at(6, 1, `spec: Invalid value: "object": serviceAccountName can only be set when provider is 'azure'`)],
    good: ['interval: 5m', 'url: https://dev.azure.com/org/project/_git/app', 'provider: azure', 'serviceAccountName: flux'],
  },
];

describe("Flux CRDs' x-kubernetes-validations rules (CEL)", () => {
  for (const c of CASES) {
    it(`${c.type.split(' ')[1]}: ${c.rule}`, () => {
      assert.deepEqual(cel(object(c.type, c.bad)), c.findings);
      assert.deepEqual(cel(object(c.type, c.good)), []);
    });
  }

  it('has a bad and a good case for every rule of the data, and none of them is a transition rule', () => {
    const data = Object.entries(DATA)
      .flatMap(([type, rules]) => rules.map(([p, rule]) => `${type} ${p} ${rule}`))
      .sort();
    const tested = [
      ...new Set(
        CASES.map((c) => `${c.type} ${/^spec\.\w+(\.\w+)?:/.exec(c.findings[0].split(' ').slice(2).join(' '))?.[0].slice(0, -1) ?? 'spec'} ${c.rule}`),
      ),
    ].sort();
    assert.equal(data.length, 20);
    assert.deepEqual(tested, data);
    assert.deepEqual(
      data.filter((r) => isTransitionRule(r)),
      [],
    );
  });

  it('reports nothing for another version of the kind, whose rules the data does not hold', () => {
    // v1beta3 Provider's rule limits commitStatusExpr to Git providers; the deprecated v1beta2 Provider has no rules.
    const text = object('notification.toolkit.fluxcd.io/v1beta2 Provider', ['type: slack', 'commitStatusExpr: "event.metadata.app"']);
    assert.deepEqual(cel(text), []);
  });

  it('never reports a rule it cannot evaluate (a field the rule reads is missing) as broken', () => {
    // An upgrade strategy without its required name: `self.name` has no value; the schema's required check reports name.
    assert.deepEqual(cel(object(HR, [...chartRef, 'upgrade:', '  strategy: {retryInterval: 1m}'])), []);
  });

  it('evaluates on a copy: defaults filled in, null fields dropped, the object itself unchanged', () => {
    const spec = { interval: '5m', sts: { provider: 'aws', secretRef: null }, list: [{ a: null }] };
    const seen = asServerSees(spec, { provider: { d: 'generic' }, sts: { p: { endpoint: { d: 'e' } } }, list: { i: { b: { d: 1 } } } });
    assert.deepEqual(seen, { interval: '5m', sts: { provider: 'aws', endpoint: 'e' }, list: [{ b: 1 }], provider: 'generic' });
    assert.deepEqual(spec, { interval: '5m', sts: { provider: 'aws', secretRef: null }, list: [{ a: null }] });
  });

  it('transition rules (oldSelf) are told apart', () => {
    assert.equal(isTransitionRule('self == oldSelf'), true);
    assert.equal(isTransitionRule('has(self.oldSelfish)'), false);
  });
});
