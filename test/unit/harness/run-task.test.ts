import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = process.cwd();

/** `npm run task -- <args>` (scripts/run-task.mjs over the built bundles), with its own TMPDIR. */
function runTask(args: string[]) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-task-test-'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-task.mjs'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp, INIT_CWD: root },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, leftInTmp: fs.readdirSync(tmp) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

describe('npm run task (scripts/run-task.mjs)', function () {
  this.timeout(60_000);

  it('names the tasks there are for an unknown task, without building first', () => {
    const r = runTask(['NoSuchTask']);
    assert.deepEqual(r, {
      code: 2,
      stdout: '',
      stderr: 'No task named NoSuchTask; the tasks are: GitOpsCiPublish, GitOpsPrValidate, GitOpsPromote\n',
      leftInTmp: [],
    });
  });

  it('names the inputs a task has for an unknown --input, without a stack trace or an agent folder left', () => {
    const r = runTask(['GitOpsPromote', '--input', 'enviroment=dev']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^GitOpsPromote has no input "enviroment"; its inputs are: bundle, environment, /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.deepEqual(r.leftInTmp, []);
  });

  it('expands $(secret) in an input to the secret value, and masks it in every line it prints', () => {
    const secret = 'deploy/secret-folder-4711';
    const r = runTask([
      'GitOpsPrValidate',
      '--secret',
      `chartPath=${secret}`,
      '--input',
      'templates=$(chartPath)',
      '--sources',
      path.join(root, 'examples', 'app'),
    ]);
    assert.equal(r.code, 1);
    // The task looked for the secret's folder (not "$(chartPath)"), and the log shows it masked.
    assert.match(r.stdout, /^RESULT Failed: Input "templates": the templates folder "\*\*\*" does not exist \(environment "dev"\)$/m);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(secret), 'the secret value is never printed');
    assert.ok(!r.stdout.includes('$(chartPath)'), 'the macro was expanded');
    assert.deepEqual(r.leftInTmp, []);
  });
});
