import type { Dockerfile, Instruction } from 'dockerfile-ast';
import { argumentForm, ArgumentForm } from './instruction-text';
import { safe } from './safe';
import { SimpleCommand, simpleCommands } from './shell';
import { readStages, shippedStages, Stage } from './stages';

/** Everything the best-practice rules look at, read once per file. */
export interface LintContext {
  instructions: Instruction[];
  lines: string[];
  escapeChar: string;
  stages: Stage[];
  /** The index of the stage each instruction is in; -1 before the first FROM. */
  stageOf: ReadonlyMap<Instruction, number>;
  /** Indexes of the stages whose file system ends up in the final image. */
  shipped: ReadonlySet<number>;
  /** Lower-cased; empty when the DL3026 check is off. */
  trustedRegistries: string[];
  /** The argument form of an instruction (computed once, several rules ask). */
  form(inst: Instruction): ArgumentForm;
  /** The simple commands of a RUN instruction (computed once, several rules ask). */
  commands(run: Instruction): SimpleCommand[];
}

export function lintContext(df: Dockerfile, instructions: Instruction[], lines: string[], trustedRegistries: readonly string[]): LintContext {
  const escapeChar = safe(() => df.getEscapeCharacter(), '\\') || '\\';
  const { stages, stageOf } = readStages(df, instructions);
  const forms = new Map<Instruction, ArgumentForm>();
  const commands = new Map<Instruction, SimpleCommand[]>();
  return {
    instructions,
    lines,
    escapeChar,
    stages,
    stageOf,
    shipped: shippedStages(stages),
    trustedRegistries: trustedRegistries.map((r) => r.trim().toLowerCase()).filter((r) => r.length > 0),
    form: (inst) => memo(forms, inst, () => argumentForm(inst, lines, escapeChar)),
    commands: (run) => memo(commands, run, () => simpleCommands(run, lines, escapeChar)),
  };
}

function memo<K, V>(cache: Map<K, V>, key: K, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
  }
  return value;
}
