import * as assert from 'node:assert/strict';
import { filterExternalOutput } from 'azure-pipelines-task-lib/externaloutput';
import { TaskCommand } from 'azure-pipelines-task-lib/taskcommand';
import * as fc from 'fast-check';
import { formatCommand, neutralize } from '../../../shared/agent/logging-commands';

/** Text rich in what matters here: markers, their parts, escapes, line breaks, multi-byte and lone surrogates. */
const text = fc
  .array(
    fc.oneof(fc.constantFrom('##vso[', '##vso', '#', '[', 'vso[', '##_vso[', ']', ';', '%', '%AZP25', '\r', '\n', 'é', '😀', '\uD800', '='), fc.string()),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));

describe('logging commands', () => {
  it('neutralizes ##vso[ exactly as task-lib filters external output, byte for byte', () => {
    fc.assert(
      fc.property(text, (t) => {
        assert.deepEqual(Buffer.from(neutralize(t), 'utf8'), filterExternalOutput(t, { source: 'repository' }));
      }),
      { numRuns: 2000 },
    );
    assert.equal(neutralize('a ##vso[task.complete result=Failed]x ##vso[##vso['), 'a ##_vso[task.complete result=Failed]x ##_vso[##_vso[');
  });

  it('writes a command as task-lib writes it: properties and message escaped, empty properties left out', () => {
    const properties = fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.option(text, { nil: undefined }), { noNullPrototype: true }), {
      nil: undefined,
    });
    fc.assert(
      fc.property(fc.constantFrom('task.debug', 'task.issue', 'task.setvariable', ''), properties, text, (command, props, message) => {
        assert.equal(formatCommand(command, props, message), new TaskCommand(command, props, message).toString());
      }),
      { numRuns: 2000 },
    );
    assert.equal(
      formatCommand('task.logissue', { type: 'error', code: undefined, sourcepath: 'a;b]c' }, '50% done\r\nnext'),
      '##vso[task.logissue type=error;sourcepath=a%3Bb%5Dc;]50%AZP25 done%0D%0Anext',
    );
  });
});
