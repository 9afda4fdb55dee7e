import * as assert from 'node:assert/strict';
import { environmentChange } from '../../../shared/preview/environment-change';
import { code, renderPreview, shareBudget } from '../../../shared/preview/markdown';
import { serializeObject } from '../../../shared/manifests/serialize';

const cm = (name: string, value: string) => serializeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: value } });

describe('preview: markdown', () => {
  it('renders a table per environment, the objects, images, and a collapsible diff; unchanged environments in one line', () => {
    const dev = environmentChange([{ path: 'configmap-a.yaml', before: cm('a', 'x'), after: cm('a', 'y') }], 2);
    const md = renderPreview(
      {
        app: 'voting-app',
        repository: 'Voting/gitops',
        branch: 'main',
        commitId: 'c'.repeat(40),
        environments: [
          { environment: 'dev', folder: 'apps/dev/voting-app', outcome: 'changed', change: dev },
          { environment: 'prod', folder: 'apps/prod/voting-app', outcome: 'unchanged', change: environmentChange([], 7) },
        ],
      },
      { budgetBytes: 60_000, fullDiffWhere: 'the summary tab' },
    );
    assert.equal(md.truncated, false);
    assert.equal(
      md.markdown,
      [
        '### GitOps preview: `voting-app`',
        '',
        'What promoting this rendering would change in `Voting/gitops`, compared with `main` at `cccccccccccc`.',
        '',
        '| Environment | Folder | Added | Changed | Removed | Images |',
        '|---|---|---:|---:|---:|---:|',
        '| `dev` | `apps/dev/voting-app` | 0 | 1 | 0 | 0 |',
        '| `prod` | `apps/prod/voting-app` | 0 | 0 | 0 | 0 |',
        '',
        '#### `dev`',
        '',
        '| Object | Change | Fields |',
        '|---|---|---|',
        '| `ConfigMap a` | changed | `data.v` |',
        '',
        '<details>',
        '<summary>Diff of dev: 1 file, +1 -1</summary>',
        '',
        '```diff',
        '--- a/configmap-a.yaml',
        '+++ b/configmap-a.yaml',
        '@@ -3,4 +3,4 @@',
        ' metadata:',
        '   name: a',
        ' data:',
        '-  v: x',
        "+  v: 'y'",
        '```',
        '',
        '</details>',
        '',
        '**`prod`**: no change (7 files already as rendered).',
        '',
      ].join('\n'),
    );
  });

  it('cuts the diffs to the budget, keeping the tables and saying where the full diff is', () => {
    const big = Array.from({ length: 40_000 }, (_, i) => `  line${i}: value`).join('\n');
    const files = [{ path: 'configmap-big.yaml', after: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${big}\n` }];
    const change = environmentChange(files, 0);
    assert.equal(change.files[0].added, 40_005);
    const md = renderPreview(
      { app: 'a', repository: 'p/g', branch: 'main', environments: [{ environment: 'dev', folder: 'apps/dev/a', outcome: 'changed', change }] },
      { budgetBytes: 60_000, fullDiffWhere: 'the summary tab' },
    );
    assert.equal(md.truncated, true);
    assert.ok(Buffer.byteLength(md.markdown) <= 60_000, `${Buffer.byteLength(md.markdown)} bytes`);
    assert.ok(Buffer.byteLength(md.markdown) > 55_000, 'the budget is used');
    assert.match(md.markdown, /\| `dev` \| `apps\/dev\/a` \| 1 \| 0 \| 0 \| 0 \|/);
    assert.match(
      md.markdown,
      /> Diff cut to stay within the size limit: 1 of 1 files shown \(the last one without its last \d+ lines\)\. The full diff is in the summary tab\./,
    );
  });

  it('shares the budget: small needs in full, the rest equally', () => {
    assert.deepEqual(shareBudget([100, 5_000, 9_000], 6_000), [100, 2_950, 2_950]);
    assert.deepEqual(shareBudget([10, 20], 1_000), [10, 20]);
  });

  it('keeps repository text inert: code spans longer than any backtick run, pipes escaped', () => {
    assert.equal(code('a`b|c'), '``a`b\\|c``');
    assert.equal(code('<img src=x>'), '`<img src=x>`');
  });
});
