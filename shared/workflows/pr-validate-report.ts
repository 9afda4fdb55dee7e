import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { logFinding } from '../agent/report';
import { junitReport } from '../report/junit';
import { markdownSummary } from '../report/markdown-summary';
import { countBySeverity, MergedFinding, mergeFindings, messageWithEnvironments } from '../report/merge-findings';
import { sarifReport } from '../report/sarif';
import type { ValidationReport } from './render-and-validate';
import type { ReportingOptions } from './reporting-inputs';

// The reporting inputs are read apart (reporting-inputs.ts): the tasks read them before they load this module.
export { readReportingInputs } from './reporting-inputs';
export type { ReportingOptions } from './reporting-inputs';

/**
 * Reporting of a validation report, shared by GitOpsPrValidate and GitOpsCiPublish: the same
 * log lines, issues, summary tab, JUnit/SARIF file and output variables.
 */

export interface ValidationOutcome {
  findings: MergedFinding[];
  errors: number;
  warnings: number;
  objects: number;
  /** True when the findings fail the task (errors, or warnings with failOn: warning). */
  failed: boolean;
  /** `3 environment(s), 24 object(s), 1 Dockerfile(s): 0 error(s), 0 warning(s)` */
  summary: string;
}

export interface SummaryTab {
  title: string;
  fileName: string;
  /** Markdown added after the validation summary. */
  extraMarkdown?: string;
}

/** Logs the report (per environment, per Dockerfile, one issue per merged finding), writes the summary tab and the results file, sets the count outputs. */
export function reportValidation(
  agent: Agent,
  validation: ValidationReport,
  environments: string[],
  reporting: ReportingOptions,
  version: string,
  tab: SummaryTab,
): ValidationOutcome {
  // Findings quote repository text, which may hold a secret's value (or its start, cut short): masked before anything is written.
  const report = maskReport(validation, (text) => agent.mask(text));
  const findings = mergeFindings(report);
  for (const env of report.environments) {
    const counts = countBySeverity(env.findings);
    agent.info(
      `${env.environment}: ${env.objects} object(s) rendered (${env.renderer ?? 'not rendered'}), ${counts.errors} error(s), ${counts.warnings} warning(s)`,
    );
  }
  for (const d of report.dockerfiles) {
    const counts = countBySeverity(d.findings);
    agent.info(`${d.file}: ${counts.errors} error(s), ${counts.warnings} warning(s)`);
  }
  for (const f of findings) logFinding(agent, { ...f, message: messageWithEnvironments(f, environments) });

  const { errors, warnings } = countBySeverity(findings);
  const objects = report.environments.reduce((n, e) => n + e.objects, 0);
  agent.uploadSummary(tab.title, markdownSummary(report, findings, tab.title) + (tab.extraMarkdown ?? ''), tab.fileName);
  const { resultsFile, resultsFormat } = reporting;
  if (resultsFile) {
    fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
    fs.writeFileSync(resultsFile, agent.mask(resultsFormat === 'sarif' ? sarifReport(findings, version) : junitReport(report)));
    agent.info(`Test results written to ${resultsFile}`);
  }
  agent.setOutput('errorCount', String(errors));
  agent.setOutput('warningCount', String(warnings));
  agent.setOutput('objectCount', String(objects));
  agent.setOutput('testResultsFile', resultsFile);

  const summary = `${environments.length} environment(s), ${objects} object(s), ${report.dockerfiles.length} Dockerfile(s): ${errors} error(s), ${warnings} warning(s)`;
  return { findings, errors, warnings, objects, failed: errors > 0 || (reporting.failOn === 'warning' && warnings > 0), summary };
}

/** The report with every finding's message masked. */
export function maskReport(report: ValidationReport, mask: (text: string) => string): ValidationReport {
  const maskAll = <T extends { message: string }>(findings: T[]): T[] => findings.map((f) => ({ ...f, message: mask(f.message) }));
  return {
    environments: report.environments.map((e) => ({ ...e, findings: maskAll(e.findings) })),
    dockerfiles: report.dockerfiles.map((d) => ({ ...d, findings: maskAll(d.findings) })),
  };
}
