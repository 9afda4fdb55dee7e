import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import type { Agent } from '../../../shared/agent/agent';
import { createTaskLibAgent, neutralize } from '../../../shared/agent/task-lib-agent';

describe('task-lib agent', () => {
  // task-lib keeps one resource file per process: one agent for every test here.
  let agent: Agent;
  before(() => {
    agent = createTaskLibAgent(path.join(process.cwd(), 'tasks/GitOpsPromote/v1/task.json'));
  });
  afterEach(() => sinon.restore());

  /** What the agent writes to stdout while `body` runs. */
  function stdoutOf(body: () => void): string {
    let out = '';
    sinon.stub(process.stdout, 'write').callsFake((chunk: string | Uint8Array) => {
      out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
    try {
      body();
    } finally {
      sinon.restore();
    }
    return out;
  }

  it('neutralizes ##vso commands in text from repositories', () => {
    const text = '##vso[task.setvariable variable=x]y';
    assert.notEqual(neutralize(text), text);
    assert.doesNotMatch(neutralize(text), /^##vso\[/);
  });

  it('writes log lines and groups so that repository text cannot start a command', () => {
    const out = stdoutOf(() => {
      agent.info('##vso[task.setvariable variable=injected]1');
      agent.group('##vso[task.complete result=Failed]');
      agent.endGroup();
    });
    const lines = out.split(/\r?\n/).filter((l) => l !== '');
    assert.equal(lines.length, 3, out);
    assert.doesNotMatch(lines[0], /^##vso\[/);
    assert.match(lines[1], /^##\[group\]/);
    assert.doesNotMatch(lines[1], /##vso\[/);
    assert.equal(lines[2], '##[endgroup]');
  });

  it('masks registered secrets itself in log lines, issues, results and summary tabs, cut short too', () => {
    const secret = 'unit-test-secret-0123456789-abcdefghijklmnop';
    const out = stdoutOf(() => agent.setSecret(secret));
    assert.match(out, /^##vso\[task\.setsecret\]unit-test-secret/m);
    assert.ok(agent.secretValues().includes(secret));
    let file = '';
    const logged = stdoutOf(() => {
      agent.info(`value ${secret}`);
      agent.issue({ type: 'error', message: `got string "${secret.slice(0, 37)}..."` });
      file = agent.uploadSummary('Unit', `| ${secret} |`, 'gitops-unit-test-summary.md');
    });
    try {
      assert.ok(!logged.includes('unit-test-secret'), logged);
      assert.match(logged, /^value \*\*\*$/m);
      assert.match(logged, /got string "\*\*\*\.\.\."/);
      assert.equal(fs.readFileSync(file, 'utf8'), '| *** |');
      assert.equal(agent.mask(`"${secret}"`), '"***"');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('sets an output variable with the ##vso command the agent reads', () => {
    const out = stdoutOf(() => agent.setOutput('gitopsUnitTestOutput', 'abc'));
    assert.match(out, /^##vso\[task\.setvariable variable=gitopsUnitTestOutput;isOutput=true;issecret=false;\]abc$/m);
  });
});
