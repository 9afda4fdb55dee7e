/**
 * The syntax and semantic layer: the diagnostics of dockerfile-utils `validate()`, each mapped to a
 * stable rule id `dockerfile/<code-name>` (e.g. `dockerfile/unknown-instruction`), severity kept as
 * the library reports it (its optional checks are switched on as warnings).
 */
import type { Instruction } from 'dockerfile-ast';
import { validate, ValidationCode, ValidationSeverity } from 'dockerfile-utils';
import type { ValidatorSettings } from 'dockerfile-utils';
import type { RawFinding } from './raw-finding';
import { errorText } from './safe';

/** Stable names for the dockerfile-utils validation codes (rule id `dockerfile/<name>`). */
const VALIDATION_CODE_NAMES: Readonly<Record<number, string>> = {
  [ValidationCode.CASING_INSTRUCTION]: 'instruction-casing',
  [ValidationCode.CASING_DIRECTIVE]: 'directive-casing',
  [ValidationCode.ARGUMENT_MISSING]: 'argument-missing',
  [ValidationCode.ARGUMENT_EXTRA]: 'argument-extra',
  [ValidationCode.ARGUMENT_REQUIRES_ONE]: 'argument-requires-one',
  [ValidationCode.ARGUMENT_REQUIRES_AT_LEAST_ONE]: 'argument-requires-at-least-one',
  [ValidationCode.ARGUMENT_REQUIRES_TWO]: 'argument-requires-two',
  [ValidationCode.ARGUMENT_REQUIRES_AT_LEAST_TWO]: 'argument-requires-at-least-two',
  [ValidationCode.ARGUMENT_REQUIRES_ONE_OR_THREE]: 'argument-requires-one-or-three',
  [ValidationCode.ARGUMENT_UNNECESSARY]: 'argument-unnecessary',
  [ValidationCode.DUPLICATE_BUILD_STAGE_NAME]: 'duplicate-build-stage-name',
  [ValidationCode.EMPTY_CONTINUATION_LINE]: 'empty-continuation-line',
  [ValidationCode.INVALID_BUILD_STAGE_NAME]: 'invalid-build-stage-name',
  [ValidationCode.FLAG_AT_LEAST_ONE]: 'flag-at-least-one',
  [ValidationCode.FLAG_DUPLICATE]: 'flag-duplicate',
  [ValidationCode.FLAG_INVALID_DURATION]: 'flag-invalid-duration',
  [ValidationCode.FLAG_LESS_THAN_1MS]: 'flag-less-than-1ms',
  [ValidationCode.FLAG_MISSING_DURATION]: 'flag-missing-duration',
  [ValidationCode.FLAG_MISSING_VALUE]: 'flag-missing-value',
  [ValidationCode.FLAG_UNKNOWN_UNIT]: 'flag-unknown-unit',
  [ValidationCode.NO_SOURCE_IMAGE]: 'no-source-image',
  [ValidationCode.INVALID_ESCAPE_DIRECTIVE]: 'invalid-escape-directive',
  [ValidationCode.INVALID_AS]: 'invalid-as',
  [ValidationCode.INVALID_DESTINATION]: 'invalid-destination',
  [ValidationCode.INVALID_PORT]: 'invalid-port',
  [ValidationCode.INVALID_PROTO]: 'invalid-proto',
  [ValidationCode.INVALID_REFERENCE_FORMAT]: 'invalid-reference-format',
  [ValidationCode.INVALID_SIGNAL]: 'invalid-signal',
  [ValidationCode.INVALID_SYNTAX]: 'invalid-syntax',
  [ValidationCode.ONBUILD_CHAINING_DISALLOWED]: 'onbuild-chaining-disallowed',
  [ValidationCode.ONBUILD_TRIGGER_DISALLOWED]: 'onbuild-trigger-disallowed',
  [ValidationCode.SHELL_JSON_FORM]: 'shell-json-form',
  [ValidationCode.SHELL_REQUIRES_ONE]: 'shell-requires-one',
  [ValidationCode.SYNTAX_MISSING_EQUALS]: 'syntax-missing-equals',
  [ValidationCode.SYNTAX_MISSING_NAMES]: 'syntax-missing-names',
  [ValidationCode.SYNTAX_MISSING_SINGLE_QUOTE]: 'syntax-missing-single-quote',
  [ValidationCode.SYNTAX_MISSING_DOUBLE_QUOTE]: 'syntax-missing-double-quote',
  [ValidationCode.MULTIPLE_INSTRUCTIONS]: 'multiple-instructions',
  [ValidationCode.UNKNOWN_INSTRUCTION]: 'unknown-instruction',
  [ValidationCode.UNKNOWN_ADD_FLAG]: 'unknown-add-flag',
  [ValidationCode.UNKNOWN_COPY_FLAG]: 'unknown-copy-flag',
  [ValidationCode.UNKNOWN_FROM_FLAG]: 'unknown-from-flag',
  [ValidationCode.UNKNOWN_HEALTHCHECK_FLAG]: 'unknown-healthcheck-flag',
  [ValidationCode.UNKNOWN_TYPE]: 'unknown-type',
  [ValidationCode.UNSUPPORTED_MODIFIER]: 'unsupported-modifier',
  [ValidationCode.DEPRECATED_MAINTAINER]: 'deprecated-maintainer',
  [ValidationCode.HEALTHCHECK_CMD_ARGUMENT_MISSING]: 'healthcheck-cmd-argument-missing',
  [ValidationCode.FLAG_INVALID_FROM_VALUE]: 'flag-invalid-from-value',
  [ValidationCode.FLAG_EXPECTED_BOOLEAN_VALUE]: 'flag-expected-boolean-value',
  [ValidationCode.JSON_IN_SINGLE_QUOTES]: 'json-in-single-quotes',
  [ValidationCode.WORKDIR_IS_NOT_ABSOLUTE]: 'workdir-is-not-absolute',
  [ValidationCode.BASE_NAME_EMPTY]: 'base-name-empty',
  [ValidationCode.DUPLICATED_ESCAPE_DIRECTIVE]: 'duplicated-escape-directive',
};

/**
 * All optional dockerfile-utils checks on, as warnings. (Passing a settings object replaces the library's
 * defaults wholesale: a key left out means "ignore", so every key is set.)
 */
const VALIDATOR_SETTINGS: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.WARNING,
  directiveCasing: ValidationSeverity.WARNING,
  emptyContinuationLine: ValidationSeverity.WARNING,
  instructionCasing: ValidationSeverity.WARNING,
  instructionCmdMultiple: ValidationSeverity.WARNING,
  instructionEntrypointMultiple: ValidationSeverity.WARNING,
  instructionHealthcheckMultiple: ValidationSeverity.WARNING,
  instructionJSONInSingleQuotes: ValidationSeverity.WARNING,
  instructionWorkdirRelative: ValidationSeverity.WARNING,
};

/** LSP DiagnosticSeverity.Error */
const LSP_ERROR = 1;

/** The dockerfile-utils diagnostics as findings, each owned by the instruction it lies in. */
export function validatorFindings(text: string, lines: string[], instructions: Instruction[]): RawFinding[] {
  const raw: RawFinding[] = [];
  for (const d of runValidator(text, lines, raw)) {
    const code = typeof d.code === 'number' ? d.code : Number(d.code);
    const name = VALIDATION_CODE_NAMES[code] ?? `code-${String(d.code)}`;
    const line = d.range.start.line;
    raw.push({
      rule: `dockerfile/${name}`,
      severity: d.severity === LSP_ERROR ? 'error' : 'warning',
      message: typeof d.message === 'string' ? d.message : d.message.value,
      line,
      column: d.range.start.character,
      owner: instructions.find((i) => i.getRange().start.line <= line && line <= i.getRange().end.line)?.getRange().start.line,
    });
  }
  return raw;
}

type Diagnostic = ReturnType<typeof validate>[number];

/**
 * dockerfile-utils 0.16.3 overflows the stack (endless recursion in dockerfile-ast's resolveVariable) on
 * an indented instruction with a variable before the first FROM when the file does not start with it,
 * e.g. "\n LABEL x=$Y". Retry without the indentation (same lines, columns shifted back afterwards);
 * if that fails too, report that the file could not be validated. Internal failures are warnings: they
 * are the linter's problem, not the user's.
 */
function runValidator(text: string, lines: string[], raw: RawFinding[]): Diagnostic[] {
  try {
    return validate(text, VALIDATOR_SETTINGS);
  } catch (first) {
    try {
      const indent = lines.map((l) => /^[ \t]*/.exec(l)![0].length);
      const diagnostics = validate(lines.map((l) => l.replace(/^[ \t]+/, '')).join('\n'), VALIDATOR_SETTINGS);
      for (const d of diagnostics) {
        const shift = indent[d.range.start.line] ?? 0;
        d.range = { start: { line: d.range.start.line, character: d.range.start.character + shift }, end: d.range.end };
      }
      return diagnostics;
    } catch {
      raw.push({
        rule: 'dockerfile/validator-failed',
        severity: 'warning',
        line: 0,
        column: 0,
        message: `dockerfile-utils could not validate the file (${errorText(first)}); only the best-practice rules ran.`,
      });
      return [];
    }
  }
}
