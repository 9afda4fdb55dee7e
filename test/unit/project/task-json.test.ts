/**
 * The rules every task.json must keep, checked against the sources that actually went into each
 * bundle (esbuild's metafile from `npm run build`): the inputs the code reads are declared, the
 * output variables declared are set, handlers point at the built bundle.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = process.cwd();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const INPUT_TYPES = new Set(['string', 'multiLine', 'boolean', 'pickList', 'radio', 'filePath', 'int', 'secureFile', 'identities', 'querycontrol']);

interface TaskInput {
  name: string;
  type: string;
  label: string;
  defaultValue?: string | number | boolean;
  required?: boolean;
  groupName?: string;
  visibleRule?: string;
  helpMarkDown?: string;
  options?: Record<string, string>;
  properties?: Record<string, string>;
  validation?: { expression: string; message: string };
}

interface TaskJson {
  id: string;
  name: string;
  friendlyName: string;
  description: string;
  instanceNameFormat: string;
  category: string;
  author: string;
  version: { Major: number; Minor: number; Patch: number };
  minimumAgentVersion: string;
  groups?: { name: string; displayName: string }[];
  inputs: TaskInput[];
  outputVariables?: { name: string; description: string }[];
  execution: Record<string, { target: string }>;
  dataSourceBindings?: { target: string }[];
  restrictions?: { settableVariables?: { allowed?: string[] } };
}

function tasks(): { dir: string; rel: string; json: TaskJson }[] {
  const out: { dir: string; rel: string; json: TaskJson }[] = [];
  for (const name of fs.readdirSync(path.join(root, 'tasks'))) {
    for (const v of fs.readdirSync(path.join(root, 'tasks', name))) {
      const file = path.join(root, 'tasks', name, v, 'task.json');
      if (fs.existsSync(file)) out.push({ dir: path.dirname(file), rel: `${name}/${v}`, json: JSON.parse(fs.readFileSync(file, 'utf8')) as TaskJson });
    }
  }
  return out;
}

interface TaskMeta {
  inputs: Record<string, unknown>;
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** esbuild's metafile of a task: every file built into its folder (index.js and the lazily loaded parts). */
function taskMeta(rel: string): TaskMeta {
  const metaFile = path.join(root, 'build', 'meta', `${rel.replace('/', '-')}.json`);
  assert.ok(fs.existsSync(metaFile), `${metaFile} is missing: run npm run build first`);
  return JSON.parse(fs.readFileSync(metaFile, 'utf8')) as TaskMeta;
}

/** The project's own source files bundled into a task, whichever of its files holds them. */
function bundledSources(rel: string): string[] {
  const sources = Object.values(taskMeta(rel).outputs).flatMap((o) => Object.keys(o.inputs));
  return [...new Set(sources)].filter((f) => !f.includes('node_modules') && f.endsWith('.ts'));
}

/** Input names read through shared/agent (agent.input, and requiredInput, boolInput, listInput, choiceInput over the agent). */
export function inputsRead(source: string): string[] {
  const names: string[] = [];
  const re = /\b(?:input|requiredInput|boolInput|listInput|choiceInput(?:<[^>]*>)?)\(\s*(?:agent,\s*)?'([^']+)'/g;
  for (let m = re.exec(source); m; m = re.exec(source)) names.push(m[1]);
  // Inputs named in a table (e.g. one input per policy rule) are declared as `key: 'inputName'` in a *_INPUTS map.
  const table = /_INPUTS[^=]*=\s*\{([^}]*)\}/g;
  for (let m = table.exec(source); m; m = table.exec(source)) {
    for (const entry of m[1].matchAll(/:\s*'([^']+)'/g)) names.push(entry[1]);
  }
  return names;
}

/** A settableVariables pattern as the agent matches it (Minimatch, ignoring case); ours use `*` only. */
function globRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
}

function outputsSet(source: string): string[] {
  return [...source.matchAll(/\bsetOutput\(\s*'([^']+)'/g)].map((m) => m[1]);
}

describe('task.json files', () => {
  const all = tasks();

  it('exist, one per task folder', () => {
    assert.ok(all.length >= 1);
  });

  it('have unique GUID ids and unique names matching their folder', () => {
    const ids = all.map((t) => t.json.id.toLowerCase());
    assert.equal(new Set(ids).size, ids.length, 'task ids must be unique');
    for (const t of all) {
      assert.match(t.json.id, UUID, `${t.rel}: id must be a GUID`);
      assert.equal(t.json.name, t.rel.split('/')[0], `${t.rel}: name must match the folder`);
      assert.match(t.json.name, /^[A-Za-z0-9-]+$/);
      assert.ok(t.json.friendlyName.length >= 1 && t.json.friendlyName.length <= 40, `${t.rel}: friendlyName must be 1-40 characters (tfx)`);
      assert.ok(t.json.instanceNameFormat, `${t.rel}: instanceNameFormat is required`);
      assert.ok(t.json.description && t.json.category && t.json.author, `${t.rel}: description, category, author`);
      assert.equal(t.json.version.Major, Number(t.rel.split('/v')[1]), `${t.rel}: Major must match the folder`);
    }
  });

  it('need the agent that knows the Node24 handler (4.265.1), and keep Node20_1 for hosts where that agent cannot run Node 24', () => {
    // Agent 4.265.1 is the first with the Node24 handler (3.232.1 the first with Node20_1;
    // microsoft/azure-pipelines-tasks docs/migrateNode24.md). Below 4.265.1 an agent would run the
    // task on Node 20 only, and setting the minimum makes the service upgrade such agents. An agent
    // that knows Node24 still falls back to Node20_1 where Node 24 does not run on its host (e.g. an
    // older glibc), which is why both handlers stay (checked below).
    for (const t of all) {
      assert.equal(t.json.minimumAgentVersion, '4.265.1', `${t.rel}: minimumAgentVersion`);
      assert.ok(t.json.execution.Node24 && t.json.execution.Node20_1, `${t.rel}: Node24 with the Node20_1 fallback`);
    }
  });

  it('have both the Node24 and Node20_1 handlers pointing at an existing bundle', () => {
    for (const t of all) {
      const handlers = Object.keys(t.json.execution).sort();
      assert.deepEqual(handlers, ['Node20_1', 'Node24'], `${t.rel}: handlers`);
      assert.equal(t.json.execution.Node24.target, t.json.execution.Node20_1.target);
      const bundle = path.join(root, 'dist', 'tasks', t.rel, t.json.execution.Node24.target);
      assert.ok(fs.existsSync(bundle), `${t.rel}: ${bundle} does not exist (npm run build)`);
      assert.ok(fs.existsSync(path.join(root, 'dist', 'tasks', t.rel, 'task.json')), `${t.rel}: task.json beside the bundle`);
      assert.ok(fs.existsSync(path.join(root, 'dist', 'tasks', t.rel, 'icon.png')), `${t.rel}: icon.png beside the bundle`);
    }
  });

  it('declare well-formed inputs: types, groups, pick lists, help', () => {
    for (const t of all) {
      const groups = new Set((t.json.groups ?? []).map((g) => g.name));
      const names = t.json.inputs.map((i) => i.name);
      assert.equal(new Set(names).size, names.length, `${t.rel}: input names must be unique`);
      for (const input of t.json.inputs) {
        const where = `${t.rel} input ${input.name}`;
        assert.ok(INPUT_TYPES.has(input.type) || input.type.startsWith('connectedService:'), `${where}: type ${input.type}`);
        assert.ok(input.label, `${where}: label`);
        if (input.groupName) assert.ok(groups.has(input.groupName), `${where}: group ${input.groupName} is not declared`);
        const bound = (t.json.dataSourceBindings ?? []).some((b) => b.target === input.name);
        if (bound) {
          // A pick list filled by a dataSourceBinding has no fixed options; typing a value still works.
          assert.equal(input.type, 'pickList', `${where}: a bound input is a pickList`);
          assert.equal(input.properties?.EditableOptions, 'True', `${where}: EditableOptions`);
        } else if (input.type === 'pickList' || input.type === 'radio') {
          assert.ok(input.options && Object.keys(input.options).length > 0, `${where}: options`);
          if (input.defaultValue !== undefined && input.defaultValue !== '')
            assert.ok(String(input.defaultValue) in input.options, `${where}: default not among options`);
        }
        // Every input of ours needs a word of help: none of them is obvious enough without one.
        assert.ok(input.helpMarkDown && input.helpMarkDown.length >= 20, `${where}: helpMarkDown`);
      }
    }
  });

  it('have visibleRules that name existing inputs', () => {
    for (const t of all) {
      const names = new Set(t.json.inputs.map((i) => i.name));
      for (const input of t.json.inputs.filter((i) => i.visibleRule)) {
        for (const clause of input.visibleRule!.split(/\|\||&&/)) {
          const m = /^\s*([A-Za-z0-9_]+)\s*(=|!=|<|>|<=|>=|NotEndsWith|EndsWith|NotContains|Contains)\s*(.*?)\s*$/.exec(clause);
          assert.ok(m, `${t.rel} input ${input.name}: cannot read visibleRule clause "${clause}"`);
          assert.ok(names.has(m[1]), `${t.rel} input ${input.name}: visibleRule names unknown input ${m[1]}`);
          const target = t.json.inputs.find((i) => i.name === m[1])!;
          if (target.options && m[3]) assert.ok(m[3] in target.options, `${t.rel} input ${input.name}: "${m[3]}" is not an option of ${target.name}`);
        }
      }
    }
  });

  it('have a metafile covering every script of the task folder, so the checks below see all the code', () => {
    for (const t of all) {
      const folder = path.join(root, 'dist', 'tasks', t.rel);
      const scripts = fs
        .readdirSync(folder)
        .filter((f) => f.endsWith('.js'))
        .map((f) => `dist/tasks/${t.rel}/${f}`)
        .sort();
      assert.ok(scripts.includes(`dist/tasks/${t.rel}/index.js`), `${t.rel}: index.js`);
      assert.deepEqual(
        Object.keys(taskMeta(t.rel).outputs)
          .filter((o) => o.endsWith('.js'))
          .sort(),
        scripts,
        `${t.rel}: metafile outputs`,
      );
    }
  });

  it('declare every input the bundled code reads, and read every input they declare', () => {
    for (const t of all) {
      const sources = bundledSources(t.rel)
        .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
        .join('\n');
      const read = new Set(inputsRead(sources));
      const declared = new Set(t.json.inputs.map((i) => i.name));
      assert.deepEqual(
        [...read].filter((n) => !declared.has(n)),
        [],
        `${t.rel}: inputs read but not declared`,
      );
      assert.deepEqual(
        [...declared].filter((n) => !read.has(n)),
        [],
        `${t.rel}: inputs declared but never read`,
      );
    }
  });

  it('set every output variable they declare, and declare every one they set', () => {
    for (const t of all) {
      const sources = bundledSources(t.rel)
        .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
        .join('\n');
      const set = new Set(outputsSet(sources));
      const declared = new Set((t.json.outputVariables ?? []).map((o) => o.name));
      assert.deepEqual(
        [...declared].filter((n) => !set.has(n)),
        [],
        `${t.rel}: output variables never set`,
      );
      assert.deepEqual(
        [...set].filter((n) => !declared.has(n)),
        [],
        `${t.rel}: output variables set but not declared`,
      );
      for (const o of t.json.outputVariables ?? []) assert.ok(o.description, `${t.rel}: output ${o.name} needs a description`);
    }
  });

  it('allow exactly the variables they set (restrictions.settableVariables, minimatch patterns as the agent matches them)', async () => {
    const { imageVariables } = await import('../../../shared/images/tags');
    const sample = imageVariables([
      { name: 'WEB', repository: { name: 'contoso.azurecr.io/voting/web', path: 'voting/web' }, tag: 't', reference: 'r' } as never,
    ]);
    const dynamicNames = [...sample.keys(), 'WEB_TAG_NEW'];
    for (const t of all) {
      const allowed = t.json.restrictions?.settableVariables?.allowed;
      assert.ok(allowed, `${t.rel}: restrictions.settableVariables.allowed`);
      for (const pattern of allowed) assert.match(pattern, /^\*?[A-Za-z0-9_]+$/, `${t.rel}: "${pattern}" uses no pattern syntax but a leading *`);
      const matches = (name: string) => allowed.some((p) => globRegExp(p).test(name));
      const sources = bundledSources(t.rel)
        .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
        .join('\n');
      const set = [...outputsSet(sources), ...(t.json.outputVariables ?? []).map((o) => o.name)];
      // GitOpsCiPublish also sets NAME_IMAGE, NAME_TAG, NAME_REF, NAME_REPOSITORY and NAME_TAG_NEW per image.
      const dynamic = /setOutput\(`\$\{image\.name\}_TAG_NEW`/.test(sources) ? dynamicNames : [];
      for (const name of [...set, ...dynamic]) assert.ok(matches(name), `${t.rel}: sets ${name}, which restrictions.settableVariables does not allow`);
      for (const pattern of allowed)
        assert.ok(
          [...set, ...dynamic].some((n) => globRegExp(pattern).test(n)),
          `${t.rel}: allows "${pattern}", which it never sets`,
        );
      assert.equal(globRegExp('*_TAG').test('WEB_TAG_NEW'), false);
    }
  });

  it('check numeric inputs in the editor (validation as Microsoft writes it) without refusing what the task accepts', () => {
    for (const t of all) {
      for (const input of t.json.inputs) {
        const where = `${t.rel} input ${input.name}`;
        if (/(Minutes|Seconds)$/.test(input.name)) assert.ok(input.validation, `${where}: a number needs a validation`);
        if (!input.validation) continue;
        assert.ok(input.validation.message.length >= 10, `${where}: validation message`);
        const m = /^isMatch\(value,\s*'(.*)',\s*'(IgnoreCase|Multiline|None)'\)$/.exec(input.validation.expression);
        assert.ok(m, `${where}: expression ${input.validation.expression}`);
        const re = new RegExp(m[1], m[2] === 'IgnoreCase' ? 'i' : m[2] === 'Multiline' ? 'm' : '');
        for (const ok of ['', '$(timeout)']) assert.ok(re.test(ok), `${where}: "${ok}" (empty or a variable) passes`);
      }
    }
  });

  it('offer the Kubernetes versions the schemas cover, editable, for kubernetesVersion', async () => {
    const { SCHEMA_KUBERNETES_VERSIONS } = await import('../../../shared/validate/schema');
    for (const t of all) {
      const input = t.json.inputs.find((i) => i.name === 'kubernetesVersion');
      if (!input) continue;
      assert.equal(input.type, 'pickList');
      assert.deepEqual(Object.keys(input.options ?? {}), [...SCHEMA_KUBERNETES_VERSIONS], `${t.rel}: kubernetesVersion options`);
      assert.equal(input.properties?.EditableOptions, 'True', `${t.rel}: another version can be typed`);
    }
  });

  it('mark required every input the code cannot run without', () => {
    for (const t of all) {
      const sources = bundledSources(t.rel)
        .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
        .join('\n');
      const needed = [...sources.matchAll(/\brequiredInput\(\s*agent,\s*'([^']+)'/g)].map((m) => m[1]);
      // Needed only under a visibleRule, and checked by the readers with their own message.
      if (t.json.name === 'GitOpsPromote') needed.push('azureSubscription');
      for (const name of needed) {
        const input = t.json.inputs.find((i) => i.name === name);
        assert.equal(input?.required, true, `${t.rel}: ${name} is needed at run time, so required (hidden by its visibleRule when not needed)`);
      }
    }
  });

  it('are listed in vss-extension.json as contributions with their files', () => {
    const ext = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')) as {
      files: { path: string; packagePath?: string }[];
      contributions: { type: string; properties: { name: string } }[];
    };
    const contributed = ext.contributions
      .filter((c) => c.type === 'ms.vss-distributed-task.task')
      .map((c) => c.properties.name)
      .sort();
    assert.deepEqual(contributed, [...new Set(all.map((t) => t.json.name))].sort());
    for (const name of contributed) {
      // scripts/package.mjs lays dist/tasks/<Task> out as <Task> beside the manifest.
      assert.ok(
        ext.files.some((f) => f.path === name),
        `vss-extension.json files must ship the ${name} folder`,
      );
    }
  });
});

describe('inputsRead', () => {
  it('finds inputs read through the agent helpers and policy tables', () => {
    const src =
      "agent.input('a'); requiredInput(agent, 'b'); choiceInput<'x' | 'y'>(agent, 'c', X, 'x'); export const POLICY_INPUTS: Record<K, string> = { a: 'd', b: 'e' };";
    assert.deepEqual(inputsRead(src), ['a', 'b', 'c', 'd', 'e']);
  });
});

describe('GitOpsPrValidate task.json', () => {
  it('defaults each policy input to the library default severity', async () => {
    const { DEFAULT_POLICY_SEVERITIES } = await import('../../../shared/validate/policy');
    const { POLICY_INPUTS } = await import('../../../shared/workflows/pr-validate-inputs');
    const task = JSON.parse(fs.readFileSync(path.join(root, 'tasks/GitOpsPrValidate/v1/task.json'), 'utf8')) as TaskJson;
    for (const [rule, inputName] of Object.entries(POLICY_INPUTS)) {
      const input = task.inputs.find((i) => i.name === inputName);
      assert.equal(input?.defaultValue, DEFAULT_POLICY_SEVERITIES[rule as keyof typeof DEFAULT_POLICY_SEVERITIES], inputName);
    }
  });
});
