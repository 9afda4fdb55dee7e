import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTaskOutput, type TaskOutputOptions } from '../../harness/task-output';

/** The lines an output prints for these task lines. */
function shown(lines: string[], options: TaskOutputOptions = {}): string[] {
  const printed: string[] = [];
  const output = createTaskOutput({ color: false, write: (l) => printed.push(l), ...options });
  lines.forEach(output.show);
  return printed;
}

describe('local task output', () => {
  it('says "secret registered" once however many secrets a task registers, and masks each of them', () => {
    assert.deepEqual(
      shown([
        '##vso[task.setsecret]first-token',
        '##vso[task.setsecret]second-token',
        '##vso[task.setsecret]third-token',
        '##vso[task.setsecret]fourth-token',
        'using first-token, second-token, third-token and fourth-token',
      ]),
      ['secret registered (masked from now on)', 'using ***, ***, *** and ***'],
    );
  });

  it('keeps one note across the runs one output shows, and masks secrets added for a later run', () => {
    const printed: string[] = [];
    const output = createTaskOutput({ color: false, write: (l) => printed.push(l), secrets: ['given-secret', 'ab'] });
    output.show('##vso[task.setsecret]run-one-token');
    output.addSecrets(['run-two-credential']);
    output.show('##vso[task.setsecret]run-two-token');
    output.show('given-secret run-one-token run-two-credential run-two-token ab');
    assert.deepEqual(printed, ['secret registered (masked from now on)', '*** *** *** *** ab']);
  });

  it('prints raw lines masked, setsecret included', () => {
    assert.deepEqual(shown(['##vso[task.setsecret]abc-123', '##vso[task.debug]abc-123 seen'], { raw: true }), [
      '##vso[task.setsecret]***',
      '##vso[task.debug]*** seen',
    ]);
  });

  it('shows a summary at the path summaryPath gives, called while the file exists, or without a path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-output-test-'));
    try {
      const file = path.join(dir, 'validation.md');
      fs.writeFileSync(file, '# ok\n');
      const seen: [string, string, string][] = [];
      const keep = (f: string, title: string) => {
        seen.push([f, title, fs.readFileSync(f, 'utf8')]);
        return 'out/demo/01-pr-gate/validation.md';
      };
      const line = `##vso[task.addattachment type=Distributedtask.Core.Summary;name=GitOps validation;]${file}`;
      assert.deepEqual(shown([line], { summaryPath: keep }), ['summary tab "GitOps validation" (out/demo/01-pr-gate/validation.md)']);
      assert.deepEqual(seen, [[file, 'GitOps validation', '# ok\n']]);
      assert.deepEqual(shown([`##vso[task.uploadsummary]${file}`], { summaryPath: keep }), ['summary (out/demo/01-pr-gate/validation.md)']);
      assert.deepEqual(shown([line], { summaryPath: () => undefined }), ['summary tab "GitOps validation"']);
      assert.deepEqual(shown([line]), [`summary tab "GitOps validation" (${file})`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows issues, outputs and the result readably, secret outputs masked', () => {
    assert.deepEqual(
      shown([
        '##vso[task.logissue type=error;sourcepath=deploy/a.yaml;linenumber=7;columnnumber=3]bad value',
        '##vso[task.logissue type=warning]careful',
        '##vso[task.setvariable variable=bundlePath;isOutput=true]/a/b',
        '##vso[task.setvariable variable=token;issecret=true]hidden',
        '##vso[task.debug]not shown',
        '##[group]Render',
        '##[endgroup]',
        '##vso[task.complete result=Failed;]1 error',
      ]),
      ['ERROR deploy/a.yaml:7:3 bad value', 'WARNING careful', 'output bundlePath = /a/b', 'variable token = ***', '▸ Render', 'RESULT Failed: 1 error'],
    );
  });
});
