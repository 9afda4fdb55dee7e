import { strict as assert } from 'node:assert';
import { parseManifests } from '../../../shared/manifests/parse';
import type { Finding } from '../../../shared/manifests/finding';
import { SCHEMA_KUBERNETES_VERSIONS, validateSchemas } from '../../../shared/validate/schema';
import fluxData from '../../../shared/validate/schemas/flux.json';

const FILE = 'clusters/prod/flux.yaml';

function validate(text: string, kubernetesVersion = '1.32'): string[] {
  const parsed = parseManifests(text, FILE, { yaml: '1.2' });
  assert.deepEqual(parsed.errors, []);
  return validateSchemas(parsed.objects, { kubernetesVersion }).map((f: Finding) => `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`);
}

/** The Flux schema data generated from the CRDs (scripts/generate-flux-schemas.mjs), as schema.ts reads it. */
describe('schema: Flux kinds from the CRDs of microsoft.flux 1.23.0', () => {
  it('has every kind of the Flux 2.7 controllers in each apiVersion the extension serves, and none it removed', () => {
    assert.deepEqual(
      fluxData.kinds.map(([apiVersion, kind]) => `${apiVersion} ${kind}`),
      [
        'helm.toolkit.fluxcd.io/v2 HelmRelease',
        'image.toolkit.fluxcd.io/v1 ImagePolicy',
        'image.toolkit.fluxcd.io/v1 ImageRepository',
        'image.toolkit.fluxcd.io/v1 ImageUpdateAutomation',
        'image.toolkit.fluxcd.io/v1beta2 ImagePolicy',
        'image.toolkit.fluxcd.io/v1beta2 ImageRepository',
        'image.toolkit.fluxcd.io/v1beta2 ImageUpdateAutomation',
        'kustomize.toolkit.fluxcd.io/v1 Kustomization',
        'notification.toolkit.fluxcd.io/v1 Receiver',
        'notification.toolkit.fluxcd.io/v1beta2 Alert',
        'notification.toolkit.fluxcd.io/v1beta2 Provider',
        'notification.toolkit.fluxcd.io/v1beta2 Receiver',
        'notification.toolkit.fluxcd.io/v1beta3 Alert',
        'notification.toolkit.fluxcd.io/v1beta3 Provider',
        'source.toolkit.fluxcd.io/v1 Bucket',
        'source.toolkit.fluxcd.io/v1 ExternalArtifact',
        'source.toolkit.fluxcd.io/v1 GitRepository',
        'source.toolkit.fluxcd.io/v1 HelmChart',
        'source.toolkit.fluxcd.io/v1 HelmRepository',
        'source.toolkit.fluxcd.io/v1 OCIRepository',
      ],
    );
    assert.deepEqual(fluxData.release, { extension: 'microsoft.flux 1.23.0', flux: '2.7' });
  });

  it('checks metadata against the Kubernetes ObjectMeta of every data version, for every Flux kind', () => {
    for (const version of SCHEMA_KUBERNETES_VERSIONS) {
      for (const [apiVersion, kind] of fluxData.kinds) {
        const text = `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: x\n  lables: {a: b}\n`;
        assert.deepEqual(
          validate(text, version).filter((f) => f.startsWith('schema/unknown-field')),
          [`schema/unknown-field error ${FILE}:5:3 unknown field metadata.lables (not in the Flux 2.7 schema of ${apiVersion} ${kind}); did you mean labels?`],
          `${apiVersion} ${kind} at ${version}`,
        );
      }
    }
  });

  it('maps the CRD types: int64 is an integer, HelmRelease values any JSON (the CRD gives no type), maps of strings, date-times', () => {
    const text = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 10m
  chartRef: {kind: OCIRepository, name: web}
  maxHistory: 1.5
  # apiextensions JSON with x-kubernetes-preserve-unknown-fields and no type: the API server takes any value.
  values: "replicas: 2"
  commonMetadata:
    labels: {tier: 1}
status:
  conditions:
    - {type: Ready, status: "True", reason: Succeeded, message: ok, lastTransitionTime: 5}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: api
spec:
  interval: 10m
  chartRef: {kind: OCIRepository, name: api}
  maxHistory: 5
  values:
    replicas: 2
    nested: [1, "two", {three: 3}]
status:
  conditions:
    - {type: Ready, status: "True", reason: Succeeded, message: ok, lastTransitionTime: "2026-06-11T10:00:00Z"}
`;
    assert.deepEqual(validate(text), [
      `schema/type error ${FILE}:8:3 spec.maxHistory: expected integer, got number 1.5`,
      `schema/type error ${FILE}:12:14 spec.commonMetadata.labels.tier: expected string, got integer 1`,
      `schema/type error ${FILE}:15:69 status.conditions[0].lastTransitionTime: expected date-time string, got integer 5`,
    ]);
  });

  it('requires what the CRD requires, and only that', () => {
    // Kustomization v1 requires interval, prune and sourceRef (and sourceRef's kind and name); path is optional.
    const text = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  sourceRef: {name: platform}
`;
    assert.deepEqual(validate(text), [
      `schema/required error ${FILE}:7:3 missing required field spec.sourceRef.kind (kustomize.toolkit.fluxcd.io/v1 Kustomization)`,
      `schema/required error ${FILE}:5:1 missing required field spec.prune (kustomize.toolkit.fluxcd.io/v1 Kustomization)`,
    ]);
  });
});
