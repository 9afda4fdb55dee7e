import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import type { ManifestObject } from '../../../shared/manifests/model';
import type { Finding } from '../../../shared/manifests/finding';
import { checkPolicy, DEFAULT_POLICY_SEVERITIES, POLICY_RULES, PolicySeverities } from '../../../shared/validate/policy';

const FILE = 'apps/web/deployment.yaml';

function parse(text: string): ManifestObject[] {
  const result = parseManifests(text, FILE);
  assert.deepEqual(result.errors, []);
  return result.objects;
}

/** `line rule severity` triples. */
function summary(findings: Finding[]): string[] {
  return findings.map((f) => `${f.line} ${f.rule} ${f.severity}`);
}

function rule(findings: Finding[], id: string): Finding[] {
  return findings.filter((f) => f.rule === id);
}

const ALL_OFF: PolicySeverities = {
  imageTag: 'off',
  resources: 'off',
  privileged: 'off',
  runAsRoot: 'off',
  hostPath: 'off',
  probes: 'off',
};

function only(id: keyof PolicySeverities, severity: 'error' | 'warning' = 'error'): PolicySeverities {
  return { ...ALL_OFF, [id]: severity };
}

/** A Deployment that satisfies every rule. */
const CLEAN = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      initContainers:
        - name: migrate
          image: registry.example.com/web-migrate:1.4.0
          resources:
            requests: {cpu: 10m, memory: 32Mi}
            limits: {memory: 64Mi}
      containers:
        - name: web
          image: registry.example.com:5000/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
              add: [NET_BIND_SERVICE]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            httpGet: {path: /live, port: 8080}
      volumes:
        - name: cache
          emptyDir: {}
`;

/** A Deployment that breaks every rule; line numbers are asserted below. */
const DIRTY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
            runAsUser: 0
            capabilities:
              add: [NET_ADMIN, CAP_SYS_ADMIN]
          volumeMounts:
            - name: host-logs
              mountPath: /var/log/host
        - name: sidecar
          image: registry.example.com:5000/agent
          resources:
            requests:
              cpu: 10m
      volumes:
        - name: host-logs
          hostPath:
            path: /var/log
`;

describe('policy', () => {
  it('gives zero findings for a clean Deployment with every rule on as error', () => {
    const allError: PolicySeverities = {
      imageTag: 'error',
      resources: 'error',
      privileged: 'error',
      runAsRoot: 'error',
      hostPath: 'error',
      probes: 'error',
    };
    assert.deepEqual(checkPolicy(parse(CLEAN), allError), []);
  });

  it('ignores objects that are not built-in workloads', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {image: "nginx:latest"}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: custom}
spec:
  template:
    spec:
      containers:
        - name: x
          image: nginx
`;
    assert.deepEqual(checkPolicy(parse(text), DEFAULT_POLICY_SEVERITIES), []);
  });

  it('reports every rule at its most specific line with the default severities', () => {
    const findings = checkPolicy(parse(DIRTY), DEFAULT_POLICY_SEVERITIES);
    assert.deepEqual(summary(findings), [
      '11 policy/image-tag error',
      '10 policy/resources warning',
      '13 policy/privileged error',
      '14 policy/privileged error',
      '17 policy/privileged error',
      '15 policy/run-as-root warning',
      '10 policy/probes warning',
      '22 policy/image-tag error',
      '23 policy/resources warning',
      '21 policy/run-as-root warning',
      '21 policy/probes warning',
      '28 policy/host-path warning',
    ]);
    for (const f of findings) {
      assert.equal(f.file, FILE);
      assert.deepEqual(f.object, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'prod', name: 'web' });
    }
  });

  describe('policy/image-tag', () => {
    it('names the container and the image', () => {
      const [latest, untagged] = rule(checkPolicy(parse(DIRTY), only('imageTag')), 'policy/image-tag');
      assert.equal(latest.message, 'container "web" in Deployment prod/web uses image nginx:latest with the mutable latest tag; pin a version tag or a digest');
      assert.equal(latest.column, 11);
      assert.equal(
        untagged.message,
        'container "sidecar" in Deployment prod/web uses image registry.example.com:5000/agent without a tag, which pulls :latest; pin a version tag or a digest',
      );
    });

    it('names the image variable an untagged image came from, and what to write instead', () => {
      const variables = new Map([
        ['WEB_IMAGE', 'registry.example.com:5000/agent'],
        ['WEB_TAG', '1.4.2'],
        ['WEB_REF', 'registry.example.com:5000/agent:1.4.2'],
      ]);
      const [, untagged] = rule(checkPolicy(parse(DIRTY), only('imageTag'), { variables }), 'policy/image-tag');
      assert.equal(
        untagged.message,
        'container "sidecar" in Deployment prod/web uses image registry.example.com:5000/agent without a tag, which pulls :latest; ${WEB_IMAGE} is the repository only: write ${WEB_REF} or ${WEB_IMAGE}:${WEB_TAG}',
      );
    });

    it('names no variable when only a variable that is not NAME_IMAGE holds the untagged image', () => {
      const variables = new Map([
        ['AGENT', 'registry.example.com:5000/agent'],
        ['_IMAGE', 'registry.example.com:5000/agent'],
      ]);
      const [, untagged] = rule(checkPolicy(parse(DIRTY), only('imageTag'), { variables }), 'policy/image-tag');
      assert.match(untagged.message, /without a tag, which pulls :latest; pin a version tag or a digest$/);
    });

    it('checks init and ephemeral containers, accepts digests and leaves a missing image alone', () => {
      const text = `apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  securityContext: {runAsNonRoot: true}
  initContainers:
    - name: setup
      image: busybox
  containers:
    - name: app
      image: busybox:1.36@sha256:abc
    - name: noimage
  ephemeralContainers:
    - name: shell
      image: busybox:latest
`;
      const findings = checkPolicy(parse(text), only('imageTag', 'warning'));
      assert.deepEqual(summary(findings), ['9 policy/image-tag warning', '16 policy/image-tag warning']);
      assert.match(findings[0].message, /^init container "setup" in Pod debug uses image busybox without a tag/);
      assert.match(findings[1].message, /^ephemeral container "shell" in Pod debug /);
    });
  });

  describe('policy/resources', () => {
    it('requires requests.cpu, requests.memory and limits.memory, not limits.cpu', () => {
      const findings = rule(checkPolicy(parse(DIRTY), only('resources')), 'policy/resources');
      assert.deepEqual(summary(findings), ['10 policy/resources error', '23 policy/resources error']);
      assert.equal(findings[0].message, 'container "web" in Deployment prod/web does not set resources requests.cpu, requests.memory, limits.memory');
      assert.equal(findings[1].message, 'container "sidecar" in Deployment prod/web does not set resources requests.memory, limits.memory');
    });

    it('checks init containers in CronJob job templates', () => {
      const text = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: ops
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
            - name: wait
              image: busybox:1.36
          containers:
            - name: job
              image: busybox:1.36
              resources:
                requests: {cpu: 1, memory: 1Gi}
                limits: {memory: 1Gi}
`;
      const findings = checkPolicy(parse(text), DEFAULT_POLICY_SEVERITIES);
      assert.deepEqual(
        rule(findings, 'policy/resources').map((f) => [f.line, f.message]),
        [[14, 'init container "wait" in CronJob ops/nightly does not set resources requests.cpu, requests.memory, limits.memory']],
      );
    });
  });

  describe('policy/privileged', () => {
    it('reports privileged, allowPrivilegeEscalation and SYS_ADMIN separately', () => {
      const findings = rule(checkPolicy(parse(DIRTY), DEFAULT_POLICY_SEVERITIES), 'policy/privileged');
      assert.deepEqual(
        findings.map((f) => [f.line, f.column, f.message]),
        [
          [13, 13, 'container "web" in Deployment prod/web runs privileged (securityContext.privileged: true)'],
          [14, 13, 'container "web" in Deployment prod/web allows privilege escalation (securityContext.allowPrivilegeEscalation: true)'],
          [17, 32, 'container "web" in Deployment prod/web adds the SYS_ADMIN capability, which amounts to root on the node'],
        ],
      );
    });

    it('reports capabilities add ALL and privileged init containers', () => {
      const text = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
spec:
  template:
    spec:
      initContainers:
        - name: sysctl
          image: busybox:1.36
          securityContext:
            privileged: true
      containers:
        - name: agent
          image: agent:2.0
          securityContext:
            privileged: false
            capabilities:
              add:
                - ALL
`;
      const findings = checkPolicy(parse(text), only('privileged'));
      assert.deepEqual(summary(findings), ['13 policy/privileged error', '21 policy/privileged error']);
      assert.match(findings[0].message, /^init container "sysctl" in DaemonSet kube-system\/agent runs privileged/);
      assert.match(findings[1].message, /adds the ALL capability/);
    });
  });

  describe('policy/run-as-root', () => {
    const pod = (podContext: string, containerContext: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext: ${podContext}
  containers:
    - name: app
      image: app:1.0
      securityContext: ${containerContext}
`;
    const check = (text: string) => checkPolicy(parse(text), only('runAsRoot'));

    it('passes with runAsNonRoot at pod level, or a non-zero runAsUser at either level', () => {
      assert.deepEqual(check(pod('{runAsNonRoot: true}', '{}')), []);
      assert.deepEqual(check(pod('{runAsUser: 1000}', '{}')), []);
      assert.deepEqual(check(pod('{}', '{runAsUser: 1000}')), []);
      assert.deepEqual(check(pod('{runAsNonRoot: false}', '{runAsNonRoot: true}')), []);
    });

    it('reports runAsUser 0 where it is set, the container overriding the pod', () => {
      const atPod = check(pod('{runAsUser: 0, runAsNonRoot: true}', '{}'));
      assert.deepEqual(
        atPod.map((f) => [f.line, f.message]),
        [[6, 'container "app" in Pod p runs as root (runAsUser: 0)']],
      );
      const atContainer = check(pod('{runAsUser: 1000}', '{runAsUser: 0}'));
      assert.deepEqual(summary(atContainer), ['10 policy/run-as-root error']);
      assert.deepEqual(check(pod('{runAsUser: 0}', '{runAsUser: 1000}')), []);
    });

    it('reports a missing runAsNonRoot at the container, or at an explicit runAsNonRoot: false', () => {
      const missing = check(pod('{}', '{}'));
      assert.deepEqual(summary(missing), ['10 policy/run-as-root error']);
      assert.equal(
        missing[0].message,
        'container "app" in Pod p may run as root: set securityContext.runAsNonRoot: true or a non-zero runAsUser (on the container or the pod)',
      );
      assert.deepEqual(summary(check(pod('{runAsNonRoot: true}', '{runAsNonRoot: false}'))), ['10 policy/run-as-root error']);
      const noContext = check(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - image: app:1.0
`);
      assert.deepEqual(
        noContext.map((f) => [f.line, f.column, f.message.slice(0, 22)]),
        [[6, 7, 'container #0 in Pod p ']],
      );
    });

    it('skips Windows pods', () => {
      const text = `apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  os: {name: windows}
  containers:
    - name: app
      image: app:1.0
`;
      assert.deepEqual(check(text), []);
    });
  });

  describe('policy/host-path', () => {
    it('points at the hostPath key and names the mounting containers', () => {
      const findings = rule(checkPolicy(parse(DIRTY), only('hostPath')), 'policy/host-path');
      assert.deepEqual(summary(findings), ['28 policy/host-path error']);
      assert.equal(findings[0].column, 11);
      assert.equal(findings[0].message, 'volume "host-logs" in Deployment prod/web mounts the host path /var/log into the pod, mounted by container "web"');
    });
  });

  describe('policy/probes', () => {
    it('requires both probes on long-running app containers and sidecars, not on plain init containers', () => {
      const text = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: data
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
        - name: proxy
          image: proxy:1.0
          restartPolicy: Always
          readinessProbe: {tcpSocket: {port: 5432}}
      containers:
        - name: db
          image: postgres:16
          startupProbe: {exec: {command: [pg_isready]}}
`;
      const findings = checkPolicy(parse(text), only('probes', 'warning'));
      assert.deepEqual(
        findings.map((f) => [f.line, f.severity, f.message]),
        [
          [12, 'warning', 'init container "proxy" in StatefulSet data/db has no livenessProbe'],
          [17, 'warning', 'container "db" in StatefulSet data/db has no readinessProbe and no livenessProbe'],
        ],
      );
    });

    it('does not apply to Jobs, CronJobs or run-once Pods', () => {
      const text = `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: migrate:1.0
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: job:1.0
---
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers:
    - name: once
      image: once:1.0
---
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  template:
    spec:
      containers:
        - name: legacy
          image: legacy:1.0
`;
      const findings = checkPolicy(parse(text), only('probes'));
      assert.deepEqual(
        findings.map((f) => [f.line, f.object?.kind]),
        [[40, 'ReplicationController']],
      );
    });
  });

  describe('severities', () => {
    it('each rule can be switched off, to warning or to error on its own', () => {
      const objects = parse(DIRTY);
      const all = checkPolicy(objects, DEFAULT_POLICY_SEVERITIES);
      for (const [setting, id] of Object.entries(POLICY_RULES) as [keyof PolicySeverities, string][]) {
        const count = rule(all, id).length;
        assert.ok(count > 0, id);
        const off = checkPolicy(objects, { ...DEFAULT_POLICY_SEVERITIES, [setting]: 'off' });
        assert.equal(off.length, all.length - count, `${id} off`);
        assert.deepEqual(rule(off, id), []);
        for (const severity of ['error', 'warning'] as const) {
          const changed = rule(checkPolicy(objects, only(setting, severity)), id);
          assert.equal(changed.length, count, `${id} ${severity}`);
          assert.ok(
            changed.every((f) => f.severity === severity),
            `${id} ${severity}`,
          );
        }
      }
    });

    it('fills missing entries from the defaults and rejects unknown settings or severities', () => {
      const partial = checkPolicy(parse(DIRTY), { privileged: 'warning' });
      assert.ok(rule(partial, 'policy/privileged').every((f) => f.severity === 'warning'));
      assert.ok(rule(partial, 'policy/image-tag').length > 0);
      assert.equal(checkPolicy(parse(DIRTY)).length, checkPolicy(parse(DIRTY), DEFAULT_POLICY_SEVERITIES).length);
      assert.throws(
        () => checkPolicy([], { 'policy/image-tag': 'error' } as unknown as PolicySeverities),
        /Unknown policy setting "policy\/image-tag"; known settings: imageTag, resources/,
      );
      assert.throws(
        () => checkPolicy([], { probes: 'fatal' } as unknown as PolicySeverities),
        /Severity of probes \(policy\/probes\) must be error, warning or off, not "fatal"/,
      );
    });

    it('has the documented defaults', () => {
      assert.deepEqual(
        { ...DEFAULT_POLICY_SEVERITIES },
        {
          imageTag: 'error',
          resources: 'warning',
          privileged: 'error',
          runAsRoot: 'warning',
          hostPath: 'warning',
          probes: 'warning',
        },
      );
    });
  });
});
