// Writes package.json's version into vss-extension.json and every task.json (npm run sync-versions).
import { syncVersions, versionMismatches } from './lib/versions.mjs';

syncVersions();
const left = versionMismatches();
if (left.length > 0) {
  console.error(left.join('\n'));
  process.exit(1);
}
console.log('versions in step');
