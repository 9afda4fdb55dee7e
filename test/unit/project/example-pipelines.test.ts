import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';

const root = process.cwd();
const pipelinesDir = path.join(root, 'examples/pipelines');

interface Step {
  task?: string;
  inputs?: Record<string, unknown>;
}

/** Every step with `task:` anywhere in a pipeline document (stages, jobs, deployment strategies, template expressions). */
function taskSteps(node: unknown, out: Step[] = []): Step[] {
  if (Array.isArray(node)) for (const item of node) taskSteps(item, out);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.task === 'string') out.push(record);
    for (const value of Object.values(record)) taskSteps(value, out);
  }
  return out;
}

/** Input names of a step; `${{ if ... }}:` blocks contribute the names inside them. */
function inputNames(inputs: Record<string, unknown> | undefined): string[] {
  const names: string[] = [];
  for (const [key, value] of Object.entries(inputs ?? {})) {
    if (key.startsWith('${{')) names.push(...inputNames(value as Record<string, unknown>));
    else names.push(key);
  }
  return names;
}

describe('examples/pipelines', () => {
  type OurInput = { name: string; required?: boolean; visibleRule?: string; defaultValue?: string };
  type OurTask = { inputs: OurInput[] };

  /** A visibleRule (`a = x`, `a != x`, joined by `||` or `&&`) over the step's inputs and the defaults, as the editor shows it. */
  const visible = (input: OurInput, task: OurTask, given: Record<string, unknown>): boolean => {
    if (!input.visibleRule) return true;
    const valueOf = (name: string): string => {
      const value = given[name] ?? task.inputs.find((i) => i.name === name)?.defaultValue ?? '';
      return typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number' ? String(value) : JSON.stringify(value);
    };
    const clause = (text: string) => {
      const m = /^\s*(\w+)\s*(!=|=)\s*(.*?)\s*$/.exec(text);
      if (!m) throw new Error(`cannot read visibleRule clause "${text}" of ${input.name}`);
      return (valueOf(m[1]) === m[3]) === (m[2] === '=');
    };
    return input.visibleRule.includes('&&') ? input.visibleRule.split('&&').every(clause) : input.visibleRule.split('||').some(clause);
  };
  const ours = new Map<string, OurTask>();
  for (const name of fs.readdirSync(path.join(root, 'tasks'))) {
    ours.set(name, JSON.parse(fs.readFileSync(path.join(root, 'tasks', name, 'v1', 'task.json'), 'utf8')) as OurTask);
  }

  it('use only inputs our tasks declare, and every required one', () => {
    const used = new Set<string>();
    for (const file of fs.readdirSync(pipelinesDir).filter((f) => f.endsWith('.yml'))) {
      for (const step of taskSteps(load(fs.readFileSync(path.join(pipelinesDir, file), 'utf8')))) {
        const [name, major] = step.task!.split('@');
        const task = ours.get(name);
        if (!task) continue;
        used.add(name);
        assert.equal(major, '1', `${file}: ${step.task}`);
        const declared = new Set(task.inputs.map((i) => i.name));
        const given = inputNames(step.inputs);
        assert.deepEqual(
          given.filter((n) => !declared.has(n)),
          [],
          `${file}: ${step.task} has no such input`,
        );
        assert.deepEqual(
          task.inputs.filter((i) => i.required && !given.includes(i.name) && visible(i, task, step.inputs ?? {})).map((i) => i.name),
          [],
          `${file}: ${step.task} misses required inputs`,
        );
      }
    }
    assert.deepEqual([...used].sort(), [...ours.keys()].sort(), 'every task has an example pipeline');
  });
});
