/**
 * Puts a pinned helm or kubectl on PATH the way Microsoft's tasks do (KubernetesManifest with
 * kubectl): azure-pipelines-tool-lib downloads it into the agent's tool cache
 * (`Agent.ToolsDirectory/<tool>/<version>/<arch>`), where later jobs on the agent find it. The
 * file's SHA-256 must match the publisher's checksum file before anything is extracted or cached.
 * Loaded only when a tool is missing (task-lib-agent.ts imports it on first use): tool-lib imports
 * task-lib, so only shared/agent may hold it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as toolLib from 'azure-pipelines-tool-lib/tool';
import { parseChecksumFile, ToolDownload } from '../render/tool-downloads';

/** The tool cache's version key: semver without the leading `v`. */
function cacheVersion(version: string): string {
  return version.replace(/^v/, '');
}

export function sha256Of(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The folder now on PATH holding the tool; `log` says where it came from. */
export async function installTool(download: ToolDownload, log: (message: string) => void): Promise<string> {
  const version = cacheVersion(download.version);
  const cached = toolLib.findLocalTool(download.tool, version);
  if (cached && fs.existsSync(path.join(cached, download.executable))) {
    toolLib.prependPath(cached);
    log(`${download.tool} ${download.version} was not on PATH: using the copy in the agent tool cache (${cached}).`);
    return cached;
  }
  const file = await toolLib.downloadTool(download.url);
  try {
    const sums = await toolLib.downloadTool(download.checksumUrl);
    const expected = parseChecksumFile(fs.readFileSync(sums, 'utf8'));
    fs.rmSync(sums, { force: true });
    if (!expected) throw new Error(`${download.checksumUrl} holds no SHA-256; ${download.tool} was not installed`);
    const actual = sha256Of(file);
    if (actual !== expected)
      throw new Error(
        `${download.url} has SHA-256 ${actual}, but its publisher's checksum (${download.checksumUrl}) is ${expected}: the download is corrupt or not the published file; ${download.tool} was not installed`,
      );
    const folder = await unpack(download, file);
    const executable = path.join(folder, download.executable);
    if (!fs.existsSync(executable)) throw new Error(`${download.url} holds no ${download.entry}; ${download.tool} was not installed`);
    if (process.platform !== 'win32') fs.chmodSync(executable, 0o755);
    const cachedFolder = await toolLib.cacheDir(folder, download.tool, version);
    toolLib.prependPath(cachedFolder);
    log(
      `${download.tool} ${download.version} was not on PATH: downloaded ${download.url} (SHA-256 ${actual}, as published in ${download.checksumUrl}) into the agent tool cache (${cachedFolder}).`,
    );
    return cachedFolder;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The folder holding the executable: the archive's entry folder, or a folder with the downloaded binary. */
async function unpack(download: ToolDownload, file: string): Promise<string> {
  if (download.format === 'tar.gz') return path.join(await toolLib.extractTar(file), path.dirname(download.entry));
  if (download.format === 'zip') return path.join(await toolLib.extractZip(file), path.dirname(download.entry));
  const folder = fs.mkdtempSync(`${file}-`);
  fs.copyFileSync(file, path.join(folder, download.executable));
  return folder;
}
