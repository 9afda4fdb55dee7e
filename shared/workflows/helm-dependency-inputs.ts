import type { Agent } from '../agent/agent';
import { boolInput } from '../agent/inputs';
import type { HelmDependencySettings } from '../render/helm-dependencies';
import type { HelmCredential } from '../render/registry-auth';
import { InputError } from '../util/errors';

/**
 * The Helm dependency inputs of the tasks that fetch dependencies (GitOpsPrValidate, GitOpsCiPublish):
 * helmDependencyUpdate, and helmRepositoryConnection, a Generic service connection whose URL is a
 * Helm repository (https://…) or an OCI registry (oci://host) and whose user name and password are
 * given to helm through temporary config files (registered as secrets first).
 */
export function readHelmDependencyInputs(agent: Agent): HelmDependencySettings {
  const credentials: HelmCredential[] = [];
  const connection = agent.input('helmRepositoryConnection');
  if (connection !== '') credentials.push(genericConnectionCredential(agent, connection));
  return { mode: 'resolve', allowUpdate: boolInput(agent, 'helmDependencyUpdate', false), credentials };
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
