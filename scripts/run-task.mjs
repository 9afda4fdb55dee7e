// npm run task -- <TaskName> [--input name=value ...] [--var name=value ...] [--secret name=value ...]
//   [--endpoint id=url] [--endpoint-auth id=scheme] [--endpoint-param id.key=value] [--endpoint-data id.key=value]
//   [--env NAME=value] [--sources dir] [--node path] [--raw] [--keep]
// --keep leaves the agent's work folder (temp files, results) in place; it is removed otherwise.
// Runs a built task bundle exactly as the agent would and shows its ##vso commands readably. Inputs
// may use $(name) macros of --var and --secret variables, as on the agent; secrets stay masked.
// <TaskName> may carry a version (GitOpsPromote@1); the highest is taken otherwise.
// Exit code: 0 when the task succeeded (with or without issues), 1 when it failed, 2 for bad usage.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readJson, root, taskJsonFiles } from './lib/versions.mjs';

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
  if (eq <= 0) fail(`${flag} expects name=value, got "${text ?? ''}"\n${usage}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
};
const value = (flag, text) => {
  if (text === undefined || text.startsWith('--')) fail(`${flag} expects a value\n${usage}`);
  return text;
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
  } else if (flag === '--sources') sources = path.resolve(process.env.INIT_CWD ?? process.cwd(), value(flag, next()));
  else if (flag === '--node') nodePath = value(flag, next());
  else if (flag === '--raw') raw = true;
  else if (flag === '--keep') keep = true;
  else fail(`unknown option ${flag}\n${usage}`);
}

// The task and its inputs are checked against the sources (tasks/<Name>/v<N>/task.json) before any
// build: a typo is reported at once, naming what there is.
const sourceTasks = taskJsonFiles().map((file) => ({ name: path.basename(path.dirname(path.dirname(file))), major: path.basename(path.dirname(file)), file }));
const [, wantedName, wantedMajor] = /^([^@]*)(?:@(\d+))?$/.exec(taskName) ?? [];
const sameName = sourceTasks.filter((t) => t.name.toLowerCase() === wantedName?.toLowerCase());
if (sameName.length === 0) fail(`No task named ${taskName}; the tasks are: ${[...new Set(sourceTasks.map((t) => t.name))].join(', ')}`);
const chosen = wantedMajor
  ? sameName.find((t) => t.major === `v${wantedMajor}`)
  : sameName.sort((a, b) => Number(b.major.slice(1)) - Number(a.major.slice(1)))[0];
if (!chosen) fail(`${sameName[0].name} has no version @${wantedMajor}; its versions: ${sameName.map((t) => `@${t.major.slice(1)}`).join(', ')}`);
const declared = (readJson(chosen.file).inputs ?? []).map((i) => i.name);
const unknownInputs = Object.keys(inputs).filter((name) => !declared.includes(name));
if (unknownInputs.length > 0) fail(`${chosen.name} has no input ${unknownInputs.map((n) => `"${n}"`).join(', ')}; its inputs are: ${declared.join(', ')}`);

const taskDir = path.join(root, 'dist', 'tasks', chosen.name, chosen.major);
const harness = path.join(root, 'build', 'test', 'harness');
if (!fs.existsSync(taskDir) || !fs.existsSync(path.join(harness, 'task-output.js'))) {
  console.log('Building first (npm run build)...');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
const load = createRequire(import.meta.url);
const { runBuiltTask } = load(path.join(harness, 'task-runner.js'));
const { createTaskOutput } = load(path.join(harness, 'task-output.js'));

// Tools installed by `npm run setup-tools` are found first, like an installer task's prependpath.
const toolsBin = path.join(root, '.tools', 'bin');
const env = fs.existsSync(toolsBin) ? { PATH: `${toolsBin}${path.delimiter}${process.env.PATH}` } : {};

const output = createTaskOutput({
  raw,
  secrets: [...Object.values(secrets), ...Object.values(endpoints).flatMap((e) => Object.values(e.parameters))],
  // Without --keep the agent folder goes at the end: the summaries are shown below instead.
  summaryPath: keep ? (file) => file : () => 'shown below',
});
let run;
try {
  run = await runBuiltTask({
    taskDir,
    inputs,
    variables: { 'Build.SourcesDirectory': sources, ...variables },
    secrets,
    endpoints,
    nodePath,
    env: { ...env, ...extraEnv },
    onLine: output.show,
  });
} catch (err) {
  fail(output.mask(err instanceof Error ? err.message : String(err)));
}
if (run.stderr.trim()) console.error(output.mask(run.stderr.trimEnd()));
output.summaries(run);
if (run.result === undefined) console.error(`The task ended (exit code ${run.exitCode}) without reporting a result`);
if (keep) console.log(`\nagent work folder kept: ${run.folders.work}`);
else fs.rmSync(run.folders.work, { recursive: true, force: true });
process.exit(run.succeeded ? 0 : 1);

function fail(message) {
  console.error(message);
  process.exit(2);
}
