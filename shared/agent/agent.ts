/**
 * The only module that talks to the Azure Pipelines agent (azure-pipelines-task-lib). Everything
 * else in shared/ takes plain values, so it can be tested and benchmarked without an agent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { filterExternalOutput } from 'azure-pipelines-task-lib/externaloutput';
import type { AzureServiceConnection, PipelineJobContext } from '../azure/credential';
import type { ToolResult, ToolRunner } from '../render/tools';
import type { Finding } from '../manifests/finding';
import { InputError } from '../util/errors';

/** Text from repositories, tools and clusters, written so it cannot start a `##vso[` command. */
export function neutralize(text: string): string {
  return filterExternalOutput(text, { source: 'repository' }).toString('utf8');
}

export function setResourcePath(taskJson: string): void {
  tl.setResourcePath(taskJson);
}

export function input(name: string): string {
  return (tl.getInput(name, false) ?? '').trim();
}

export function requiredInput(name: string): string {
  const value = input(name);
  if (value === '') throw new InputError(name, 'is required');
  return value;
}

export function boolInput(name: string, fallback: boolean): boolean {
  const value = input(name).toLowerCase();
  if (value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(name, `expected true or false, got "${value}"`);
}

/** A list input: one item per line or comma separated, blanks dropped. */
export function listInput(name: string): string[] {
  return input(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** An input restricted to a set of values, as the task.json pickList declares them. */
export function choiceInput<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = input(name);
  if (value === '') return fallback;
  const match = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!match) throw new InputError(name, `expected one of ${choices.join(', ')}, got "${value}"`);
  return match;
}

export function variable(name: string): string | undefined {
  const value = tl.getVariable(name);
  return value === undefined || value === '' ? undefined : value;
}

/** Agent.TempDirectory, or the OS temp folder when run outside an agent. */
export function tempDirectory(): string {
  const dir = variable('Agent.TempDirectory') ?? os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The repository checkout every relative input is resolved against. */
export function sourcesDirectory(): string {
  return path.resolve(variable('Build.SourcesDirectory') ?? variable('System.DefaultWorkingDirectory') ?? process.cwd());
}

/** Files matching minimatch patterns (with `!` exclusions), as Microsoft's tasks match them. */
export function findFiles(root: string, patterns: string[]): string[] {
  if (patterns.length === 0) return [];
  return tl
    .findMatch(root, patterns, undefined, { dot: true, matchBase: false })
    .filter((f) => fs.statSync(f).isFile())
    .sort();
}

export function info(message: string): void {
  console.log(neutralize(message));
}

export function group(title: string): void {
  console.log(`##[group]${neutralize(title)}`);
}

export function endGroup(): void {
  console.log('##[endgroup]');
}

export function debug(message: string): void {
  tl.debug(neutralize(message));
}

export function warning(message: string): void {
  tl.warning(neutralize(message));
}

/** A finding as an issue on the build, with file and line so it shows on the pull request. */
export function logFinding(finding: Finding): void {
  tl.logIssue(
    finding.severity === 'error' ? tl.IssueType.Error : tl.IssueType.Warning,
    neutralize(`[${finding.rule}] ${finding.message}`),
    finding.file,
    finding.line,
    finding.column,
    finding.rule,
  );
}

export function progress(percent: number, operation: string): void {
  tl.setProgress(Math.max(0, Math.min(100, Math.round(percent))), neutralize(operation));
}

/** A markdown tab on the build summary, titled `title`. */
export function uploadSummary(title: string, markdown: string, fileName: string): string {
  const file = path.join(tempDirectory(), fileName);
  fs.writeFileSync(file, markdown);
  tl.addAttachment('Distributedtask.Core.Summary', title, file);
  return file;
}

export function setOutput(name: string, value: string): void {
  tl.setVariable(name, value, false, true);
}

/**
 * Publishes a folder as a build artifact (`##vso[artifact.upload]`): the agent uploads it to the
 * build's file container under `artifactName`; YAML and classic pipelines download it by that name.
 */
export function uploadArtifact(artifactName: string, folder: string): void {
  tl.uploadArtifact(artifactName, folder, artifactName);
}

export function succeed(message: string): void {
  tl.setResult(tl.TaskResult.Succeeded, neutralize(message));
}

export function succeedWithIssues(message: string): void {
  tl.setResult(tl.TaskResult.SucceededWithIssues, neutralize(message));
}

export function fail(message: string): void {
  tl.setResult(tl.TaskResult.Failed, neutralize(message));
}

/**
 * Registers a value with the agent so it is masked in every log line from now on. The agent takes
 * single lines only, so a multi-line secret (a PEM certificate with its key) is registered line by
 * line, PEM armour lines excepted.
 */
export function setSecret(value: string | undefined): void {
  if (!value || value.trim() === '') return;
  if (!/[\r\n]/.test(value)) {
    tl.setSecret(value);
    return;
  }
  for (const line of value.split(/\r?\n/).map((l) => l.trim())) {
    if (line.length >= 8 && !/^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(line)) tl.setSecret(line);
  }
}

/**
 * The job's own access token (SystemVssConnection, what `System.AccessToken` holds), masked.
 * It is there whether or not the pipeline maps System.AccessToken into the environment.
 */
export function jobAccessToken(): string | undefined {
  const token = authParameter('SYSTEMVSSCONNECTION', 'AccessToken') || variable('System.AccessToken');
  setSecret(token);
  return token || undefined;
}

/** The organization (collection) URL the job runs in: System.CollectionUri. */
export function collectionUri(): string | undefined {
  return variable('System.CollectionUri') ?? variable('System.TeamFoundationCollectionUri') ?? tl.getEndpointUrl('SYSTEMVSSCONNECTION', true);
}

/**
 * One authorization parameter of an endpoint, read from the whole authorization object:
 * task-lib's getEndpointAuthorizationParameter writes the value to the debug log.
 */
function authParameter(id: string, key: string): string | undefined {
  const parameters = tl.getEndpointAuthorization(id, true)?.parameters ?? {};
  const hit = Object.keys(parameters).find((k) => k.toLowerCase() === key.toLowerCase());
  const value = hit === undefined ? undefined : parameters[hit];
  return value === undefined || value === '' ? undefined : value;
}

/** The endpoint id an input names, with a clear error when the pipeline cannot see it. */
function endpointOf(inputName: string, id: string): void {
  if (tl.getEndpointUrl(id, true) === undefined && tl.getEndpointAuthorization(id, true) === undefined) {
    throw new InputError(inputName, `the service connection "${id}" is not available to this job (is it authorized for the pipeline?)`);
  }
}

/** Endpoint data keys the AzureRM service connections carry (ENDPOINT_DATA_<id>_<KEY>). */
const AZURE_DATA_KEYS = [
  'subscriptionId',
  'subscriptionName',
  'environment',
  'activeDirectoryAuthority',
  'environmentAuthorityUrl',
  'activeDirectoryServiceEndpointResourceId',
  'msiclientId',
];

/**
 * An AzureRM service connection as plain values for shared/azure, its secrets registered with the
 * agent before anything can log them.
 */
export function azureServiceConnection(inputName: string, id: string): AzureServiceConnection {
  endpointOf(inputName, id);
  const auth = tl.getEndpointAuthorization(id, true);
  const scheme = tl.getEndpointAuthorizationScheme(id, true) ?? auth?.scheme ?? '';
  const parameters: Record<string, string | undefined> = { ...(auth?.parameters ?? {}) };
  for (const [key, value] of Object.entries(parameters)) if (/key|certificate|token|secret|password/i.test(key)) setSecret(value);
  const data: Record<string, string | undefined> = {};
  for (const key of AZURE_DATA_KEYS) data[key] = tl.getEndpointDataParameter(id, key, true);
  return { id, scheme, parameters, data, url: tl.getEndpointUrl(id, true) };
}

/** What a workload identity federation credential needs from the job: the OIDC request URI and the job token. */
export function pipelineJobContext(): PipelineJobContext {
  return { oidcRequestUri: variable('System.OidcRequestUri'), accessToken: jobAccessToken() };
}

/**
 * An "Azure Repos/Team Foundation Server" service connection (type externaltfs) for a repository in
 * another organization: its URL and personal access token (masked).
 */
export function azureReposConnection(inputName: string, id: string): { url: string; token: string } {
  endpointOf(inputName, id);
  const url = tl.getEndpointUrl(id, true);
  const token = authParameter(id, 'apitoken') ?? authParameter(id, 'AccessToken');
  if (!url) throw new InputError(inputName, `the service connection "${id}" has no server URL`);
  if (!token) throw new InputError(inputName, `the service connection "${id}" has no personal access token (use token-based authentication)`);
  setSecret(token);
  return { url, token };
}

/** Runs tools through the agent's tool runner: argument lists, no shell, output captured. */
export function toolRunner(): ToolRunner {
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

/** Runs a task body: input errors and unexpected failures end the task as Failed with a clear message. */
export async function runTask(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof InputError) && err instanceof Error && err.stack) debug(err.stack);
    fail(message);
  }
}
