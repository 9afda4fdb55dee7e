/**
 * The task-lib agent reads the job and writes the log without loading azure-pipelines-task-lib: each
 * test runs the same job twice in child processes (task-lib takes the environment once per process,
 * and removes what it takes), once through task-lib as the agent used it before and once through the
 * agent, and compares what they read, what they left in process.env and the commands they wrote.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = process.cwd();
const agentModule = path.join(__dirname, '../../../shared/agent/task-lib-agent.js');
const taskJson = path.join(root, 'tasks/GitOpsPromote/v1/task.json');

const SECRET = 'p4ss-w0rd-of-the-job';
const LEGACY_SECRET = 'legacy-secret-value-42';
const TOKEN = 'job-access-token-0123456789';
const ARM_SECRET = 'arm-client-secret-abcdef';

/** What one run read, what it left in process.env and the children's environment, and its stdout. */
interface Run {
  read: { variables?: unknown[] } & Record<string, unknown>;
  envLeft: string[];
  childEnv?: string[];
  stdout: string;
}

const INPUTS = ['templates', 'Mixed.Case', 'empty', 'padded', 'missing'];
const VARIABLES = ['Build.BuildId', 'Public.Var', 'My.Secret', 'LEGACY_ONLY', 'Agent.JobStatus', 'System.DefaultWorkingDirectory', 'Not.Set'];
const GUID = '6f1e7bd2-2b8d-4a2e-9d35-0c1f0e5c1a11';

/** The job as the agent gives it (the names spelled as the agent spells them). */
function jobEnvironment(temp: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    AGENT_TEMPDIRECTORY: temp,
    SYSTEM_DEFAULTWORKINGDIRECTORY: '/agent/_work/1/s',
    INPUT_TEMPLATES: 'deploy',
    INPUT_MIXED_CASE: 'mixed',
    INPUT_EMPTY: '',
    INPUT_PADDED: '  padded value  ',
    BUILD_BUILDID: '42',
    PUBLIC_VAR: 'public value',
    SECRET_MY_SECRET: SECRET,
    SECRET_LEGACY_ONLY: LEGACY_SECRET,
    VSTS_PUBLIC_VARIABLES: JSON.stringify(['Build.BuildId', 'Public.Var']),
    VSTS_SECRET_VARIABLES: JSON.stringify(['My.Secret']),
    'agent.jobstatus': 'Succeeded',
    COMMAND_CORRELATION_ID: 'correlation-7',
    SECUREFILE_TICKET_abc: 'ticket',
    VSTS_TASKVARIABLE_STEP: 'step value',
    ENDPOINT_URL_SYSTEMVSSCONNECTION: 'https://dev.azure.com/org/',
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: TOKEN } }),
    ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: 'OAuth',
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: TOKEN,
    [`ENDPOINT_URL_${GUID}`]: 'https://management.azure.com/',
    [`ENDPOINT_AUTH_${GUID}`]: JSON.stringify({ scheme: 'ServicePrincipal', parameters: { serviceprincipalid: 'app', serviceprincipalkey: ARM_SECRET } }),
    [`ENDPOINT_AUTH_SCHEME_${GUID}`]: 'ServicePrincipal',
    [`ENDPOINT_AUTH_PARAMETER_${GUID}_SERVICEPRINCIPALKEY`]: ARM_SECRET,
    [`ENDPOINT_DATA_${GUID}_SUBSCRIPTIONID`]: 'sub-1',
  };
}

/** The calls each run makes, written once for both: `a` is the Agent or the task-lib stand-in below. */
const CALLS = `
const read = {
  inputs: ${JSON.stringify(INPUTS)}.map((n) => a.input(n)),
  variables: ${JSON.stringify(VARIABLES)}.map((n) => a.variable(n)),
  urls: ['SYSTEMVSSCONNECTION', '${GUID}', 'nope'].map((id) => a.endpointUrl(id)),
  auth: ['SYSTEMVSSCONNECTION', '${GUID}', 'nope'].map((id) => a.endpointAuthorization(id)),
  data: [a.endpointData('${GUID}', 'subscriptionId'), a.endpointData('${GUID}', 'missing')],
  secretVariables: [...a.secretVariables()],
};
const envLeft = Object.keys(process.env);
a.info('plain line');
a.warning('a warning; with ] and % and\\nnew line');
a.issue({ type: 'error', message: 'bad object', file: 'deploy/app.yaml', line: 3, column: 0, code: 'schema/x' });
a.issue({ type: 'warning', message: 'no place' });
a.progress(41.6, 'Rendering dev');
a.setOutput('bundlePath', '/tmp/x;y]z');
a.setOutput('My.Secret', 'now-secret-output');
a.uploadArtifact('release', '/tmp/release');
a.setSecret('registered-secret-123');
a.group('Group');
a.endGroup();
a.setResult('SucceededWithIssues', 'done with issues');
a.setResult('Failed', 'it failed');
const exec = (which) =>
  a.toolRunner().exec(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(Object.keys(process.env)))'], { cwd: process.cwd() }).then((r) => {
    require('fs').writeFileSync(process.env.RESULT_FILE, JSON.stringify({ read, envLeft, childEnv: JSON.parse(r.stdout) }));
    setTimeout(() => { throw new Error('boom'); });
  });
exec();
`;

/** The agent as it was over task-lib (before it loaded task-lib lazily): the reference. */
const TASK_LIB = `
const tl = require('azure-pipelines-task-lib/task');
tl.setResourcePath(${JSON.stringify(taskJson)});
const R = { Succeeded: tl.TaskResult.Succeeded, SucceededWithIssues: tl.TaskResult.SucceededWithIssues, Failed: tl.TaskResult.Failed };
const a = {
  input: (n) => (tl.getInput(n, false) ?? '').trim(),
  variable: (n) => { const v = tl.getVariable(n); return v === undefined || v === '' ? undefined : v; },
  endpointUrl: (id) => tl.getEndpointUrl(id, true),
  endpointAuthorization: (id) => { const x = tl.getEndpointAuthorization(id, true); return x === undefined ? undefined : { scheme: tl.getEndpointAuthorizationScheme(id, true) ?? x.scheme ?? '', parameters: { ...(x.parameters ?? {}) } }; },
  endpointData: (id, k) => tl.getEndpointDataParameter(id, k, true),
  secretVariables: () => new Map(tl.getVariables().flatMap((v) => (v.secret && v.value ? [[v.name, v.value]] : []))),
  info: (m) => console.log(m),
  warning: (m) => tl.warning(m),
  issue: (i) => tl.logIssue(i.type === 'error' ? tl.IssueType.Error : tl.IssueType.Warning, i.message, i.file, i.line, i.column, i.code),
  progress: (p, o) => tl.setProgress(Math.max(0, Math.min(100, Math.round(p))), o),
  setOutput: (n, v) => tl.setVariable(n, v, false, true),
  uploadArtifact: (n, f) => tl.uploadArtifact(n, f, n),
  setSecret: (v) => tl.setSecret(v),
  group: (t) => console.log('##[group]' + t),
  endGroup: () => console.log('##[endgroup]'),
  setResult: (r, m) => tl.setResult(R[r], m),
  toolRunner: () => ({ exec: async (p, args, o) => { const r = tl.tool(p).arg(args); let stdout = ''; r.on('stdout', (d) => (stdout += d)); console.log('##[command]' + [p, ...args].join(' ')); const code = await r.execAsync({ cwd: o.cwd, silent: true, ignoreReturnCode: true }); return { code, stdout }; } }),
};
${CALLS}`;

const AGENT = `
const a = require(${JSON.stringify(agentModule)}).createTaskLibAgent(${JSON.stringify(taskJson)});
${CALLS}`;

function run(script: string, extraEnv: Record<string, string> = {}): Run {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-parity-'));
  try {
    const resultFile = path.join(temp, 'result.json');
    const child = spawnSync(process.execPath, ['-e', script], {
      cwd: root,
      env: { ...jobEnvironment(temp), ...extraEnv, RESULT_FILE: resultFile },
      encoding: 'utf8',
    });
    assert.equal(child.stderr, '', child.stderr);
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Omit<Run, 'stdout'>;
    return { ...result, stdout: child.stdout };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Every line but task.debug ones, the stack of the uncaught error reduced to its first line. */
const commands = (stdout: string) =>
  stdout
    .split(/\r?\n/)
    .filter((l) => l !== '' && !l.startsWith('##vso[task.debug]'))
    .map((l) => (l.includes('%0A    at ') ? l.slice(0, l.indexOf('%0A    at ')) : l));
const ours = (names: string[]) => names.filter((n) => !['RESULT_FILE'].includes(n)).sort();

describe('task-lib agent and task-lib read and write the same', function () {
  this.timeout(30_000);
  let reference: Run;
  let agent: Run;
  before(() => {
    reference = run(TASK_LIB);
    agent = run(AGENT);
  });

  it('reads inputs, variables, secret variables and service connections as task-lib reads them', () => {
    assert.deepEqual(agent.read, reference.read);
    // The figures themselves, so that a change of both cannot pass unseen.
    assert.deepEqual(agent.read.inputs, ['deploy', 'mixed', '', 'padded value', '']);
    assert.deepEqual(agent.read.variables, ['42', 'public value', SECRET, LEGACY_SECRET, 'Succeeded', '/agent/_work/1/s', null]);
    assert.deepEqual(agent.read.secretVariables, [
      ['My.Secret', SECRET],
      ['LEGACY_ONLY', LEGACY_SECRET],
    ]);
  });

  it('takes the same variables out of process.env, so no child process gets a secret, an input or a credential', () => {
    assert.deepEqual(ours(agent.envLeft), ours(reference.envLeft));
    assert.deepEqual(ours(agent.childEnv ?? []), ours(reference.childEnv ?? []));
    for (const gone of [
      'INPUT_TEMPLATES',
      'SECRET_MY_SECRET',
      'ENDPOINT_AUTH_SYSTEMVSSCONNECTION',
      'COMMAND_CORRELATION_ID',
      'VSTS_SECRET_VARIABLES',
      'SECUREFILE_TICKET_abc',
    ])
      assert.ok(!agent.childEnv?.includes(gone), gone);
    // Empty ones stay, as with task-lib; URLs and data are not secret.
    assert.ok(agent.childEnv?.includes('INPUT_EMPTY'));
    assert.ok(agent.childEnv?.includes(`ENDPOINT_URL_${GUID}`));
  });

  it('writes the same logging commands (issues with the correlation id, outputs, secrets, results, an uncaught error)', () => {
    assert.deepEqual(commands(agent.stdout), commands(reference.stdout));
    assert.ok(commands(agent.stdout).includes('##vso[task.issue type=error;source=TaskInternal;correlationId=correlation-7;]it failed'));
    assert.ok(commands(agent.stdout).includes('##vso[task.setvariable variable=My.Secret;isOutput=true;issecret=true;]now-secret-output'));
    assert.ok(commands(agent.stdout).includes('##vso[task.complete result=Failed;]Unhandled: boom'));
  });

  it('never writes a secret value in its own debug lines (task-lib writes secret variables there for the agent to mask)', () => {
    const debug = agent.stdout.split('\n').filter((l) => l.startsWith('##vso[task.debug]'));
    assert.ok(debug.includes('##vso[task.debug]My.Secret=***'), debug.join('\n'));
    for (const secret of [SECRET, LEGACY_SECRET, TOKEN, ARM_SECRET]) assert.ok(!debug.some((l) => l.includes(secret)), secret);
    assert.ok(reference.stdout.includes(`##vso[task.debug]My.Secret=${SECRET}`));
  });

  it('loads task-lib only to run the tool, and handles the uncaught error once', () => {
    const lines = agent.stdout.split('\n');
    const loading = lines.findIndex((l) => l === '##vso[task.debug]loading azure-pipelines-task-lib: running a tool');
    assert.ok(loading > lines.findIndex((l) => l.startsWith('##vso[task.complete result=SucceededWithIssues')), 'after the reads and the log');
    assert.equal(lines.filter((l) => l.startsWith('##vso[task.complete result=Failed;]Unhandled')).length, 1);
  });

  it('skips its debug lines when the job asks task-lib to skip them with system.debug off, and writes them with it on', () => {
    const skip = { DISTRIBUTEDTASK_TASKS_NODE_SKIPDEBUGLOGSWHENDEBUGMODEOFF: 'true' };
    const quiet = run(AGENT, skip);
    // task-lib, loaded to run the tool, writes two lines of its own before it reads the setting.
    const before = quiet.stdout.slice(0, quiet.stdout.indexOf('##vso[task.debug]system.debug='));
    assert.ok(before.includes('##vso[task.complete result=SucceededWithIssues'), quiet.stdout);
    assert.ok(!before.includes('##vso[task.debug]'), quiet.stdout);
    const debug = run(AGENT, { ...skip, SYSTEM_DEBUG: 'true' });
    assert.ok(debug.stdout.includes('##vso[task.debug]templates=deploy'));
  });

  it('loads task-lib at the start when the agent has proxy settings, which azure-devops-node-api reads from it', () => {
    const script = `
const a = require(${JSON.stringify(agentModule)}).createTaskLibAgent(${JSON.stringify(taskJson)});
require('fs').writeFileSync(process.env.RESULT_FILE, JSON.stringify({
  read: { proxy: global._vsts_task_lib_proxy, url: global._vsts_task_lib_proxy_url, password: !!global._vsts_task_lib_proxy_password, input: a.input('templates'), secret: a.variable('My.Secret'), token: a.endpointAuthorization('SYSTEMVSSCONNECTION') },
  envLeft: Object.keys(process.env),
}));`;
    const proxied = run(script, {
      AGENT_PROXYURL: 'http://proxy.example:8080',
      AGENT_PROXYUSERNAME: 'proxy-user',
      SECRET_AGENT_PROXYPASSWORD: 'proxy-password-1',
      VSTS_SECRET_VARIABLES: JSON.stringify(['My.Secret', 'Agent.ProxyPassword']),
    });
    assert.deepEqual(proxied.read, {
      proxy: true,
      url: 'http://proxy.example:8080',
      password: true,
      input: 'deploy',
      secret: SECRET,
      token: { scheme: 'OAuth', parameters: { AccessToken: TOKEN } },
    });
    for (const gone of ['INPUT_TEMPLATES', 'SECRET_MY_SECRET', 'SECRET_AGENT_PROXYPASSWORD', 'ENDPOINT_AUTH_SYSTEMVSSCONNECTION'])
      assert.ok(!proxied.envLeft.includes(gone), gone);
  });
  it("reads the agent's proxy as task-lib's getHttpProxyConfiguration does, masks its password and gives it to every tool it runs", () => {
    const script = `
const a = require(${JSON.stringify(agentModule)}).createTaskLibAgent(${JSON.stringify(taskJson)});
const tl = require('azure-pipelines-task-lib/task');
const ours = a.proxy();
const ref = tl.getHttpProxyConfiguration('https://contoso.azurecr.io');
const print = 'const e = process.env; process.stdout.write(JSON.stringify([e.HTTPS_PROXY, e.http_proxy, e.NO_PROXY]))';
a.toolRunner().exec(process.execPath, ['-e', print], { cwd: process.cwd() }).then((r) => {
  require('fs').writeFileSync(process.env.RESULT_FILE, JSON.stringify({
    read: { ours, ref: { url: ref.proxyUrl, username: ref.proxyUsername, password: ref.proxyPassword, bypass: ref.proxyBypassHosts }, child: JSON.parse(r.stdout) },
    envLeft: Object.keys(process.env),
  }));
});`;
    const password = 'proxy p@ss-9';
    const proxied = run(script, {
      AGENT_PROXYURL: 'http://proxy.example:8080',
      AGENT_PROXYUSERNAME: 'proxy-user',
      AGENT_PROXYBYPASSLIST: JSON.stringify(['dev\\.azure\\.com']),
      SECRET_AGENT_PROXYPASSWORD: password,
      VSTS_SECRET_VARIABLES: JSON.stringify(['My.Secret', 'Agent.ProxyPassword']),
    });
    const expected = { url: 'http://proxy.example:8080', username: 'proxy-user', password, bypass: ['dev\\.azure\\.com'] };
    assert.deepEqual(proxied.read, {
      ours: expected,
      ref: expected,
      child: [
        'http://proxy-user:proxy%20p%40ss-9@proxy.example:8080',
        'http://proxy-user:proxy%20p%40ss-9@proxy.example:8080',
        'localhost,127.0.0.1,::1,dev.azure.com',
      ],
    });
    const lines = proxied.stdout.split('\n');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('##vso[task.setsecret]')),
      ['##vso[task.setsecret]proxy p@ss-9', '##vso[task.setsecret]proxy%AZP2520p%AZP2540ss-9'],
    );
    // task-lib's own getVariable (the reference call above) writes the secret variable in a debug line for the agent to mask; nothing else may.
    const reference = `##vso[task.debug]Agent.ProxyPassword=${password}`;
    assert.ok(lines.includes(reference));
    assert.deepEqual(
      lines.filter(
        (l) => l !== reference && !l.startsWith('##vso[task.setsecret]') && (l.includes(password) || l.includes('p%40ss') || l.includes('p%AZP2540ss')),
      ),
      [],
      'the password in no other line',
    );
  });
});
