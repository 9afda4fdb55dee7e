/** The policy rules' settings and their defaults, apart from the rules: the tasks read them with their inputs. */
import type { Severity } from '../manifests/finding';

export type PolicyRuleId = 'policy/image-tag' | 'policy/resources' | 'policy/privileged' | 'policy/run-as-root' | 'policy/host-path' | 'policy/probes';

export type PolicySeverity = Severity | 'off';

/** The configuration name of each rule (what the task inputs and settings use). */
export type PolicySetting = 'imageTag' | 'resources' | 'privileged' | 'runAsRoot' | 'hostPath' | 'probes';

export type PolicySeverities = Record<PolicySetting, PolicySeverity>;

/** Setting name to rule id, in the order the rules run. */
export const POLICY_RULES: Readonly<Record<PolicySetting, PolicyRuleId>> = Object.freeze({
  imageTag: 'policy/image-tag',
  resources: 'policy/resources',
  privileged: 'policy/privileged',
  runAsRoot: 'policy/run-as-root',
  hostPath: 'policy/host-path',
  probes: 'policy/probes',
});

/**
 * Defaults: what gives a container more power over its node than an ordinary workload needs
 * (privileged mode, privilege escalation, SYS_ADMIN or ALL capabilities) is an error. The rest is
 * a warning, because common charts trip it for reasons the reviewer may accept: node agents
 * legitimately mount host paths, many upstream images still run as root, and tags, requests and
 * probes are reliability hygiene rather than security boundaries.
 */
export const DEFAULT_POLICY_SEVERITIES: Readonly<PolicySeverities> = Object.freeze({
  // A mutable tag makes the same GitOps commit deploy different code over time.
  imageTag: 'error',
  resources: 'warning',
  privileged: 'error',
  runAsRoot: 'warning',
  hostPath: 'warning',
  probes: 'warning',
});
