import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Finding } from '../../../shared/manifests/finding';
import { parseManifests } from '../../../shared/manifests/parse';
import { DEFAULT_POLICY_SEVERITIES } from '../../../shared/validate/policy';
import { validateSchemas } from '../../../shared/validate/schema';
import { validateManifests } from '../../../shared/validate/validate-manifests';

const FILE = 'deploy/app.yaml';

function parse(text: string) {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return parsed.objects;
}

function findings(text: string, kubernetesVersion = '1.32'): string[] {
  return brief(validateSchemas(parse(text), { kubernetesVersion }));
}

function brief(list: Finding[]): string[] {
  return list.map((f) => `${f.rule} ${f.file}:${f.line}:${f.column} ${f.message}`);
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seccompProfile:
      type: Default
  tolerations:
    - key: dedicated
      operator: Equals
      effect: NoScheduleX
    - key: spot
      operator: Exists
      effect: ""
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: DoNotScheduleX
      labelSelector:
        matchLabels:
          app: web
  containers:
    - name: web
      image: nginx:1.27
      imagePullPolicy: ""
      readinessProbe:
        httpGet:
          path: /healthz
          port: 8080
          scheme: http
`;

const PVC = (spec: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
${spec}`;

const deployment = (podSpec: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
${podSpec}      containers:
        - name: web
          image: nginx:1.27
`;

/** Runs a module script (the generator's libraries are ES modules) and returns what it prints, parsed. */
function runModule(code: string): unknown {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: process.cwd() });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as unknown;
}

describe('enums of the built-in kinds (from the Kubernetes API types, k8s/enum)', () => {
  it('reports each value outside a newly covered enum at its field, with the API server wording; good values pass', () => {
    assert.deepEqual(findings(POD), [
      `k8s/enum ${FILE}:8:7 spec.securityContext.seccompProfile.type: Unsupported value: "Default": supported values: "Localhost", "RuntimeDefault", "Unconfined"`,
      `k8s/enum ${FILE}:11:7 spec.tolerations[0].operator: Unsupported value: "Equals": supported values: "Equal", "Exists"`,
      `k8s/enum ${FILE}:12:7 spec.tolerations[0].effect: Unsupported value: "NoScheduleX": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"`,
      `k8s/enum ${FILE}:19:7 spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "DoNotScheduleX": supported values: "DoNotSchedule", "ScheduleAnyway"`,
      `k8s/enum ${FILE}:31:11 spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: "http": supported values: "HTTP", "HTTPS"`,
    ]);
    const good = POD.replace('type: Default', 'type: RuntimeDefault')
      .replace('operator: Equals', 'operator: Equal')
      .replace('NoScheduleX', 'NoSchedule')
      .replace('DoNotScheduleX', 'DoNotSchedule')
      .replace('scheme: http', 'scheme: HTTPS');
    assert.deepEqual(findings(good), []);
    assert.deepEqual(findings(PVC('  volumeMode: Blockish\n')), [
      `k8s/enum ${FILE}:6:3 spec.volumeMode: Unsupported value: "Blockish": supported values: "Block", "Filesystem"`,
    ]);
    assert.deepEqual(findings(PVC('  volumeMode: Block\n')), []);
  });

  it('does not report "" (the API server defaults it or treats it as unset): the effect and imagePullPolicy above', () => {
    assert.deepEqual(findings(PVC('  volumeMode: ""\n  accessModes: [""]\n')), []);
  });

  it('checks each item of a []X field (accessModes, ipFamilies)', () => {
    assert.deepEqual(findings(PVC('  accessModes: [ReadWriteOnce, ReadWriteSometimes]\n')), [
      `k8s/enum ${FILE}:6:32 spec.accessModes[1]: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`,
    ]);
    const service = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ipFamilies:
    - IPv4
    - IPv7
  ports:
    - port: 80
`;
    assert.deepEqual(findings(service), [`k8s/enum ${FILE}:8:7 spec.ipFamilies[1]: Unsupported value: "IPv7": supported values: "", "IPv4", "IPv6"`]);
  });

  it('skips status subtrees (ignored on create and apply), also inside a StatefulSet claim template', () => {
    const pod = `${POD.replace('type: Default', 'type: RuntimeDefault')
      .replace('operator: Equals', 'operator: Equal')
      .replace('NoScheduleX', 'NoSchedule')
      .replace('DoNotScheduleX', 'DoNotSchedule')
      .replace('scheme: http', 'scheme: HTTPS')}status:
  phase: Exploded
  qosClass: Premium
`;
    assert.deepEqual(findings(pod), []);
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
        - name: db
          image: postgres:16
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
      status:
        phase: Unheard
`;
    assert.deepEqual(findings(sts), []);
    // A value of the wrong type under status is still the decoder's type error.
    assert.deepEqual(findings(`${PVC('  volumeMode: Block\n')}status:\n  phase: 3\n`), [
      `schema/type ${FILE}:8:3 status.phase: expected string, got integer 3`,
    ]);
  });

  it('a value of another type is a type error, not an enum finding', () => {
    assert.deepEqual(findings(PVC('  volumeMode: 7\n')), [`schema/type ${FILE}:6:3 spec.volumeMode: expected string, got integer 7`]);
  });

  it('follows the version: Toleration operator Lt is in the 1.36 types, not in 1.30', () => {
    const pod = POD.replace('operator: Equals', 'operator: Lt')
      .replace('type: Default', 'type: RuntimeDefault')
      .replace('NoScheduleX', 'NoSchedule')
      .replace('DoNotScheduleX', 'DoNotSchedule')
      .replace('scheme: http', 'scheme: HTTPS');
    assert.deepEqual(findings(pod, '1.30'), [
      `k8s/enum ${FILE}:11:7 spec.tolerations[0].operator: Unsupported value: "Lt": supported values: "Equal", "Exists"`,
    ]);
    assert.deepEqual(findings(pod, '1.36'), []);
  });

  it("a Deployment pod's restartPolicy: one finding whatever the value (the data's enum, or the owner's rule)", () => {
    const all = (text: string) =>
      brief(validateManifests(parse(text), { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES }).findings.filter((f) => f.rule === 'k8s/enum'));
    assert.deepEqual(all(deployment('      restartPolicy: Sometimes\n')), [
      `k8s/enum ${FILE}:14:7 spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"`,
    ]);
    assert.deepEqual(all(deployment('      restartPolicy: OnFailure\n')), [
      `k8s/enum ${FILE}:14:7 spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`,
    ]);
    assert.deepEqual(all(deployment('      restartPolicy: Always\n')), []);
    // A Pod may have any of the three: only the data's enum speaks, once.
    const pod = (policy: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  restartPolicy: ${policy}\n  containers:\n    - name: web\n      image: nginx:1.27\n`;
    assert.deepEqual(all(pod('OnFailure')), []);
    assert.deepEqual(all(pod('Sometimes')), [
      `k8s/enum ${FILE}:6:3 spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"`,
    ]);
  });

  describe('the generator (scripts/lib/go-enums.mjs, scripts/generate-k8s-schemas.mjs)', () => {
    const GO = `package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Mode says how.
// +enum
type Mode string

const (
	// ModeFast is fast. (a commented-out one: ModeSlow Mode = "Slow")
	ModeFast Mode = "Fast"
	ModeSafe Mode = \`Safe\`
	unrelated    = "x"
)

const ModeOff Mode = "Off"

// Plain is no enum.
type Plain string

type Widget struct {
	metav1.TypeMeta \`json:",inline"\`
	Mode   Mode   \`json:"mode,omitempty"\`
	Modes  []Mode \`json:"modes"\`
	ByName map[string]Mode \`json:"byName"\`
	Ptr    *Mode  \`json:"ptr"\`
	Plain  Plain  \`json:"plain"\`
	Proto  corev1.Protocol \`json:"proto"\`
	Hidden Mode   \`json:"-"\`
}
`;
    const CORE = `package v1

// +enum
type Protocol string

const (
	ProtocolTCP Protocol = "TCP"
	ProtocolUDP Protocol = "UDP"
)
`;
    it('reads +enum types, their constants (block, single, raw string) and the fields of X, []X, map[K]X, *X and imported types', () => {
      const lib = path.join(process.cwd(), 'scripts/lib/go-enums.mjs');
      const out = runModule(`import { readEnums } from ${JSON.stringify(lib)};
const r = readEnums([{ dir: 'widgets/v1', file: 'widgets.go', source: ${JSON.stringify(GO)} }, { dir: 'core/v1', file: 'core.go', source: ${JSON.stringify(CORE)} }]);
console.log(JSON.stringify([...r].map(([k, m]) => [k, [...m].map(([f, e]) => [f, e.shape, e.type, e.values.join('|')])])));`);
      assert.deepEqual(out, [
        [
          'widgets/v1 Widget',
          [
            ['mode', 'value', 'widgets/v1.Mode', 'Fast|Off|Safe'],
            ['modes', 'list', 'widgets/v1.Mode', 'Fast|Off|Safe'],
            ['byName', 'map', 'widgets/v1.Mode', 'Fast|Off|Safe'],
            ['ptr', 'value', 'widgets/v1.Mode', 'Fast|Off|Safe'],
            ['proto', 'value', 'core/v1.Protocol', 'TCP|UDP'],
          ],
        ],
      ]);
    });

    it("an alias of an enum type (type Mode = v1.Mode) is that type: its fields get v1's enum, its literal constants join it", () => {
      const lib = path.join(process.cwd(), 'scripts/lib/go-enums.mjs');
      const beta = `package v1beta1

import v1 "k8s.io/api/widgets/v1"

// +enum
type Mode = v1.Mode

const (
\tModeFast Mode = v1.ModeFast
\tModeLegacy Mode = "Legacy"
)

type Gadget struct {
\tMode Mode \`json:"mode"\`
}
`;
      const out = runModule(`import { readEnums } from ${JSON.stringify(lib)};
const r = readEnums([{ dir: 'widgets/v1', file: 'widgets.go', source: ${JSON.stringify(GO)} }, { dir: 'core/v1', file: 'core.go', source: ${JSON.stringify(CORE)} }, { dir: 'widgets/v1beta1', file: 'beta.go', source: ${JSON.stringify(beta)} }]);
const e = r.get('widgets/v1beta1 Gadget').get('mode');
console.log(JSON.stringify([e.type, e.values.join('|')]));`);
      assert.deepEqual(out, ['widgets/v1.Mode', 'Fast|Legacy|Off|Safe']);
    });

    it('fails on what it cannot read: a +enum on a non-string type, a constant that is not a string literal', () => {
      const lib = path.join(process.cwd(), 'scripts/lib/go-enums.mjs');
      const attempt = (source: string) =>
        runModule(`import { readEnums } from ${JSON.stringify(lib)};
try { readEnums([{ dir: 'a/v1', file: 'a.go', source: ${JSON.stringify(source)} }]); console.log('null'); } catch (e) { console.log(JSON.stringify(e.message)); }`);
      assert.equal(attempt('package v1\n\n// +enum\ntype Level int\n'), 'generate-k8s-schemas: a.go:4: +enum type Level is a int, not a string');
      assert.equal(
        attempt('package v1\n\n// +enum\ntype Mode string\n\nconst (\n\tModeA Mode = otherConst\n)\n'),
        'generate-k8s-schemas: a.go:7: constant ModeA of +enum type Mode is not a string literal',
      );
    });

    it('fails when a Go enum field is not a string property of the OpenAPI definition (never skipped)', () => {
      const generator = path.join(process.cwd(), 'scripts/generate-k8s-schemas.mjs');
      const attempt = (property: unknown) =>
        runModule(`import { enumProperties } from ${JSON.stringify(generator)};
const enums = new Map([['core/v1 PodSpec', new Map([['dnsPolicy', { values: ['A', 'B'], shape: 'value', type: 'core/v1.DNSPolicy', file: 'types.go', line: 9 }]])]]);
const doc = { definitions: { 'io.k8s.api.core.v1.PodSpec': { properties: ${JSON.stringify(property)} } } };
try { console.log(JSON.stringify([...enumProperties(doc, '1.32', enums).get('io.k8s.api.core.v1.PodSpec')])); } catch (e) { console.log(JSON.stringify(e.message)); }`);
      assert.deepEqual(attempt({ dnsPolicy: { type: 'string' } }), [['dnsPolicy', '=A|B']]);
      assert.equal(
        attempt({ dnsPolicyX: { type: 'string' } }),
        'generate-k8s-schemas: 1.32 io.k8s.api.core.v1.PodSpec.dnsPolicy (core/v1.DNSPolicy, types.go:9): the OpenAPI document has no such property',
      );
      assert.equal(
        attempt({ dnsPolicy: { type: 'integer' } }),
        'generate-k8s-schemas: 1.32 io.k8s.api.core.v1.PodSpec.dnsPolicy (core/v1.DNSPolicy, types.go:9): not a string in the OpenAPI document: {"type":"integer"}',
      );
    });
  });
});
