/** Typed readers over an Agent's raw inputs and variables; a bad value is an InputError naming the input. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../util/errors';
import type { Agent } from './agent';

export function requiredInput(agent: Agent, name: string): string {
  const value = agent.input(name);
  if (value === '') throw new InputError(name, 'is required');
  return value;
}

export function boolInput(agent: Agent, name: string, fallback: boolean): boolean {
  const value = agent.input(name).toLowerCase();
  if (value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(name, `expected true or false, got "${value}"`);
}

/** A list input: one item per line or comma separated, blanks dropped. */
export function listInput(agent: Agent, name: string): string[] {
  return agent
    .input(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** An input restricted to a set of values, as the task.json pickList declares them. */
export function choiceInput<T extends string>(agent: Agent, name: string, choices: readonly T[], fallback: T): T {
  const value = agent.input(name);
  if (value === '') return fallback;
  const match = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!match) throw new InputError(name, `expected one of ${choices.join(', ')}, got "${value}"`);
  return match;
}

/** Agent.TempDirectory, or the OS temp folder when run outside an agent. */
export function tempDirectory(agent: Agent): string {
  const dir = agent.variable('Agent.TempDirectory') ?? os.tmpdir();
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The repository checkout every relative input is resolved against. */
export function sourcesDirectory(agent: Agent): string {
  return path.resolve(agent.variable('Build.SourcesDirectory') ?? agent.variable('System.DefaultWorkingDirectory') ?? process.cwd());
}

/** The run's page: the release, else the build's results page; undefined outside a pipeline. */
export function runWebUrl(agent: Agent): string | undefined {
  const release = agent.variable('Release.ReleaseWebURL');
  if (release) return release;
  const collection = collectionUri(agent);
  const project = agent.variable('System.TeamProject');
  const build = agent.variable('Build.BuildId');
  return collection && project && build
    ? `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(build)}`
    : undefined;
}

/** The organization (collection) URL the job runs in: System.CollectionUri. */
export function collectionUri(agent: Agent): string | undefined {
  return agent.variable('System.CollectionUri') ?? agent.variable('System.TeamFoundationCollectionUri') ?? agent.endpointUrl('SYSTEMVSSCONNECTION');
}

/** Secret values shorter than this are not looked for in inputs: a secret `true` or `1` would match everything. */
export const MIN_SECRET_LENGTH = 6;

/**
 * Refuses input values that hold a secret pipeline variable's value: what the task renders ends up
 * in files (the release bundle, the GitOps repository) where a secret would be in plaintext. The
 * error names the input, the entry and the secret variable, never the value.
 */
export function refuseSecretValues(agent: Agent, inputName: string, values: ReadonlyMap<string, string>): void {
  const secrets = [...agent.secretVariables()].filter(([, secret]) => secret.trim().length >= MIN_SECRET_LENGTH);
  for (const [name, value] of values) {
    const hit = secrets.find(([, secret]) => value.includes(secret.trim()));
    if (hit) {
      throw new InputError(
        inputName,
        `${name} holds the value of the secret pipeline variable "${hit[0]}"; a GitOps repository must not hold plaintext secrets. Keep secrets out of the rendered manifests: encrypt them with SOPS or use sealed secrets (or an external secret store).`,
      );
    }
  }
}
