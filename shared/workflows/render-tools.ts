/**
 * The tools a render needs, provided before it starts: helm for a Helm chart, kustomize (or kubectl,
 * whose `kubectl kustomize` builds overlays) for a Kustomize overlay. A tool missing from PATH is
 * downloaded into the agent tool cache at its pinned version (installTools, default on); with
 * installTools off (offline agents) the render fails as before, naming the installer task to add.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../agent/agent';
import { boolInput } from '../agent/inputs';
import { detectRenderer, RendererKind } from '../render/render';
import { DownloadableTool, OFFICIAL_MIRRORS, toolDownload, ToolMirrors } from '../render/tool-downloads';
import { INSTALLER_TASK, ToolRunner } from '../render/tools';
import { forEnvironment } from '../util/paths';

export interface RenderToolsRequest {
  repoRoot: string;
  templates: string;
  renderer: 'auto' | RendererKind;
  environments: string[];
}

/** The downloadable tools the environments' templates need and PATH lacks (kubectl stands for kustomize). */
export function missingRenderTools(request: RenderToolsRequest, tools: ToolRunner): DownloadableTool[] {
  const renderers = new Set(
    request.environments.map((environment) => {
      if (request.renderer !== 'auto') return request.renderer;
      const folder = path.resolve(request.repoRoot, forEnvironment(request.templates, environment));
      // A missing folder is the render's error to report, with its own message.
      return fs.existsSync(folder) && fs.statSync(folder).isDirectory() ? detectRenderer(folder) : 'plain';
    }),
  );
  const missing: DownloadableTool[] = [];
  // helm-kustomize runs both: helm template, then a kustomize build of the folder it writes into.
  const needsHelm = renderers.has('helm') || renderers.has('helm-kustomize');
  const needsKustomize = renderers.has('kustomize') || renderers.has('helm-kustomize');
  if (needsHelm && !tools.which('helm')) missing.push('helm');
  if (needsKustomize && !tools.which('kustomize') && !tools.which('kubectl')) missing.push('kubectl');
  return missing;
}

/** Downloads what the render lacks, unless installTools is false; a failed download names the installer task and the input. */
export async function provideRenderTools(agent: Agent, request: RenderToolsRequest, tools: ToolRunner, mirrors: ToolMirrors = OFFICIAL_MIRRORS): Promise<void> {
  const install = boolInput(agent, 'installTools', true);
  const missing = missingRenderTools(request, tools);
  if (!install || missing.length === 0) return;
  for (const tool of missing) {
    const download = toolDownload(tool, process.platform, process.arch, mirrors);
    try {
      await agent.installTool(download);
    } catch (err) {
      throw new Error(
        `${tool} ${download.version} is not on PATH and could not be downloaded: ${(err as Error).message}. Add a ${INSTALLER_TASK[tool]} step before this task, or install ${tool} on the agent (on agents without internet access set installTools: false).`,
        { cause: err },
      );
    }
  }
}
