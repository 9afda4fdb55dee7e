import type { ReconciliationResult } from '../azure/wait';
import { describeObject } from '../azure/flux-status';
import { formatDuration } from '../util/time-budget';
import type { RollbackOf } from './promote-context';
import type { VerificationResult } from './promote-verify';

export interface FolderChanges {
  added: string[];
  edited: string[];
  deleted: string[];
  unchanged: number;
}

/** What one promotion did, made from its steps' results (promotionRecord); the summary tab and the PR description are made from it. */
export interface PromotionRecord {
  app: string;
  release: string;
  environment: string;
  /** The application commit the release was built from. */
  sourceCommit: string;
  /** release.json's digest, and whether the releaseDigest input pinned it. */
  releaseDigest?: { digest: string; pinned: boolean };
  folder: string;
  mode: 'pullRequest' | 'push';
  version: string;
  objects?: number;
  repository?: string;
  repositoryUrl?: string;
  changes?: FolderChanges;
  branch?: string;
  commitId?: string;
  pullRequest?: { id: number; url: string; created: boolean };
  /** Older open promotion PRs abandoned in favour of this one. */
  superseded?: number[];
  /** This promotion's own earlier PRs, abandoned because they conflicted or the target changed the folder under them. */
  rebuilt?: number[];
  outcome?: 'unchanged' | 'pushed' | 'merged' | 'pull-request';
  deployedCommit?: string;
  reconciliation?: ReconciliationResult;
  verification?: VerificationResult;
  /** This run is a rollback (action: rollback, or onFailure: rollback): what it undid. */
  rollback?: RollbackOf;
  /** onFailure: rollback: from the failure to the end of the rollback (Flux reconciled on it, when awaited). */
  rollbackElapsedMs?: number;
  /** onFailure: rollback: the rollback this failed promotion was followed by (or its error). */
  rolledBack?: PromotionRecord;
  /** Why the promotion stopped, when it failed before the end. */
  error?: string;
}

/** The Kustomizations (on each cluster) Flux reported Ready without assessing the health of what they applied. */
export function healthNotAssessed(r: ReconciliationResult): string[] {
  return r.outcomes.flatMap((o) =>
    (o.last?.kustomizations ?? []).filter((k) => k.healthAssessed === false).map((k) => `${k.namespace ? `${k.namespace}/` : ''}${k.name} on ${o.label}`),
  );
}

/** The warning for those: what "reconciled" meant. */
export function healthNotAssessedWarning(kustomizations: readonly string[]): string {
  return `Reconciled, health not assessed: Kustomization ${kustomizations.join(', ')} has neither wait: true nor healthChecks, so "reconciled" means its objects were applied, not that they are healthy`;
}

/** Markdown table cells cannot hold pipes or newlines. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function changeLines(changes: FolderChanges, limit: number): string[] {
  const rows = [
    ...changes.added.map((f) => `| added | \`${cell(f)}\` |`),
    ...changes.edited.map((f) => `| changed | \`${cell(f)}\` |`),
    ...changes.deleted.map((f) => `| deleted | \`${cell(f)}\` |`),
  ];
  if (rows.length === 0) return ['No file differs from what the environment holds.'];
  const shown = rows.slice(0, limit);
  if (rows.length > limit) shown.push(`| ... | ${rows.length - limit} more |`);
  return ['| Change | File |', '|---|---|', ...shown];
}

function digestNote(pinned: boolean): string {
  return pinned ? 'matches the releaseDigest input' : 'not pinned by the releaseDigest input';
}

/** The pull request's description: what is promoted, from where, and the file changes (within Azure DevOps' 4,000 characters). */
export function pullRequestDescription(record: PromotionRecord, buildUrl: string | undefined): string {
  const lines = [
    record.rollback
      ? `Rolls **${record.app}** on **${record.environment}** back from release **${record.rollback.fromRelease}** to **${record.release}**: \`/${record.folder}\` as it was at \`${record.rollback.restoredFrom.slice(0, 12)}\` (${record.objects ?? 0} object(s)), before the promotion \`${record.rollback.fromCommit.slice(0, 12)}\`.`
      : `Promotes **${record.app}** release **${record.release}** to **${record.environment}**: ${record.objects ?? 0} object(s) rendered and validated into \`/${record.folder}\`.`,
    '',
    record.rollback
      ? `Made${buildUrl ? ` by [this pipeline run](${buildUrl})` : ''} from the GitOps repository's own history.`
      : `Built from commit \`${record.sourceCommit.slice(0, 12)}\`${buildUrl ? ` by [this pipeline run](${buildUrl})` : ''}.`,
    '',
    ...(record.releaseDigest ? [`Release digest \`${record.releaseDigest.digest}\` (${digestNote(record.releaseDigest.pinned)}).`, ''] : []),
  ];
  let limit = 40;
  let text: string;
  do {
    text = [
      ...lines,
      ...changeLines(record.changes ?? { added: [], edited: [], deleted: [], unchanged: 0 }, limit),
      '',
      `_Written by GitOpsPromote@${record.version}. Do not edit these files by hand: the next promotion replaces them._`,
    ].join('\n');
    limit = Math.floor(limit / 2);
  } while (text.length > 3900 && limit > 0);
  return text;
}

/** The summary tab of the run. */
export function promotionMarkdown(record: PromotionRecord): string {
  const out = record.rollback
    ? [
        `## ${record.app} on ${record.environment}: rollback ${record.rollback.fromRelease} → ${record.release}`,
        '',
        `${record.rollbackElapsedMs !== undefined ? `Rolled back automatically (onFailure: rollback) in ${formatDuration(record.rollbackElapsedMs)}, from the failure to the end of the rollback. ` : ''}Restores \`/${cell(record.folder)}\` as it was at \`${record.rollback.restoredFrom.slice(0, 12)}\`, before the promotion of ${cell(record.rollback.fromRelease)} (\`${record.rollback.fromCommit.slice(0, 12)}\`).`,
        '',
      ]
    : [`## ${record.app} ${record.release} → ${record.environment}`, ''];
  const outcome: Record<NonNullable<PromotionRecord['outcome']>, string> = {
    unchanged: 'The environment already held exactly these manifests: nothing was committed.',
    pushed: `Pushed \`${record.deployedCommit?.slice(0, 12)}\` directly to the target branch.`,
    merged: `Pull request ${record.pullRequest ? `[${record.pullRequest.id}](${record.pullRequest.url})` : ''} merged as \`${record.deployedCommit?.slice(0, 12)}\`.`,
    'pull-request': `Pull request ${record.pullRequest ? `[${record.pullRequest.id}](${record.pullRequest.url})` : ''} ${record.pullRequest?.created ? 'opened' : 'adopted'}; the merge was not awaited.`,
  };
  out.push(`| | |`, `|---|---|`);
  out.push(`| Repository | ${record.repositoryUrl ? `[${cell(record.repository ?? '')}](${record.repositoryUrl})` : cell(record.repository ?? '')} |`);
  out.push(`| Folder | \`/${cell(record.folder)}\` |`);
  out.push(`| Objects | ${record.objects ?? 0} |`);
  out.push(`| Source commit | \`${record.sourceCommit.slice(0, 12)}\` |`);
  if (record.releaseDigest) out.push(`| Release digest | \`${record.releaseDigest.digest}\` (${digestNote(record.releaseDigest.pinned)}) |`);
  out.push(`| Delivery | ${record.mode === 'push' ? 'direct push' : 'pull request'} |`);
  if (record.branch) out.push(`| Promotion branch | \`${cell(record.branch)}\` |`);
  if (record.commitId) out.push(`| Commit | \`${record.commitId.slice(0, 12)}\` |`);
  const unfinished = record.pullRequest
    ? `Pull request [${record.pullRequest.id}](${record.pullRequest.url}) ${record.pullRequest.created ? 'opened' : 'adopted'}, but the promotion did not finish.`
    : 'The promotion did not finish.';
  out.push('', record.outcome ? outcome[record.outcome] : unfinished, '');
  if (record.error) out.push('```', record.error.replace(/```/g, "'''"), '```', '');
  if (record.superseded?.length) out.push(`Abandoned the superseded pull request(s) ${record.superseded.join(', ')}.`, '');
  if (record.rebuilt?.length)
    out.push(`Abandoned the stale pull request(s) ${record.rebuilt.join(', ')} of this promotion and rebuilt the change on the current target.`, '');
  if (record.changes) out.push('### Changes', '', ...changeLines(record.changes, 200), '');
  const r = record.reconciliation;
  if (r) {
    out.push('### Flux', '', r.ok ? `Reconciled in ${formatDuration(r.elapsedMs)} (${r.requests} ARM request(s)).` : 'Not reconciled.', '');
    out.push('| Cluster | State | Synced | Compliance | Detail |', '|---|---|---|---|---|');
    for (const o of r.outcomes) {
      const detail = o.state === 'reconciled' && o.reconciledAfterMs !== undefined ? `after ${formatDuration(o.reconciledAfterMs)}` : o.message;
      out.push(`| ${cell(o.label)} | ${o.state} | ${cell(o.last?.syncedRevision ?? '-')} | ${cell(o.last?.complianceState ?? '-')} | ${cell(detail)} |`);
    }
    const failing = r.outcomes.flatMap((o) =>
      [...(o.last?.kustomizations ?? []), ...(o.last?.objects ?? [])]
        .filter((x) => x.complianceState !== 'Compliant')
        .map((x) => `- ${cell(o.label)}: ${cell(describeObject(x))}`),
    );
    if (!r.ok && failing.length > 0) out.push('', 'Objects not compliant:', '', ...failing.slice(0, 50));
    const unassessed = r.ok ? healthNotAssessed(r) : [];
    if (unassessed.length > 0) out.push('', `⚠ ${cell(healthNotAssessedWarning(unassessed))}.`);
    out.push('');
  }
  const v = record.verification;
  if (v) {
    out.push('### Verification', '', v.ok ? `Verified in ${formatDuration(v.elapsedMs)}.` : cell(v.message), '');
    out.push('| URL | Result | Answers | First failing answer |', '|---|---|---|---|');
    for (const c of v.checks) out.push(`| ${cell(c.display)} | ${c.ok ? 'passed' : 'failed'} | ${c.attempts} | ${cell(c.firstFailure ?? '-')} |`);
    out.push('');
  }
  if (record.rolledBack) out.push('---', '', promotionMarkdown(record.rolledBack));
  return out.join('\n');
}
