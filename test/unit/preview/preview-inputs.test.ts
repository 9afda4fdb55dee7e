import * as assert from 'node:assert/strict';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { readPreviewInputs } from '../../../shared/workflows/pr-preview-inputs';
import { previewCommentKey, previewStatus } from '../../../shared/workflows/pr-preview';
import { environmentChange } from '../../../shared/preview/environment-change';

const agent = (inputs: Record<string, string>, variables: Record<string, string> = { 'Build.Repository.Name': 'voting-app' }) =>
  new MemoryAgent({ inputs, variables });

describe('preview: inputs and status', () => {
  it('reads nothing when preview is off, and the defaults of GitOpsPromote@1 when it is on', () => {
    assert.equal(readPreviewInputs(agent({ gitopsRepository: 'fleet' }), ['dev']), undefined);
    assert.deepEqual(readPreviewInputs(agent({ preview: 'true', gitopsRepository: 'infra/fleet' }), ['dev', 'prod']), {
      repository: 'infra/fleet',
      repositoryConnection: undefined,
      targetBranch: 'main',
      targetFolder: 'apps/{environment}/{app}',
      layout: 'filePerObject',
      app: 'voting-app',
    });
    assert.equal(readPreviewInputs(agent({ preview: 'true', gitopsRepository: 'fleet', layout: 'singleFile' }), ['dev'])?.layout, 'singleFile');
  });

  it('names the input that is wrong', () => {
    assert.throws(() => readPreviewInputs(agent({ preview: 'true' }), ['dev']), /^InputError: Input "gitopsRepository": is required when preview is true/);
    assert.throws(
      () => readPreviewInputs(agent({ preview: 'true', gitopsRepository: 'a/b/c' }), ['dev']),
      /Input "gitopsRepository": repository "a\/b\/c": expected/,
    );
    assert.throws(() => readPreviewInputs(agent({ preview: 'true', gitopsRepository: 'fleet' }, {}), ['dev']), /Input "appName": is required/);
    assert.throws(
      () => readPreviewInputs(agent({ preview: 'true', gitopsRepository: 'fleet', targetFolder: '/' }), ['dev']),
      /Input "targetFolder": must name a folder/,
    );
    assert.throws(() => readPreviewInputs(agent({ preview: 'true', gitopsRepository: 'fleet', layout: 'oneFile' }), ['dev']), /Input "layout"/);
  });

  it('keys the comment per application in the marker alphabet', () => {
    assert.equal(previewCommentKey('voting app (web)'), 'preview/voting_app_web_');
  });

  it('sums the objects that change in the status, and fails it when an environment does not render', () => {
    const changed = environmentChange([{ path: 'a.yaml', after: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' }], 0);
    const none = environmentChange([], 3);
    const env = (environment: string, outcome: 'changed' | 'unchanged' | 'failed') => ({
      environment,
      folder: `apps/${environment}/a`,
      outcome,
      change: outcome === 'changed' ? changed : none,
    });
    assert.deepEqual(previewStatus([env('dev', 'changed'), env('stage', 'unchanged'), env('prod', 'changed')]), {
      state: 'succeeded',
      description: '2 objects change in dev, prod',
      context: { genre: 'gitops-flow', name: 'preview' },
    });
    assert.equal(previewStatus([env('dev', 'unchanged')]).description, 'No change in dev');
    assert.deepEqual(previewStatus([env('dev', 'failed'), env('prod', 'changed')]).description, 'Rendering failed for dev');
  });
});
