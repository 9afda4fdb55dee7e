/**
 * The Agent over azure-pipelines-task-lib: the only module that imports it. Every log line, issue,
 * progress text and result message goes through `neutralize`, so text from repositories, tools and
 * clusters cannot start a `##vso[` command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { filterExternalOutput } from 'azure-pipelines-task-lib/externaloutput';
import type { ToolResult, ToolRunner } from '../render/tools';
import type { Agent, AgentIssue, EndpointAuthorization, TaskResultKind } from './agent';
import { tempDirectory } from './inputs';
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
    console.log(neutralize(message));
  }

  debug(message: string): void {
    tl.debug(neutralize(message));
  }

  warning(message: string): void {
    tl.warning(neutralize(message));
  }

  group(title: string): void {
    console.log(`##[group]${neutralize(title)}`);
  }

  endGroup(): void {
    console.log('##[endgroup]');
  }

  issue(issue: AgentIssue): void {
    tl.logIssue(
      issue.type === 'error' ? tl.IssueType.Error : tl.IssueType.Warning,
      neutralize(issue.message),
      issue.file,
      issue.line,
      issue.column,
      issue.code,
    );
  }

  progress(percent: number, operation: string): void {
    tl.setProgress(Math.max(0, Math.min(100, Math.round(percent))), neutralize(operation));
  }

  setOutput(name: string, value: string): void {
    tl.setVariable(name, value, false, true);
  }

  uploadSummary(title: string, markdown: string, fileName: string): string {
    const file = path.join(tempDirectory(this), fileName);
    fs.writeFileSync(file, markdown);
    tl.addAttachment('Distributedtask.Core.Summary', title, file);
    return file;
  }

  /** `##vso[artifact.upload]`: the agent uploads the folder to the build's file container under `artifactName`. */
  uploadArtifact(artifactName: string, folder: string): void {
    tl.uploadArtifact(artifactName, folder, artifactName);
  }

  setSecret(value: string | undefined): void {
    for (const line of secretLines(value)) tl.setSecret(line);
  }

  setResult(result: TaskResultKind, message: string): void {
    tl.setResult(RESULTS[result], neutralize(message));
  }

  /** As Microsoft's tasks match files: minimatch with dot files, patterns rooted at `root`. */
  findFiles(root: string, patterns: string[]): string[] {
    if (patterns.length === 0) return [];
    return tl
      .findMatch(root, patterns, undefined, { dot: true, matchBase: false })
      .filter((f) => fs.statSync(f).isFile())
      .sort();
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
        console.log(`##[command]${neutralize([toolPath, ...args].join(' '))}`);
        const code = await runner.execAsync({ cwd: options.cwd, silent: true, ignoreReturnCode: true, failOnStdErr: false });
        return { code, stdout, stderr };
      },
    };
  }
}
