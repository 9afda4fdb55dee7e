import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPinnedRef, remoteRef, unpinnedRemoteWarnings } from '../../../shared/render/kustomize-remote';

describe('unpinned remote Kustomize bases', () => {
  let repo: string;
  beforeEach(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'kustomize-remote-'));
  });
  afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('reads the ref and tells commit ids and version tags from branch names', () => {
    assert.equal(remoteRef('github.com/org/repo//base?ref=main'), 'main');
    assert.equal(remoteRef('https://github.com/org/repo//base?timeout=90s&ref=v1.2.3'), 'v1.2.3');
    assert.equal(remoteRef('git::https://example.com/repo.git//base'), undefined);
    assert.equal(isPinnedRef('v1.2.3'), true);
    assert.equal(isPinnedRef('1.4'), true);
    assert.equal(isPinnedRef('0123456789abcdef0123456789abcdef01234567'), true);
    assert.equal(isPinnedRef('main'), false);
    assert.equal(isPinnedRef('release/1.x'), false);
    assert.equal(isPinnedRef(undefined), false);
  });

  it('warns for a branch and for no ref, at the line of the kustomization, and leaves pinned ones and raw files alone', () => {
    const dir = path.join(repo, 'deploy/overlay');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      [
        'resources:',
        '  - ../base',
        '  - github.com/org/platform//base?ref=main',
        '  - git::https://example.com/org/repo.git//base',
        '  - https://github.com/org/repo//base?ref=v1.2.3',
        '  - https://raw.example.com/org/repo/main/deploy.yaml',
        'components:',
        '  - github.com/org/components//probes?ref=0123456789abcdef0123456789abcdef01234567',
        '',
      ].join('\n'),
    );
    const findings = unpinnedRemoteWarnings([dir, path.join(repo, 'deploy/base')], repo);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.severity, f.file, f.line]),
      [
        ['render/unpinned-remote', 'warning', 'deploy/overlay/kustomization.yaml', 3],
        ['render/unpinned-remote', 'warning', 'deploy/overlay/kustomization.yaml', 4],
      ],
    );
    assert.match(findings[0].message, /^Remote base "github\.com\/org\/platform\/\/base\?ref=main" follows the branch or name "main": .* not reproducible/);
    assert.match(findings[1].message, /^Remote base "git::https:\/\/example\.com\/org\/repo\.git\/\/base" has no ref: /);
  });
});
