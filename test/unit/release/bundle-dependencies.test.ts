import * as assert from 'node:assert/strict';
import { dependencyProblems, ReleaseDependency } from '../../../shared/release/bundle-dependencies';

const dep = (file: string, digest: string): ReleaseDependency => ({
  chart: 'deploy/chart',
  name: 'cache',
  version: '1.2.0',
  repository: 'https://charts.example.com',
  file,
  sha256: digest,
});

describe('dependencyProblems (release.json helmDependencies against files)', () => {
  it('accepts a release without dependencies and dependencies listed with their digest', () => {
    assert.deepEqual(dependencyProblems(undefined, {}), []);
    assert.deepEqual(dependencyProblems([dep('source/c/charts/cache-1.2.0.tgz', 'aa')], { 'source/c/charts/cache-1.2.0.tgz': 'aa' }), []);
  });

  it('names an archive that is not a file of the release, or has another digest', () => {
    assert.deepEqual(dependencyProblems([dep('source/c/charts/cache-1.2.0.tgz', 'aa')], {}), [
      'source/c/charts/cache-1.2.0.tgz: Helm dependency "cache" is not a file of the release',
    ]);
    assert.deepEqual(dependencyProblems([dep('source/c/charts/cache-1.2.0.tgz', 'aa')], { 'source/c/charts/cache-1.2.0.tgz': 'bb' }), [
      'source/c/charts/cache-1.2.0.tgz: Helm dependency "cache" has another digest than release.json records for it',
    ]);
  });
});
