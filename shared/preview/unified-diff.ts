/**
 * A unified diff of one file (`diff -u` format, 3 lines of context), made with jsdiff. An added or
 * deleted file needs no comparison; an edit whose edit script would be longer than a bound is shown
 * as a whole-file replacement, so a huge rewrite costs linear time instead of Myers' worst case.
 */
import { createTwoFilesPatch } from 'diff';

/** Past this many edited lines the exact edit script is not searched for. */
export const MAX_EDIT_LENGTH = 1_000;

export interface FileDiffText {
  /** The diff, starting with its `--- a/…` and `+++ b/…` lines. */
  text: string;
  added: number;
  removed: number;
}

export function unifiedDiff(path: string, before: string | undefined, after: string | undefined): FileDiffText {
  const oldName = before === undefined ? '/dev/null' : `a/${path}`;
  const newName = after === undefined ? '/dev/null' : `b/${path}`;
  if (before === undefined || after === undefined || before === '' || after === '') {
    return wholeFile(oldName, newName, before ?? '', after ?? '');
  }
  const patch = createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, { context: 3, maxEditLength: MAX_EDIT_LENGTH });
  if (patch === undefined) return wholeFile(oldName, newName, before, after);
  // jsdiff starts with a "===" line and its own file header lines: the hunks follow them.
  const lines = patch.split('\n').slice(3);
  if (lines[lines.length - 1] === '') lines.pop();
  return {
    text: [`--- ${oldName}`, `+++ ${newName}`, ...lines].join('\n') + '\n',
    added: lines.filter((l) => l.startsWith('+')).length,
    removed: lines.filter((l) => l.startsWith('-')).length,
  };
}

/** Every old line removed and every new line added, as one hunk. */
function wholeFile(oldName: string, newName: string, before: string, after: string): FileDiffText {
  const oldLines = splitLines(before);
  const newLines = splitLines(after);
  const range = (n: number) => (n === 0 ? '0,0' : n === 1 ? '1' : `1,${n}`);
  const out = [`--- ${oldName}`, `+++ ${newName}`, `@@ -${range(oldLines.length)} +${range(newLines.length)} @@`];
  for (const l of oldLines) out.push(`-${l}`);
  for (const l of newLines) out.push(`+${l}`);
  if (before !== '' && !before.endsWith('\n')) out.splice(3 + oldLines.length, 0, '\\ No newline at end of file');
  if (after !== '' && !after.endsWith('\n')) out.push('\\ No newline at end of file');
  return { text: out.join('\n') + '\n', added: newLines.length, removed: oldLines.length };
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
