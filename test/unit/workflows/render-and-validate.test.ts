/**
 * Each bad input of test/fixtures/repos gives exactly the finding it should, at the right place,
 * through the same render-and-validate path the tasks use (real helm and kubectl).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DEFAULT_POLICY_SEVERITIES, PolicySeverities } from '../../../shared/validate/policy';
import type { Finding } from '../../../shared/manifests/finding';
import { allFindings, renderAndValidate, RenderAndValidateOptions } from '../../../shared/workflows/render-and-validate';
import { processTools, toolsBin } from '../../harness/process-tools';
import { tempFolders } from '../../harness/temp-folders';

const fixtures = path.join(process.cwd(), 'test/fixtures/repos');
const POLICY_OFF: PolicySeverities = { imageTag: 'off', resources: 'off', privileged: 'off', runAsRoot: 'off', hostPath: 'off', probes: 'off' };

/** Each render's work folder, removed after the file's tests. */
const workDir = tempFolders('validate-test-');

function options(repo: string, overrides: Partial<RenderAndValidateOptions> = {}): RenderAndValidateOptions {
  return {
    repoRoot: repo.startsWith('/') ? repo : path.join(fixtures, repo),
    templates: 'deploy/manifests',
    renderer: 'auto',
    environments: ['dev'],
    valuesFile: 'deploy/environments/{environment}.yaml',
    variables: new Map(),
    helmValuesFiles: [],
    kubernetesVersion: '1.32',
    policy: POLICY_OFF,
    dockerfiles: [],
    tools: processTools([toolsBin()]),
    workDir: workDir(),
    ...overrides,
  };
}

const brief = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.rule} ${f.file}:${f.line ?? ''}`);

describe('renderAndValidate on bad inputs', () => {
  it('malformed YAML: a syntax error at its line', async () => {
    const report = await renderAndValidate(options('malformed-yaml'));
    assert.deepEqual(brief(allFindings(report)), ['error yaml/syntax deploy/manifests/configmap.yaml:8']);
  });

  it('undefined variable: names the variable, file and line; a default (:=) is fine', async () => {
    const findings = allFindings(await renderAndValidate(options('undefined-variable')));
    assert.deepEqual(brief(findings), ['error render/undefined-variable deploy/manifests/configmap.yaml:8']);
    assert.match(findings[0].message, /"API_HOST"/);
  });

  it('unknown fields: replica and contianers, each with a suggestion', async () => {
    const findings = allFindings(await renderAndValidate(options('unknown-field')));
    const unknown = findings.filter((f) => f.rule === 'schema/unknown-field');
    assert.deepEqual(brief(unknown), [
      'error schema/unknown-field deploy/manifests/deployment.yaml:7',
      'error schema/unknown-field deploy/manifests/deployment.yaml:16',
    ]);
    assert.match(unknown[0].message, /spec\.replica\b.*did you mean replicas\?/);
    assert.match(unknown[1].message, /spec\.template\.spec\.contianers.*did you mean containers\?/);
    assert.deepEqual(unknown[0].object, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'team-a', name: 'web' });
  });

  it('wrong type: replicas must be an integer', async () => {
    const findings = allFindings(await renderAndValidate(options('wrong-type')));
    assert.deepEqual(brief(findings), ['error schema/type deploy/manifests/deployment.yaml:7']);
    assert.match(findings[0].message, /spec\.replicas/);
  });

  it('removed apiVersion: extensions/v1beta1 Ingress, at the apiVersion line, reported once', async () => {
    const findings = allFindings(await renderAndValidate(options('removed-api')));
    assert.deepEqual(brief(findings), ['error api/removed deploy/manifests/ingress.yaml:1']);
    assert.match(findings[0].message, /removed in Kubernetes 1\.22; use networking\.k8s\.io\/v1/);
  });

  it('plaintext Secret: an error at stringData that never shows the value', async () => {
    const findings = allFindings(await renderAndValidate(options('plaintext-secret')));
    assert.deepEqual(brief(findings), ['error secret/plaintext deploy/manifests/secret.yaml:7']);
    assert.ok(!findings[0].message.includes('hunter2'));
  });

  it('duplicate object: the second definition, pointing at the first', async () => {
    const findings = allFindings(await renderAndValidate(options('duplicate-object')));
    assert.deepEqual(brief(findings), ['error manifest/duplicate deploy/manifests/configmaps.yaml:9']);
    assert.match(findings[0].message, /ConfigMap team-a\/web-settings is defined twice; the first definition is at deploy\/manifests\/configmaps\.yaml:1/);
  });

  it('bad Dockerfile: findings with rule ids and lines', async () => {
    const repo = path.join(process.cwd(), 'test/fixtures');
    const report = await renderAndValidate(options(path.join(fixtures, 'duplicate-object'), { dockerfiles: [path.join(repo, 'dockerfiles/Dockerfile.bad')] }));
    const docker = report.dockerfiles[0];
    assert.equal(docker.file, '../../dockerfiles/Dockerfile.bad');
    assert.ok(docker.findings.some((f) => f.rule === 'DL3007'));
    assert.ok(docker.findings.every((f) => f.file === '../../dockerfiles/Dockerfile.bad' && typeof f.line === 'number'));
  });

  it('values file missing for an environment: an input error naming the file', async () => {
    await assert.rejects(renderAndValidate(options('wrong-type', { environments: ['dev', 'qa'] })), {
      name: 'InputError',
      message: /^Input "valuesFile": "deploy\/environments\/qa\.yaml" does not exist for environment "qa"/,
    });
  });

  it('environments listed twice or not at all are input errors', async () => {
    await assert.rejects(renderAndValidate(options('wrong-type', { environments: [] })), { message: /^Input "environments"/ });
    await assert.rejects(renderAndValidate(options('wrong-type', { environments: ['dev', 'dev'] })), {
      message: 'Input "environments": "dev" is listed twice',
    });
  });
});

describe('renderAndValidate on the sample app', () => {
  const app = path.join(process.cwd(), 'examples/app');
  const environments = ['dev', 'stage', 'prod'];

  it('the Helm chart validates clean in every environment with the default policy', async () => {
    const report = await renderAndValidate(
      options(app, {
        templates: 'deploy/helm/voting-app',
        environments,
        helmValuesFiles: ['deploy/helm/values-{environment}.yaml'],
        releaseName: 'voting-app',
        policy: DEFAULT_POLICY_SEVERITIES,
        dockerfiles: [path.join(app, 'src/web/Dockerfile')],
      }),
    );
    assert.deepEqual(allFindings(report), []);
    assert.deepEqual(
      report.environments.map((e) => [e.environment, e.renderer, e.objects]),
      [
        ['dev', 'helm', 7],
        ['stage', 'helm', 8],
        ['prod', 'helm', 9],
      ],
    );
  });

  it('the Kustomize overlays validate clean in every environment with the default policy', async () => {
    const report = await renderAndValidate(
      options(app, { templates: 'deploy/kustomize/overlays/{environment}', environments, policy: DEFAULT_POLICY_SEVERITIES }),
    );
    assert.deepEqual(allFindings(report), []);
    assert.deepEqual(
      report.environments.map((e) => [e.environment, e.renderer, e.objects]),
      [
        ['dev', 'kustomize', 7],
        ['stage', 'kustomize', 8],
        ['prod', 'kustomize', 9],
      ],
    );
  });
});
