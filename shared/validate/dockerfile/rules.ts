/**
 * The best-practice rules, in the spirit of hadolint, on the dockerfile-ast syntax tree: hadolint's
 * rule ids where one exists (DL3002, DL3003, ...) and `GF1xxx` ids for our own. Each rule is kept
 * with its default severity, its description and its check.
 */
import type { Instruction } from 'dockerfile-ast';
import type { Severity } from '../../manifests/finding';
import type { LintContext } from './context';
import { execExample, flagsOf, joinedArguments } from './instruction-text';
import type { SimpleCommand, Word } from './shell';
import { finalUser, parseImage, Stage, UNKNOWN } from './stages';

/** Where a finding points when not at the instruction's start: 0-based, like dockerfile-ast ranges. */
export interface Position {
  line: number;
  column: number;
}

export type Report = (inst: Instruction, message: string, at?: Position) => void;

export interface DockerfileRule {
  /** Default severity; the dockerfileRules input can change it or switch the rule off. */
  severity: Severity;
  description: string;
  check(context: LintContext, report: Report): void;
}

/** Every best-practice rule by id. */
export const DOCKERFILE_RULES: Readonly<Record<string, DockerfileRule>> = {
  DL3002: {
    severity: 'warning',
    description: 'The last USER of the final stage is root.',
    check(ctx, report) {
      const { user } = finalUser(ctx.stages);
      if (!user) return;
      const value = joinedArguments(user, ctx.lines, ctx.escapeChar).trim();
      const name = value.split(':')[0].trim();
      if (name === 'root' || name === '0') {
        report(user, `The final image runs as '${value}'; switch to a non-root user as the last USER (e.g. USER node, or USER 10001:10001 after creating it).`);
      }
    },
  },
  DL3003: {
    severity: 'warning',
    description: '`cd` inside RUN; use WORKDIR.',
    check(ctx, report) {
      forEachCommand(ctx, (run, c) => {
        if (c.command && c.name === 'cd') {
          const dir = c.args[0]?.value.startsWith('/') ? c.args[0].value : '/path';
          report(run, `'cd' in RUN; set the directory with WORKDIR (e.g. WORKDIR ${dir}) instead.`, c.command);
        }
      });
    },
  },
  DL3004: {
    severity: 'warning',
    description: '`sudo` inside RUN.',
    check(ctx, report) {
      forEachCommand(ctx, (run, c) => {
        if (c.sudo) {
          report(
            run,
            `'sudo' in RUN: the build already runs as root until a USER instruction; drop sudo (and do not install it), or switch users with USER.`,
            c.sudo,
          );
        }
      });
    },
  },
  DL3005: {
    severity: 'warning',
    description: '`apt-get upgrade` / `dist-upgrade` inside RUN.',
    check(ctx, report) {
      forEachCommand(ctx, (run, c) => {
        const sub = c.command && c.name === 'apt-get' ? aptSubcommand(c.args) : undefined;
        if (sub === 'upgrade' || sub === 'dist-upgrade') {
          report(
            run,
            `'apt-get ${sub}' in RUN makes the image depend on the build date; use a newer base image tag instead, or install the specific packages you need.`,
            c.command,
          );
        }
      });
    },
  },
  DL3006: {
    severity: 'warning',
    description: 'Base image without a tag.',
    check(ctx, report) {
      for (const base of baseImages(ctx.stages)) {
        const { image } = base;
        // A variable in the last path component may carry the tag itself (FROM ${IMAGE}); elsewhere it cannot.
        if (image.digest || image.tag !== undefined || (image.name.split('/').pop() ?? '').includes(UNKNOWN)) continue;
        report(
          base.inst,
          `Base image ${base.shown} has no tag, so builds pick up whatever 'latest' is; pin a version tag (e.g. ${base.suggested}:<version>) or a digest (@sha256:...).`,
          base.at,
        );
      }
    },
  },
  DL3007: {
    severity: 'warning',
    description: 'Base image with the `latest` tag.',
    check(ctx, report) {
      for (const base of baseImages(ctx.stages)) {
        if (base.image.digest || base.image.tag !== 'latest') continue;
        report(
          base.inst,
          `Base image ${base.shown} uses the 'latest' tag; pin a specific version tag (e.g. ${base.suggested}:<version>) or a digest (@sha256:...).`,
          base.at,
        );
      }
    },
  },
  DL3009: {
    severity: 'warning',
    description: '`apt-get install` without deleting /var/lib/apt/lists (stages that end up in the final image).',
    check(ctx, report) {
      for (const stage of ctx.stages) {
        if (!ctx.shipped.has(stage.index)) continue;
        for (const run of stage.runs) {
          const commands = ctx.commands(run);
          const install = commands.find((c) => c.command && c.name === 'apt-get' && aptSubcommand(c.args) === 'install');
          if (!install?.command) continue;
          const cleaned =
            aptListsOnCacheMount(run) || commands.some((c) => c.command && c.name === 'rm' && c.args.some((w) => w.value.startsWith('/var/lib/apt/lists')));
          if (!cleaned) {
            report(
              run,
              `'apt-get install' without deleting the apt lists afterwards; end the same RUN with '&& rm -rf /var/lib/apt/lists/*'.`,
              install.command,
            );
          }
        }
      }
    },
  },
  DL3014: {
    severity: 'warning',
    description: '`apt-get install` without `-y`.',
    check(ctx, report) {
      forEachAptInstall(ctx, (run, c, options) => {
        if (!assumesYes(options)) {
          report(run, `'apt-get install' without '-y': the build aborts at the confirmation prompt; use 'apt-get install -y'.`, c);
        }
      });
    },
  },
  DL3015: {
    severity: 'warning',
    description: '`apt-get install` without `--no-install-recommends`.',
    check(ctx, report) {
      forEachAptInstall(ctx, (run, c, options) => {
        if (!options.includes('--no-install-recommends') && !options.some((o) => /^APT::Install-Recommends=("?)(false|0)\1$/i.test(o))) {
          report(
            run,
            `'apt-get install' without '--no-install-recommends' pulls in recommended packages; use 'apt-get install -y --no-install-recommends <packages>'.`,
            c,
          );
        }
      });
    },
  },
  DL3020: {
    severity: 'warning',
    description: 'ADD of a local file or folder that is not a tar archive; use COPY.',
    check(ctx, report) {
      for (const inst of ctx.instructions) {
        if (inst.getKeyword() !== 'ADD') continue;
        const local = addSources(ctx, inst).find((s) => {
          const v = s.value.replace(/^["']|["']$/g, '');
          if (v.startsWith('<<') || v.includes('$')) return false;
          if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^git@/.test(v)) return false;
          return !ARCHIVE.test(v);
        });
        if (local) {
          report(
            inst,
            `ADD of the local path '${local.value}'; use COPY for files and folders (ADD is only needed to fetch URLs or unpack tar archives).`,
            local,
          );
        }
      }
    },
  },
  DL3022: {
    severity: 'error',
    description: '`COPY --from` names a build stage that is not defined before.',
    check(ctx, report) {
      for (const inst of ctx.instructions) {
        if (inst.getKeyword() === 'COPY') checkCopyFrom(inst, ctx.stages, ctx.stageOf.get(inst) ?? -1, report);
      }
    },
  },
  DL3025: {
    severity: 'warning',
    description: 'Shell-form CMD / ENTRYPOINT; use the JSON exec form.',
    check(ctx, report) {
      for (const inst of ctx.instructions) {
        const keyword = inst.getKeyword();
        if (keyword !== 'CMD' && keyword !== 'ENTRYPOINT') continue;
        const form = ctx.form(inst);
        if (form.kind === 'shell') {
          report(
            inst,
            `${keyword} uses the shell form; write it in JSON exec form, e.g. ${keyword} ${execExample(form.text)}, so that signals reach the process.`,
          );
        }
      }
    },
  },
  DL3026: {
    severity: 'error',
    description: 'Base image from a registry not in trustedRegistries.',
    check(ctx, report) {
      const trusted = ctx.trustedRegistries;
      if (trusted.length === 0) return;
      for (const base of baseImages(ctx.stages)) {
        const registry = base.image.registry;
        if (registry === undefined || trusted.some((t) => registryMatches(registry, t))) continue;
        report(
          base.inst,
          `Base image ${base.shown} comes from registry '${registry}', which is not a trusted registry (${trusted.join(', ')}); use an image from a trusted registry or add the registry to the trusted list.`,
          base.at,
        );
      }
    },
  },
  GF1001: {
    severity: 'warning',
    description: 'No USER in the final stage: the container runs as the base image user, usually root.',
    check(ctx, report) {
      if (ctx.stages.length === 0) return;
      const { stage, user } = finalUser(ctx.stages);
      if (user) return;
      // distroless / chainguard style images whose tag or name says they run as non-root
      if (stage?.image && /non-?root/i.test(`${stage.image.name}:${stage.image.tag ?? ''}`)) return;
      report(
        ctx.stages[ctx.stages.length - 1].from,
        `The final stage sets no USER, so the container runs as the base image's user (usually root); add a USER instruction with a non-root user (e.g. USER node, or USER 10001:10001) after the last RUN.`,
      );
    },
  },
  GF1002: {
    severity: 'error',
    description: 'Arguments start with `[` but are not a valid JSON array of strings, so Docker silently uses the shell form.',
    check(ctx, report) {
      for (const inst of ctx.instructions) {
        const keyword = inst.getKeyword();
        if (!['CMD', 'ENTRYPOINT', 'RUN', 'COPY', 'ADD', 'VOLUME'].includes(keyword)) continue;
        const form = ctx.form(inst);
        if (form.kind !== 'invalid-json') continue;
        report(
          inst,
          `${keyword} arguments start with '[' but are not a valid JSON array of strings (${form.reason}), so Docker runs them as a shell command; write e.g. ${keyword} ${JSON_EXAMPLES[keyword] ?? '["node", "server.js"]'} with commas between double-quoted strings.`,
          form,
        );
      }
    },
  },
};

const JSON_EXAMPLES: Readonly<Record<string, string>> = {
  RUN: '["npm", "ci"]',
  COPY: '["package.json", "./"]',
  ADD: '["https://example.com/tool.tar.gz", "/opt/"]',
  VOLUME: '["/data"]',
};

/** Every simple command of every RUN in a stage (RUN before the first FROM is no part of an image). */
function forEachCommand(ctx: LintContext, visit: (run: Instruction, command: SimpleCommand, stage: Stage) => void): void {
  for (const stage of ctx.stages) {
    for (const run of stage.runs) for (const command of ctx.commands(run)) visit(run, command, stage);
  }
}

function forEachAptInstall(ctx: LintContext, visit: (run: Instruction, command: Word, options: string[]) => void): void {
  forEachCommand(ctx, (run, c) => {
    if (c.command && c.name === 'apt-get' && aptSubcommand(c.args) === 'install')
      visit(
        run,
        c.command,
        c.args.map((w) => w.value),
      );
  });
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

/** A cache or tmpfs mount over the apt lists keeps them out of the image without an rm. */
function aptListsOnCacheMount(run: Instruction): boolean {
  return flagsOf(run).some(
    (f) => f.getName() === 'mount' && /target=\/var\/lib\/apt(\/lists)?\/?(,|$)/.test(f.getValue() ?? '') && /type=(cache|tmpfs)/.test(f.getValue() ?? ''),
  );
}

interface BaseImage {
  inst: Instruction;
  image: NonNullable<Stage['image']>;
  /** The FROM argument. */
  at: Position;
  /** `'node:${V}' (= 'node:20' with the ARG defaults)` or `'node:20'`. */
  shown: string;
  /** The name to suggest a tag for: resolved when fully known, else as written. */
  suggested: string;
}

/** The base images of the stages (not scratch, not an earlier stage). */
function baseImages(stages: Stage[]): BaseImage[] {
  const out: BaseImage[] = [];
  for (const stage of stages) {
    const image = stage.image;
    if (!image || image.scratch) continue;
    const arg = stage.from.getArguments()[0];
    const start = arg.getRange().start;
    const resolvedAll = !image.text.includes(UNKNOWN);
    const shown = image.fromArgDefault && resolvedAll ? `'${arg.getValue()}' (= '${image.text}' with the ARG defaults)` : `'${arg.getValue()}'`;
    const suggested = resolvedAll ? image.name : parseImage(arg.getValue(), false).name;
    out.push({ inst: stage.from, image, at: { line: start.line, column: start.character }, shown, suggested });
  }
  return out;
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
function checkCopyFrom(inst: Instruction, stages: Stage[], current: number, report: Report): void {
  const flag = flagsOf(inst).find((f) => f.getName().toLowerCase() === 'from');
  const value = flag?.getValue();
  if (!flag || !value || value.includes('$')) return;
  const pos = (flag.getValueRange() ?? flag.getRange()).start;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= current) {
      report(
        inst,
        `COPY --from=${value} refers to stage #${value}, but only stages 0..${current - 1} are defined before this one; use the name of an earlier stage (FROM ... AS <name>).`,
        { line: pos.line, column: pos.character },
      );
    }
    return;
  }
  const lower = value.toLowerCase();
  if (stages.slice(0, Math.max(current, 0)).some((s) => s.name === lower)) return;
  if (/[:/@]/.test(value)) return; // an external image such as nginx:1.27
  const names = stages.slice(0, Math.max(current, 0)).flatMap((s) => (s.name ? [s.name] : []));
  const why = stages[current]?.name === lower ? 'is the current stage' : 'is not defined before this instruction';
  report(
    inst,
    `COPY --from=${value}: build stage '${value}' ${why}${names.length ? ` (earlier stages: ${names.join(', ')})` : ''}; name an earlier stage with FROM ... AS ${value}, or give an external image with its tag.`,
    { line: pos.line, column: pos.character },
  );
}
const ARCHIVE = /\.(tar|tgz|tbz2?|tb2|txz|tlz|tz|tzst|taz|gz|bz2|xz|lz|lzma|z|zst)$/i;

/** The sources of an ADD instruction (all arguments but the destination) with their positions. */
function addSources(ctx: LintContext, inst: Instruction): (Position & { value: string })[] {
  const form = ctx.form(inst);
  if (form.kind === 'exec') {
    const start = inst.getArguments()[0]?.getRange().start ?? inst.getRange().start;
    return form.values.slice(0, -1).map((value) => ({ value, line: start.line, column: start.character }));
  }
  if (form.kind === 'shell') {
    return inst
      .getArguments()
      .slice(0, -1)
      .map((a) => ({ value: a.getValue(), line: a.getRange().start.line, column: a.getRange().start.character }));
  }
  return [];
}
