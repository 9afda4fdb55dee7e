/** How the render step runs external tools; the task gives it the agent's tool runner, tests may give their own. */
export interface ToolRunner {
  /** Absolute path of a tool on PATH, or undefined when it is not installed. */
  which(tool: string): string | undefined;
  /** Runs a tool with an argument list (never a shell string) and captures its output. */
  exec(toolPath: string, args: string[], options: { cwd: string }): Promise<ToolResult>;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The installer task that puts a tool on PATH, named in the error when the tool is missing. */
export const INSTALLER_TASK: Record<string, string> = {
  helm: 'HelmInstaller@1',
  kustomize: 'KubectlInstaller@0 (for "kubectl kustomize") or a kustomize install step',
  kubectl: 'KubectlInstaller@0',
};

export class MissingToolError extends Error {
  constructor(
    readonly tool: string,
    readonly purpose: string,
  ) {
    super(`"${tool}" was not found on PATH; it is needed to ${purpose}. Add a ${INSTALLER_TASK[tool] ?? `${tool} installer`} step before this task.`);
    this.name = 'MissingToolError';
  }
}
