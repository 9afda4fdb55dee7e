/**
 * Service connections as plain values for shared/azure and shared/devops, their secrets registered
 * with the agent (masked) before anything can log them.
 */
import type { AzureServiceConnection, PipelineJobContext } from '../azure/credential';
import { InputError } from '../util/errors';
import type { Agent } from './agent';

/** One authorization parameter of an endpoint (key case-insensitive); undefined when missing or empty. */
function authParameter(agent: Agent, id: string, key: string): string | undefined {
  const parameters = agent.endpointAuthorization(id)?.parameters ?? {};
  const hit = Object.keys(parameters).find((k) => k.toLowerCase() === key.toLowerCase());
  const value = hit === undefined ? undefined : parameters[hit];
  return value === undefined || value === '' ? undefined : value;
}

/** A clear error when the pipeline cannot see the endpoint an input names. */
function requireEndpoint(agent: Agent, inputName: string, id: string): void {
  if (agent.endpointUrl(id) === undefined && agent.endpointAuthorization(id) === undefined) {
    throw new InputError(inputName, `the service connection "${id}" is not available to this job (is it authorized for the pipeline?)`);
  }
}

/**
 * The job's own access token (SystemVssConnection, what `System.AccessToken` holds), masked.
 * It is there whether or not the pipeline maps System.AccessToken into the environment.
 */
export function jobAccessToken(agent: Agent): string | undefined {
  const token = authParameter(agent, 'SYSTEMVSSCONNECTION', 'AccessToken') || agent.variable('System.AccessToken');
  agent.setSecret(token);
  return token || undefined;
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

/** An AzureRM service connection as plain values for shared/azure. */
export function azureServiceConnection(agent: Agent, inputName: string, id: string): AzureServiceConnection {
  requireEndpoint(agent, inputName, id);
  const auth = agent.endpointAuthorization(id);
  const parameters: Record<string, string | undefined> = { ...(auth?.parameters ?? {}) };
  for (const [key, value] of Object.entries(parameters)) if (/key|certificate|token|secret|password/i.test(key)) agent.setSecret(value);
  const data: Record<string, string | undefined> = {};
  for (const key of AZURE_DATA_KEYS) data[key] = agent.endpointData(id, key);
  return { id, scheme: auth?.scheme ?? '', parameters, data, url: agent.endpointUrl(id) };
}

/** What a workload identity federation credential needs from the job: the OIDC request URI and the job token. */
export function pipelineJobContext(agent: Agent): PipelineJobContext {
  return { oidcRequestUri: agent.variable('System.OidcRequestUri'), accessToken: jobAccessToken(agent) };
}

/**
 * An "Azure Repos/Team Foundation Server" service connection (type externaltfs) for a repository in
 * another organization: its URL and personal access token (masked).
 */
export function azureReposConnection(agent: Agent, inputName: string, id: string): { url: string; token: string } {
  requireEndpoint(agent, inputName, id);
  const url = agent.endpointUrl(id);
  const token = authParameter(agent, id, 'apitoken') ?? authParameter(agent, id, 'AccessToken');
  if (!url) throw new InputError(inputName, `the service connection "${id}" has no server URL`);
  if (!token) throw new InputError(inputName, `the service connection "${id}" has no personal access token (use token-based authentication)`);
  agent.setSecret(token);
  return { url, token };
}
