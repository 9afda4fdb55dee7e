/**
 * Suppression works like hadolint: `# hadolint ignore=DL3008,DL3015` in the comment lines directly
 * above an instruction suppresses those rules for that instruction; `# hadolint global ignore=DL3006`
 * anywhere suppresses them for the whole file. Rule ids in either list may also be `dockerfile/...`
 * ids. Then severities are overridden, duplicates dropped and positions made 1-based.
 */
import type { Instruction } from 'dockerfile-ast';
import type { Finding, Severity } from '../../manifests/finding';
import type { RawFinding } from './raw-finding';

export type DockerfileRuleSeverity = Severity | 'off';

export function finalFindings(
  file: string,
  raw: RawFinding[],
  lines: string[],
  instructions: Instruction[],
  severities: Readonly<Record<string, DockerfileRuleSeverity>> = {},
): Finding[] {
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
  for (const [k, v] of Object.entries(severities)) overrides.set(k.toLowerCase(), v);

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
