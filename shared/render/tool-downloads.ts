/**
 * Where the tasks download helm and kubectl from when the agent has neither on PATH: the pinned
 * versions (the ones the tests run with, scripts/setup-tools.mjs) at their publishers' official
 * locations, each with the publisher's SHA-256 file beside it. Plain data: the download itself is
 * the agent's (shared/agent/tool-installer.ts), and rendering still takes plain tool paths.
 */

export type DownloadableTool = 'helm' | 'kubectl';

/** The versions the tasks download: those the project is tested with. */
export const PINNED_TOOL_VERSIONS: Record<DownloadableTool, string> = {
  helm: 'v3.17.2',
  kubectl: 'v1.32.3',
};

/** Official download origins; tests point them at a local server. */
export interface ToolMirrors {
  /** Base of get.helm.sh: `<base>/helm-<version>-<os>-<arch>.tar.gz` (.zip on Windows) and `.sha256sum` beside it. */
  helm: string;
  /** Base of dl.k8s.io/release: `<base>/<version>/bin/<os>/<arch>/kubectl` (kubectl.exe) and `.sha256` beside it. */
  kubectl: string;
}

export const OFFICIAL_MIRRORS: ToolMirrors = {
  helm: 'https://get.helm.sh',
  kubectl: 'https://dl.k8s.io/release',
};

export interface ToolDownload {
  tool: DownloadableTool;
  version: string;
  /** The archive or binary. */
  url: string;
  /** The publisher's SHA-256 of it: helm's `.sha256sum` ("<hex>  <file>"), kubectl's `.sha256` ("<hex>"). */
  checksumUrl: string;
  /** How the file holds the tool: a tar.gz or zip with it at `entry`, or the binary itself. */
  format: 'tar.gz' | 'zip' | 'binary';
  /** Path of the executable inside the archive (or its file name for a binary). */
  entry: string;
  /** File name of the executable on PATH. */
  executable: string;
}

const OS: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

/** The download of a tool for an agent's platform; an error naming the platform when the publisher has none. */
export function toolDownload(
  tool: DownloadableTool,
  platform: NodeJS.Platform,
  arch: string,
  mirrors: ToolMirrors = OFFICIAL_MIRRORS,
  version = PINNED_TOOL_VERSIONS[tool],
): ToolDownload {
  const os = OS[platform];
  const cpu = ARCH[arch];
  if (!os || !cpu) throw new Error(`no ${tool} download for ${platform}/${arch}: install ${tool} on the agent`);
  const exe = platform === 'win32' ? `${tool}.exe` : tool;
  if (tool === 'helm') {
    const format = platform === 'win32' ? 'zip' : 'tar.gz';
    const url = `${trim(mirrors.helm)}/helm-${version}-${os}-${cpu}.${format}`;
    return { tool, version, url, checksumUrl: `${url}.sha256sum`, format, entry: `${os}-${cpu}/${exe}`, executable: exe };
  }
  const url = `${trim(mirrors.kubectl)}/${version}/bin/${os}/${cpu}/${exe}`;
  return { tool, version, url, checksumUrl: `${url}.sha256`, format: 'binary', entry: exe, executable: exe };
}

/** The hex SHA-256 in a publisher's checksum file ("<hex>" or "<hex>  <file name>"); undefined when there is none. */
export function parseChecksumFile(text: string): string | undefined {
  const m = /^\s*([0-9a-fA-F]{64})(\s|$)/.exec(text);
  return m ? m[1].toLowerCase() : undefined;
}

function trim(base: string): string {
  return base.replace(/\/+$/, '');
}
