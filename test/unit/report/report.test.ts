import * as assert from 'node:assert/strict';
import { junitReport } from '../../../shared/report/junit';
import { markdownSummary } from '../../../shared/report/markdown-summary';
import { countBySeverity, mergeFindings, messageWithEnvironments } from '../../../shared/report/merge-findings';
import { sarifReport } from '../../../shared/report/sarif';
import type { Finding } from '../../../shared/manifests/finding';
import type { ValidationReport } from '../../../shared/report/validation-report';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'prod', name: 'web' };
const unknownField: Finding = {
  rule: 'schema/unknown-field',
  severity: 'error',
  message: 'unknown field spec.replica',
  file: 'deploy/web.yaml',
  line: 7,
  column: 3,
  object: web,
};
const probes: Finding = {
  rule: 'policy/probes',
  severity: 'warning',
  message: 'container "web" has no probe <b>',
  file: 'deploy/web.yaml',
  line: 12,
  object: web,
};
const syntax: Finding = { rule: 'yaml/syntax', severity: 'error', message: 'bad | indent & "quote"', file: 'deploy/x.yaml', line: 3 };

function report(): ValidationReport {
  return {
    environments: [
      { environment: 'dev', renderer: 'plain', objects: 1, files: 2, objectRefs: [web], findings: [unknownField, probes], timings: {} },
      { environment: 'prod', renderer: 'plain', objects: 1, files: 2, objectRefs: [web], findings: [unknownField, syntax], timings: {} },
    ],
    dockerfiles: [{ file: 'Dockerfile', findings: [{ rule: 'DL3007', severity: 'warning', message: 'latest', file: 'Dockerfile', line: 1 }] }],
  };
}

describe('mergeFindings', () => {
  it('reports a finding shared by environments once, listing them', () => {
    const merged = mergeFindings(report());
    assert.deepEqual(
      merged.map((f) => [f.rule, f.environments]),
      [
        ['schema/unknown-field', ['dev', 'prod']],
        ['policy/probes', ['dev']],
        ['yaml/syntax', ['prod']],
        ['DL3007', []],
      ],
    );
    assert.equal(messageWithEnvironments(merged[0], ['dev', 'prod']), 'unknown field spec.replica');
    assert.equal(messageWithEnvironments(merged[1], ['dev', 'prod']), 'container "web" has no probe <b> (dev)');
    assert.deepEqual(countBySeverity(merged), { errors: 2, warnings: 2 });
  });
});

describe('mergeFindings across namespaces', () => {
  it('drops the namespace of a shared finding whose object lives in a namespace per environment', () => {
    const r = report();
    r.environments[1].findings = [{ ...unknownField, object: { ...web, namespace: 'stage' } }];
    const merged = mergeFindings(r);
    assert.deepEqual(merged[0].object, { ...web, namespace: undefined });
    assert.deepEqual(merged[0].environments, ['dev', 'prod']);
  });
});

describe('junitReport', () => {
  it('has one test per object per environment, failed by errors, with warnings as output, all escaped', () => {
    const xml = junitReport(report());
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="GitOps Flow" tests="4" failures="3">/);
    assert.match(xml, /<testsuite name="GitOps validation: dev" tests="1" failures="1"/);
    assert.match(xml, /<testsuite name="GitOps validation: prod" tests="2" failures="2"/);
    assert.match(
      xml,
      /<testcase classname="gitops\.dev" name="apps\/v1 Deployment prod\/web">\n {6}<failure message="unknown field spec\.replica" type="schema\/unknown-field">/,
    );
    assert.match(xml, /<system-out>warning \[policy\/probes\] deploy\/web\.yaml:12 container "web" has no probe &lt;b&gt;<\/system-out>/);
    assert.match(xml, /<failure message="bad \| indent &amp; &quot;quote&quot;" type="yaml\/syntax">/);
    assert.match(xml, /<testsuite name="Dockerfile lint" tests="1" failures="0"/);
  });

  it('drops characters XML cannot hold', () => {
    const r = report();
    r.environments[0].findings = [{ ...unknownField, message: 'nul\u0000 bell\u0007' }];
    assert.match(junitReport(r), /message="nul bell"/);
  });
});

describe('sarifReport', () => {
  it('writes SARIF 2.1.0 with rules, levels, locations and environments', () => {
    const sarif = JSON.parse(sarifReport(mergeFindings(report()), '1.0.0')) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: unknown[] }[];
    };
    assert.equal(sarif.version, '2.1.0');
    assert.deepEqual(
      sarif.runs[0].tool.driver.rules.map((r) => r.id),
      ['DL3007', 'policy/probes', 'schema/unknown-field', 'yaml/syntax'],
    );
    assert.deepEqual(sarif.runs[0].results[0], {
      ruleId: 'schema/unknown-field',
      ruleIndex: 2,
      level: 'error',
      message: { text: 'Deployment prod/web: unknown field spec.replica' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'deploy/web.yaml', uriBaseId: 'SRCROOT' }, region: { startLine: 7, startColumn: 3 } } }],
      properties: { environments: ['dev', 'prod'] },
    });
  });
});

describe('markdownSummary', () => {
  it('has a row per environment and Dockerfile, then the findings with table cells escaped', () => {
    const md = markdownSummary(report(), mergeFindings(report()), 'GitOps validation');
    const lines = md.split('\n');
    assert.equal(lines[0], '### GitOps validation');
    assert.ok(lines.includes('| dev | plain | 1 | 1 | 1 |'));
    assert.ok(lines.includes('| prod | plain | 1 | 2 | 0 |'));
    assert.ok(lines.includes('| Dockerfile | 0 | 1 |'));
    assert.ok(lines.includes('| ❌ | yaml/syntax | deploy/x.yaml:3 |  | bad \\| indent & "quote" (prod) |'), md);
    assert.ok(lines.includes('| ⚠️ | policy/probes | deploy/web.yaml:12 | Deployment prod/web | container "web" has no probe &lt;b&gt; (dev) |'), md);
  });
});
