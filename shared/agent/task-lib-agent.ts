/**
 * The Agent of a task run by the Azure Pipelines agent: the only module that loads
 * azure-pipelines-task-lib, and only for what needs it (matching files, running tools). The rest
 * speaks the agent's protocol itself, as task-lib speaks it (the unit tests compare the two): the
 * inputs, variables and service connections are taken from the environment as task-lib takes them
 * (job-environment.ts: secrets out of process.env before any child process starts), and the log is
 * written as logging commands (logging-commands.ts). Loading task-lib costs a task more start-up
 * time than the rest of its code; most runs never need it.
 *
 * Every log line, issue, progress text and result message is masked (secret variables and
 * registered secrets) and then neutralized, so text from repositories, tools and clusters cannot
 * start a `##vso[` command; every summary tab is masked: the agent masks only what it prints, and a
 * value cut short or escaped escapes its masking.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as TaskLib from 'azure-pipelines-task-lib/task';
import type { ToolDownload } from '../render/tool-downloads';
import type { ToolResult, ToolRunner } from '../render/tools';
import { childProxyEnvironment, ProxyConfiguration, proxySecrets, readProxyConfiguration } from '../util/proxy-settings';
import type { Agent, AgentIssue, EndpointAuthorization, TaskResultKind } from './agent';
import { tempDirectory } from './inputs';
import { JobEnvironment } from './job-environment';
import { formatCommand, neutralize } from './logging-commands';
import { Masker } from './masking';
import { secretLines } from './secret-lines';

export { neutralize } from './logging-commands';

type Environment = Record<string, string | undefined>;

/**
 * Agent settings task-lib turns into globals when it loads, which azure-devops-node-api reads for
 * its connections (proxy, certificates, TLS validation): with any of them set, task-lib loads at
 * the start so that every client sees them, as before.
 */
const CONNECTION_SETTINGS = ['AGENT_PROXYURL', 'AGENT_CAINFO', 'AGENT_CLIENTCERT', 'AGENT_SKIPCERTVALIDATION'];

/**
 * The agent of a task whose task.json is `taskJson`. Takes the job's inputs, secrets and service
 * connections out of process.env and handles uncaught errors as task-lib does (the task fails with
 * the message; the stack is an error issue).
 */
export function createTaskLibAgent(taskJson: string): Agent {
  const env = process.env;
  if (CONNECTION_SETTINGS.some((name) => env[name])) {
    // task-lib takes (and removes) the same variables when it loads.
    const agent = new TaskLibAgent(taskJson, new JobEnvironment(env, { leaveInEnvironment: true }), env);
    agent.loadTaskLib('the agent has proxy or certificate settings');
    agent.handleUncaughtErrors();
    return agent;
  }
  const agent = new TaskLibAgent(taskJson, new JobEnvironment(env), env);
  agent.handleUncaughtErrors();
  return agent;
}

/** Exported for the unit tests; tasks use createTaskLibAgent. */
export class TaskLibAgent implements Agent {
  private readonly registered = new Set<string>();
  private secretVars: Map<string, string> | undefined;
  private masker: Masker | undefined;
  private taskLib: typeof TaskLib | undefined;
  private proxyConfiguration: { value: ProxyConfiguration | undefined } | undefined;
  private childEnvironment: Record<string, string> | undefined;
  /** task.debug lines are written unless the job skips them when system.debug is off (as task-lib decides when it loads). */
  private readonly writeDebug: boolean;

  constructor(
    private readonly taskJson: string,
    private readonly job: JobEnvironment,
    private readonly env: Environment,
  ) {
    const debugMode = env.SYSTEM_DEBUG?.toLowerCase() === 'true';
    const skipDebug = env.DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF?.toLowerCase() === 'true';
    this.writeDebug = !skipDebug || debugMode;
  }

  input(name: string): string {
    const value = this.job.input(name);
    this.debug(`${name}=${value}`);
    return (value ?? '').trim();
  }

  variable(name: string): string | undefined {
    const { value } = this.job.variable(name);
    this.debug(`${name}=${value}`);
    return value === undefined || value === '' ? undefined : value;
  }

  endpointUrl(id: string): string | undefined {
    const url = this.job.endpointUrl(id);
    this.debug(`${id}=${url}`);
    return url;
  }

  /** The whole authorization object, its parameters never written to the log. */
  endpointAuthorization(id: string): EndpointAuthorization | undefined {
    const json = this.job.endpointAuthorizationJson(id);
    this.debug(`${id} exists ${!!json}`);
    if (!json) return undefined;
    let auth: { scheme?: string; parameters?: Record<string, string> };
    try {
      auth = JSON.parse(json) as typeof auth;
    } catch {
      // task-lib's message quotes the value; it holds the credentials.
      throw new Error(`The authorization of the service connection ${id} is not valid JSON`);
    }
    const scheme = this.job.endpointAuthorizationScheme(id);
    this.debug(`${id} auth scheme = ${scheme}`);
    return { scheme: scheme ?? auth.scheme ?? '', parameters: { ...(auth.parameters ?? {}) } };
  }

  endpointData(id: string, key: string): string | undefined {
    const value = this.job.endpointData(id, key);
    this.debug(`${id} data ${key} = ${value}`);
    return value;
  }

  /** Read once, as task-lib reads it (getHttpProxyConfiguration), without writing the values to the debug log. */
  proxy(): ProxyConfiguration | undefined {
    if (!this.proxyConfiguration) {
      const value = readProxyConfiguration((name) => this.job.variable(name).value);
      for (const secret of proxySecrets(value)) this.setSecret(secret);
      this.proxyConfiguration = { value };
      if (value) this.debug(`agent proxy ${value.url}${value.username ? ` (user ${value.username})` : ''}, ${value.bypass.length} bypass entries`);
    }
    return this.proxyConfiguration.value;
  }

  info(message: string): void {
    console.log(this.text(message));
  }

  debug(message: string): void {
    if (this.writeDebug) this.command('task.debug', undefined, this.text(message));
  }

  warning(message: string): void {
    this.taskIssue('warning', this.text(message));
  }

  group(title: string): void {
    console.log(`##[group]${this.text(title)}`);
  }

  endGroup(): void {
    console.log('##[endgroup]');
  }

  issue(issue: AgentIssue): void {
    this.command(
      'task.logissue',
      {
        type: issue.type,
        code: issue.code,
        sourcepath: issue.file,
        linenumber: issue.line ? String(issue.line) : undefined,
        columnnumber: issue.column ? String(issue.column) : undefined,
      },
      this.text(issue.message),
    );
  }

  progress(percent: number, operation: string): void {
    this.command('task.setprogress', { value: String(Math.max(0, Math.min(100, Math.round(percent)))) }, this.text(operation));
  }

  /** An output variable; one named as a secret variable of the job stays secret, as task-lib keeps it. */
  setOutput(name: string, value: string): void {
    const secret = this.job.setVariable(name, value, false);
    this.debug(`set ${name}=${secret && value ? '********' : value}`);
    this.command('task.setvariable', { variable: name, isOutput: 'true', issecret: String(secret) }, value);
  }

  uploadSummary(title: string, markdown: string, fileName: string): string {
    const file = path.join(tempDirectory(this), fileName);
    fs.writeFileSync(file, this.mask(markdown));
    this.command('task.addattachment', { type: 'Distributedtask.Core.Summary', name: title }, file);
    return file;
  }

  /** `##vso[artifact.upload]`: the agent uploads the folder to the build's file container under `artifactName`. */
  uploadArtifact(artifactName: string, folder: string): void {
    this.command('artifact.upload', { containerfolder: artifactName, artifactname: artifactName }, folder);
  }

  setSecret(value: string | undefined): void {
    for (const line of secretLines(value)) {
      // The agent masks single lines only (task-lib refuses the rest the same way).
      if (/\r|\n/.test(line) && `${this.env.SYSTEM_UNSAFEALLOWMULTILINESECRET}`.toUpperCase() !== 'TRUE')
        throw new Error('Secrets cannot contain multiple lines');
      this.command('task.setsecret', {}, line);
      if (!this.registered.has(line)) {
        this.registered.add(line);
        this.masker = undefined;
      }
    }
  }

  /** Read once: the SECRET_* variables (named by VSTS_SECRET_VARIABLES) the agent gave the task. */
  secretVariables(): ReadonlyMap<string, string> {
    this.secretVars ??= new Map(
      this.job.knownVariables().flatMap((known) => {
        const { value, secret } = this.job.variable(known.name);
        return secret && value ? [[known.name, value] as [string, string]] : [];
      }),
    );
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
    const text = this.text(message);
    this.debug(`task result: ${result}`);
    if (result === 'Failed' && text) this.taskIssue('error', text);
    else if (result === 'SucceededWithIssues' && text) this.taskIssue('warning', text);
    this.command('task.complete', { result }, text);
  }

  /** As Microsoft's tasks match files: minimatch with dot files, patterns rooted at `root`. */
  findFiles(root: string, patterns: string[]): string[] {
    if (patterns.length === 0) return [];
    return this.loadTaskLib('matching files')
      .findMatch(root, patterns, undefined, { dot: true, matchBase: false })
      .filter((f) => fs.statSync(f).isFile())
      .sort();
  }

  /** tool-lib is loaded here, at the first missing tool, not with the task. */
  async installTool(download: ToolDownload): Promise<string> {
    // tool-lib requires task-lib: load it through loadTaskLib so it is loaded once, the same way.
    this.loadTaskLib('downloading a tool');
    const { installTool } = await import('./tool-installer');
    return installTool(download, (message) => this.info(message));
  }

  toolRunner(): ToolRunner {
    return {
      which: (tool) => this.loadTaskLib('finding a tool').which(tool, false) || undefined,
      exec: async (toolPath, args, options): Promise<ToolResult> => {
        const runner = this.loadTaskLib('running a tool').tool(toolPath).arg(args);
        let stdout = '';
        let stderr = '';
        runner.on('stdout', (data: Buffer) => (stdout += data.toString('utf8')));
        runner.on('stderr', (data: Buffer) => (stderr += data.toString('utf8')));
        console.log(`##[command]${this.text([toolPath, ...args].join(' '))}`);
        const code = await runner.execAsync({ cwd: options.cwd, env: this.toolEnvironment(), silent: true, ignoreReturnCode: true, failOnStdErr: false });
        return { code, stdout, stderr };
      },
    };
  }

  /**
   * The task's environment as it is now (an installed tool may have been put on PATH) with the
   * agent's proxy for helm, kustomize and git; a bypass entry they cannot take is a warning, once.
   */
  private toolEnvironment(): Record<string, string> {
    if (!this.childEnvironment) {
      const { env, untranslated } = childProxyEnvironment(this.proxy(), this.env);
      for (const pattern of untranslated)
        this.warning(`The agent's proxy bypass entry "${pattern}" is not a host name: helm, kustomize and git send requests for it through the proxy`);
      this.childEnvironment = env;
    }
    const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    return { ...inherited, ...this.childEnvironment };
  }

  /**
   * task-lib, loaded at its first use (a lazily loaded part of the bundle). It finds no secrets left
   * in process.env to take; its handlers of uncaught errors are removed (the agent's own handle them,
   * masked, once).
   */
  loadTaskLib(why: string): typeof TaskLib {
    if (this.taskLib) return this.taskLib;
    this.debug(`loading azure-pipelines-task-lib: ${why}`);
    const listeners = () => [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')] as unknown[];
    const before = listeners();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tl = require('azure-pipelines-task-lib/task') as typeof TaskLib;
    for (const listener of listeners().filter((l) => !before.includes(l))) {
      process.removeListener('uncaughtException', listener as NodeJS.UncaughtExceptionListener);
      process.removeListener('unhandledRejection', listener as NodeJS.UnhandledRejectionListener);
    }
    tl.setResourcePath(this.taskJson);
    this.taskLib = tl;
    return tl;
  }

  /** As task-lib handles them: an uncaught error fails the task (a broken stdout pipe excepted); an unhandled rejection is thrown. */
  handleUncaughtErrors(): void {
    process.on('uncaughtException', (err: Error & { code?: string; syscall?: string }) => {
      if (err && typeof err === 'object' && err.code === 'EPIPE' && err.syscall?.toUpperCase() === 'WRITE') return;
      this.setResult('Failed', `Unhandled: ${err?.message}`);
      this.taskIssue('error', this.text(String(err?.stack)));
    });
    process.on('unhandledRejection', (reason) => {
      throw reason instanceof Error ? reason : new Error(String(reason));
    });
  }

  /** `task.issue`, as task-lib's warning and error write it: the correlation id proves it comes from the task. */
  private taskIssue(type: 'warning' | 'error', text: string): void {
    this.command('task.issue', { type, source: 'TaskInternal', correlationId: this.job.correlationId }, text);
  }

  private command(command: string, properties: Record<string, string | undefined> | undefined, message: string): void {
    process.stdout.write(formatCommand(command, properties, message) + os.EOL);
  }

  /** Text for the log: masked, then unable to start a `##vso[` command. */
  private text(message: string): string {
    return neutralize(this.mask(message));
  }
}
