import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { gitBlobId, isObjectId } from '../../../shared/devops/git-blob';
import { diffFolder, encodeContent, prepareDesiredFiles } from '../../../shared/devops/folder-diff';
import { UnsafePathError } from '../../../shared/devops/errors';

const gitHashObject = (bytes: Buffer) => execFileSync('git', ['hash-object', '--stdin'], { input: bytes }).toString().trim();

describe('gitBlobId', () => {
  it('is the id git gives the empty file and a known text', () => {
    assert.equal(gitBlobId(''), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    assert.equal(gitBlobId('hello world\n'), '3b18e512dba79e4c8300dd08aeb37f8e728b8dad');
  });

  it('matches git hash-object for text, CRLF, unicode and binary bytes', () => {
    const samples: (string | Uint8Array)[] = ['a: 1\r\nb: 2\r\n', 'naïve: "日本語" 🚀\n', new Uint8Array([0, 255, 1, 2, 0x89, 0x50]), 'no newline at end'];
    for (const s of samples) {
      const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
      assert.equal(gitBlobId(s), gitHashObject(bytes));
    }
  });

  it('agrees with git on random contents (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => gitBlobId(bytes) === gitHashObject(Buffer.from(bytes))),
      { numRuns: 25 },
    );
  });

  it('treats a string and its UTF-8 bytes alike', () => {
    fc.assert(fc.property(fc.string(), (s) => gitBlobId(s) === gitBlobId(new Uint8Array(Buffer.from(s, 'utf8')))));
  });

  it('recognises full object ids only', () => {
    assert.equal(isObjectId('3b18e512dba79e4c8300dd08aeb37f8e728b8dad'), true);
    assert.equal(isObjectId('3b18e512'), false);
    assert.equal(isObjectId(undefined), false);
  });
});

describe('prepareDesiredFiles', () => {
  it('normalises paths and computes blob ids', () => {
    const files = prepareDesiredFiles({ './app/deploy.yaml': 'x\n', 'app\\svc.yaml': 'y\n' });
    assert.deepEqual([...files.keys()].sort(), ['app/deploy.yaml', 'app/svc.yaml']);
    assert.equal(files.get('app/deploy.yaml')!.blobId, gitBlobId('x\n'));
  });

  it('rejects two inputs that name the same file', () => {
    assert.throws(
      () => prepareDesiredFiles({ 'a/b.yaml': '1', 'a//b.yaml': '2' }),
      (e: Error) => e instanceof UnsafePathError && /same file as "a\/b.yaml"/.test(e.message),
    );
  });

  it('rejects a path that is both a file and a folder', () => {
    assert.throws(() => prepareDesiredFiles({ a: '1', 'a/b.yaml': '2' }), /inside "a", which is also a file/);
  });

  it('rejects unsafe paths with the path in the message', () => {
    assert.throws(() => prepareDesiredFiles({ 'ok.yaml': '', '../escape.yaml': 'x' }), /path "..\/escape.yaml" climbs out/);
    assert.throws(() => prepareDesiredFiles({ '/etc/passwd': 'x' }), /is absolute/);
  });

  it('accepts a Map and rejects content that is not text or bytes', () => {
    assert.equal(prepareDesiredFiles(new Map([['a.yaml', 'x']])).size, 1);
    assert.throws(() => prepareDesiredFiles({ 'a.yaml': 3 as unknown as string }), /content of type number/);
  });
});

describe('diffFolder', () => {
  const current = new Map([
    ['keep.yaml', gitBlobId('same\n')],
    ['edit.yaml', gitBlobId('old\n')],
    ['stale/old.yaml', gitBlobId('gone\n')],
  ]);

  it('finds adds, edits and deletes of stale files; deletes first, then by path', () => {
    const desired = prepareDesiredFiles({ 'keep.yaml': 'same\n', 'edit.yaml': 'new\n', 'new/added.yaml': 'a\n' });
    const diff = diffFolder(current, desired);
    assert.deepEqual(
      diff.changes.map((c) => [c.kind, c.path]),
      [
        ['delete', 'stale/old.yaml'],
        ['edit', 'edit.yaml'],
        ['add', 'new/added.yaml'],
      ],
    );
    assert.deepEqual(diff.added, ['new/added.yaml']);
    assert.deepEqual(diff.edited, ['edit.yaml']);
    assert.deepEqual(diff.deleted, ['stale/old.yaml']);
    assert.equal(diff.unchanged, 1);
  });

  it('is empty when the folder already matches (blob ids compared case-insensitively)', () => {
    const upper = new Map([...current].map(([k, v]) => [k, v.toUpperCase()]));
    const desired = prepareDesiredFiles({ 'keep.yaml': 'same\n', 'edit.yaml': 'old\n', 'stale/old.yaml': 'gone\n' });
    assert.deepEqual(diffFolder(upper, desired).changes, []);
  });

  it('deletes everything when nothing is desired, and adds everything into an empty folder', () => {
    assert.equal(diffFolder(current, new Map()).deleted.length, 3);
    assert.equal(diffFolder(new Map(), prepareDesiredFiles({ 'a.yaml': '1' })).added.length, 1);
  });

  it('applying the diff to the current tree always gives the desired tree (property)', () => {
    const pathArb = fc.array(fc.constantFrom('a', 'b', 'c', 'd.yaml', 'e.yaml'), { minLength: 1, maxLength: 3 }).map((s) => s.join('/') + '.f');
    fc.assert(
      fc.property(fc.dictionary(pathArb, fc.string({ maxLength: 5 })), fc.dictionary(pathArb, fc.string({ maxLength: 5 })), (now, want) => {
        const cur = new Map(Object.entries(now).map(([p, c]) => [p, gitBlobId(c)]));
        const desired = prepareDesiredFiles(want);
        const diff = diffFolder(cur, desired);
        const result = new Map(cur);
        for (const c of diff.changes) {
          if (c.kind === 'delete') result.delete(c.path);
          else result.set(c.path, c.file.blobId);
        }
        assert.deepEqual(new Map([...result].sort()), new Map([...desired].map(([p, f]) => [p, f.blobId] as [string, string]).sort()));
        assert.equal(diff.changes.length + diff.unchanged, new Set([...cur.keys(), ...desired.keys()]).size);
      }),
    );
  });
});

describe('encodeContent', () => {
  it('sends text as rawtext and binary as base64, byte for byte', () => {
    assert.deepEqual(encodeContent('a: 1\r\n'), { content: 'a: 1\r\n', contentType: 'rawtext' });
    assert.deepEqual(encodeContent(new Uint8Array(Buffer.from('ok\n'))), { content: 'ok\n', contentType: 'rawtext' });
    const binary = new Uint8Array([0, 0xff, 0xfe]);
    assert.deepEqual(encodeContent(binary), { content: Buffer.from(binary).toString('base64'), contentType: 'base64encoded' });
    assert.equal(encodeContent('nul\0inside').contentType, 'base64encoded');
  });
});
