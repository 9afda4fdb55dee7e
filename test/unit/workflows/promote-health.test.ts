import * as assert from 'node:assert/strict';
import type { ReconciliationResult } from '../../../shared/azure/wait';
import { selectObjects } from '../../../shared/azure/flux-status';
import { healthNotAssessed, healthNotAssessedWarning, promotionMarkdown } from '../../../shared/workflows/promote-report';
import { promotionRecord } from '../../../shared/workflows/promote-context';
import { subject } from './promotion-world';

const ready = { type: 'Ready', status: 'True' as const, reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:abc' };
const healthy = { type: 'Healthy', status: 'True' as const, reason: 'Succeeded', message: 'Health check passed' };

describe('health: what "reconciled" meant for each Kustomization', () => {
  const status = {
    statuses: [
      { kind: 'Kustomization', name: 'voting-app-dev', namespace: 'flux-system', complianceState: 'Compliant', statusConditions: [ready, healthy] },
      { kind: 'Kustomization', name: 'infra', namespace: 'flux-system', complianceState: 'Compliant', statusConditions: [ready] },
      {
        kind: 'Deployment',
        name: 'web',
        namespace: 'voting-dev',
        complianceState: 'Compliant',
        appliedBy: { name: 'voting-app-dev', namespace: 'flux-system' },
        statusConditions: [ready],
      },
    ],
  };

  it('a Kustomization with a Healthy condition had its health assessed (wait or healthChecks), one without did not', () => {
    const { kustomizations, objects } = selectObjects(status, 'cluster-config', {});
    assert.deepEqual(
      kustomizations.map((k) => [k.name, k.healthAssessed]),
      [
        ['voting-app-dev', true],
        ['infra', false],
      ],
    );
    assert.equal(objects[0].healthAssessed, undefined, 'only Kustomizations are assessed or not');
  });

  it('a Kustomization the configuration defines counts as assessed by its wait (default true), as Arc may report only Ready', () => {
    // The shape of the API's own example (GetFluxConfiguration.json, 2025-04-01): statuses with Ready only.
    const arc = {
      kustomizations: { app: { wait: true }, infra: { wait: false }, defaults: {} },
      statuses: ['app', 'infra', 'defaults', 'nested'].map((name) => ({
        kind: 'Kustomization',
        name: name === 'nested' ? name : `cluster-config-${name}`,
        namespace: 'flux-system',
        complianceState: 'Compliant',
        statusConditions: [ready],
      })),
    };
    assert.deepEqual(
      selectObjects(arc, 'cluster-config', {}).kustomizations.map((k) => [k.name, k.healthAssessed]),
      [
        ['cluster-config-app', true],
        ['cluster-config-infra', false],
        ['cluster-config-defaults', true],
        // Not defined by the configuration (applied from the repository): only a Healthy condition tells.
        ['nested', false],
      ],
    );
  });

  it('warns, in the log and the summary, about Kustomizations reconciled without a health assessment', () => {
    const { kustomizations, objects } = selectObjects(status, 'cluster-config', {});
    const r = {
      ok: true,
      message: 'ok',
      elapsedMs: 1000,
      requests: 2,
      outcomes: [{ label: 'rg/arc-1', state: 'reconciled', message: 'ok', requests: 2, last: { kustomizations, objects } }],
    } as unknown as ReconciliationResult;
    assert.deepEqual(healthNotAssessed(r), ['flux-system/infra on rg/arc-1']);
    const warning =
      'Reconciled, health not assessed: Kustomization flux-system/infra on rg/arc-1 has neither wait: true nor healthChecks, so "reconciled" means its objects were applied, not that they are healthy';
    assert.equal(healthNotAssessedWarning(healthNotAssessed(r)), warning);
    const md = promotionMarkdown(promotionRecord(subject(), 'push', { delivery: { outcome: 'pushed', deployedCommit: 'f'.repeat(40) }, reconciliation: r }));
    assert.ok(md.includes(`⚠ ${warning}.`), md);
  });
});
