import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Finding } from '../../../shared/manifests/finding';
import { parseManifests } from '../../../shared/manifests/parse';
import { renderEnvironment, RenderRequest } from '../../../shared/render/render';
import { parseValuesFile } from '../../../shared/render/variables';
import { checkApiRules } from '../../../shared/validate/api-rules/registry';
import { DEFAULT_POLICY_SEVERITIES } from '../../../shared/validate/policy';
import { validateSchemas } from '../../../shared/validate/schema';
import { validateManifests } from '../../../shared/validate/validate-manifests';
import { processTools, toolsBin } from '../../harness/process-tools';

const fixtures = path.join(process.cwd(), 'test/fixtures');

async function render(repoRoot: string, templates: string, environment: string, extra: Partial<RenderRequest> = {}) {
  const valuesFile = path.join(repoRoot, 'deploy/environments', `${environment}.yaml`);
  const variables = fs.existsSync(valuesFile) ? parseValuesFile(fs.readFileSync(valuesFile, 'utf8'), 'env').variables : new Map<string, string>();
  const rendered = await renderEnvironment({
    repoRoot,
    templates: path.join(repoRoot, templates),
    renderer: 'auto',
    environment,
    variables,
    helmValuesFiles: [],
    valuesFiles: [],
    releaseName: 'web',
    workDir: fs.mkdtempSync(path.join(os.tmpdir(), 'no-false-positives-')),
    tools: processTools([toolsBin()]),
    ...extra,
  });
  assert.deepEqual(
    rendered.findings.filter((f) => f.rule.startsWith('render/')),
    [],
  );
  return rendered;
}

function brief(findings: Finding[]): string[] {
  return findings.map((f) => `${f.rule} ${f.severity} ${f.file}:${f.line}:${f.column} ${f.message}`);
}

/**
 * The API server rules find nothing on valid objects: every fixture repository (whatever else is wrong with it,
 * on purpose, for other checks) and a real upstream Helm chart.
 */
describe('API server rules: no false positives', () => {
  const cases: [string, string, string[]][] = [
    ['duplicate-object', 'deploy/manifests', ['dev']],
    ['everything-in-deploy', 'deploy', ['dev', 'stage', 'prod']],
    ['flux-api-versions', 'deploy/manifests', ['dev']],
    ['flux-layout', 'clusters/dev', ['dev']],
    ['helm-chart', 'deploy/chart', ['dev', 'prod']],
    ['kustomize-overlays', 'deploy/overlays/{environment}', ['dev', 'prod']],
    ['plaintext-secret', 'deploy/manifests', ['dev']],
    ['removed-api', 'deploy/manifests', ['dev']],
    ['unknown-field', 'deploy/manifests', ['dev']],
    ['vso-injection', 'deploy/manifests', ['dev']],
    ['warnings-only', 'deploy/manifests', ['dev']],
    ['wrong-type', 'deploy/manifests', ['dev']],
  ];
  for (const [repo, templates, environments] of cases) {
    it(`fixture ${repo}`, async () => {
      for (const environment of environments) {
        const rendered = await render(path.join(fixtures, 'repos', repo), templates.replace('{environment}', environment), environment);
        assert.ok(rendered.objects.length > 0, `${repo} ${environment} renders objects`);
        assert.deepEqual(brief(checkApiRules(rendered.objects, { kubernetesVersion: '1.32' })), [], `${repo} ${environment}`);
        // The enums of the Kubernetes API types come with the schema check: none on these objects, in any version.
        for (const kubernetesVersion of ['1.30', '1.36']) {
          const enums = validateSchemas(rendered.objects, { kubernetesVersion }).filter((f) => f.rule === 'k8s/enum');
          assert.deepEqual(brief(enums), [], `${repo} ${environment} ${kubernetesVersion}`);
        }
      }
    });
  }

  it('the podinfo chart (stefanprodan/podinfo 6.14.1) rendered with Helm: defaults, and prod values with every optional part on', () => {
    // helm itself, not the renderer: the chart's test pods hold shell variables (${PODINFO_SVC}) that the
    // renderer's strict substitution would stop at.
    const chart = path.join(fixtures, 'charts/podinfo');
    const helm = (...args: string[]) =>
      parseManifests(
        execFileSync(path.join(toolsBin(), 'helm'), ['template', 'web', chart, '--kube-version', '1.32', ...args], { encoding: 'utf8' }),
        'podinfo',
      );
    const defaults = helm();
    const prod = helm(
      '--values',
      path.join(chart, 'values-prod.yaml'),
      '--set',
      'redis.enabled=true,hpa.enabled=true,ingress.enabled=true,serviceAccount.enabled=true,podDisruptionBudget.maxUnavailable=1,certificate.create=false',
    );
    assert.deepEqual(
      defaults.objects.map((o) => o.kind),
      ['Service', 'Deployment', 'Pod', 'Pod', 'Pod', 'Pod', 'Pod', 'Pod'].slice(0, defaults.objects.length),
    );
    assert.deepEqual(
      prod.objects.map((o) => o.kind).filter((k) => k !== 'Pod'),
      ['ServiceAccount', 'ConfigMap', 'Service', 'Service', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress'],
    );
    for (const rendered of [defaults, prod]) {
      assert.deepEqual(rendered.errors, []);
      const validation = validateManifests(rendered.objects, { kubernetesVersion: '1.32', policy: DEFAULT_POLICY_SEVERITIES });
      // The one error is the project's own policy, not the API server's: the chart's JWT test pod uses an untagged image.
      assert.deepEqual(
        validation.findings.filter((f) => f.severity === 'error').map((f) => f.rule),
        ['policy/image-tag'],
      );
      assert.deepEqual(brief(checkApiRules(rendered.objects, { kubernetesVersion: '1.32' })), []);
    }
  });
});
