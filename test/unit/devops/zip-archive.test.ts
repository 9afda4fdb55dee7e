import * as assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { readZipEntry, ZipFormatError, zipEntryNames } from '../../../shared/devops/zip-archive';
import { crc32, zipEntries } from '../../emulators/devops/zip';

/** A zip with one stored (method 0) entry whose sizes are only in the central directory (data descriptor style). */
function storedWithDescriptor(name: string, content: Buffer): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x0008, 6); // sizes follow the data
  local.writeUInt16LE(n.length, 26);
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc32(content), 4);
  descriptor.writeUInt32LE(content.length, 8);
  descriptor.writeUInt32LE(content.length, 12);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(0x0008, 8);
  central.writeUInt32LE(crc32(content), 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(n.length, 28);
  const body = Buffer.concat([local, n, content, descriptor]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(body.length, 16);
  return Buffer.concat([body, central, n, end]);
}

describe('readZipEntry', () => {
  const release = Buffer.from('{"kind":"gitops-flow/release"}\n');
  const zip = zipEntries([
    ['release/templates/dev/kustomization.yaml', Buffer.from('resources: []\n')],
    ['release/release.json', release],
  ]);

  it('reads a deflated entry by its full name below the artifact folder', () => {
    assert.deepEqual(zipEntryNames(zip), ['release/templates/dev/kustomization.yaml', 'release/release.json']);
    assert.deepEqual(readZipEntry(zip, 'release/release.json'), release);
  });

  it('answers undefined for a name the archive does not hold (no prefix or suffix match)', () => {
    assert.equal(readZipEntry(zip, 'release.json'), undefined);
    assert.equal(readZipEntry(zip, 'release/release.jso'), undefined);
  });

  it('reads a stored entry whose sizes are in a data descriptor', () => {
    assert.deepEqual(readZipEntry(storedWithDescriptor('release/release.json', release), 'release/release.json'), release);
  });

  it('refuses an entry larger than the limit, and what is not a zip', () => {
    assert.throws(() => readZipEntry(zip, 'release/release.json', 10), /release\/release.json is 31 bytes, more than the 10 allowed/);
    assert.throws(() => readZipEntry(Buffer.from('{"message":"not a zip"}'.padEnd(40)), 'x'), ZipFormatError);
    assert.throws(
      () => readZipEntry(Buffer.from('{"message":"not a zip"}'.padEnd(40)), 'x'),
      /the artifact is not a readable zip: no end of central directory record/,
    );
  });

  it('refuses an entry whose data does not inflate to the size the directory gives', () => {
    const broken = zipEntries([['release/release.json', release]]);
    // Corrupt the deflated data (it starts after the 30-byte local header and the name).
    const start = 30 + 'release/release.json'.length;
    broken.fill(0xff, start, start + 4);
    assert.throws(() => readZipEntry(broken, 'release/release.json'), ZipFormatError);
    assert.equal(deflateRawSync(release).length > 4, true);
  });
});
