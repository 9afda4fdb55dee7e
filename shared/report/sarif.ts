import { describeObject } from '../manifests/model';
import type { MergedFinding } from './merge-findings';

/** SARIF 2.1.0, for code-scanning viewers (the SARIF SAST Scans Tab extension, GitHub Advanced Security for Azure DevOps). */
export function sarifReport(findings: MergedFinding[], toolVersion: string): string {
  const rules = [...new Set(findings.map((f) => f.rule))].sort();
  const results = findings.map((f) => ({
    ruleId: f.rule,
    ruleIndex: rules.indexOf(f.rule),
    level: f.severity,
    message: { text: f.object ? `${describeObject(f.object)}: ${f.message}` : f.message },
    ...(f.file
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file, uriBaseId: 'SRCROOT' },
                ...(f.line ? { region: { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}) } } : {}),
              },
            },
          ],
        }
      : {}),
    ...(f.environments.length > 0 ? { properties: { environments: f.environments } } : {}),
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'GitOps Flow', informationUri: 'https://marketplace.visualstudio.com/', version: toolVersion, rules: rules.map((id) => ({ id })) },
        },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
