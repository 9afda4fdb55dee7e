import * as assert from 'node:assert/strict';
import { commitFolder } from '../../../shared/devops';
import { git, logSubjects, lsFiles, show, startWorld, World } from './emulator-world';

describe('devops library against the emulator: concurrent writers', function () {
  this.timeout(120_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('10 writers committing different folders to the same branch at once: all 10 commits land', async () => {
    const { repo, bare } = await world.newRepo({ 'README.md': 'r\n' });
    const writers = Array.from({ length: 10 }, (_, i) => i);
    const results = await Promise.all(
      writers.map((i) =>
        // Each writer has its own connection, as separate pipeline jobs would.
        commitFolder(world.connect(), repo, {
          branch: 'main',
          folder: `clusters/c${i}`,
          files: { 'app.yaml': `writer: ${i}\n`, [`only-${i}.yaml`]: `${i}\n` },
          message: `writer ${i}`,
          maxAttempts: 20,
        }),
      ),
    );
    assert.ok(results.every((r) => r.outcome === 'committed'));
    assert.deepEqual(
      logSubjects(bare)
        .filter((s) => s.startsWith('writer '))
        .sort(),
      writers.map((i) => `writer ${i}`).sort(),
    );
    assert.equal(git(bare, 'rev-list', '--count', 'refs/heads/main'), '11');
    // Linear history: every commit has exactly one parent, nothing overwritten.
    assert.equal(git(bare, 'rev-list', '--min-parents=2', 'refs/heads/main'), '');
    for (const i of writers) assert.equal(show(bare, 'main', `clusters/c${i}/app.yaml`), `writer: ${i}\n`);
    assert.equal(lsFiles(bare).length, 1 + 20);
    const contended = results.filter((r) => r.pushes > 1).length;
    assert.ok(contended > 0, 'the writers did contend (the stale-ref path ran)');
  });
});
