// Shows a task's ##vso commands readably (npm run task, npm run demo), masking every secret the
// task registers (task.setsecret) and every secret given to it, as the agent's log does.
export function createTaskOutput({ raw = false, parseVsoLine, secrets = [] }) {
  const masked = new Set(secrets.filter((s) => s && s.length >= 3));
  const mask = (text) => {
    let out = text;
    for (const s of masked) out = out.split(s).join('***');
    return out;
  };
  const color = process.stdout.isTTY ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_code, s) => s;
  const print = (text) => console.log(mask(text));
  const show = (line) => {
    const c = parseVsoLine(line);
    if (c?.command === 'task.setsecret') {
      masked.add(c.message);
      if (!raw) print(color('2', 'secret registered (masked from now on)'));
      else print(line);
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
        return print(color(p.type === 'error' ? '31' : '33', `${p.type.toUpperCase()} ${where}${c.message}`));
      }
      case 'task.setprogress':
        return print(color('2', `progress ${p.value}% ${c.message}`));
      case 'task.setvariable':
        return print(color('35', `${p.isOutput === 'true' ? 'output' : 'variable'} ${p.variable} = ${p.issecret === 'true' ? '***' : c.message}`));
      case 'task.complete':
        return print(color(p.result === 'Failed' ? '31;1' : '32;1', `RESULT ${p.result}${c.message ? `: ${c.message}` : ''}`));
      case 'task.addattachment':
        return print(color('34', `summary tab "${p.name}" (${c.message})`));
      case 'task.uploadsummary':
        return print(color('34', `summary ${c.message}`));
      case 'artifact.upload':
        return print(color('34', `artifact ${p.artifactname ?? ''} <- ${c.message}`));
      default:
        return print(color('2', `${c.command} ${JSON.stringify(p)} ${c.message}`));
    }
  };
  const summaries = (run) => {
    for (const s of run.summaries) {
      print(color('1', `\n── ${s.title} ──`));
      print(s.markdown.trimEnd());
    }
  };
  return { show, summaries, mask, color };
}
