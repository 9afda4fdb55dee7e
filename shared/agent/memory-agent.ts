/**
 * An Agent in memory, for tests: inputs, variables, secret variables and service connections are
 * plain maps; what the task reports (log lines, issues, progress, outputs, summaries, artifacts,
 * secrets, result) is recorded. Secret variables and registered secrets are masked as `***` in every
 * recorded log line, issue, progress text, result message and summary tab, as the task-lib agent
 * masks them; outputs and artifacts are kept as written, so a test can catch a secret that leaks there.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ToolDownload } from '../render/tool-downloads';
import type { ToolResult, ToolRunner } from '../render/tools';
import { childProxyEnvironment, ProxyConfiguration, proxySecrets } from '../util/proxy-settings';
import type { Agent, AgentIssue, EndpointAuthorization, TaskResultKind } from './agent';
import { Masker } from './masking';
import { secretLines } from './secret-lines';

export interface MemoryEndpoint {
  url?: string;
  scheme?: string;
  parameters?: Record<string, string>;
  data?: Record<string, string>;
}

export interface MemoryAgentOptions {
  inputs?: Record<string, string>;
  variables?: Record<string, string>;
  /** Secret pipeline variables by name (also readable through variable(), as task-lib reads them). */
  secrets?: Record<string, string>;
  endpoints?: Record<string, MemoryEndpoint>;
  /** The agent's proxy; its password is registered as a secret when the task asks for it. */
  proxy?: ProxyConfiguration;
  /** Tool runner; by default tools are found on PATH and run as child processes (with the proxy's environment). */
  tools?: ToolRunner;
  /** File matcher for findFiles; without one findFiles throws (tests that need it say how files match). */
  findFiles?: (root: string, patterns: string[]) => string[];
  /** Tool download for installTool; without one installTool rejects (tests that need it say where tools come from). */
  installTool?: (download: ToolDownload, log: (message: string) => void) => Promise<string>;
}

export type LogKind = 'info' | 'debug' | 'warning' | 'group' | 'endgroup';

export class MemoryAgent implements Agent {
  readonly log: { kind: LogKind; text: string }[] = [];
  readonly issues: AgentIssue[] = [];
  readonly progressReports: { percent: number; operation: string }[] = [];
  readonly outputs = new Map<string, string>();
  readonly summaries: { title: string; markdown: string; fileName: string }[] = [];
  readonly artifacts: { name: string; folder: string }[] = [];
  readonly secrets = new Set<string>();
  /** Every setResult, in order; the task's result is the last one. */
  readonly results: { result: TaskResultKind; message: string }[] = [];

  private masker: Masker | undefined;

  constructor(private readonly options: MemoryAgentOptions = {}) {}

  /** The task's result: the last setResult, or undefined when none was made. */
  get result(): { result: TaskResultKind; message: string } | undefined {
    return this.results[this.results.length - 1];
  }

  /** The info lines, masked, in order. */
  get infoLines(): string[] {
    return this.log.filter((l) => l.kind === 'info').map((l) => l.text);
  }

  input(name: string): string {
    return (this.options.inputs?.[name] ?? '').trim();
  }

  variable(name: string): string | undefined {
    const value = this.options.variables?.[name] ?? this.options.secrets?.[name];
    return value === undefined || value === '' ? undefined : value;
  }

  endpointUrl(id: string): string | undefined {
    return this.endpoint(id)?.url;
  }

  endpointAuthorization(id: string): EndpointAuthorization | undefined {
    const endpoint = this.endpoint(id);
    if (!endpoint || (endpoint.scheme === undefined && endpoint.parameters === undefined)) return undefined;
    return { scheme: endpoint.scheme ?? '', parameters: { ...(endpoint.parameters ?? {}) } };
  }

  endpointData(id: string, key: string): string | undefined {
    const data = this.endpoint(id)?.data ?? {};
    const hit = Object.keys(data).find((k) => k.toLowerCase() === key.toLowerCase());
    return hit === undefined ? undefined : data[hit];
  }

  proxy(): ProxyConfiguration | undefined {
    for (const secret of proxySecrets(this.options.proxy)) this.setSecret(secret);
    return this.options.proxy;
  }

  info(message: string): void {
    this.log.push({ kind: 'info', text: this.mask(message) });
  }

  debug(message: string): void {
    this.log.push({ kind: 'debug', text: this.mask(message) });
  }

  warning(message: string): void {
    this.log.push({ kind: 'warning', text: this.mask(message) });
  }

  group(title: string): void {
    this.log.push({ kind: 'group', text: this.mask(title) });
  }

  endGroup(): void {
    this.log.push({ kind: 'endgroup', text: '' });
  }

  issue(issue: AgentIssue): void {
    this.issues.push({ ...issue, message: this.mask(issue.message) });
  }

  progress(percent: number, operation: string): void {
    this.progressReports.push({ percent: Math.max(0, Math.min(100, Math.round(percent))), operation: this.mask(operation) });
  }

  setOutput(name: string, value: string): void {
    this.outputs.set(name, value);
  }

  uploadSummary(title: string, markdown: string, fileName: string): string {
    this.summaries.push({ title, markdown: this.mask(markdown), fileName });
    return fileName;
  }

  uploadArtifact(artifactName: string, folder: string): void {
    this.artifacts.push({ name: artifactName, folder });
  }

  setSecret(value: string | undefined): void {
    for (const line of secretLines(value)) {
      this.secrets.add(line);
      this.masker = undefined;
    }
  }

  secretVariables(): ReadonlyMap<string, string> {
    return new Map(Object.entries(this.options.secrets ?? {}).filter(([, v]) => v !== ''));
  }

  secretValues(): string[] {
    return [...new Set([...[...this.secretVariables().values()].flatMap((v) => secretLines(v)), ...this.secrets])];
  }

  setResult(result: TaskResultKind, message: string): void {
    this.results.push({ result, message: this.mask(message) });
  }

  findFiles(root: string, patterns: string[]): string[] {
    if (patterns.length === 0) return [];
    if (!this.options.findFiles) throw new Error('MemoryAgent: findFiles was called but no findFiles option was given');
    return this.options.findFiles(root, patterns);
  }

  toolRunner(): ToolRunner {
    if (this.options.tools) return this.options.tools;
    const { env, untranslated } = childProxyEnvironment(this.proxy(), process.env);
    for (const pattern of untranslated)
      this.warning(`The agent's proxy bypass entry "${pattern}" is not a host name: helm, kustomize and git send requests for it through the proxy`);
    return processToolRunner(env);
  }

  installTool(download: ToolDownload): Promise<string> {
    if (!this.options.installTool) return Promise.reject(new Error(`this MemoryAgent cannot download ${download.tool} (no installTool option)`));
    return this.options.installTool(download, (message) => this.info(message));
  }

  /** Secret variables and registered secrets replaced by `***`, as the task-lib agent masks them. */
  mask(text: string): string {
    this.masker ??= new Masker(this.secretValues());
    return this.masker.mask(text);
  }

  private endpoint(id: string): MemoryEndpoint | undefined {
    const endpoints = this.options.endpoints ?? {};
    const hit = Object.keys(endpoints).find((k) => k.toLowerCase() === id.toLowerCase());
    return hit === undefined ? undefined : endpoints[hit];
  }
}

/** Tools from PATH, run without a shell, output captured, with `extraEnv` over the process's environment. */
const processToolRunner = (extraEnv: Record<string, string>): ToolRunner => ({
  which(tool) {
    const extensions = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
      for (const ext of extensions) {
        const candidate = path.join(dir, tool + ext);
        if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
      }
    }
    return undefined;
  },
  exec: (toolPath, args, options) =>
    new Promise<ToolResult>((resolve, reject) => {
      const child = spawn(toolPath, args, { cwd: options.cwd, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    }),
});
