import * as assert from 'node:assert/strict';
import { parseManifests } from '../../../shared/manifests/parse';
import { checkImageReferences } from '../../../shared/validate/image-reference';
import { validateManifests } from '../../../shared/validate/validate-manifests';
import { DEFAULT_POLICY_SEVERITIES } from '../../../shared/validate/policy';

const FILE = 'deploy/front.yaml';
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: front
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: contosoacr.azurecr.io/azvote/migrate:1.0
      containers:
        - name: front
          image: $AZURE_VOTE_IMAGE_REPO/azure-vote-front:v3
        - name: sidecar
          image: Contoso/Sidecar:1
      ephemeralContainers:
        - name: debug
          image: busybox@sha256:abc
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: "job:"
---
apiVersion: example.com/v1
kind: Deployment
metadata:
  name: custom
spec:
  template:
    spec:
      containers:
        - name: x
          image: NOT A REFERENCE
`;

describe('checkImageReferences (manifest/image-reference)', () => {
  it('reports each invalid container, init and ephemeral container image at its line, and only those', () => {
    const parsed = parseManifests(DEPLOYMENT, FILE);
    assert.deepEqual(parsed.errors, []);
    const findings = checkImageReferences(parsed.objects);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.severity, f.file, f.line, f.object?.name]),
      [
        ['manifest/image-reference', 'error', FILE, 13, 'front'],
        ['manifest/image-reference', 'error', FILE, 15, 'front'],
        ['manifest/image-reference', 'error', FILE, 18, 'front'],
        ['manifest/image-reference', 'error', FILE, 31, 'nightly'],
      ],
    );
    assert.equal(
      findings[0].message,
      'container "front" in Deployment front: "$AZURE_VOTE_IMAGE_REPO/azure-vote-front:v3" is not a valid image reference: "$AZURE_VOTE_IMAGE_REPO" was never substituted; the image can never be pulled',
    );
    assert.match(
      findings[1].message,
      /"Contoso\/Sidecar:1" is not a valid image reference: "Sidecar" is not a valid path component \(repository paths are lowercase\)/,
    );
    assert.match(findings[2].message, /^ephemeral container "debug" in Deployment front: .*invalid digest "sha256:abc"/);
    assert.match(findings[3].message, /invalid tag ""/);
  });

  it('runs with every other check on rendered objects', () => {
    const parsed = parseManifests(DEPLOYMENT, FILE);
    const result = validateManifests(parsed.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES });
    assert.equal(result.findings.filter((f) => f.rule === 'manifest/image-reference').length, 4);
    assert.equal(typeof result.timings.imageReferences, 'number');
  });
});
