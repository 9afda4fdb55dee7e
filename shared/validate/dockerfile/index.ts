/**
 * Dockerfile lint for the PR-validation task, in two layers:
 *  - syntax / semantics: the diagnostics of dockerfile-utils (validator.ts);
 *  - best practice: the rules of rules.ts (DOCKERFILE_RULES), each with its id, default severity,
 *    description and check.
 * Findings can be suppressed with hadolint's comments (suppression.ts).
 *
 * Pure and synchronous: no I/O, never throws.
 */
import { DockerfileParser } from 'dockerfile-ast';
import type { Dockerfile } from 'dockerfile-ast';
import type { Finding } from '../../manifests/finding';
import { lintContext, LintContext } from './context';
import type { RawFinding } from './raw-finding';
import { DOCKERFILE_RULES } from './rules';
import { errorText, safe } from './safe';
import { DockerfileRuleSeverity, finalFindings } from './suppression';
import { validatorFindings } from './validator';

export { DOCKERFILE_RULES } from './rules';
export type { DockerfileRule } from './rules';
export type { DockerfileRuleSeverity } from './suppression';

export interface DockerfileLintOptions {
  /** Per-rule severity override, e.g. `{ DL3007: 'error', DL3003: 'off', 'dockerfile/deprecated-maintainer': 'off' }`. */
  severities?: Readonly<Record<string, DockerfileRuleSeverity>>;
  /**
   * Registries base images may come from (DL3026), e.g. `['myacr.azurecr.io', 'mcr.microsoft.com', 'docker.io']`.
   * Docker Hub images without a registry count as `docker.io`; `*.example.com` matches sub-domains.
   * The check runs only when a non-empty list is given.
   */
  trustedRegistries?: readonly string[];
}

export function lintDockerfile(file: string, content: string, options: DockerfileLintOptions = {}): Finding[] {
  const text = typeof content === 'string' ? content : '';
  const lines = text.split(/\r\n|\r|\n/);
  const raw: RawFinding[] = [];

  let dockerfile: Dockerfile | undefined;
  try {
    dockerfile = DockerfileParser.parse(text);
  } catch (e) {
    raw.push({ rule: 'dockerfile/parse-failed', severity: 'warning', line: 0, column: 0, message: `The Dockerfile could not be parsed: ${errorText(e)}` });
  }
  const instructions = dockerfile ? safe(() => dockerfile.getInstructions(), []) : [];
  raw.push(...validatorFindings(text, lines, instructions));

  if (dockerfile) {
    let context: LintContext | undefined;
    try {
      context = lintContext(dockerfile, instructions, lines, options.trustedRegistries ?? []);
    } catch (e) {
      raw.push(lintFailure(`Best-practice checks failed on this file: ${errorText(e)}`));
    }
    if (context) for (const id of Object.keys(DOCKERFILE_RULES)) runRule(id, context, raw);
  }

  return finalFindings(file, raw, lines, instructions, options.severities);
}

/** One rule's findings, each owned by its instruction (for `# hadolint ignore=` above it). A rule that throws is reported, not fatal. */
function runRule(id: string, context: LintContext, out: RawFinding[]): void {
  const rule = DOCKERFILE_RULES[id];
  const severity = rule.severity;
  try {
    rule.check(context, (inst, message, at) => {
      const start = inst.getRange().start;
      out.push({ rule: id, severity, message, line: at?.line ?? start.line, column: at?.column ?? start.character, owner: start.line });
    });
  } catch (e) {
    out.push(lintFailure(`Best-practice rule ${id} failed on this file: ${errorText(e)}`));
  }
}

/** Internal failures are warnings: they are the linter's problem, not the user's. */
function lintFailure(message: string): RawFinding {
  return { rule: 'dockerfile/lint-failed', severity: 'warning', line: 0, column: 0, message };
}
