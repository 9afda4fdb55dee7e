import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ToolRunner } from '../../shared/render/tools';

/**
 * A ToolRunner on child_process for tests and benchmarks (the task uses the agent's tool runner).
 * `pathDirs` replaces PATH lookup, so a test can pretend a tool is not installed; `env` is added to
 * the tools' environment (a proxy, a CA file).
 */
export function processTools(
  pathDirs: string[] = (process.env.PATH ?? '').split(path.delimiter),
  env?: Record<string, string | undefined>,
): ToolRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    which(tool) {
      for (const dir of pathDirs) {
        const candidate = path.join(dir, tool);
        try {
          fs.accessSync(candidate, fs.constants.X_OK);
          if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
          // not in this folder
        }
      }
      return undefined;
    },
    exec(toolPath, args, options) {
      calls.push([path.basename(toolPath), ...args]);
      return new Promise((resolve) => {
        execFile(
          toolPath,
          args,
          { cwd: options.cwd, maxBuffer: 512 * 1024 * 1024, ...(env ? { env: { ...process.env, ...env } } : {}) },
          (error, stdout, stderr) => {
            const code = error
              ? typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
                ? (error as unknown as { code: number }).code
                : 1
              : 0;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
  };
}

/** The folder with helm and kubectl installed by scripts/setup-tools.mjs. */
export function toolsBin(): string {
  const file = path.join(process.cwd(), '.tools', 'tools.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { bin: string }).bin;
}
