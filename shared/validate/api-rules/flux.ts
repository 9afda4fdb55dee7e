import type { FieldPath } from '../../manifests/model';
import { asRecord, report, type RuleContext } from './context';
import { printValue } from './messages';

/**
 * The `pattern`s of the Flux CRDs' duration fields (metav1.Duration with a kubebuilder Pattern): the API server
 * rejects `interval: 5 minutes` with `spec.interval in body should match '...'`. Source and image operations'
 * timeouts do not take hours.
 */
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
const SHORT_DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m))+$';

type Fields = ReadonlyArray<[FieldPath, string]>;

const SOURCE: Fields = [
  [['spec', 'interval'], DURATION],
  [['spec', 'timeout'], SHORT_DURATION],
];

/** `group kind` (every served version) -> duration fields and their pattern. */
const DURATION_FIELDS = new Map<string, Fields>([
  [
    'kustomize.toolkit.fluxcd.io Kustomization',
    [
      [['spec', 'interval'], DURATION],
      [['spec', 'retryInterval'], DURATION],
      [['spec', 'timeout'], DURATION],
    ],
  ],
  ['source.toolkit.fluxcd.io GitRepository', SOURCE],
  ['source.toolkit.fluxcd.io OCIRepository', SOURCE],
  ['source.toolkit.fluxcd.io Bucket', SOURCE],
  ['source.toolkit.fluxcd.io HelmRepository', SOURCE],
  ['source.toolkit.fluxcd.io HelmChart', [[['spec', 'interval'], DURATION]]],
  [
    'helm.toolkit.fluxcd.io HelmRelease',
    [
      [['spec', 'interval'], DURATION],
      [['spec', 'timeout'], DURATION],
      [['spec', 'chart', 'spec', 'interval'], DURATION],
      [['spec', 'install', 'timeout'], DURATION],
      [['spec', 'upgrade', 'timeout'], DURATION],
      [['spec', 'test', 'timeout'], DURATION],
      [['spec', 'rollback', 'timeout'], DURATION],
      [['spec', 'uninstall', 'timeout'], DURATION],
    ],
  ],
  ['image.toolkit.fluxcd.io ImageRepository', SOURCE],
  ['image.toolkit.fluxcd.io ImagePolicy', [[['spec', 'interval'], DURATION]]],
  ['image.toolkit.fluxcd.io ImageUpdateAutomation', [[['spec', 'interval'], DURATION]]],
  ['notification.toolkit.fluxcd.io Receiver', [[['spec', 'interval'], DURATION]]],
  ['notification.toolkit.fluxcd.io Provider', SOURCE],
]);

const compiled = new Map<string, RegExp>();

export function isFluxKind(apiVersion: string): boolean {
  return apiVersion.includes('.toolkit.fluxcd.io/');
}

export function checkFluxDurations(ctx: RuleContext): void {
  const { apiVersion, kind, body } = ctx.obj;
  const fields = DURATION_FIELDS.get(`${apiVersion.slice(0, apiVersion.lastIndexOf('/'))} ${kind}`);
  if (!fields) return;
  for (const [path, pattern] of fields) {
    let value: unknown = body;
    for (const part of path) value = asRecord(value)?.[part];
    if (typeof value !== 'string') continue; // absent, or the schema's type finding
    let re = compiled.get(pattern);
    if (!re) compiled.set(pattern, (re = new RegExp(pattern)));
    if (re.test(value)) continue;
    const field = path.join('.');
    report(ctx, 'schema/pattern', path, `Invalid value: ${printValue(value)}: ${field} in body should match '${pattern}'`);
  }
}
