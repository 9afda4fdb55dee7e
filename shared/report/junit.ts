import { describeObject, ObjectRef } from '../manifests/model';
import type { Finding } from '../manifests/finding';
import type { ValidationReport } from './validation-report';

/**
 * JUnit XML for PublishTestResults@2: one suite per environment with one test per rendered object
 * (failed when it has errors; warnings go to its output), one test per finding that concerns no
 * object (syntax, rendering), and one suite for the Dockerfiles.
 */
export function junitReport(report: ValidationReport): string {
  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  const suite = (name: string, cases: TestCase[]) => {
    const failures = cases.filter((c) => c.errors.length > 0).length;
    totalTests += cases.length;
    totalFailures += failures;
    suites.push(
      `  <testsuite name="${attr(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">\n` +
        cases.map((c) => testCase(c)).join('') +
        '  </testsuite>\n',
    );
  };
  for (const env of report.environments) {
    const byObject = new Map<string, TestCase>();
    const cases: TestCase[] = [];
    for (const ref of env.objectRefs) {
      const key = objectKey(ref);
      if (byObject.has(key)) continue;
      const c: TestCase = { classname: `gitops.${env.environment}`, name: `${ref.apiVersion} ${describeObject(ref)}`, errors: [], warnings: [] };
      byObject.set(key, c);
      cases.push(c);
    }
    for (const f of env.findings) {
      let c = f.object ? byObject.get(objectKey(f.object)) : undefined;
      if (!c) {
        c = { classname: `gitops.${env.environment}`, name: `${f.rule} ${f.file ?? ''}${f.line ? `:${f.line}` : ''}`.trim(), errors: [], warnings: [] };
        cases.push(c);
      }
      (f.severity === 'error' ? c.errors : c.warnings).push(f);
    }
    if (cases.length === 0) cases.push({ classname: `gitops.${env.environment}`, name: 'render', errors: [], warnings: [] });
    suite(`GitOps validation: ${env.environment}`, cases);
  }
  if (report.dockerfiles.length > 0) {
    suite(
      'Dockerfile lint',
      report.dockerfiles.map((d) => ({
        classname: 'gitops.dockerfile',
        name: d.file,
        errors: d.findings.filter((f) => f.severity === 'error'),
        warnings: d.findings.filter((f) => f.severity === 'warning'),
      })),
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="GitOps Flow" tests="${totalTests}" failures="${totalFailures}">\n${suites.join('')}</testsuites>\n`;
}

interface TestCase {
  classname: string;
  name: string;
  errors: Finding[];
  warnings: Finding[];
}

function testCase(c: TestCase): string {
  let body = '';
  if (c.errors.length > 0) {
    body += `      <failure message="${attr(c.errors[0].message)}" type="${attr(c.errors[0].rule)}">${text(c.errors.map(line).join('\n'))}</failure>\n`;
  }
  if (c.warnings.length > 0) body += `      <system-out>${text(c.warnings.map(line).join('\n'))}</system-out>\n`;
  return `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}"${body ? `>\n${body}    </testcase>\n` : ' />\n'}`;
}

function line(f: Finding): string {
  return `${f.severity} [${f.rule}] ${f.file ?? ''}${f.line ? `:${f.line}` : ''} ${f.message}`;
}

function objectKey(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

// XML 1.0 forbids most control characters even escaped; repository text may contain them. Kept: tab,
// newline, carriage return and U+0020..U+FFFD (surrogate pairs included); dropped: the rest.
const INVALID_XML = /[^\t\n\r\u0020-\uFFFD]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
