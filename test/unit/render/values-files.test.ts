import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { valuesFileMatcher } from '../../../shared/render/values-files';

describe('valuesFileMatcher', () => {
  const repoRoot = path.resolve('/repo');
  const at = (rel: string) => path.join(repoRoot, rel);

  it('matches the values file of any environment, not only the one rendered', () => {
    const isValuesFile = valuesFileMatcher(repoRoot, ['deploy/environments/{environment}.yaml']);
    assert.deepEqual(
      ['deploy/environments/dev.yaml', 'deploy/environments/prod.yaml', 'deploy/environments/qa-2.yaml'].map((f) => isValuesFile(at(f))),
      [true, true, true],
    );
  });

  it('lets {environment} stand for one path segment only, and matches nothing else', () => {
    const isValuesFile = valuesFileMatcher(repoRoot, ['deploy/environments/{environment}.yaml']);
    assert.deepEqual(
      ['deploy/environments/eu/prod.yaml', 'deploy/environments/prod.yml', 'deploy/deployment.yaml', 'deploy/environmentsXprod.yaml'].map((f) =>
        isValuesFile(at(f)),
      ),
      [false, false, false, false],
    );
  });

  it('takes Helm values patterns, absolute patterns and patterns without {environment}, ignoring empty ones', () => {
    const isValuesFile = valuesFileMatcher(repoRoot, ['', 'deploy/values-{environment}.yaml', at('deploy/{environment}/values.yaml'), 'deploy/common.yaml']);
    assert.deepEqual(
      ['deploy/values-prod.yaml', 'deploy/dev/values.yaml', 'deploy/common.yaml', 'deploy/values.yaml', 'deploy/dev/app.yaml'].map((f) => isValuesFile(at(f))),
      [true, true, true, false, false],
    );
  });

  it('treats regular-expression characters in a pattern literally', () => {
    const isValuesFile = valuesFileMatcher(repoRoot, ['deploy/(env)+/{environment}.yaml']);
    assert.deepEqual([isValuesFile(at('deploy/(env)+/dev.yaml')), isValuesFile(at('deploy/envenv/dev.yaml'))], [true, false]);
  });

  it('matches nothing without patterns', () => {
    assert.equal(valuesFileMatcher(repoRoot, [])(at('deploy/environments/dev.yaml')), false);
  });
});
