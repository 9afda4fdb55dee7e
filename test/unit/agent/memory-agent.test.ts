import * as assert from 'node:assert/strict';
import { azureReposConnection, azureServiceConnection, jobAccessToken } from '../../../shared/agent/endpoints';
import { boolInput, choiceInput, collectionUri, listInput, requiredInput, runWebUrl } from '../../../shared/agent/inputs';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { logFinding, runTask } from '../../../shared/agent/report';
import { secretLines } from '../../../shared/agent/secret-lines';
import { InputError } from '../../../shared/util/errors';

describe('MemoryAgent', () => {
  it("gives the agent's proxy, masks its password in both forms, and runs tools with the proxy's environment (a bypass entry they cannot take is a warning)", async () => {
    const agent = new MemoryAgent({
      proxy: { url: 'http://proxy.test:3128', username: 'agent', password: 'pa ss/1', bypass: ['git\\.contoso\\.com', '(a|b)\\.example'] },
    });
    assert.deepEqual(new MemoryAgent().proxy(), undefined);
    assert.equal(agent.proxy()?.url, 'http://proxy.test:3128');
    assert.deepEqual([...agent.secrets], ['pa ss/1', 'pa%20ss%2F1']);
    const print = 'process.stdout.write(JSON.stringify([process.env.HTTPS_PROXY, process.env.no_proxy]))';
    const run = await agent.toolRunner().exec(process.execPath, ['-e', print], { cwd: process.cwd() });
    assert.deepEqual(JSON.parse(run.stdout), [
      'http://agent:pa%20ss%2F1@proxy.test:3128',
      [
        'localhost',
        '127.0.0.1',
        '::1',
        ...(process.env.NO_PROXY ?? process.env.no_proxy ?? '')
          .split(',')
          .filter((e) => e.trim() !== '' && !['localhost', '127.0.0.1', '::1'].includes(e.trim()))
          .map((e) => e.trim()),
        'git.contoso.com',
      ].join(','),
    ]);
    assert.deepEqual(agent.log, [
      {
        kind: 'warning',
        text: 'The agent\'s proxy bypass entry "(a|b)\\.example" is not a host name: helm, kustomize and git send requests for it through the proxy',
      },
    ]);
    agent.info('proxy at http://agent:pa%20ss%2F1@proxy.test:3128 with pa ss/1');
    assert.equal(agent.infoLines[0], 'proxy at http://agent:***@proxy.test:3128 with ***');
  });

  it('masks registered secrets in log lines, issues, progress, summaries and the result, not in outputs', () => {
    const agent = new MemoryAgent();
    agent.setSecret('s3cr3t-token');
    agent.info('token is s3cr3t-token');
    agent.warning('again s3cr3t-token!');
    agent.issue({ type: 'error', message: 'bad s3cr3t-token' });
    agent.progress(150.4, 'using s3cr3t-token');
    agent.setOutput('leak', 's3cr3t-token');
    agent.uploadSummary('T', 'md s3cr3t-token', 'f.md');
    agent.setResult('Failed', 'failed with s3cr3t-token');
    assert.deepEqual(agent.log, [
      { kind: 'info', text: 'token is ***' },
      { kind: 'warning', text: 'again ***!' },
    ]);
    assert.deepEqual(agent.issues, [{ type: 'error', message: 'bad ***' }]);
    assert.deepEqual(agent.progressReports, [{ percent: 100, operation: 'using ***' }]);
    assert.equal(agent.outputs.get('leak'), 's3cr3t-token');
    assert.deepEqual(agent.summaries, [{ title: 'T', markdown: 'md ***', fileName: 'f.md' }]);
    assert.deepEqual(agent.result, { result: 'Failed', message: 'failed with ***' });
  });

  it('masks a longer secret whole when it holds a shorter one', () => {
    const agent = new MemoryAgent();
    agent.setSecret('abcdefgh');
    agent.setSecret('abcdefgh-and-more');
    agent.info('x abcdefgh-and-more y abcdefgh');
    assert.deepEqual(agent.infoLines, ['x *** y ***']);
  });

  it('knows the secret variables: readable, listed with the registered secrets, masked everywhere', () => {
    const agent = new MemoryAgent({ variables: { Plain: 'p' }, secrets: { dbPassword: 'pa55-word-1', empty: '' } });
    agent.setSecret('token-22');
    assert.equal(agent.variable('dbPassword'), 'pa55-word-1');
    assert.deepEqual([...agent.secretVariables()], [['dbPassword', 'pa55-word-1']]);
    assert.deepEqual(agent.secretValues(), ['pa55-word-1', 'token-22']);
    assert.equal(agent.mask('pa55-word-1 token-22 p'), '*** *** p');
    agent.info('password pa55-word-1');
    assert.deepEqual(agent.infoLines, ['password ***']);
  });

  it('reads inputs trimmed, variables (empty is unset) and endpoints by case-insensitive id', () => {
    const agent = new MemoryAgent({
      inputs: { a: '  x  ' },
      variables: { V: 'v', E: '' },
      endpoints: { MyConn: { url: 'https://u/', scheme: 'Token', parameters: { apitoken: 'pat-123456' }, data: { SubscriptionId: 'sub' } } },
    });
    assert.equal(agent.input('a'), 'x');
    assert.equal(agent.input('missing'), '');
    assert.equal(agent.variable('V'), 'v');
    assert.equal(agent.variable('E'), undefined);
    assert.equal(agent.endpointUrl('myconn'), 'https://u/');
    assert.deepEqual(agent.endpointAuthorization('MYCONN'), { scheme: 'Token', parameters: { apitoken: 'pat-123456' } });
    assert.equal(agent.endpointData('MyConn', 'subscriptionid'), 'sub');
    assert.equal(agent.endpointAuthorization('other'), undefined);
  });

  it('findFiles without a matcher is an error, with no patterns an empty list', () => {
    const agent = new MemoryAgent();
    assert.deepEqual(agent.findFiles('/x', []), []);
    assert.throws(() => agent.findFiles('/x', ['**']), /no findFiles option/);
  });
});

describe('secretLines', () => {
  it('masks a one-line secret whole and a PEM line by line without armour and short lines', () => {
    assert.deepEqual(secretLines(undefined), []);
    assert.deepEqual(secretLines('  '), []);
    assert.deepEqual(secretLines('one-line'), ['one-line']);
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\nabc\n-----END PRIVATE KEY-----\n';
    assert.deepEqual(secretLines(pem), ['MIIEvQIBADANBgkq']);
  });
});

describe('input readers over an Agent', () => {
  const agent = new MemoryAgent({ inputs: { b: 'TRUE', bad: 'yes', list: 'a, b\n\nc,', choice: 'PUSH', empty: '' } });

  it('reads booleans, lists and choices, with clear errors naming the input', () => {
    assert.equal(boolInput(agent, 'b', false), true);
    assert.equal(boolInput(agent, 'empty', true), true);
    assert.throws(() => boolInput(agent, 'bad', true), new InputError('bad', 'expected true or false, got "yes"'));
    assert.deepEqual(listInput(agent, 'list'), ['a', 'b', 'c']);
    assert.equal(choiceInput(agent, 'choice', ['pullRequest', 'push'], 'pullRequest'), 'push');
    assert.equal(choiceInput(agent, 'empty', ['pullRequest', 'push'], 'pullRequest'), 'pullRequest');
    assert.throws(() => choiceInput(agent, 'b', ['x', 'y'], 'x'), new InputError('b', 'expected one of x, y, got "TRUE"'));
    assert.throws(() => requiredInput(agent, 'empty'), new InputError('empty', 'is required'));
  });

  it('links the release, else the build results page, else nothing', () => {
    const build = new MemoryAgent({
      variables: { 'System.CollectionUri': 'https://dev.azure.com/org/', 'System.TeamProject': 'My Proj', 'Build.BuildId': '7' },
    });
    assert.equal(runWebUrl(build), 'https://dev.azure.com/org/My%20Proj/_build/results?buildId=7');
    const release = new MemoryAgent({ variables: { 'Release.ReleaseWebURL': 'https://rel/1', 'Build.BuildId': '7' } });
    assert.equal(runWebUrl(release), 'https://rel/1');
    assert.equal(runWebUrl(new MemoryAgent()), undefined);
    assert.equal(collectionUri(new MemoryAgent({ endpoints: { SystemVssConnection: { url: 'https://vss/' } } })), 'https://vss/');
  });
});

describe('service connections over an Agent', () => {
  it('registers the job token and an Azure Repos PAT as secrets', () => {
    const agent = new MemoryAgent({
      endpoints: {
        SystemVssConnection: { url: 'https://dev.azure.com/org/', scheme: 'OAuth', parameters: { AccessToken: 'job-token-1' } },
        repos: { url: 'https://dev.azure.com/other/', scheme: 'Token', parameters: { apitoken: 'pat-token-2' } },
      },
    });
    assert.equal(jobAccessToken(agent), 'job-token-1');
    assert.deepEqual(azureReposConnection(agent, 'gitopsConnection', 'repos'), { url: 'https://dev.azure.com/other/', token: 'pat-token-2' });
    assert.deepEqual([...agent.secrets], ['job-token-1', 'pat-token-2']);
  });

  it('says which input names a connection the job cannot see', () => {
    const agent = new MemoryAgent();
    assert.throws(
      () => azureReposConnection(agent, 'gitopsConnection', 'nope'),
      new InputError('gitopsConnection', 'the service connection "nope" is not available to this job (is it authorized for the pipeline?)'),
    );
  });

  it('reads an AzureRM connection with its data and masks its key', () => {
    const agent = new MemoryAgent({
      endpoints: {
        arm: {
          url: 'https://management.azure.com/',
          scheme: 'ServicePrincipal',
          parameters: { tenantid: 't', serviceprincipalid: 'c', serviceprincipalkey: 'the-key-123' },
          data: { subscriptionId: 'sub-1', environment: 'AzureCloud' },
        },
      },
    });
    const conn = azureServiceConnection(agent, 'azureSubscription', 'arm');
    assert.equal(conn.scheme, 'ServicePrincipal');
    assert.equal(conn.data.subscriptionId, 'sub-1');
    assert.equal(conn.data.environment, 'AzureCloud');
    assert.equal(conn.data.msiclientId, undefined);
    assert.deepEqual([...agent.secrets], ['the-key-123']);
  });
});

describe('runTask and logFinding', () => {
  it('ends the task Failed with the message; the stack goes to debug for unexpected errors only', async () => {
    const agent = new MemoryAgent();
    await runTask(agent, () => Promise.reject(new InputError('x', 'bad')));
    assert.deepEqual(agent.results, [{ result: 'Failed', message: 'Input "x": bad' }]);
    assert.equal(agent.log.filter((l) => l.kind === 'debug').length, 0);
    await runTask(agent, () => Promise.reject(new Error('boom')));
    assert.deepEqual(agent.result, { result: 'Failed', message: 'boom' });
    assert.match(agent.log.filter((l) => l.kind === 'debug')[0].text, /^Error: boom\n/);
  });

  it('logs a finding as an issue with its place and rule', () => {
    const agent = new MemoryAgent();
    logFinding(agent, { rule: 'policy/latest-tag', severity: 'warning', message: 'uses latest', file: 'k/a.yaml', line: 3, column: 5 });
    assert.deepEqual(agent.issues, [
      { type: 'warning', message: '[policy/latest-tag] uses latest', file: 'k/a.yaml', line: 3, column: 5, code: 'policy/latest-tag' },
    ]);
  });
});
