// npm run task -- <TaskName> [--input name=value ...] [--var name=value ...] [--secret name=value ...]
//   [--endpoint id=url] [--endpoint-auth id=scheme] [--endpoint-param id.key=value] [--endpoint-data id.key=value]
//   [--env NAME=value] [--sources dir] [--node path] [--raw] [--keep]
// --keep leaves the agent's work folder (temp files, results) in place; it is removed otherwise.
// Runs a built task bundle exactly as the agent would and shows its ##vso commands readably.
// Exit code: 0 when the task succeeded (with or without issues), 1 when it failed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { createTaskOutput } from './lib/task-output.mjs';
import { root } from './lib/versions.mjs';

const usage =
  'usage: npm run task -- <TaskName> [--input name=value]... [--var name=value]... [--secret name=value]... [--endpoint id=url] [--endpoint-auth id=scheme] [--endpoint-param id.key=value] [--endpoint-data id.key=value] [--env NAME=value] [--sources dir] [--node path] [--raw] [--keep]';
const args = process.argv.slice(2);
if (args.length === 0 || args[0].startsWith('-')) {
  console.error(usage);
  process.exit(2);
}
const [taskName, ...rest] = args;
const inputs = {};
const variables = {};
const secrets = {};
const endpoints = {};
const extraEnv = {};
let sources = process.env.INIT_CWD ?? process.cwd();
let nodePath;
let raw = false;
let keep = false;
const pair = (flag, text) => {
  const eq = text?.indexOf('=') ?? -1;
  if (eq <= 0) {
    console.error(`${flag} expects name=value, got "${text ?? ''}"\n${usage}`);
    process.exit(2);
  }
  return [text.slice(0, eq), text.slice(eq + 1)];
};
for (let i = 0; i < rest.length; i++) {
  const flag = rest[i];
  const next = () => rest[++i];
  if (flag === '--input') {
    const [k, v] = pair(flag, next());
    inputs[k] = v;
  } else if (flag === '--var') {
    const [k, v] = pair(flag, next());
    variables[k] = v;
  } else if (flag === '--secret') {
    const [k, v] = pair(flag, next());
    secrets[k] = v;
  } else if (flag === '--endpoint') {
    const [k, v] = pair(flag, next());
    (endpoints[k] ??= { scheme: 'None', parameters: {} }).url = v;
  } else if (flag === '--endpoint-auth') {
    const [k, v] = pair(flag, next());
    (endpoints[k] ??= { url: '', parameters: {} }).scheme = v;
  } else if (flag === '--endpoint-param') {
    const [k, v] = pair(flag, next());
    const dot = k.indexOf('.');
    (endpoints[k.slice(0, dot)] ??= { url: '', scheme: 'None', parameters: {} }).parameters[k.slice(dot + 1)] = v;
  } else if (flag === '--endpoint-data') {
    const [k, v] = pair(flag, next());
    const dot = k.indexOf('.');
    ((endpoints[k.slice(0, dot)] ??= { url: '', scheme: 'None', parameters: {} }).data ??= {})[k.slice(dot + 1)] = v;
  } else if (flag === '--env') {
    const [k, v] = pair(flag, next());
    extraEnv[k] = v;
  } else if (flag === '--sources') sources = path.resolve(process.env.INIT_CWD ?? process.cwd(), next());
  else if (flag === '--node') nodePath = next();
  else if (flag === '--raw') raw = true;
  else if (flag === '--keep') keep = true;
  else {
    console.error(`unknown option ${flag}\n${usage}`);
    process.exit(2);
  }
}

const tasksDir = path.join(root, 'dist', 'tasks', taskName);
const harness = path.join(root, 'build', 'test', 'harness', 'task-runner.js');
if (!fs.existsSync(tasksDir) || !fs.existsSync(harness)) {
  console.log('Building first (npm run build)...');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
if (!fs.existsSync(tasksDir)) {
  const known = fs.existsSync(path.join(root, 'dist', 'tasks')) ? fs.readdirSync(path.join(root, 'dist', 'tasks')).join(', ') : 'none';
  console.error(`No task named ${taskName} (built tasks: ${known})`);
  process.exit(2);
}
const versions = fs
  .readdirSync(tasksDir)
  .filter((v) => /^v\d+$/.test(v))
  .sort((a, b) => Number(b.slice(1)) - Number(a.slice(1)));
const taskDir = path.join(tasksDir, versions[0]);
const { runBuiltTask, parseVsoLine } = createRequire(import.meta.url)(harness);

// Tools installed by `npm run setup-tools` are found first, like an installer task's prependpath.
const toolsBin = path.join(root, '.tools', 'bin');
const env = fs.existsSync(toolsBin) ? { PATH: `${toolsBin}${path.delimiter}${process.env.PATH}` } : {};

const output = createTaskOutput({
  raw,
  parseVsoLine,
  secrets: [...Object.values(secrets), ...Object.values(endpoints).flatMap((e) => Object.values(e.parameters))],
});
const run = await runBuiltTask({
  taskDir,
  inputs,
  variables: { 'Build.SourcesDirectory': sources, ...variables },
  secrets,
  endpoints,
  nodePath,
  env: { ...env, ...extraEnv },
  onLine: output.show,
});
if (run.stderr.trim()) console.error(output.mask(run.stderr.trimEnd()));
output.summaries(run);
if (run.result === undefined) console.error(`The task ended (exit code ${run.exitCode}) without reporting a result`);
if (keep) console.log(`\nagent work folder kept: ${run.folders.work}`);
else fs.rmSync(run.folders.work, { recursive: true, force: true });
process.exit(run.succeeded ? 0 : 1);
