/** The simple commands of a RUN instruction, as words that keep their place in the file. */
import type { Heredoc, Instruction } from 'dockerfile-ast';
import { argumentForm, instructionText, MappedText } from './instruction-text';
import { safe } from './safe';

export interface Word {
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
export const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh']);

/** One simple command: the program run (after reserved words, assignments and a `sudo` with its options) and its arguments. */
export interface SimpleCommand {
  /** The `sudo` word in front of the command, when there is one. */
  sudo?: Word;
  /** The program word; undefined when nothing follows (`sudo` alone). */
  command?: Word;
  /** The program's base name: `apt-get` for `/usr/bin/apt-get`. */
  name: string;
  args: Word[];
}

/** The simple commands of a RUN instruction. */
export function simpleCommands(run: Instruction, lines: string[], escapeChar: string): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  for (const words of runCommands(run, lines, escapeChar)) {
    let i = 0;
    while (i < words.length && (RESERVED.has(words[i].value) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].value))) i++;
    let sudo: Word | undefined;
    if (words[i] && basename(words[i].value) === 'sudo') {
      sudo = words[i];
      i++;
      while (i < words.length && (words[i].value.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].value))) {
        i += /^-[ugpChDrtU]$/.test(words[i].value) ? 2 : 1;
      }
    }
    const command = words[i];
    if (!command && !sudo) continue;
    out.push({ sudo, command, name: command ? basename(command.value) : '', args: words.slice(i + 1) });
  }
  return out;
}

export function basename(v: string): string {
  const b = v.replace(/^[({]+/, '');
  const slash = b.lastIndexOf('/');
  return slash >= 0 ? b.slice(slash + 1) : b;
}

/** The simple commands of a RUN instruction as words with their 0-based positions. */

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
