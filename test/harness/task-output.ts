/**
 * Shows a task's ##vso commands readably (npm run task, npm run demo), masking every secret the task
 * registers (task.setsecret) and every secret given to it, as the agent's log does.
 */
import * as path from 'node:path';
import { parseVsoLine, type TaskRun } from './task-runner';

export interface TaskOutputOptions {
  /** Print the lines as the task wrote them (still masked). */
  raw?: boolean;
  /** Values to mask from the first line on (secret variables, endpoint credentials). */
  secrets?: string[];
  /** ANSI colours; on when stdout is a terminal by default. */
  color?: boolean;
  /** Where each printed line goes; console.log by default. */
  write?: (line: string) => void;
  /**
   * The path to show for a summary or attachment the task wrote, called when the task announces it
   * (the file exists then); undefined shows no path, e.g. when the agent folder is removed at the end.
   */
  summaryPath?: (file: string, title: string) => string | undefined;
}

/** Plain functions, to pass around unbound (onLine: output.show). */
export interface TaskOutput {
  /** Shows one line of the task's stdout. */
  show: (line: string) => void;
  /** Shows the markdown of every summary the run attached. */
  summaries: (run: Pick<TaskRun, 'summaries'>) => void;
  /** The text with every known secret replaced by ***. */
  mask: (text: string) => string;
  /** Masks these values from now on (the next task's credentials, when one output serves several runs). */
  addSecrets: (values: string[]) => void;
}

export function createTaskOutput(options: TaskOutputOptions = {}): TaskOutput {
  const raw = options.raw ?? false;
  const write = options.write ?? ((line: string) => console.log(line));
  const useColor = options.color ?? process.stdout.isTTY === true;
  // The agent masks values of 3 characters or more; shorter ones would mask ordinary text.
  const masked = new Set<string>();
  const addSecrets = (values: string[]) => values.filter((s) => s && s.length >= 3).forEach((s) => masked.add(s));
  addSecrets(options.secrets ?? []);
  // One note explains the masking; repeating it for every registered value adds nothing.
  let secretNoted = false;

  const mask = (text: string) => {
    let out = text;
    for (const s of masked) out = out.split(s).join('***');
    return out;
  };
  const color = (code: string, s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
  const print = (text: string) => write(mask(text));
  const file = (message: string, title: string) => {
    const shown = options.summaryPath ? options.summaryPath(message, title) : message;
    return shown === undefined ? '' : ` (${shown})`;
  };

  const show = (line: string) => {
    const c = parseVsoLine(line);
    if (c?.command === 'task.setsecret') {
      addSecrets([c.message]);
      if (raw) print(line);
      else if (!secretNoted) print(color('2', 'secret registered (masked from now on)'));
      secretNoted = true;
      return;
    }
    if (raw) return print(line);
    if (!c) {
      if (line.startsWith('##[group]')) return print(color('1', `▸ ${line.slice(9)}`));
      if (line.startsWith('##[endgroup]')) return;
      if (line.startsWith('##[command]')) return print(color('36', `$ ${line.slice(11)}`));
      return print(line);
    }
    const p = c.properties;
    switch (c.command) {
      case 'task.debug':
        return;
      case 'task.logissue':
      case 'task.issue': {
        const where = p.sourcepath ? `${p.sourcepath}${p.linenumber ? `:${p.linenumber}` : ''}${p.columnnumber ? `:${p.columnnumber}` : ''} ` : '';
        const type = p.type ?? 'issue';
        return print(color(type === 'error' ? '31' : '33', `${type.toUpperCase()} ${where}${c.message}`));
      }
      case 'task.setprogress':
        return print(color('2', `progress ${p.value}% ${c.message}`));
      case 'task.setvariable':
        return print(color('35', `${p.isOutput === 'true' ? 'output' : 'variable'} ${p.variable} = ${p.issecret === 'true' ? '***' : c.message}`));
      case 'task.complete':
        return print(color(p.result === 'Failed' ? '31;1' : '32;1', `RESULT ${p.result}${c.message ? `: ${c.message}` : ''}`));
      case 'task.addattachment':
        return print(color('34', `summary tab "${p.name}"${file(c.message, p.name ?? '')}`));
      case 'task.uploadsummary':
        return print(color('34', `summary${file(c.message, path.basename(c.message))}`));
      case 'artifact.upload':
        return print(color('34', `artifact ${p.artifactname ?? ''} <- ${c.message}`));
      default:
        return print(color('2', `${c.command} ${JSON.stringify(p)} ${c.message}`));
    }
  };

  const summaries = (run: Pick<TaskRun, 'summaries'>) => {
    for (const s of run.summaries) {
      print(color('1', `\n── ${s.title} ──`));
      print(s.markdown.trimEnd());
    }
  };
  return { show, summaries, mask, addSecrets };
}
