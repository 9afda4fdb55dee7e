/** Reporting helpers over an Agent: findings as issues, the task's end. */
import { InputError } from '../util/errors';
import type { Agent } from './agent';

/** The part of a validation finding an issue shows (structural: shared/agent depends on no finding module). */
export interface FindingLike {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** A finding as an issue on the build, with file and line so it shows on the pull request; its message masked (it may quote a secret's value). */
export function logFinding(agent: Agent, finding: FindingLike): void {
  agent.issue({
    type: finding.severity,
    message: agent.mask(`[${finding.rule}] ${finding.message}`),
    file: finding.file,
    line: finding.line,
    column: finding.column,
    code: finding.rule,
  });
}

/** Runs a task body: input errors and unexpected failures end the task as Failed with a clear message. */
export async function runTask(agent: Agent, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof InputError) && err instanceof Error && err.stack) agent.debug(err.stack);
    agent.setResult('Failed', message);
  }
}
