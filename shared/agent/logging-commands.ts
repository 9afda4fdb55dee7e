/**
 * The agent's wire protocol on stdout, written as azure-pipelines-task-lib writes it: logging
 * commands `##vso[area.event key=value;]message` (task-lib's TaskCommand.toString) and the
 * neutralizing of `##vso[` in text from outside the task (task-lib's filterExternalOutput with no
 * command allowed). Kept here so a task writes its log without loading task-lib; the unit tests
 * check both against task-lib itself.
 */

const PREFIX = '##vso[';

/** A property value: `%`, CR, LF, `]` and `;` escaped as the agent unescapes them. */
function escapeProperty(value: string): string {
  return value.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/]/g, '%5D').replace(/;/g, '%3B');
}

/** The message: `%`, CR and LF escaped, so a command is one line. */
function escapeMessage(value: string): string {
  return value.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** One logging command line; properties with an empty or undefined value are left out, as task-lib does. */
export function formatCommand(command: string, properties: Record<string, string | undefined> | undefined, message: string | undefined): string {
  let line = PREFIX + (command || 'missing.command');
  const present = Object.entries(properties ?? {}).filter((e): e is [string, string] => !!e[1]);
  if (properties && Object.keys(properties).length > 0) line += ' ' + present.map(([key, value]) => `${key}=${escapeProperty(value)};`).join('');
  return `${line}]${escapeMessage(message ?? '')}`;
}

/**
 * Text from repositories, tools and clusters, written so it cannot start a `##vso[` command: every
 * marker becomes `##_vso[`. The marker is ASCII, so matching it in the string matches it in the
 * UTF-8 bytes the agent parses (task-lib works on the bytes; the result is the same).
 */
export function neutralize(text: string): string {
  return text.split(PREFIX).join('##_vso[');
}
