import { RELEASE_KIND, ReleaseManifest } from '../../../shared/release/release-manifest';

/** A release.json without its file list, as the tests of the bundle write and read it. */
export function sampleManifest(overrides: Partial<Omit<ReleaseManifest, 'files'>> = {}): Omit<ReleaseManifest, 'files'> {
  return {
    kind: RELEASE_KIND,
    app: 'voting-app',
    source: { repository: 'voting-app', branch: 'refs/heads/main', commit: 'abc' },
    build: { id: '1', number: '20260101.1' },
    publisher: { task: 'GitOpsCiPublish', version: '1.0.0' },
    images: [
      {
        name: 'WEB',
        repository: 'a.io/web',
        tag: '7',
        reference: 'a.io/web:7',
        strategy: 'fixed',
        sourcePaths: ['src/web'],
        variables: { WEB_TAG: '7', WEB_IMAGE: 'a.io/web' },
      },
    ],
    render: { templates: 'deploy', renderer: 'auto', valuesFile: '', helmValuesFiles: [], kubernetesVersion: '1.32', variables: {} },
    environments: [{ name: 'dev', renderer: 'plain', objects: 1, errors: 0, warnings: 0 }],
    ...overrides,
  };
}
