/** The build stages of a Dockerfile: what each builds on, its base image and its USER and RUN instructions. */
import type { Dockerfile, Instruction } from 'dockerfile-ast';
import { splitImageReference } from '../../images/reference';
import { safe } from './safe';

export interface Stage {
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

export interface ImageRef {
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

/** Stands for the value of a variable the Dockerfile does not give. */
export const UNKNOWN = '\u0000';

/** The stages in order, and for each instruction the index of the stage it is in (-1 before the first FROM). */
export function readStages(df: Dockerfile, instructions: Instruction[]): { stages: Stage[]; stageOf: Map<Instruction, number> } {
  const stages: Stage[] = [];
  const stageOf = new Map<Instruction, number>();
  for (const inst of instructions) {
    const keyword = inst.getKeyword();
    if (keyword === 'FROM') stages.push(fromStage(df, inst, stages));
    const current = stages[stages.length - 1];
    stageOf.set(inst, stages.length - 1);
    if (!current) continue;
    if (keyword === 'USER') current.lastUser = inst;
    else if (keyword === 'RUN') current.runs.push(inst);
  }
  return { stages, stageOf };
}

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

/** The USER in effect in the final image: the final stage's last USER, else that of the stage it builds on, and so on. */
export function finalUser(stages: Stage[]): { stage: Stage | undefined; user: Instruction | undefined } {
  let stage: Stage | undefined = stages[stages.length - 1];
  const seen = new Set<number>();
  while (stage && !stage.lastUser && stage.baseStage !== undefined && !seen.has(stage.index)) {
    seen.add(stage.index);
    stage = stages[stage.baseStage];
  }
  return { stage, user: stage?.lastUser };
}

/** Stages whose file system ends up in the final image: the last stage and the stages it builds on. */
export function shippedStages(stages: Stage[]): Set<number> {
  const shipped = new Set<number>();
  let stage: Stage | undefined = stages[stages.length - 1];
  while (stage && !shipped.has(stage.index)) {
    shipped.add(stage.index);
    stage = stage.baseStage !== undefined ? stages[stage.baseStage] : undefined;
  }
  return shipped;
}

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

/** A base image reference; Docker Hub when it names no registry, unless a variable may hold the registry. */
export function parseImage(text: string, fromArgDefault: boolean): ImageRef {
  if (text.toLowerCase() === 'scratch') return { text, name: text, scratch: true, fromArgDefault };
  const { name, registry, tag, digest } = splitImageReference(text);
  const known = registry?.toLowerCase() ?? (name.split('/')[0].includes(UNKNOWN) ? undefined : 'docker.io');
  return { text, name, tag, digest, registry: known?.includes(UNKNOWN) ? undefined : known, scratch: false, fromArgDefault };
}
