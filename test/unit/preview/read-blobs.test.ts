import * as assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { DevOpsEmulator, startDevOpsEmulator } from '../../emulators/devops';
import { zipEntries } from '../../emulators/devops/zip';
import { connectWithJobToken } from '../../../shared/devops/connection';
import { gitBlobId } from '../../../shared/devops/git-blob';
import { readBlobs, unzip } from '../../../shared/devops/read-blobs';
import { resolveRepository } from '../../../shared/devops/repository';

describe('preview: reading the changed files in one request (Blobs - Get Blobs Zip)', function () {
  this.timeout(60_000);
  let emu: DevOpsEmulator;
  before(async () => {
    emu = await startDevOpsEmulator({ org: 'blobs' });
    emu.admin.createProject('p');
    await emu.admin.createRepository('p', 'gitops', { defaultBranch: 'main' });
    await emu.admin.seedFiles('p', 'gitops', 'main', { 'a.yaml': 'a: 1\n', 'b/c.bin': Buffer.from([0, 1, 2, 255]), 'd.yaml': '' });
  });
  after(() => emu?.stop());

  it('answers every blob asked for, byte for byte, in one request', async () => {
    const conn = connectWithJobToken(emu.url, emu.token);
    const repo = await resolveRepository(conn, 'p/gitops');
    emu.admin.clearRequests();
    const ids = [gitBlobId('a: 1\n'), gitBlobId(Buffer.from([0, 1, 2, 255])), gitBlobId('')];
    const blobs = await readBlobs(conn, repo, ids);
    assert.deepEqual(
      [...blobs].map(([id, bytes]) => [id, [...bytes]]),
      [
        [ids[0], [...Buffer.from('a: 1\n')]],
        [ids[1], [0, 1, 2, 255]],
        [ids[2], []],
      ],
    );
    assert.deepEqual(
      emu.admin
        .requests()
        .filter((r) => r.method !== 'OPTIONS')
        .map((r) => [r.method, r.operation, r.status]),
      [['POST', 'Blobs_Get Blobs Zip', 200]],
    );
  });

  it('fails naming the object when a blob does not exist (HTTP 404 GitObjectDoesNotExistException)', async () => {
    const conn = connectWithJobToken(emu.url, emu.token);
    const repo = await resolveRepository(conn, 'p/gitops');
    await assert.rejects(readBlobs(conn, repo, ['1'.repeat(40)]), (err: Error & { statusCode?: number; typeKey?: string }) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.typeKey, 'GitObjectDoesNotExistException');
      assert.match(err.message, /^reading 1 blob\(s\) of p\/gitops: HTTP 404 GitObjectDoesNotExistException: TF401035: The object '1{40}' does not exist\.$/);
      return true;
    });
  });

  it('reads stored and deflated entries, and refuses what is not a zip', () => {
    const stored = zipEntries([['x', Buffer.from('deflated')]]);
    assert.equal(unzip(stored, 'test').get('x')!.toString(), 'deflated');
    // The same archive with the entry stored: method 0, the raw bytes.
    const raw = Buffer.from('plain');
    const z = zipEntries([['y', raw]]);
    const deflatedLength = deflateRawSync(raw).length;
    const storedZip = Buffer.concat([z.subarray(0, 30 + 1), raw, z.subarray(30 + 1 + deflatedLength)]);
    const fix = (at: number) => {
      storedZip.writeUInt16LE(0, at);
      storedZip.writeUInt32LE(raw.length, at + 10);
    };
    fix(8); // local header: method, compressed size
    const central = storedZip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    fix(central + 10);
    storedZip.writeUInt32LE(central, storedZip.length - 6);
    assert.equal(unzip(storedZip, 'test').get('y')!.toString(), 'plain');
    assert.throws(
      () => unzip(Buffer.from('{"message":"no"}'), 'reading'),
      /^DevOpsError: reading: the answer is not a readable zip: no end of central directory record$/,
    );
  });
});
