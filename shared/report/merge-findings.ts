import type { Finding } from '../manifests/finding';
import type { ValidationReport } from './validation-report';

/** A finding and every environment it appeared in. */
export interface MergedFinding extends Finding {
  environments: string[];
}

/**
 * The same template problem renders into every environment; the pull request should see it once,
 * with the environments it affects, not three identical annotations.
 */
export function mergeFindings(report: ValidationReport): MergedFinding[] {
  const merged = new Map<string, MergedFinding>();
  const add = (finding: Finding, environment: string | undefined) => {
    const key = [finding.rule, finding.severity, finding.file ?? '', finding.line ?? '', finding.column ?? '', finding.message].join('\u0000');
    const existing = merged.get(key);
    if (existing) {
      if (environment && !existing.environments.includes(environment)) existing.environments.push(environment);
      // Overlays usually put the same object in another namespace per environment: keep what they share.
      if (existing.object && finding.object && existing.object.namespace !== finding.object.namespace)
        existing.object = { ...existing.object, namespace: undefined };
    } else {
      merged.set(key, { ...finding, environments: environment ? [environment] : [] });
    }
  };
  for (const env of report.environments) for (const f of env.findings) add(f, env.environment);
  for (const d of report.dockerfiles) for (const f of d.findings) add(f, undefined);
  return [...merged.values()];
}

/** The message as logged: which environments it concerns, unless it concerns all of them or none. */
export function messageWithEnvironments(finding: MergedFinding, allEnvironments: string[]): string {
  if (finding.environments.length === 0 || finding.environments.length === allEnvironments.length) return finding.message;
  return `${finding.message} (${finding.environments.join(', ')})`;
}

export function countBySeverity(findings: Finding[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}
