import type { Agent } from '../agent/agent';
import { refuseSecretValues } from '../agent/inputs';
import { parseVariableLines } from '../render/variables';
import { InputError } from '../util/errors';

/** The `variables` input of every task: NAME=value lines, none of them holding a secret pipeline variable's value. */
export function readVariablesInput(agent: Agent): Map<string, string> {
  const parsed = parseVariableLines(agent.input('variables'), 'variables');
  if (parsed.errors.length > 0) throw new InputError('variables', parsed.errors[0].message.replace(/^Input "variables", /, ''));
  refuseSecretValues(agent, 'variables', parsed.variables);
  return parsed.variables;
}
