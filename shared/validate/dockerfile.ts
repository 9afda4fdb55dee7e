/**
 * Dockerfile lint for the PR-validation task.
 *
 * Two layers:
 *  - syntax / semantics: the diagnostics of dockerfile-utils `validate()`, each mapped to a stable
 *    rule id `dockerfile/<code-name>` (e.g. `dockerfile/unknown-instruction`), severity kept as the
 *    library reports it (its optional checks are switched on as warnings);
 *  - best practice in the spirit of hadolint, on the dockerfile-ast syntax tree, using hadolint's rule
 *    ids where one exists (DL3002, DL3003, ...) and `GF1xxx` ids for our own rules (see DOCKERFILE_RULES).
 *
 * Suppression works like hadolint: `# hadolint ignore=DL3008,DL3015` in the comment lines directly above
 * an instruction suppresses those rules for that instruction; `# hadolint global ignore=DL3006` anywhere
 * suppresses them for the whole file. Rule ids in either list may also be `dockerfile/...` ids.
 *
 * Pure and synchronous: no I/O, never throws.
 */
import { DockerfileParser, ModifiableInstruction } from 'dockerfile-ast';
import type { Dockerfile, Flag, Heredoc, Instruction } from 'dockerfile-ast';
import { validate, ValidationCode, ValidationSeverity } from 'dockerfile-utils';
import type { ValidatorSettings } from 'dockerfile-utils';
import type { Finding, Severity } from '../manifests/finding';

export type DockerfileRuleSeverity = Severity | 'off';

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

export interface DockerfileRule {
  severity: Severity;
  description: string;
}

/** The best-practice rules of this module with their default severity. */
export const DOCKERFILE_RULES: Readonly<Record<string, DockerfileRule>> = {
  DL3002: { severity: 'warning', description: 'The last USER of the final stage is root.' },
  DL3003: { severity: 'warning', description: '`cd` inside RUN; use WORKDIR.' },
  DL3004: { severity: 'warning', description: '`sudo` inside RUN.' },
  DL3005: { severity: 'warning', description: '`apt-get upgrade` / `dist-upgrade` inside RUN.' },
  DL3006: { severity: 'warning', description: 'Base image without a tag.' },
  DL3007: { severity: 'warning', description: 'Base image with the `latest` tag.' },
  DL3009: { severity: 'warning', description: '`apt-get install` without deleting /var/lib/apt/lists (stages that end up in the final image).' },
  DL3014: { severity: 'warning', description: '`apt-get install` without `-y`.' },
  DL3015: { severity: 'warning', description: '`apt-get install` without `--no-install-recommends`.' },
  DL3020: { severity: 'warning', description: 'ADD of a local file or folder that is not a tar archive; use COPY.' },
  DL3022: { severity: 'error', description: '`COPY --from` names a build stage that is not defined before.' },
  DL3025: { severity: 'warning', description: 'Shell-form CMD / ENTRYPOINT; use the JSON exec form.' },
  DL3026: { severity: 'error', description: 'Base image from a registry not in trustedRegistries.' },
  GF1001: { severity: 'warning', description: 'No USER in the final stage: the container runs as the base image user, usually root.' },
  GF1002: { severity: 'error', description: 'Arguments start with `[` but are not a valid JSON array of strings, so Docker silently uses the shell form.' },
};

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

/** A finding before suppression / severity overrides; `owner` is the 0-based first line of its instruction. */
interface RawFinding {
  rule: string;
  severity: Severity;
  message: string;
  line: number; // 0-based
  column: number; // 0-based
  owner?: number;
}

interface Stage {
  index: number;
  from: Instruction;
  /** Lower-cased `AS` name. */
  name?: string;
  /** Index of the earlier stage this one builds on (`FROM build`). */
  baseStage?: number;
  /** Resolved base image reference (undefined for stage references / unresolvable). */
  image?: ImageRef;
  lastUser?: Instruction;
  runs: Instruction[];
}

interface ImageRef {
  /** The reference after ARG substitution; unresolved variables are replaced by UNKNOWN. */
  text: string;
  name: string;
  tag?: string;
  digest?: string;
  /** undefined when the registry part is unknown (variable). */
  registry?: string;
  scratch: boolean;
  fromArgDefault: boolean;
}

const UNKNOWN = '\u0000';

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

  if (dockerfile) {
    try {
      bestPractice(dockerfile, instructions, lines, options, raw);
    } catch (e) {
      raw.push({
        rule: 'dockerfile/lint-failed',
        severity: 'warning',
        line: 0,
        column: 0,
        message: `Best-practice checks failed on this file: ${errorText(e)}`,
      });
    }
  }

  return finish(file, raw, lines, instructions, options);
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

// ---------------------------------------------------------------------------------------------------
// Best-practice rules

function bestPractice(df: Dockerfile, instructions: Instruction[], lines: string[], options: DockerfileLintOptions, out: RawFinding[]): void {
  const escapeChar = safe(() => df.getEscapeCharacter(), '\\') || '\\';
  const stages: Stage[] = [];
  const trusted = (options.trustedRegistries ?? []).map((r) => r.trim().toLowerCase()).filter((r) => r.length > 0);

  const add = (rule: string, inst: Instruction, message: string, line?: number, column?: number) => {
    const start = inst.getRange().start;
    out.push({ rule, severity: DOCKERFILE_RULES[rule].severity, message, line: line ?? start.line, column: column ?? start.character, owner: start.line });
  };

  for (const inst of instructions) {
    const keyword = inst.getKeyword();
    const current = stages[stages.length - 1];
    switch (keyword) {
      case 'FROM': {
        const stage = fromStage(df, inst, stages);
        stages.push(stage);
        checkFrom(stage, trusted, add);
        break;
      }
      case 'USER':
        if (current) current.lastUser = inst;
        break;
      case 'RUN':
        if (current) current.runs.push(inst);
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const form = argumentForm(inst, lines, escapeChar);
        if (form.kind === 'shell') {
          add(
            'DL3025',
            inst,
            `${keyword} uses the shell form; write it in JSON exec form, e.g. ${keyword} ${execExample(form.text)}, so that signals reach the process.`,
          );
        }
        break;
      }
      case 'COPY':
        checkCopyFrom(inst, stages, add);
        break;
      case 'ADD':
        checkAdd(inst, lines, escapeChar, add);
        break;
    }
    if (['CMD', 'ENTRYPOINT', 'RUN', 'COPY', 'ADD', 'VOLUME'].includes(keyword)) {
      const form = argumentForm(inst, lines, escapeChar);
      if (form.kind === 'invalid-json') {
        add(
          'GF1002',
          inst,
          `${keyword} arguments start with '[' but are not a valid JSON array of strings (${form.reason}), so Docker runs them as a shell command; write e.g. ${keyword} ${JSON_EXAMPLES[keyword] ?? '["node", "server.js"]'} with commas between double-quoted strings.`,
          form.line,
          form.column,
        );
      }
    }
  }

  if (stages.length === 0) return;
  const shipped = shippedStages(stages);
  for (const stage of stages) {
    for (const run of stage.runs) checkRun(run, lines, escapeChar, shipped.has(stage.index), add);
  }
  checkFinalUser(stages, lines, escapeChar, add);
}

const JSON_EXAMPLES: Readonly<Record<string, string>> = {
  RUN: '["npm", "ci"]',
  COPY: '["package.json", "./"]',
  ADD: '["https://example.com/tool.tar.gz", "/opt/"]',
  VOLUME: '["/data"]',
};

type Add = (rule: string, inst: Instruction, message: string, line?: number, column?: number) => void;

function fromStage(df: Dockerfile, inst: Instruction, stages: Stage[]): Stage {
  const args = inst.getArguments();
  const stage: Stage = { index: stages.length, from: inst, runs: [] };
  if (args.length >= 3 && args[1].getValue().toLowerCase() === 'as') stage.name = args[2].getValue().toLowerCase();
  const imageArg = args[0]?.getValue();
  if (!imageArg) return stage;
  const resolved = substitute(imageArg, (name) => safe(() => df.resolveVariable(name, inst.getRange().start.line), undefined));
  const lower = resolved.toLowerCase();
  const base = stages.find((s) => s.name !== undefined && s.name === lower);
  if (base) {
    stage.baseStage = base.index;
    return stage;
  }
  stage.image = parseImage(resolved, resolved !== imageArg);
  return stage;
}

function checkFrom(stage: Stage, trusted: string[], add: Add): void {
  const image = stage.image;
  if (!image || image.scratch) return;
  const inst = stage.from;
  const arg = inst.getArguments()[0];
  const pos = arg.getRange().start;
  const resolvedAll = !image.text.includes(UNKNOWN);
  const shown = image.fromArgDefault && resolvedAll ? `'${arg.getValue()}' (= '${image.text}' with the ARG defaults)` : `'${arg.getValue()}'`;
  // name to suggest in messages: resolved when fully known, else as written
  const name = resolvedAll ? image.name : parseImage(arg.getValue(), false).name;
  if (!image.digest) {
    if (image.tag === undefined) {
      // a variable in the last path component may carry the tag itself (FROM ${IMAGE}); elsewhere it cannot
      if (!(image.name.split('/').pop() ?? '').includes(UNKNOWN)) {
        add(
          'DL3006',
          inst,
          `Base image ${shown} has no tag, so builds pick up whatever 'latest' is; pin a version tag (e.g. ${name}:<version>) or a digest (@sha256:...).`,
          pos.line,
          pos.character,
        );
      }
    } else if (image.tag === 'latest') {
      add(
        'DL3007',
        inst,
        `Base image ${shown} uses the 'latest' tag; pin a specific version tag (e.g. ${name}:<version>) or a digest (@sha256:...).`,
        pos.line,
        pos.character,
      );
    }
  }
  if (trusted.length > 0 && image.registry !== undefined && !trusted.some((t) => registryMatches(image.registry!, t))) {
    add(
      'DL3026',
      inst,
      `Base image ${shown} comes from registry '${image.registry}', which is not a trusted registry (${trusted.join(', ')}); use an image from a trusted registry or add the registry to the trusted list.`,
      pos.line,
      pos.character,
    );
  }
}

function registryMatches(registry: string, trusted: string): boolean {
  const r = normalizeRegistry(registry);
  const t = normalizeRegistry(trusted);
  if (t === '*') return true;
  if (t.startsWith('*.')) return r.endsWith(t.slice(1));
  return r === t;
}

function normalizeRegistry(r: string): string {
  const l = r.toLowerCase();
  return l === 'index.docker.io' || l === 'registry-1.docker.io' || l === 'registry.hub.docker.com' || l === 'hub.docker.com' ? 'docker.io' : l;
}

function checkCopyFrom(inst: Instruction, stages: Stage[], add: Add): void {
  const flag = flagsOf(inst).find((f) => f.getName().toLowerCase() === 'from');
  const value = flag?.getValue();
  if (!flag || !value || value.includes('$')) return;
  const pos = (flag.getValueRange() ?? flag.getRange()).start;
  const current = stages.length - 1;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= current) {
      add(
        'DL3022',
        inst,
        `COPY --from=${value} refers to stage #${value}, but only stages 0..${current - 1} are defined before this one; use the name of an earlier stage (FROM ... AS <name>).`,
        pos.line,
        pos.character,
      );
    }
    return;
  }
  const lower = value.toLowerCase();
  if (stages.slice(0, Math.max(current, 0)).some((s) => s.name === lower)) return;
  if (/[:/@]/.test(value)) return; // an external image such as nginx:1.27
  const names = stages.slice(0, Math.max(current, 0)).flatMap((s) => (s.name ? [s.name] : []));
  const why = stages[current]?.name === lower ? 'is the current stage' : 'is not defined before this instruction';
  add(
    'DL3022',
    inst,
    `COPY --from=${value}: build stage '${value}' ${why}${names.length ? ` (earlier stages: ${names.join(', ')})` : ''}; name an earlier stage with FROM ... AS ${value}, or give an external image with its tag.`,
    pos.line,
    pos.character,
  );
}

const ARCHIVE = /\.(tar|tgz|tbz2?|tb2|txz|tlz|tz|tzst|taz|gz|bz2|xz|lz|lzma|z|zst)$/i;

function checkAdd(inst: Instruction, lines: string[], escapeChar: string, add: Add): void {
  const form = argumentForm(inst, lines, escapeChar);
  let sources: { value: string; line: number; column: number }[];
  if (form.kind === 'exec') {
    const start = inst.getArguments()[0]?.getRange().start ?? inst.getRange().start;
    sources = form.values.slice(0, -1).map((value) => ({ value, line: start.line, column: start.character }));
  } else if (form.kind === 'shell') {
    const args = inst.getArguments();
    sources = args.slice(0, -1).map((a) => ({ value: a.getValue(), line: a.getRange().start.line, column: a.getRange().start.character }));
  } else {
    return;
  }
  const local = sources.find((s) => {
    const v = s.value.replace(/^["']|["']$/g, '');
    if (v.startsWith('<<') || v.includes('$')) return false;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^git@/.test(v)) return false;
    return !ARCHIVE.test(v);
  });
  if (local) {
    add(
      'DL3020',
      inst,
      `ADD of the local path '${local.value}'; use COPY for files and folders (ADD is only needed to fetch URLs or unpack tar archives).`,
      local.line,
      local.column,
    );
  }
}

function checkFinalUser(stages: Stage[], lines: string[], escapeChar: string, add: Add): void {
  const final = stages[stages.length - 1];
  let stage: Stage | undefined = final;
  const seen = new Set<number>();
  while (stage && !stage.lastUser && stage.baseStage !== undefined && !seen.has(stage.index)) {
    seen.add(stage.index);
    stage = stages[stage.baseStage];
  }
  const user = stage?.lastUser;
  if (user) {
    const value = joinedArguments(user, lines, escapeChar).trim();
    const name = value.split(':')[0].trim();
    if (name === 'root' || name === '0') {
      add(
        'DL3002',
        user,
        `The final image runs as '${value}'; switch to a non-root user as the last USER (e.g. USER node, or USER 10001:10001 after creating it).`,
      );
    }
    return;
  }
  // distroless / chainguard style images whose tag or name says they run as non-root
  if (stage?.image && /non-?root/i.test(`${stage.image.name}:${stage.image.tag ?? ''}`)) return;
  add(
    'GF1001',
    final.from,
    `The final stage sets no USER, so the container runs as the base image's user (usually root); add a USER instruction with a non-root user (e.g. USER node, or USER 10001:10001) after the last RUN.`,
  );
}

/** Stages whose file system ends up in the final image: the last stage and the stages it builds on. */
function shippedStages(stages: Stage[]): Set<number> {
  const shipped = new Set<number>();
  let stage: Stage | undefined = stages[stages.length - 1];
  while (stage && !shipped.has(stage.index)) {
    shipped.add(stage.index);
    stage = stage.baseStage !== undefined ? stages[stage.baseStage] : undefined;
  }
  return shipped;
}

// ---------------------------------------------------------------------------------------------------
// RUN: shell-word analysis

interface Word {
  value: string;
  line: number;
  column: number;
}

const RESERVED = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  '{',
  '}',
  'time',
  'exec',
  'nohup',
  'command',
  'builtin',
  'env',
]);
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh']);

function checkRun(run: Instruction, lines: string[], escapeChar: string, shipped: boolean, add: Add): void {
  const commands = runCommands(run, lines, escapeChar);
  let firstInstall: Word | undefined;
  let cleaned = false;
  for (const f of flagsOf(run)) {
    if (f.getName() === 'mount' && /target=\/var\/lib\/apt(\/lists)?\/?(,|$)/.test(f.getValue() ?? '') && /type=(cache|tmpfs)/.test(f.getValue() ?? ''))
      cleaned = true;
  }
  for (const words of commands) {
    let i = 0;
    const next = () => words[i];
    while (i < words.length && (RESERVED.has(words[i].value) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].value))) i++;
    if (next() && basename(next().value) === 'sudo') {
      const sudo = next();
      add(
        'DL3004',
        run,
        `'sudo' in RUN: the build already runs as root until a USER instruction; drop sudo (and do not install it), or switch users with USER.`,
        sudo.line,
        sudo.column,
      );
      i++;
      while (i < words.length && (words[i].value.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].value))) {
        i += /^-[ugpChDrtU]$/.test(words[i].value) ? 2 : 1;
      }
    }
    const cmd = next();
    if (!cmd) continue;
    const name = basename(cmd.value);
    const rest = words.slice(i + 1);
    if (name === 'cd') {
      add(
        'DL3003',
        run,
        `'cd' in RUN; set the directory with WORKDIR (e.g. WORKDIR ${rest[0]?.value.startsWith('/') ? rest[0].value : '/path'}) instead.`,
        cmd.line,
        cmd.column,
      );
    } else if (name === 'rm') {
      if (rest.some((w) => w.value.startsWith('/var/lib/apt/lists'))) cleaned = true;
    } else if (name === 'apt-get') {
      const sub = aptSubcommand(rest);
      if (sub === 'install') {
        firstInstall ??= cmd;
        const opts = rest.map((w) => w.value);
        if (!assumesYes(opts)) {
          add('DL3014', run, `'apt-get install' without '-y': the build aborts at the confirmation prompt; use 'apt-get install -y'.`, cmd.line, cmd.column);
        }
        if (!opts.includes('--no-install-recommends') && !opts.some((o) => /^APT::Install-Recommends=("?)(false|0)\1$/i.test(o))) {
          add(
            'DL3015',
            run,
            `'apt-get install' without '--no-install-recommends' pulls in recommended packages; use 'apt-get install -y --no-install-recommends <packages>'.`,
            cmd.line,
            cmd.column,
          );
        }
      } else if (sub === 'upgrade' || sub === 'dist-upgrade') {
        add(
          'DL3005',
          run,
          `'apt-get ${sub}' in RUN makes the image depend on the build date; use a newer base image tag instead, or install the specific packages you need.`,
          cmd.line,
          cmd.column,
        );
      }
    }
  }
  if (firstInstall && !cleaned && shipped) {
    add(
      'DL3009',
      run,
      `'apt-get install' without deleting the apt lists afterwards; end the same RUN with '&& rm -rf /var/lib/apt/lists/*'.`,
      firstInstall.line,
      firstInstall.column,
    );
  }
}

function aptSubcommand(words: Word[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const v = words[i].value;
    if (v.startsWith('-')) {
      if (/^(-[otca]|--option|--target-release|--default-release|--config-file|--host-architecture)$/.test(v)) i++;
      continue;
    }
    return v;
  }
  return undefined;
}

function assumesYes(opts: string[]): boolean {
  let quiet = 0;
  for (const o of opts) {
    if (o === '--yes' || o === '--assume-yes' || o === '--force-yes') return true;
    if (/^(-q|--quiet)=([2-9]|\d{2,})$/.test(o)) return true;
    if (o === '--quiet') quiet++;
    const short = /^-([a-zA-Z]+)$/.exec(o);
    if (short) {
      if (short[1].includes('y')) return true;
      quiet += short[1].split('').filter((c) => c === 'q').length;
    }
  }
  return quiet >= 2;
}

function basename(v: string): string {
  const b = v.replace(/^[({]+/, '');
  const slash = b.lastIndexOf('/');
  return slash >= 0 ? b.slice(slash + 1) : b;
}

/** The simple commands of a RUN instruction as words with their 0-based positions. */
function runCommands(run: Instruction, lines: string[], escapeChar: string): Word[][] {
  const form = argumentForm(run, lines, escapeChar);
  if (form.kind === 'exec') {
    const start = run.getArguments()[0]?.getRange().start ?? run.getRange().start;
    const values = SHELLS.has(basename(form.values[0] ?? '')) && form.values[1] === '-c' && form.values[2] !== undefined ? [form.values[2]] : undefined;
    if (values)
      return splitShell({ text: values[0], lines: values[0].split('').map(() => start.line), columns: values[0].split('').map(() => start.character) });
    return [form.values.map((value) => ({ value, line: start.line, column: start.character }))];
  }
  if (form.kind !== 'shell') return [];
  const heredocs = 'getHeredocs' in run ? safe(() => (run as unknown as { getHeredocs(): Heredoc[] }).getHeredocs(), []) : [];
  const mapped = instructionText(run, lines, escapeChar, heredocs);
  if (!mapped) return [];
  const commands = splitShell(mapped);
  if (heredocs.length === 0) return commands;
  // Heredoc bodies are shell only when the first line runs a shell (RUN <<EOF, RUN bash <<EOF) and has no other shebang.
  const firstLine = run.getRange().start.line;
  const head = commands
    .filter((c) => c[0] && c[0].line === firstLine)
    .flat()
    .filter((w) => !w.value.startsWith('<<'));
  const headShell = head.length === 0 || SHELLS.has(basename(head[0].value));
  const bodyShell = heredocs.every((h) => {
    const r = h.getContentRange();
    const first = r ? (lines[r.start.line] ?? '').trim() : '';
    return !first.startsWith('#!') || /\b(sh|bash|ash|dash|zsh|ksh)\b/.test(first);
  });
  return commands.map((c) => c.filter((w) => !/^<<-?/.test(w.value))).filter((c) => c.length > 0 && (c[0].line === firstLine || (headShell && bodyShell)));
}

interface MappedText {
  text: string;
  lines: number[];
  columns: number[];
}

/**
 * The arguments of an instruction as Docker hands them on: line continuations joined, comment and empty
 * lines inside a continuation dropped, heredoc bodies kept line by line. Every character keeps its
 * position in the file.
 */
function instructionText(inst: Instruction, lines: string[], escapeChar: string, heredocs: Heredoc[] = []): MappedText | undefined {
  const first = inst.getArguments()[0];
  if (!first) return undefined;
  const start = first.getRange().start;
  const end = inst.getRange().end;
  const body = new Set<number>();
  const delimiters = new Set<number>();
  for (const h of heredocs) {
    const r = safe(() => h.getContentRange(), null);
    if (r) for (let l = r.start.line; l <= r.end.line; l++) body.add(l);
    const d = safe(() => h.getDelimiterRange(), null);
    if (d) delimiters.add(d.start.line);
  }
  const out: MappedText = { text: '', lines: [], columns: [] };
  const push = (c: string, line: number, column: number) => {
    out.text += c;
    out.lines.push(line);
    out.columns.push(column);
  };
  let continued = false;
  for (let l = start.line; l <= end.line && l < lines.length; l++) {
    const line = lines[l];
    if (delimiters.has(l)) {
      push('\n', l, line.length);
      continue;
    }
    if (body.has(l)) {
      for (let c = 0; c < line.length; c++) push(line[c], l, c);
      push('\n', l, line.length);
      continue;
    }
    const from = l === start.line ? start.character : 0;
    const trimmed = line.trim();
    if (l > start.line && continued && (trimmed === '' || trimmed.startsWith('#'))) continue;
    let stop = line.length;
    const trailing = line.replace(/[ \t]+$/, '');
    continued = trailing.endsWith(escapeChar) && !isEscaped(trailing, trailing.length - 1, escapeChar);
    if (continued) stop = trailing.length - 1;
    for (let c = from; c < stop; c++) push(line[c], l, c);
    if (!continued) push('\n', l, line.length);
  }
  return out;
}

function isEscaped(s: string, index: number, escapeChar: string): boolean {
  let n = 0;
  for (let i = index - 1; i >= 0 && s[i] === escapeChar; i--) n++;
  return n % 2 === 1;
}

/** Splits shell text into simple commands (at newlines, ;, &, |, parentheses); quotes are honoured, comments dropped. */
function splitShell(m: MappedText): Word[][] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let word: Word | undefined;
  const endWord = () => {
    if (word) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  const addChar = (ch: string, i: number) => {
    word ??= { value: '', line: m.lines[i], column: m.columns[i] };
    word.value += ch;
  };
  const t = m.text;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (ch === ' ' || ch === '\t' || ch === '\r') endWord();
    else if (ch === '\n' || ch === ';' || ch === '&' || ch === '|' || ch === '(' || ch === ')' || ch === '`') endCommand();
    else if (ch === '#' && !word) {
      while (i + 1 < t.length && t[i + 1] !== '\n') i++;
    } else if (ch === '\\') {
      if (t[i + 1] === '\n') i++;
      else if (i + 1 < t.length) addChar(t[++i], i - 1);
    } else if (ch === "'" || ch === '"') {
      word ??= { value: '', line: m.lines[i], column: m.columns[i] };
      let j = i + 1;
      for (; j < t.length && t[j] !== ch; j++) {
        if (ch === '"' && t[j] === '\\' && j + 1 < t.length) j++;
        word.value += t[j];
      }
      i = j;
    } else addChar(ch, i);
  }
  endCommand();
  return commands;
}

// ---------------------------------------------------------------------------------------------------
// Argument forms

type ArgumentForm =
  | { kind: 'none' }
  | { kind: 'shell'; text: string }
  | { kind: 'exec'; values: string[] }
  | { kind: 'single-quoted' }
  | { kind: 'invalid-json'; reason: string; line: number; column: number };

function argumentForm(inst: Instruction, lines: string[], escapeChar: string): ArgumentForm {
  const mapped = instructionText(inst, lines, escapeChar);
  if (!mapped) return { kind: 'none' };
  const text = mapped.text.trim();
  if (text === '') return { kind: 'none' };
  if (!text.startsWith('[')) return { kind: 'shell', text };
  // Outside CMD / ENTRYPOINT a leading '[' is often shell (`RUN [ -f x ] && ...`, `COPY [ab].txt ...`): only
  // a '[' directly followed by a quote counts as an attempt at the JSON form there.
  const keyword = inst.getKeyword();
  if (keyword !== 'CMD' && keyword !== 'ENTRYPOINT' && !/^\[["']/.test(text)) return { kind: 'shell', text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // JSON in single quotes is reported by dockerfile-utils (json-in-single-quotes).
    if (!text.includes('"') && text.includes("'")) return { kind: 'single-quoted' };
    const at = /position (\d+)/.exec(errorText(e));
    const offset = mapped.text.indexOf('[') + (at ? Number(at[1]) : 0);
    const index = Math.min(Math.max(offset, 0), mapped.lines.length - 1);
    return { kind: 'invalid-json', reason: jsonReason(text, errorText(e)), line: mapped.lines[index], column: mapped.columns[index] };
  }
  const start = mapped.text.indexOf('[');
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
    return { kind: 'invalid-json', reason: 'all elements must be strings', line: mapped.lines[start], column: mapped.columns[start] };
  }
  return { kind: 'exec', values: parsed };
}

function jsonReason(text: string, error: string): string {
  if (/"\s+"/.test(text)) return 'a comma is missing between two strings';
  if (!text.trimEnd().endsWith(']')) return "the closing ']' is missing or followed by more text";
  return error.replace(/^Unexpected token/, 'unexpected token').split('\n')[0];
}

function joinedArguments(inst: Instruction, lines: string[], escapeChar: string): string {
  return instructionText(inst, lines, escapeChar)?.text ?? '';
}

function execExample(shell: string): string {
  const words = shell
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 4);
  return JSON.stringify(words).replace(/","/g, '", "');
}

// ---------------------------------------------------------------------------------------------------
// Image references

/** Substitutes $VAR / ${VAR} / ${VAR:-default} / ${VAR:+alt}; unknown values become UNKNOWN. */
function substitute(value: string, resolve: (name: string) => string | null | undefined): string {
  return value.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const v = resolve(name);
      const set = v !== undefined && v !== null && !(op?.startsWith(':') && v === '');
      if (op?.endsWith('+')) return set ? (word ?? '') : v === undefined ? UNKNOWN : '';
      if (op?.endsWith('-')) return set ? v : (word ?? '');
      return v === undefined || v === null || v === '' ? UNKNOWN : v;
    },
  );
}

function parseImage(text: string, fromArgDefault: boolean): ImageRef {
  if (text.toLowerCase() === 'scratch') return { text, name: text, scratch: true, fromArgDefault };
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0];
  let registry: string | undefined;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) registry = first.toLowerCase();
  else if (!first.includes(UNKNOWN)) registry = 'docker.io';
  if (registry?.includes(UNKNOWN)) registry = undefined;
  return { text, name: rest, tag, digest, registry, scratch: false, fromArgDefault };
}

// ---------------------------------------------------------------------------------------------------
// Suppression, severity, output

function finish(file: string, raw: RawFinding[], lines: string[], instructions: Instruction[], options: DockerfileLintOptions): Finding[] {
  const global = new Set<string>();
  for (const line of lines) {
    const g = /^\s*#\s*hadolint\s+global\s+ignore\s*=\s*(.*)$/i.exec(line);
    if (g) for (const id of ruleList(g[1])) global.add(id);
  }
  const perInstruction = new Map<number, Set<string>>();
  for (const inst of instructions) {
    const start = inst.getRange().start.line;
    const ids = new Set<string>();
    for (let l = start - 1; l >= 0 && /^\s*#/.test(lines[l] ?? ''); l--) {
      const m = /^\s*#\s*hadolint\s+ignore\s*=\s*(.*)$/i.exec(lines[l]);
      if (m) for (const id of ruleList(m[1])) ids.add(id);
    }
    if (ids.size) perInstruction.set(start, ids);
  }
  const overrides = new Map<string, DockerfileRuleSeverity>();
  for (const [k, v] of Object.entries(options.severities ?? {})) overrides.set(k.toLowerCase(), v);

  const findings: (Finding & { line: number; column: number })[] = [];
  const seen = new Set<string>();
  for (const r of raw) {
    const id = r.rule.toLowerCase();
    if (global.has(id)) continue;
    if (r.owner !== undefined && perInstruction.get(r.owner)?.has(id)) continue;
    const setting = overrides.get(id) ?? r.severity;
    if (setting === 'off') continue;
    const key = `${r.rule}|${r.line}|${r.column}|${r.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ rule: r.rule, severity: setting === 'error' ? 'error' : 'warning', message: r.message, file, line: r.line + 1, column: r.column + 1 });
  }
  findings.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
  return findings;
}

function ruleList(s: string): string[] {
  return s
    .split(',')
    .map((p) => p.trim().split(/\s+/)[0] ?? '')
    .filter((p) => /^[A-Za-z][\w./-]*$/.test(p))
    .map((p) => p.toLowerCase());
}

function flagsOf(inst: Instruction): Flag[] {
  return inst instanceof ModifiableInstruction ? inst.getFlags() : [];
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
