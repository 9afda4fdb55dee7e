import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { tempDirectory } from '../agent/inputs';
import { collectRenderedFiles, previewPullRequest, RenderedFiles } from './pr-preview';
import { PrValidateInputs, readPrValidateInputs } from './pr-validate-inputs';
import { reportValidation } from './pr-validate-report';
import { renderAndValidate } from './render-and-validate';
import { provideRenderTools } from './render-tools';

/**
 * GitOpsPrValidate@1: render every environment, validate, lint Dockerfiles, report, pass or fail the
 * gate. The task's entry reads the inputs first (readPrValidateInputs) and passes them in.
 */
export async function prValidate(agent: Agent, version: string, inputs: PrValidateInputs = readPrValidateInputs(agent)): Promise<void> {
  const { repoRoot, options, reporting, preview } = inputs;
  const rendered: RenderedFiles = new Map();

  const tools = agent.toolRunner();
  await provideRenderTools(agent, { repoRoot, templates: options.templates, renderer: options.renderer, environments: options.environments }, tools);
  const workDir = fs.mkdtempSync(path.join(tempDirectory(agent), 'gitops-validate-'));
  let report;
  try {
    report = await renderAndValidate({
      ...options,
      tools,
      workDir,
      onProgress: (percent, operation) => agent.progress(percent, operation),
      ...(preview ? { onRendered: collectRenderedFiles(rendered, preview) } : {}),
    });
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  // The preview never decides the result: it only shows what the change would do.
  const previewed = preview ? await previewPullRequest(agent, preview, options.environments, rendered, report) : undefined;
  const outcome = reportValidation(agent, report, options.environments, reporting, version, {
    title: 'GitOps validation',
    fileName: 'gitops-validation-summary.md',
    ...(previewed ? { extraMarkdown: `\n${previewed.summary}` } : {}),
  });
  if (outcome.failed) agent.setResult('Failed', `Validation failed: ${outcome.summary}`);
  else if (outcome.warnings > 0) agent.setResult('SucceededWithIssues', `Validation passed with warnings: ${outcome.summary}`);
  else agent.setResult('Succeeded', `Validation passed: ${outcome.summary}`);
}
