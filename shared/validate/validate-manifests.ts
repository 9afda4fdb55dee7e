import type { ManifestObject } from '../manifests/model';
import { checkApiRules } from './api-rules/registry';
import { checkApiVersions } from './deprecated-apis';
import { checkDuplicates } from './duplicates';
import { checkImageReferences } from './image-reference';
import type { Finding } from '../manifests/finding';
import { checkPolicy, PolicySeverities } from './policy';
import { validateSchemas } from './schema';
import { checkSecrets } from './secrets';

export interface ManifestChecks {
  kubernetesVersion: string;
  policy: PolicySeverities;
  /** The environment's variables, for messages that name the variable a value came from. */
  variables?: ReadonlyMap<string, string>;
}

export interface ManifestValidation {
  findings: Finding[];
  /** Milliseconds spent per check, for the benchmark and the debug log. */
  timings: Record<string, number>;
}

/** Every check on one environment's rendered objects. */
export function validateManifests(objects: ManifestObject[], checks: ManifestChecks): ManifestValidation {
  const timings: Record<string, number> = {};
  const findings: Finding[] = [];
  const timed = (name: string, run: () => Finding[]) => {
    const start = performance.now();
    findings.push(...run());
    timings[name] = performance.now() - start;
  };
  timed('duplicates', () => checkDuplicates(objects));
  timed('apiVersions', () => checkApiVersions(objects, checks.kubernetesVersion));
  timed('schema', () => validateSchemas(objects, { kubernetesVersion: checks.kubernetesVersion }));
  timed('apiRules', () => checkApiRules(objects, { kubernetesVersion: checks.kubernetesVersion }));
  timed('secrets', () => checkSecrets(objects));
  timed('imageReferences', () => checkImageReferences(objects));
  timed('policy', () => checkPolicy(objects, checks.policy, { variables: checks.variables }));
  return { findings, timings };
}
