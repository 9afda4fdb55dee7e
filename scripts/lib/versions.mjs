// The root package.json version is the one version source: the extension and every task carry it.
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every tasks/<Name>/v<N>/task.json. */
export function taskJsonFiles() {
  const tasksDir = path.join(root, 'tasks');
  return fs
    .readdirSync(tasksDir)
    .flatMap((name) =>
      fs
        .readdirSync(path.join(tasksDir, name))
        .filter((v) => /^v\d+$/.test(v))
        .map((v) => path.join(tasksDir, name, v, 'task.json')),
    )
    .filter((f) => fs.existsSync(f))
    .sort();
}

/** Differences between package.json's version and the manifests, as messages; empty when in step. */
export function versionMismatches() {
  const version = readJson(path.join(root, 'package.json')).version;
  const [, minor, patch] = version.split('.').map(Number);
  const problems = [];
  const ext = readJson(path.join(root, 'vss-extension.json'));
  if (ext.version !== version) problems.push(`vss-extension.json version ${ext.version} != package.json ${version}`);
  for (const file of taskJsonFiles()) {
    const task = readJson(file);
    const folderMajor = Number(path.basename(path.dirname(file)).slice(1));
    const want = { Major: folderMajor, Minor: minor, Patch: patch };
    // A task's Major is its folder (v1, v2): a breaking change is a new folder, not a new extension major.
    if (task.version.Major !== want.Major || task.version.Minor !== want.Minor || task.version.Patch !== want.Patch) {
      problems.push(
        `${path.relative(root, file)} version ${task.version.Major}.${task.version.Minor}.${task.version.Patch} != ${want.Major}.${want.Minor}.${want.Patch} (from package.json ${version}); run npm run sync-versions`,
      );
    }
  }
  return problems;
}

export function syncVersions() {
  const version = readJson(path.join(root, 'package.json')).version;
  const [, minor, patch] = version.split('.').map(Number);
  const extFile = path.join(root, 'vss-extension.json');
  const ext = readJson(extFile);
  ext.version = version;
  fs.writeFileSync(extFile, JSON.stringify(ext, null, 2) + '\n');
  for (const file of taskJsonFiles()) {
    const task = readJson(file);
    task.version = { Major: Number(path.basename(path.dirname(file)).slice(1)), Minor: minor, Patch: patch };
    fs.writeFileSync(file, JSON.stringify(task, null, 2) + '\n');
  }
}
