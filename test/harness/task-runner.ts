/**
 * Runs a built task bundle the way the Azure Pipelines agent does: inputs as INPUT_* variables (with
 * task.json defaults and $(macro) expansion), pipeline variables as environment variables, agent
 * working folders, service endpoints as ENDPOINT_* variables, then reads the ##vso commands it prints.
 * Used by the task-level tests and by `npm run task`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RunTaskOptions {
  /** Folder holding task.json and index.js (dist/tasks/<Task>/v1). */
  taskDir: string;
  inputs?: Record<string, string>;
  /** Pipeline variables by their pipeline name (Build.SourcesDirectory, System.Debug, ...). */
  variables?: Record<string, string>;
  /** Secret pipeline variables: passed as SECRET_* like the agent does. */
  secrets?: Record<string, string>;
  endpoints?: Record<string, EndpointOptions>;
  /** Node binary; the current one by default. */
  nodePath?: string;
  /** Extra environment (PATH for tools, NODE_EXTRA_CA_CERTS, ...). */
  env?: Record<string, string | undefined>;
  /** Streams each line as it arrives (the local runner shows progress live). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

export interface EndpointOptions {
  url: string;
  scheme: string;
  parameters?: Record<string, string>;
  data?: Record<string, string>;
}

export interface VsoCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface TaskRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  commands: VsoCommand[];
  /** Succeeded, SucceededWithIssues, Failed, or undefined when the task never reported a result. */
  result?: string;
  resultMessage?: string;
  issues: { type: string; message: string; sourcepath?: string; linenumber?: string; columnnumber?: string; code?: string }[];
  outputs: Record<string, string>;
  /** Attached summary files: title and markdown. */
  summaries: { title: string; file: string; markdown: string }[];
  /** Agent folders the run used. */
  folders: { temp: string; sources: string; staging: string; work: string };
  /** True when the task succeeded (with or without issues). */
  succeeded: boolean;
}

/** `INPUT_TEMPLATES` for `templates`, as task-lib reads it. */
export function inputVariableName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** `BUILD_SOURCESDIRECTORY` for `Build.SourcesDirectory`, as the agent exports variables. */
export function variableEnvironmentName(name: string): string {
  return name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase();
}

/**
 * Expands `$(name)` macros as the agent expands task inputs: from pipeline variables and secret
 * variables alike (names case-insensitive, one level deep); an unknown macro stays as written.
 */
export function expandMacros(value: string, variables: Record<string, string>): string {
  const byName = new Map(Object.entries(variables).map(([name, v]) => [name.toLowerCase(), v]));
  return value.replace(/\$\(([^)]+)\)/g, (whole, name: string) => byName.get(name.trim().toLowerCase()) ?? whole);
}

/** The inputs given that the task does not declare, with the message that names the ones it does. */
export function checkInputNames(taskJson: { name: string; inputs?: { name: string }[] }, given: string[]): string | undefined {
  const known = (taskJson.inputs ?? []).map((i) => i.name);
  const unknown = given.filter((name) => !known.includes(name));
  if (unknown.length === 0) return undefined;
  const names = unknown.map((n) => `"${n}"`).join(', ');
  return `${taskJson.name} has no input ${names}; its inputs are: ${known.join(', ')}`;
}

export async function runBuiltTask(options: RunTaskOptions): Promise<TaskRun> {
  const taskJson = JSON.parse(fs.readFileSync(path.join(options.taskDir, 'task.json'), 'utf8')) as TaskJson;
  const inputProblem = checkInputNames(taskJson, Object.keys(options.inputs ?? {}));
  if (inputProblem) throw new Error(inputProblem);
  const target = taskJson.execution?.Node24?.target ?? taskJson.execution?.Node20_1?.target ?? 'index.js';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-agent-'));
  const folders = {
    work,
    temp: path.join(work, '_temp'),
    staging: path.join(work, 'a'),
    sources: options.variables?.['Build.SourcesDirectory'] ?? path.join(work, 's'),
  };
  for (const dir of Object.values(folders)) fs.mkdirSync(dir, { recursive: true });

  const variables: Record<string, string> = {
    'Agent.TempDirectory': folders.temp,
    'Agent.WorkFolder': work,
    'Agent.BuildDirectory': work,
    'Agent.OS': 'Linux',
    'Agent.Version': '4.265.1',
    'Build.SourcesDirectory': folders.sources,
    'Build.ArtifactStagingDirectory': folders.staging,
    'Build.StagingDirectory': folders.staging,
    'Build.BinariesDirectory': path.join(work, 'b'),
    'Common.TestResultsDirectory': path.join(work, 'TestResults'),
    'Pipeline.Workspace': work,
    'System.DefaultWorkingDirectory': folders.sources,
    'System.Culture': 'en-US',
    ...options.variables,
  };
  // The agent knows the secret variables' values and substitutes them into inputs (its log masks them).
  const macros = { ...variables, ...options.secrets };
  const expand = (value: string) => expandMacros(value, macros);

  const env: Record<string, string | undefined> = { ...process.env };
  // Start from a clean slate: a developer's shell may hold INPUT_*/ENDPOINT_* from another run.
  for (const key of Object.keys(env))
    if (/^(INPUT_|ENDPOINT_|SECRET_|SYSTEM_|BUILD_|AGENT_|RELEASE_|VSTS_(SECRET|PUBLIC)_VARIABLES$)/.test(key)) delete env[key];
  for (const [name, value] of Object.entries(variables)) env[variableEnvironmentName(name)] = value;
  for (const [name, value] of Object.entries(options.secrets ?? {})) env[`SECRET_${variableEnvironmentName(name)}`] = value;
  // The agent also lists the secret variables' names as written, which task-lib's getVariables reports.
  if (options.secrets) env.VSTS_SECRET_VARIABLES = JSON.stringify(Object.keys(options.secrets));
  for (const input of taskJson.inputs ?? []) {
    const given = options.inputs?.[input.name];
    const value = expand(String(given ?? input.defaultValue ?? ''));
    // The agent roots a filePath input (TranslateFilePathInput): relative to the sources folder in a
    // build, an absolute path normalized, an empty one becomes the sources folder itself.
    env[inputVariableName(input.name)] = input.type === 'filePath' ? (path.isAbsolute(value) ? path.resolve(value) : path.join(folders.sources, value)) : value;
  }
  for (const [id, endpoint] of Object.entries(options.endpoints ?? {})) {
    // The agent names the variables with the endpoint's id as it is (a GUID), and the job's own
    // connection SYSTEMVSSCONNECTION in capitals; task-lib reads ENDPOINT_URL_ and ENDPOINT_DATA_
    // from process.env by that exact name.
    const key = id.toLowerCase() === 'systemvssconnection' ? 'SYSTEMVSSCONNECTION' : id;
    env[`ENDPOINT_URL_${key}`] = endpoint.url;
    env[`ENDPOINT_AUTH_${key}`] = JSON.stringify({ scheme: endpoint.scheme, parameters: endpoint.parameters ?? {} });
    env[`ENDPOINT_AUTH_SCHEME_${key}`] = endpoint.scheme;
    for (const [p, v] of Object.entries(endpoint.parameters ?? {})) env[`ENDPOINT_AUTH_PARAMETER_${key}_${p.toUpperCase()}`] = v;
    for (const [d, v] of Object.entries(endpoint.data ?? {})) env[`ENDPOINT_DATA_${key}_${d.toUpperCase()}`] = v;
  }
  Object.assign(env, options.env);

  const child = spawn(options.nodePath ?? process.execPath, [path.join(options.taskDir, target)], {
    cwd: folders.sources,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stdout += text;
    if (options.onLine) {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) options.onLine(l.replace(/\r$/, ''));
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (options.onLine && pending) options.onLine(pending);

  const commands = stdout
    .split('\n')
    .map(parseVsoLine)
    .filter((c): c is VsoCommand => c !== undefined);
  const complete = [...commands].reverse().find((c) => c.command === 'task.complete');
  const outputs: Record<string, string> = {};
  for (const c of commands) if (c.command === 'task.setvariable' && c.properties.isOutput === 'true') outputs[c.properties.variable] = c.message;
  const summaries = commands
    .filter((c) => (c.command === 'task.addattachment' && c.properties.type === 'Distributedtask.Core.Summary') || c.command === 'task.uploadsummary')
    .map((c) => ({
      title: c.properties.name ?? path.basename(c.message),
      file: c.message,
      markdown: fs.existsSync(c.message) ? fs.readFileSync(c.message, 'utf8') : '',
    }));
  const result = complete?.properties.result;
  return {
    exitCode,
    stdout,
    stderr,
    commands,
    result,
    resultMessage: complete?.message,
    issues: commands
      .filter((c) => c.command === 'task.logissue' || c.command === 'task.issue')
      .map((c) => ({ ...c.properties, type: c.properties.type, message: c.message })),
    outputs,
    summaries,
    folders,
    succeeded: exitCode === 0 && (result === 'Succeeded' || result === 'SucceededWithIssues'),
  };
}

interface TaskJson {
  name: string;
  inputs?: { name: string; type?: string; defaultValue?: string | boolean }[];
  execution?: Record<string, { target: string }>;
}

/** Parses `##vso[area.event key=value;key=value]message` and unescapes it as the agent does. */
export function parseVsoLine(line: string): VsoCommand | undefined {
  const start = line.indexOf('##vso[');
  if (start < 0) return undefined;
  const end = line.indexOf(']', start);
  if (end < 0) return undefined;
  const head = line.slice(start + 6, end);
  const space = head.indexOf(' ');
  const command = space < 0 ? head : head.slice(0, space);
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of head.slice(space + 1).split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq).trim()] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command, properties, message: unescapeData(line.slice(end + 1).replace(/\r$/, '')) };
}

function unescapeData(s: string): string {
  return s
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%AZP25/g, '%');
}

function unescapeProperty(s: string): string {
  return unescapeData(s).replace(/%5D/g, ']').replace(/%3B/g, ';');
}
