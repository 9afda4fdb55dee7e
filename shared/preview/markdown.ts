/**
 * The preview as markdown, for the pull request comment and the summary tab: a table of every
 * environment, then per environment its changed objects, its image changes and a collapsible
 * unified diff. Everything taken from repositories is in code spans or fenced blocks (no HTML or
 * markdown from a manifest is interpreted), and the whole text stays within a byte budget: the
 * tables are kept, the diffs share what is left and are cut with a note saying where the full
 * diff is.
 */
import type { EnvironmentChange, FileDiff } from './environment-change';

export interface EnvironmentPreview {
  environment: string;
  /** The environment's folder in the GitOps repository. */
  folder: string;
  /** `failed`: not rendered (the validation findings say why); `skipped`: not compared (see error). */
  outcome: 'changed' | 'unchanged' | 'failed';
  change?: EnvironmentChange;
  error?: string;
}

export interface PreviewDocument {
  app: string;
  /** `project/repository` of the GitOps repository. */
  repository: string;
  branch: string;
  /** The commit of `branch` that was compared with, or undefined when the branch does not exist. */
  commitId?: string;
  environments: EnvironmentPreview[];
  /** Lines shown under the heading (e.g. "not a pull request build"). */
  notes?: string[];
}

export interface RenderOptions {
  /** UTF-8 bytes the whole text may take. */
  budgetBytes: number;
  /** Where the full diff is, for the truncation note ("the summary tab of the pipeline run"); undefined: nowhere larger. */
  fullDiffWhere?: string;
}

export interface RenderedPreview {
  markdown: string;
  /** True when some diff was cut to stay within the budget. */
  truncated: boolean;
}

/** Objects listed per environment; past this the list says how many more. */
const MAX_OBJECT_ROWS = 50;
const MAX_FIELDS_PER_OBJECT = 6;
const MAX_IMAGE_ROWS = 30;

export function renderPreview(doc: PreviewDocument, options: RenderOptions): RenderedPreview {
  const head = heading(doc);
  const sections = doc.environments.map((env) => ({ env, body: environmentBody(env) }));
  // Each diff is wrapped in a <details> block; its fixed text is counted here, its content below.
  const withDiff = sections.filter((s) => (s.env.change?.files.length ?? 0) > 0);
  const fixed = bytes(head) + sections.reduce((n, s) => n + bytes(s.body), 0) + withDiff.length * 400;
  const allowances = shareBudget(
    withDiff.map((s) => diffBytes(s.env.change!.files)),
    Math.max(0, options.budgetBytes - fixed),
  );
  let truncated = false;
  const out = [head];
  for (const s of sections) {
    out.push(s.body);
    const index = withDiff.indexOf(s);
    if (index < 0) continue;
    const block = diffBlock(s.env, allowances[index], options.fullDiffWhere);
    truncated ||= block.truncated;
    out.push(block.markdown);
  }
  return { markdown: out.join('\n'), truncated };
}

function heading(doc: PreviewDocument): string {
  const at = doc.commitId ? `${code(doc.branch)} at ${code(doc.commitId.slice(0, 12))}` : `${code(doc.branch)} (the branch does not exist yet)`;
  const lines = [`### GitOps preview: ${code(doc.app)}`, '', `What promoting this rendering would change in ${code(doc.repository)}, compared with ${at}.`, ''];
  for (const note of doc.notes ?? []) lines.push(`> ${oneLine(note)}`, '');
  lines.push('| Environment | Folder | Added | Changed | Removed | Images |', '|---|---|---:|---:|---:|---:|');
  for (const env of doc.environments) {
    const c = env.change?.counts;
    if (env.outcome === 'failed' || !c) lines.push(`| ${code(env.environment)} | ${code(env.folder)} | | | | ${oneLine(env.error ?? 'not rendered')} |`);
    else lines.push(`| ${code(env.environment)} | ${code(env.folder)} | ${c.added} | ${c.changed} | ${c.removed} | ${env.change!.images.length} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function environmentBody(env: EnvironmentPreview): string {
  if (env.outcome === 'failed') return `**${code(env.environment)}**: not rendered, so not compared: ${oneLine(env.error ?? 'see the validation findings')}.\n`;
  const change = env.change!;
  if (env.outcome === 'unchanged')
    return `**${code(env.environment)}**: no change (${change.unchangedFiles} file${change.unchangedFiles === 1 ? '' : 's'} already as rendered).\n`;
  const lines = [`#### ${code(env.environment)}`, ''];
  if (change.objects.length > 0) {
    lines.push('| Object | Change | Fields |', '|---|---|---|');
    for (const o of change.objects.slice(0, MAX_OBJECT_ROWS)) {
      const fields = o.fields.slice(0, MAX_FIELDS_PER_OBJECT).map((f) => `${code(f.path)}${f.change === 'changed' ? '' : ` (${f.change})`}`);
      if (o.fields.length > MAX_FIELDS_PER_OBJECT) fields.push(`and ${o.fields.length - MAX_FIELDS_PER_OBJECT} more`);
      lines.push(`| ${code(o.object)} | ${o.change} | ${fields.join(', ')} |`);
    }
    if (change.objects.length > MAX_OBJECT_ROWS) lines.push(`| and ${change.objects.length - MAX_OBJECT_ROWS} more objects | | |`);
    lines.push('');
  } else {
    lines.push('The files change, the objects they hold do not (formatting or file names only).', '');
  }
  if (change.images.length > 0) {
    lines.push('| Image of | Container | Now | After |', '|---|---|---|---|');
    for (const i of change.images.slice(0, MAX_IMAGE_ROWS))
      lines.push(`| ${code(i.object)} | ${code(i.container)} | ${i.before ? code(i.before) : '(none)'} | ${i.after ? code(i.after) : '(none)'} |`);
    if (change.images.length > MAX_IMAGE_ROWS) lines.push(`| and ${change.images.length - MAX_IMAGE_ROWS} more | | | |`);
    lines.push('');
  }
  return lines.join('\n');
}

function diffBlock(env: EnvironmentPreview, allowance: number, fullDiffWhere: string | undefined): RenderedPreview {
  const files = env.change!.files;
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  const parts: string[] = [];
  let used = 0;
  let shownFiles = 0;
  let cut: string | undefined;
  for (const f of files) {
    const text = fileText(f);
    if (used + bytes(text) <= allowance) {
      parts.push(text);
      used += bytes(text);
      shownFiles++;
      continue;
    }
    // Cut inside this file, at a line boundary, and stop.
    const lines = text.split('\n');
    let kept = 0;
    const keptLines: string[] = [];
    for (const line of lines) {
      const size = bytes(line) + 1;
      if (used + size > allowance) break;
      keptLines.push(line);
      used += size;
      kept++;
    }
    if (kept > 2) {
      parts.push(keptLines.join('\n') + '\n');
      shownFiles++;
    }
    const left = lines.length - 1 - kept;
    cut = `Diff cut to stay within the size limit: ${shownFiles} of ${files.length} files shown${kept > 2 ? ` (the last one without its last ${left} lines)` : ''}.${fullDiffWhere ? ` The full diff is in ${fullDiffWhere}.` : ''}`;
    break;
  }
  const content = parts.join('');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(content) + 1));
  const summary = `Diff of ${env.environment}: ${files.length} file${files.length === 1 ? '' : 's'}, +${added} -${removed}`;
  const lines = ['<details>', `<summary>${escapeHtml(summary)}</summary>`, ''];
  if (content !== '') lines.push(`${fence}diff`, content.replace(/\n$/, ''), fence, '');
  if (cut) lines.push(`> ${cut}`, '');
  lines.push('</details>', '');
  return { markdown: lines.join('\n'), truncated: cut !== undefined };
}

function fileText(f: FileDiff): string {
  if (f.text === '') return `# ${f.path}: ${f.note ?? 'no text'}\n`;
  return f.note ? `# ${f.path}: ${f.note}\n${f.text}` : f.text;
}

function diffBytes(files: readonly FileDiff[]): number {
  return files.reduce((n, f) => n + bytes(fileText(f)), 0);
}

/**
 * Splits `total` among needs so that small needs are met in full and the rest share equally
 * (water filling): nobody gets more than they need, and what one leaves goes to the others.
 */
export function shareBudget(needs: readonly number[], total: number): number[] {
  const out = needs.map(() => 0);
  const order = needs.map((n, i) => [n, i] as const).sort((a, b) => a[0] - b[0]);
  let left = total;
  order.forEach(([need, i], k) => {
    const fair = Math.floor(left / (order.length - k));
    out[i] = Math.min(need, fair);
    left -= out[i];
  });
  return out;
}

/** A code span that holds any text on one line: a fence longer than any backtick run inside, pipes escaped for tables. */
export function code(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Text for a table cell or a quote: one line, no HTML, no table breaks. */
function oneLine(text: string): string {
  return escapeHtml(text.replace(/[\r\n]+/g, ' ')).replace(/\|/g, '\\|');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
