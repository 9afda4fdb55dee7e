/** The message a finished wait ends with: one line when every cluster reconciled, else what each cluster showed last. */
import { formatDuration } from '../util/time-budget';
import type { ClusterRef } from './cluster-ref';
import { describeObject, Evaluation } from './flux-status';

export type ClusterState = 'waiting' | 'reconciled' | 'failed' | 'timed-out' | 'cancelled';

export interface ClusterOutcome {
  cluster: ClusterRef;
  label: string;
  state: ClusterState;
  /** What the last read showed (undefined when no read succeeded). */
  last?: Evaluation;
  lastError?: string;
  message: string;
  requests: number;
  /** When the wait saw it reconciled (ms since the start). */
  reconciledAfterMs?: number;
}

export function summarize(outcomes: ClusterOutcome[], target: string, configurationName: string, elapsedMs: number): string {
  const sha = target.slice(0, 12);
  const config = configurationName;
  if (outcomes.every((o) => o.state === 'reconciled')) {
    return `Flux configuration ${config} reconciled ${sha} on ${outcomes.length} cluster${outcomes.length === 1 ? '' : 's'} in ${formatDuration(elapsedMs)}`;
  }
  const failed = outcomes.filter((o) => o.state === 'failed');
  const timedOut = outcomes.filter((o) => o.state === 'timed-out');
  const head = failed.length
    ? `Flux configuration ${config} failed to reconcile ${sha} on ${failed.map((o) => o.label).join(', ')}`
    : `Timed out after ${formatDuration(elapsedMs)} waiting for Flux configuration ${config} to reconcile ${sha} on ${timedOut.length} of ${outcomes.length} cluster${outcomes.length === 1 ? '' : 's'}`;
  const lines = outcomes
    .filter((o) => o.state !== 'reconciled')
    .map((o) => {
      const seen = o.last
        ? `synced ${o.last.syncedRevision ?? 'nothing yet'}, ${o.last.complianceState}` +
          [...o.last.kustomizations, ...o.last.objects].map((x) => `\n      ${describeObject(x)}`).join('')
        : 'never answered';
      const err = o.lastError ? `\n      last error: ${o.lastError}` : '';
      return `  - ${o.label} [${o.state}]: ${o.message}\n    last seen: ${seen}${err}`;
    });
  return [head, ...lines].join('\n');
}
