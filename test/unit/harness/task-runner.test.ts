import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkInputNames, expandMacros, inputVariableName, parseVsoLine, runBuiltTask, variableEnvironmentName } from '../../harness/task-runner';

describe('local task runner', () => {
  it('names inputs and variables as the agent exports them', () => {
    assert.equal(inputVariableName('helmValuesFiles'), 'INPUT_HELMVALUESFILES');
    assert.equal(inputVariableName('my input'), 'INPUT_MY_INPUT');
    assert.equal(variableEnvironmentName('Build.SourcesDirectory'), 'BUILD_SOURCESDIRECTORY');
    assert.equal(variableEnvironmentName('System.Debug'), 'SYSTEM_DEBUG');
  });

  it('parses logging commands and unescapes them as the agent does', () => {
    assert.deepEqual(parseVsoLine('##vso[task.logissue type=error;sourcepath=deploy/a.yaml;linenumber=7;code=schema/type]bad%0Avalue %AZP25 done'), {
      command: 'task.logissue',
      properties: { type: 'error', sourcepath: 'deploy/a.yaml', linenumber: '7', code: 'schema/type' },
      message: 'bad\nvalue % done',
    });
    assert.deepEqual(parseVsoLine('##vso[task.setvariable variable=x%3By;isOutput=true]1'), {
      command: 'task.setvariable',
      properties: { variable: 'x;y', isOutput: 'true' },
      message: '1',
    });
    assert.equal(parseVsoLine('plain output'), undefined);
    assert.equal(parseVsoLine('##vso[unterminated'), undefined);
  });

  it('expands $(name) macros by variable name in any case, leaving unknown ones as written', () => {
    const variables = { 'Build.BuildId': '101', token: 's3cret' };
    assert.equal(expandMacros('1.4.$(Build.BuildId)', variables), '1.4.101');
    assert.equal(expandMacros('$(build.buildid)-$(TOKEN)', variables), '101-s3cret');
    assert.equal(expandMacros('$(Nope) and $(Build.BuildId', variables), '$(Nope) and $(Build.BuildId');
  });

  it('names every input a task does not have, and the inputs it has', () => {
    const taskJson = { name: 'Echo', inputs: [{ name: 'token' }, { name: 'other' }] };
    assert.equal(checkInputNames(taskJson, ['token', 'tokne', 'x']), 'Echo has no input "tokne", "x"; its inputs are: token, other');
    assert.equal(checkInputNames(taskJson, ['other']), undefined);
  });

  describe('runBuiltTask on a task that echoes its inputs', () => {
    let dir: string;
    let taskDir: string;
    let savedTmp: string | undefined;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-test-'));
      taskDir = path.join(dir, 'task');
      fs.mkdirSync(taskDir);
      fs.writeFileSync(
        path.join(taskDir, 'task.json'),
        JSON.stringify({
          name: 'Echo',
          inputs: [{ name: 'token' }, { name: 'label', defaultValue: 'build $(Build.BuildId)' }],
          execution: { Node20_1: { target: 'index.js' } },
        }),
      );
      fs.writeFileSync(
        path.join(taskDir, 'index.js'),
        [
          "for (const name of ['TOKEN', 'LABEL']) console.log(`##vso[task.setvariable variable=${name.toLowerCase()};isOutput=true]${process.env['INPUT_' + name]}`);",
          "console.log('##vso[task.complete result=Succeeded;]done');",
        ].join('\n'),
      );
      // The agent folders go under a TMPDIR of the test's own, to see exactly what a run leaves.
      savedTmp = process.env.TMPDIR;
      process.env.TMPDIR = path.join(dir, 'tmp');
      fs.mkdirSync(process.env.TMPDIR);
    });
    afterEach(() => {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('expands a secret variable in an input, as the agent does, and pipeline variables in defaults', async () => {
      const run = await runBuiltTask({
        taskDir,
        inputs: { token: 'Bearer $(apiToken)' },
        variables: { 'Build.BuildId': '7' },
        secrets: { apiToken: 'p4ssw0rd' },
      });
      fs.rmSync(run.folders.work, { recursive: true, force: true });
      assert.equal(run.result, 'Succeeded');
      assert.deepEqual(run.outputs, { token: 'Bearer p4ssw0rd', label: 'build 7' });
    });

    it('rejects an input the task does not have before making any agent folder', async () => {
      await assert.rejects(runBuiltTask({ taskDir, inputs: { tokn: 'x' } }), {
        message: 'Echo has no input "tokn"; its inputs are: token, label',
      });
      assert.deepEqual(fs.readdirSync(path.join(dir, 'tmp')), []);
    });
  });
});
