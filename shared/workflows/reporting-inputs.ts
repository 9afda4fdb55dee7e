import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { choiceInput, tempDirectory } from '../agent/inputs';
import { InputError } from '../util/errors';

/** The reporting inputs of GitOpsPrValidate and GitOpsCiPublish (pr-validate-report.ts reports with them). */
const FAIL_ON = ['error', 'warning'] as const;
const RESULT_FORMATS = ['none', 'junit', 'sarif'] as const;

export interface ReportingOptions {
  failOn: (typeof FAIL_ON)[number];
  resultsFormat: (typeof RESULT_FORMATS)[number];
  /** Absolute path of the results file, empty for none. */
  resultsFile: string;
}

/** Reads failOn, testResultsFormat and testResultsFile (checked before anything is rendered). */
export function readReportingInputs(agent: Agent, repoRoot: string): ReportingOptions {
  const failOn = choiceInput(agent, 'failOn', FAIL_ON, 'error');
  const resultsFormat = choiceInput(agent, 'testResultsFormat', RESULT_FORMATS, 'junit');
  const resultsFile =
    resultsFormat === 'none'
      ? ''
      : path.resolve(
          repoRoot,
          agent.input('testResultsFile') || path.join(tempDirectory(agent), `gitops-validation.${resultsFormat === 'sarif' ? 'sarif' : 'xml'}`),
        );
  if (resultsFile && fs.existsSync(resultsFile) && fs.statSync(resultsFile).isDirectory())
    throw new InputError('testResultsFile', `"${resultsFile}" is a folder`);
  return { failOn, resultsFormat, resultsFile };
}
