import type { Agent } from '../agent/agent';
import { azureServiceConnection, pipelineJobContext } from '../agent/endpoints';
import { boolInput } from '../agent/inputs';
import { AzureCredential, createAzureCredential, CredentialOptions } from '../azure/credential';
import type { HelmDependencySettings } from '../render/helm-dependencies';
import { acrCredentialSource, AcrAuthentication, HelmCredential, RegistryCredentialSource } from '../render/registry-auth';
import { InputError } from '../util/errors';

/**
 * The Helm dependency inputs of the tasks that fetch dependencies (GitOpsPrValidate, GitOpsCiPublish):
 * helmDependencyUpdate, and helmRepositoryConnection, a Generic service connection whose URL is a
 * Helm repository (https://…) or an OCI registry (oci://host) and whose user name and password are
 * given to helm through temporary config files (registered as secrets first); and
 * helmRegistryAzureSubscription, an AzureRM connection whose Entra token is exchanged for a refresh
 * token of each Azure Container Registry the dependencies name. `acr` overrides which hosts are ACR,
 * where they exchange tokens and which CA Entra's endpoint has (tests only: their registry and
 * Entra are local).
 */
export function readHelmDependencyInputs(agent: Agent, acr: AcrOverrides = {}): HelmDependencySettings {
  const credentials: HelmCredential[] = [];
  const connection = agent.input('helmRepositoryConnection');
  if (connection !== '') credentials.push(genericConnectionCredential(agent, connection));
  const azure = agent.input('helmRegistryAzureSubscription');
  return {
    mode: 'resolve',
    allowUpdate: boolInput(agent, 'helmDependencyUpdate', false),
    credentials,
    ...(azure !== '' ? { registryCredentials: acrCredentials(agent, azure, acr) } : {}),
  };
}

/**
 * The credential is made now (a broken connection is an input error before anything renders); the
 * Azure SDK part loads here, only on runs with the input. Tokens are asked for when a dependency
 * names an Azure Container Registry.
 */
export type AcrOverrides = Pick<AcrAuthentication, 'isRegistry' | 'exchangeEndpoint'> & { tlsOptions?: CredentialOptions['tlsOptions'] };

function acrCredentials(agent: Agent, id: string, overrides: AcrOverrides): RegistryCredentialSource {
  const connection = azureServiceConnection(agent, 'helmRegistryAzureSubscription', id);
  const { tlsOptions, ...registry } = overrides;
  const proxy = agent.proxy();
  let azure: AzureCredential;
  try {
    azure = createAzureCredential(connection, pipelineJobContext(agent), {
      onSecret: (secret) => agent.setSecret(secret),
      proxy,
      ...(tlsOptions ? { tlsOptions } : {}),
    });
  } catch (err) {
    throw new InputError('helmRegistryAzureSubscription', (err as Error).message);
  }
  for (const secret of azure.secrets) agent.setSecret(secret);
  return acrCredentialSource({
    connection: id,
    tenantId: azure.tenantId,
    onSecret: (secret) => agent.setSecret(secret),
    accessToken: async (abortSignal) => {
      const token = await azure.credential.getToken(azure.cloud.scope, { abortSignal });
      if (!token) throw new Error(`no token for ${azure.cloud.scope}`);
      return token.token;
    },
    proxy,
    ...registry,
  });
}

function genericConnectionCredential(agent: Agent, id: string): HelmCredential {
  const url = agent.endpointUrl(id);
  const auth = agent.endpointAuthorization(id);
  if (!url || !auth)
    throw new InputError('helmRepositoryConnection', `the service connection "${id}" is not available to this job (authorize it for the pipeline)`);
  const parameter = (name: string) => Object.entries(auth.parameters).find(([k]) => k.toLowerCase() === name)?.[1] ?? '';
  const username = parameter('username');
  const password = parameter('password');
  agent.setSecret(password);
  if (!/^(https?|oci):\/\//i.test(url))
    throw new InputError(
      'helmRepositoryConnection',
      `the service connection's URL must be a Helm repository (https://…) or an OCI registry (oci://host), got "${url}"`,
    );
  if (username === '' || password === '')
    throw new InputError(
      'helmRepositoryConnection',
      `the service connection "${id}" needs a user name and a password (a Generic connection with basic authentication)`,
    );
  return { url, username, password };
}
