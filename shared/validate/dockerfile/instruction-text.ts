/** What an instruction's arguments are, as Docker reads them: joined continuation lines, exec or shell form. */
import { ModifiableInstruction } from 'dockerfile-ast';
import type { Flag, Heredoc, Instruction } from 'dockerfile-ast';
import { errorText, safe } from './safe';

export interface MappedText {
  text: string;
  lines: number[];
  columns: number[];
}

/**
 * The arguments of an instruction as Docker hands them on: line continuations joined, comment and empty
 * lines inside a continuation dropped, heredoc bodies kept line by line. Every character keeps its
 * position in the file.
 */
export function instructionText(inst: Instruction, lines: string[], escapeChar: string, heredocs: Heredoc[] = []): MappedText | undefined {
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

export type ArgumentForm =
  | { kind: 'none' }
  | { kind: 'shell'; text: string }
  | { kind: 'exec'; values: string[] }
  | { kind: 'single-quoted' }
  | { kind: 'invalid-json'; reason: string; line: number; column: number };

export function argumentForm(inst: Instruction, lines: string[], escapeChar: string): ArgumentForm {
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

export function joinedArguments(inst: Instruction, lines: string[], escapeChar: string): string {
  return instructionText(inst, lines, escapeChar)?.text ?? '';
}

export function execExample(shell: string): string {
  const words = shell
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 4);
  return JSON.stringify(words).replace(/","/g, '", "');
}

export function flagsOf(inst: Instruction): Flag[] {
  return inst instanceof ModifiableInstruction ? inst.getFlags() : [];
}
