// npm run bench [-- <name>...]: runs every scripts/bench-<name>.mjs in turn (or the named ones).
// Each prints its figures next to a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './lib/versions.mjs';

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const benches = fs
  .readdirSync(path.join(root, 'scripts'))
  .filter((f) => /^bench-[a-z0-9-]+\.mjs$/.test(f))
  .filter((f) => only.length === 0 || only.includes(f.slice(6, -4)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n######## ${file} ########`);
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', file), ...passThrough], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
