/**
 * What a task needs from the Azure Pipelines agent, as an interface: the workflows take an Agent
 * as a parameter, so the task runs them over azure-pipelines-task-lib (task-lib-agent.ts) and the
 * tests over an in-memory agent (memory-agent.ts) that records what the task reported.
 * Types only: no module that imports this one pulls in task-lib.
 */
import type { ToolDownload } from '../render/tool-downloads';
import type { ToolRunner } from '../render/tools';
import type { ProxyConfiguration } from '../util/proxy-settings';

/** An issue on the build (an error or warning annotation), with its place in the repository when known. */
export interface AgentIssue {
  type: 'error' | 'warning';
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** A rule id or error code. */
  code?: string;
}

/** The authorization of a service connection: its scheme and parameters (ENDPOINT_AUTH_*). */
export interface EndpointAuthorization {
  scheme: string;
  parameters: Record<string, string>;
}

export type TaskResultKind = 'Succeeded' | 'SucceededWithIssues' | 'Failed';

export interface Agent {
  /** An input's value, trimmed; '' when not set. */
  input(name: string): string;
  /** A pipeline variable; undefined when not set or empty. */
  variable(name: string): string | undefined;
  /** The URL of a service connection; undefined when the job cannot see it. */
  endpointUrl(id: string): string | undefined;
  /** The authorization of a service connection, read without logging its parameters. */
  endpointAuthorization(id: string): EndpointAuthorization | undefined;
  /** One data parameter of a service connection (ENDPOINT_DATA_<id>_<KEY>). */
  endpointData(id: string, key: string): string | undefined;
  /**
   * The agent's web proxy (Agent.ProxyUrl, ProxyUsername, ProxyPassword, ProxyBypassList), its
   * password registered as a secret; undefined when the agent has none. The tool runner gives it to
   * every child; the Azure clients and the ACR exchange take it from here (shared/util/proxy-settings.ts).
   */
  proxy(): ProxyConfiguration | undefined;

  /** A log line. Text from repositories, tools and clusters cannot start a `##vso[` command. */
  info(message: string): void;
  debug(message: string): void;
  warning(message: string): void;
  /** Opens a collapsible group in the log, closed by endGroup. */
  group(title: string): void;
  endGroup(): void;
  issue(issue: AgentIssue): void;
  /** Task progress, 0-100 (clamped). */
  progress(percent: number, operation: string): void;

  /** An output variable of the task. */
  setOutput(name: string, value: string): void;
  /** A markdown tab on the build summary, titled `title`; the file it was written to. */
  uploadSummary(title: string, markdown: string, fileName: string): string;
  /** Publishes a folder as a build artifact named `artifactName`. */
  uploadArtifact(artifactName: string, folder: string): void;
  /** Masks a value in every later log line; a multi-line value (a PEM) is masked line by line. Empty values are ignored. */
  setSecret(value: string | undefined): void;
  /** The secret pipeline variables of the job (marked secret in the pipeline or a variable group), by name. */
  secretVariables(): ReadonlyMap<string, string>;
  /** The values to mask: the secret variables' values and every value given to setSecret, line by line. */
  secretValues(): string[];
  /**
   * Text with every secret value replaced by `***`, as the agent masks its log. Log lines, issues,
   * progress, results and summary tabs are masked by the Agent itself; every other file a task writes
   * (results files, the release bundle's metadata) passes through this.
   */
  mask(text: string): string;
  /** Ends the task with this result and message. */
  setResult(result: TaskResultKind, message: string): void;

  /** Files matching minimatch patterns (with `!` exclusions) under root, sorted. */
  findFiles(root: string, patterns: string[]): string[];
  /** Runs external tools: argument lists, no shell, output captured; with the agent's proxy in their environment. */
  toolRunner(): ToolRunner;
  /**
   * Downloads a tool into the agent's tool cache (or takes it from there), checks its SHA-256
   * against the publisher's, and puts it on PATH for this task; the folder it is in. Logs what it did.
   */
  installTool(download: ToolDownload): Promise<string>;
}
