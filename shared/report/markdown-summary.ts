import { describeObject } from '../manifests/model';
import type { ValidationReport } from './validation-report';
import { countBySeverity, MergedFinding, messageWithEnvironments } from './merge-findings';

const MAX_LISTED = 200;

/** The build summary tab: one row per environment, one per Dockerfile, then the findings. */
export function markdownSummary(report: ValidationReport, findings: MergedFinding[], title: string): string {
  const lines: string[] = [`### ${title}`, ''];
  const environments = report.environments.map((e) => e.environment);
  lines.push('| Environment | Renderer | Objects rendered | Errors | Warnings |', '|---|---|---:|---:|---:|');
  for (const env of report.environments) {
    const { errors, warnings } = countBySeverity(env.findings);
    lines.push(`| ${cell(env.environment)} | ${env.renderer ?? 'not rendered'} | ${env.objects} | ${errors} | ${warnings} |`);
  }
  if (report.dockerfiles.length > 0) {
    lines.push('', '| Dockerfile | Errors | Warnings |', '|---|---:|---:|');
    for (const d of report.dockerfiles) {
      const { errors, warnings } = countBySeverity(d.findings);
      lines.push(`| ${cell(d.file)} | ${errors} | ${warnings} |`);
    }
  }
  if (findings.length === 0) {
    lines.push('', 'No findings.');
    return lines.join('\n') + '\n';
  }
  const sorted = [...findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  lines.push('', '| | Rule | Where | Object | Finding |', '|---|---|---|---|---|');
  for (const f of sorted.slice(0, MAX_LISTED)) {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '';
    lines.push(
      `| ${f.severity === 'error' ? '❌' : '⚠️'} | ${cell(f.rule)} | ${cell(where)} | ${f.object ? cell(describeObject(f.object)) : ''} | ${cell(messageWithEnvironments(f, environments))} |`,
    );
  }
  if (sorted.length > MAX_LISTED)
    lines.push('', `…and ${sorted.length - MAX_LISTED} more; every finding is in the build's issues and in the test results file.`);
  return lines.join('\n') + '\n';
}

/** Text from repositories inside a table cell: no pipes, no newlines, no HTML. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}
