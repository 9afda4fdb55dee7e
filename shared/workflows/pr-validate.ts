import * as fs from 'node:fs';
import * as path from 'node:path';
import * as agent from '../agent/agent';
import { junitReport } from '../report/junit';
import { markdownSummary } from '../report/markdown-summary';
import { countBySeverity, mergeFindings, messageWithEnvironments } from '../report/merge-findings';
import { sarifReport } from '../report/sarif';
import { InputError } from '../util/errors';
import { readRenderAndValidateInputs } from './pr-validate-inputs';
import { renderAndValidate } from './render-and-validate';

const FAIL_ON = ['error', 'warning'] as const;
const RESULT_FORMATS = ['none', 'junit', 'sarif'] as const;

/** GitOpsPrValidate@1: render every environment, validate, lint Dockerfiles, report, pass or fail the gate. */
export async function prValidate(version: string): Promise<void> {
  const repoRoot = agent.sourcesDirectory();
  const options = readRenderAndValidateInputs(repoRoot);
  const failOn = agent.choiceInput('failOn', FAIL_ON, 'error');
  const resultsFormat = agent.choiceInput('testResultsFormat', RESULT_FORMATS, 'junit');
  const resultsFile = resultsFormat === 'none' ? '' : path.resolve(repoRoot, agent.input('testResultsFile') || path.join(agent.tempDirectory(), `gitops-validation.${resultsFormat === 'sarif' ? 'sarif' : 'xml'}`));
  if (resultsFile && fs.existsSync(resultsFile) && fs.statSync(resultsFile).isDirectory()) throw new InputError('testResultsFile', `"${resultsFile}" is a folder`);

  const workDir = fs.mkdtempSync(path.join(agent.tempDirectory(), 'gitops-validate-'));
  let report;
  try {
    report = await renderAndValidate({ ...options, tools: agent.toolRunner(), workDir, onProgress: agent.progress });
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const environments = options.environments;
  const findings = mergeFindings(report);
  for (const env of report.environments) {
    const counts = countBySeverity(env.findings);
    agent.info(`${env.environment}: ${env.objects} object(s) rendered (${env.renderer ?? 'not rendered'}), ${counts.errors} error(s), ${counts.warnings} warning(s)`);
  }
  for (const d of report.dockerfiles) {
    const counts = countBySeverity(d.findings);
    agent.info(`${d.file}: ${counts.errors} error(s), ${counts.warnings} warning(s)`);
  }
  for (const f of findings) agent.logFinding({ ...f, message: messageWithEnvironments(f, environments) });

  const { errors, warnings } = countBySeverity(findings);
  const objects = report.environments.reduce((n, e) => n + e.objects, 0);
  agent.uploadSummary('GitOps validation', markdownSummary(report, findings, 'GitOps validation'), 'gitops-validation-summary.md');
  if (resultsFile) {
    fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
    fs.writeFileSync(resultsFile, resultsFormat === 'sarif' ? sarifReport(findings, version) : junitReport(report));
    agent.info(`Test results written to ${resultsFile}`);
  }
  agent.setOutput('errorCount', String(errors));
  agent.setOutput('warningCount', String(warnings));
  agent.setOutput('objectCount', String(objects));
  agent.setOutput('testResultsFile', resultsFile);

  const summary = `${environments.length} environment(s), ${objects} object(s), ${report.dockerfiles.length} Dockerfile(s): ${errors} error(s), ${warnings} warning(s)`;
  if (errors > 0 || (failOn === 'warning' && warnings > 0)) agent.fail(`Validation failed: ${summary}`);
  else if (warnings > 0) agent.succeedWithIssues(`Validation passed with warnings: ${summary}`);
  else agent.succeed(`Validation passed: ${summary}`);
}
