import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { folderServerPath, normalizeFolder, normalizeRelativePath, relativeToFolder, toServerPath } from '../../../shared/devops/repo-paths';
import { UnsafePathError } from '../../../shared/devops/errors';

describe('repository paths', () => {
  it('normalises folders to no leading or trailing slash', () => {
    assert.equal(normalizeFolder('/clusters/dev/'), 'clusters/dev');
    assert.equal(normalizeFolder('clusters\\dev'), 'clusters/dev');
    assert.equal(normalizeFolder('./clusters//dev'), 'clusters/dev');
    assert.equal(normalizeFolder(''), '');
    assert.equal(normalizeFolder('/'), '');
    assert.throws(() => normalizeFolder('clusters/../secrets'), UnsafePathError);
  });

  it('normalises relative paths', () => {
    assert.equal(normalizeRelativePath('app/./deploy.yaml'), 'app/deploy.yaml');
    assert.equal(normalizeRelativePath('app\\deploy.yaml'), 'app/deploy.yaml');
    assert.equal(normalizeRelativePath('a//b.yaml'), 'a/b.yaml');
  });

  const rejected: [string, RegExp][] = [
    ['../x.yaml', /climbs out/],
    ['a/../../x.yaml', /climbs out/],
    ['a/..', /climbs out/],
    ['..\\x.yaml', /climbs out/],
    ['/etc/passwd', /is absolute/],
    ['\\\\server\\share\\x', /is absolute/],
    ['C:\\x.yaml', /drive letter/],
    ['c:x.yaml', /drive letter/],
    ['.git/config', /\.git folder/],
    ['a/.GIT/hooks/pre-commit', /\.git folder/],
    ['a\u0000b', /control character/],
    ['line\nbreak.yaml', /control character/],
    ['', /is empty/],
    ['./', /names a folder|empty/],
    ['app/', /names a folder/],
    [' a.yaml', /leading or trailing spaces/],
  ];
  for (const [input, message] of rejected) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => normalizeRelativePath(input),
        (e: Error) => e instanceof UnsafePathError && message.test(e.message),
      );
    });
  }

  it('never yields a path outside the folder (property)', () => {
    const segment = fc.constantFrom('a', 'b', '..', '.', '', 'x.yaml', '.git', 'C:', '\\', '..\\..');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), fc.boolean(), (segments, leadingSlash) => {
        const input = (leadingSlash ? '/' : '') + segments.join('/');
        let normalized: string;
        try {
          normalized = normalizeRelativePath(input);
        } catch (e) {
          assert.ok(e instanceof UnsafePathError);
          return;
        }
        const server = toServerPath('clusters/dev', normalized);
        assert.ok(server.startsWith('/clusters/dev/'));
        assert.ok(!normalized.split('/').some((s) => s === '..' || s === '.' || s === '' || s.toLowerCase() === '.git'));
        assert.equal(relativeToFolder('clusters/dev', server), normalized);
      }),
    );
  });

  it('maps between server paths and folder-relative paths', () => {
    assert.equal(toServerPath('', 'a.yaml'), '/a.yaml');
    assert.equal(folderServerPath(''), '/');
    assert.equal(folderServerPath('clusters/dev'), '/clusters/dev');
    assert.equal(relativeToFolder('clusters/dev', '/clusters/dev/app/x.yaml'), 'app/x.yaml');
    assert.equal(relativeToFolder('clusters/dev', '/clusters/dev'), undefined);
    assert.equal(relativeToFolder('clusters/dev', '/clusters/dev-2/x.yaml'), undefined);
    assert.equal(relativeToFolder('clusters/dev', '/Clusters/dev/x.yaml'), undefined);
    assert.equal(relativeToFolder('', '/x.yaml'), 'x.yaml');
  });
});
