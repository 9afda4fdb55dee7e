import * as assert from 'node:assert/strict';
import { inputVariableName, parseVsoLine, variableEnvironmentName } from '../../harness/task-runner';

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
});
