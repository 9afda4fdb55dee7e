import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A maker of temp folders named `<prefix>XXXXXX`, each removed once the tests of the file that calls this
 * (at its top level) have run.
 */
export function tempFolders(prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
