/**
 * The classic editor's validation expressions of GitOpsPromote@1 (task.json) against the inputs
 * reader: what the editor refuses the task refuses too, and the values it lets through as numbers
 * the task reads.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemoryAgent } from '../../../shared/agent/memory-agent';
import { readPromoteInputs } from '../../../shared/workflows/promote-inputs';

const task = JSON.parse(fs.readFileSync(path.join(process.cwd(), 'tasks/GitOpsPromote/v1/task.json'), 'utf8')) as {
  inputs: { name: string; validation?: { expression: string } }[];
};
const BASE = {
  bundle: '/tmp/release',
  environment: 'dev',
  gitopsRepository: 'gitops',
  targetFolder: 'apps/{environment}/{app}',
  azureSubscription: 'arm',
  clusters: 'arc-1',
  clusterResourceGroup: 'rg',
};

function editorAccepts(name: string, value: string): boolean {
  const expression = task.inputs.find((i) => i.name === name)?.validation?.expression ?? '';
  const m = /^isMatch\(value,\s*'(.*)',\s*'(IgnoreCase|Multiline|None)'\)$/.exec(expression);
  assert.ok(m, `${name}: ${expression}`);
  return new RegExp(m[1], m[2] === 'IgnoreCase' ? 'i' : '').test(value);
}

function taskAccepts(name: string, value: string): boolean {
  try {
    readPromoteInputs(new MemoryAgent({ inputs: { ...BASE, [name]: value } }));
    return true;
  } catch (err) {
    assert.match(String(err), new RegExp(`^InputError: Input "${name}"`));
    return false;
  }
}

const SAMPLES = ['15', '0.5', ' 30 ', '3600', 'abc', '-1', '1e3', '1,5', '0x10', '5 min', '.5', '1.', 'Infinity', 'NaN', '15\n16'];

describe('GitOpsPromote@1 validation expressions', () => {
  for (const name of ['mergeTimeoutMinutes', 'reconcileTimeoutMinutes', 'nonCompliantGraceSeconds']) {
    it(`${name}: the editor refuses only what the task refuses, and lets plain numbers through`, () => {
      for (const value of SAMPLES) {
        if (!editorAccepts(name, value)) assert.equal(taskAccepts(name, value), false, `${name}="${value}": refused by the editor, so the task must refuse it`);
      }
      for (const value of ['15', '0.5', ' 30 ']) {
        assert.ok(editorAccepts(name, value), `${name}="${value}"`);
        assert.ok(taskAccepts(name, value), `${name}="${value}"`);
      }
      for (const value of ['abc', '-1', '1e3', '5 min']) assert.equal(editorAccepts(name, value), false, `${name}="${value}"`);
      assert.ok(editorAccepts(name, '$(promoteTimeout)'), 'a variable passes the editor');
    });
  }

  it('workItems: ids separated by commas (with #), or variables; the editor refuses only what the task refuses', () => {
    for (const value of ['1234', '1234, 1240', '#12,#13', '$(workItem), 7', '']) assert.ok(editorAccepts('workItems', value), value);
    for (const value of ['12a', 'abc', '1;2', '- 1']) {
      assert.equal(editorAccepts('workItems', value), false, value);
      assert.equal(taskAccepts('workItems', value), false, value);
    }
  });

  it('a rollback refuses {release} in the target or templates folder (a folder per release has no history to go back through)', () => {
    const rollback = { ...BASE, action: 'rollback', app: 'web' };
    for (const [name, value] of [
      ['targetFolder', 'apps/{environment}/{app}/{release}'],
      ['templatesFolder', 'templates/{release}'],
    ]) {
      assert.throws(
        () => readPromoteInputs(new MemoryAgent({ inputs: { ...rollback, [name]: value } })),
        new RegExp(`^InputError: Input "${name}": must not contain \\{release\\} for a rollback: the folder has to be the same for every release$`),
      );
    }
    // A promotion may write a folder per release; a rollback without {release} is fine.
    assert.equal(readPromoteInputs(new MemoryAgent({ inputs: { ...BASE, templatesFolder: 'templates/{release}' } })).templatesFolder, 'templates/{release}');
    assert.equal(readPromoteInputs(new MemoryAgent({ inputs: { ...rollback, templatesFolder: 'templates/{environment}/{app}' } })).action, 'rollback');
  });
});
