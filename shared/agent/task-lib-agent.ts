/**
 * The Agent over azure-pipelines-task-lib: the only module that imports it. Every log line, issue,
 * progress text and result message goes through `neutralize`, so text from repositories, tools and
 * clusters cannot start a `##vso[` command, and is masked (secret variables and registered secrets)
 * before it is printed, as is every summary tab: the agent masks only what it prints, and a value
 * cut short or escaped escapes its masking.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { filterExternalOutput } from 'azure-pipelines-task-lib/externaloutput';
import type { ToolDownload } from '../render/tool-downloads';
import type { ToolResult, ToolRunner } from '../render/tools';
import type { Agent, AgentIssue, EndpointAuthorization, TaskResultKind } from './agent';
import { tempDirectory } from './inputs';
import { Masker } from './masking';
import { secretLines } from './secret-lines';

/** Text from repositories, tools and clusters, written so it cannot start a `##vso[` command. */
export function neutralize(text: string): string {
  return filterExternalOutput(text, { source: 'repository' }).toString('utf8');
}

const RESULTS: Record<TaskResultKind, tl.TaskResult> = {
  Succeeded: tl.TaskResult.Succeeded,
  SucceededWithIssues: tl.TaskResult.SucceededWithIssues,
  Failed: tl.TaskResult.Failed,
};

/** The agent of a task whose task.json is `taskJson` (its messages resource). */
export function createTaskLibAgent(taskJson: string): Agent {
  tl.setResourcePath(taskJson);
  return new TaskLibAgent();
}

class TaskLibAgent implements Agent {
  private readonly registered = new Set<string>();
  private secretVars: Map<string, string> | undefined;
  private masker: Masker | undefined;

  input(name: string): string {
    return (tl.getInput(name, false) ?? '').trim();
  }

  variable(name: string): string | undefined {
    const value = tl.getVariable(name);
    return value === undefined || value === '' ? undefined : value;
  }

  endpointUrl(id: string): string | undefined {
    return tl.getEndpointUrl(id, true);
  }

  /** The whole authorization object: task-lib's getEndpointAuthorizationParameter writes the value to the debug log. */
  endpointAuthorization(id: string): EndpointAuthorization | undefined {
    const auth = tl.getEndpointAuthorization(id, true);
    if (auth === undefined) return undefined;
    return { scheme: tl.getEndpointAuthorizationScheme(id, true) ?? auth.scheme ?? '', parameters: { ...(auth.parameters ?? {}) } };
  }

  endpointData(id: string, key: string): string | undefined {
    return tl.getEndpointDataParameter(id, key, true);
  }

  info(message: string): void {
    console.log(this.text(message));
  }

  debug(message: string): void {
    tl.debug(this.text(message));
  }

  warning(message: string): void {
    tl.warning(this.text(message));
  }

  group(title: string): void {
    console.log(`##[group]${this.text(title)}`);
  }

  endGroup(): void {
    console.log('##[endgroup]');
  }

  issue(issue: AgentIssue): void {
    tl.logIssue(issue.type === 'error' ? tl.IssueType.Error : tl.IssueType.Warning, this.text(issue.message), issue.file, issue.line, issue.column, issue.code);
  }

  progress(percent: number, operation: string): void {
    tl.setProgress(Math.max(0, Math.min(100, Math.round(percent))), this.text(operation));
  }

  setOutput(name: string, value: string): void {
    tl.setVariable(name, value, false, true);
  }

  uploadSummary(title: string, markdown: string, fileName: string): string {
    const file = path.join(tempDirectory(this), fileName);
    fs.writeFileSync(file, this.mask(markdown));
    tl.addAttachment('Distributedtask.Core.Summary', title, file);
    return file;
  }

  /** `##vso[artifact.upload]`: the agent uploads the folder to the build's file container under `artifactName`. */
  uploadArtifact(artifactName: string, folder: string): void {
    tl.uploadArtifact(artifactName, folder, artifactName);
  }

  setSecret(value: string | undefined): void {
    for (const line of secretLines(value)) {
      tl.setSecret(line);
      if (!this.registered.has(line)) {
        this.registered.add(line);
        this.masker = undefined;
      }
    }
  }

  /** Read once: task-lib loads the SECRET_* variables (and VSTS_SECRET_VARIABLES' names) when it starts. */
  secretVariables(): ReadonlyMap<string, string> {
    this.secretVars ??= new Map(tl.getVariables().flatMap((v) => (v.secret && v.value ? [[v.name, v.value] as [string, string]] : [])));
    return this.secretVars;
  }

  secretValues(): string[] {
    return [...new Set([...[...this.secretVariables().values()].flatMap((v) => secretLines(v)), ...this.registered])];
  }

  mask(text: string): string {
    this.masker ??= new Masker(this.secretValues());
    return this.masker.mask(text);
  }

  setResult(result: TaskResultKind, message: string): void {
    tl.setResult(RESULTS[result], this.text(message));
  }

  /** Text for the log: masked, then unable to start a `##vso[` command. */
  private text(message: string): string {
    return neutralize(this.mask(message));
  }

  /** As Microsoft's tasks match files: minimatch with dot files, patterns rooted at `root`. */
  findFiles(root: string, patterns: string[]): string[] {
    if (patterns.length === 0) return [];
    return tl
      .findMatch(root, patterns, undefined, { dot: true, matchBase: false })
      .filter((f) => fs.statSync(f).isFile())
      .sort();
  }

  /** tool-lib is loaded here, at the first missing tool, not with the task. */
  async installTool(download: ToolDownload): Promise<string> {
    const { installTool } = await import('./tool-installer');
    return installTool(download, (message) => this.info(message));
  }

  toolRunner(): ToolRunner {
    return {
      which: (tool) => tl.which(tool, false) || undefined,
      exec: async (toolPath, args, options): Promise<ToolResult> => {
        const runner = tl.tool(toolPath).arg(args);
        let stdout = '';
        let stderr = '';
        runner.on('stdout', (data: Buffer) => (stdout += data.toString('utf8')));
        runner.on('stderr', (data: Buffer) => (stderr += data.toString('utf8')));
        console.log(`##[command]${neutralize(this.mask([toolPath, ...args].join(' ')))}`);
        const code = await runner.execAsync({ cwd: options.cwd, silent: true, ignoreReturnCode: true, failOnStdErr: false });
        return { code, stdout, stderr };
      },
    };
  }
}
