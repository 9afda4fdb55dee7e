import * as fs from 'node:fs';
import * as path from 'node:path';
import * as agent from '../agent/agent';
import { readRenderAndValidateInputs } from './pr-validate-inputs';
import { readReportingInputs, reportValidation } from './pr-validate-report';
import { renderAndValidate } from './render-and-validate';

/** GitOpsPrValidate@1: render every environment, validate, lint Dockerfiles, report, pass or fail the gate. */
export async function prValidate(version: string): Promise<void> {
  const repoRoot = agent.sourcesDirectory();
  const options = readRenderAndValidateInputs(repoRoot);
  const reporting = readReportingInputs(repoRoot);

  const workDir = fs.mkdtempSync(path.join(agent.tempDirectory(), 'gitops-validate-'));
  let report;
  try {
    report = await renderAndValidate({ ...options, tools: agent.toolRunner(), workDir, onProgress: agent.progress });
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const outcome = reportValidation(report, options.environments, reporting, version, { title: 'GitOps validation', fileName: 'gitops-validation-summary.md' });
  if (outcome.failed) agent.fail(`Validation failed: ${outcome.summary}`);
  else if (outcome.warnings > 0) agent.succeedWithIssues(`Validation passed with warnings: ${outcome.summary}`);
  else agent.succeed(`Validation passed: ${outcome.summary}`);
}
