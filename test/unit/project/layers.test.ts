/**
 * The folders of shared/ are layers: a folder imports only from the folders listed for it below,
 * which are all lower, so there is no upward and no circular import. Lowest first:
 *
 *   util, manifests                      nothing of shared/
 *   devops, azure                        util
 *   render                               manifests, util
 *   images, release                      render (the ToolRunner, the renderer kinds), util
 *   report                               manifests, render (the renderer kind)
 *   validate                             images (image references and variables), manifests
 *   agent                                azure, manifests, render, util
 *   preview                              manifests (the GitOps file layout, parsing)
 *   workflows                            everything below
 *
 * A new folder, or a new dependency between folders, is a decision: add it here.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SHARED = path.join(process.cwd(), 'shared');

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  util: [],
  manifests: [],
  devops: ['util'],
  azure: ['util'],
  render: ['manifests', 'util'],
  images: ['render', 'util'],
  release: ['render', 'util'],
  report: ['manifests', 'render'],
  validate: ['images', 'manifests', 'util'],
  agent: ['azure', 'manifests', 'render', 'util'],
  preview: ['manifests'],
  workflows: ['agent', 'azure', 'devops', 'images', 'manifests', 'preview', 'release', 'render', 'report', 'util', 'validate'],
};

/** Only the agent layer talks to the pipeline agent. */
const AGENT_ONLY_PACKAGES = ['azure-pipelines-task-lib'];

/** Module specifiers of import/export ... from, import x = require(...), require(...) and import(...). */
const SPECIFIER = /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function specifiers(text: string): string[] {
  // Comments may quote code; they import nothing.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(SPECIFIER)].map((m) => m[1]);
}

/** `validate` for `<shared>/validate/dockerfile/rules.ts`. */
function folderOf(sharedRoot: string, file: string): string {
  return path.relative(sharedRoot, file).split(path.sep)[0];
}

/** Every import that breaks the layering, as `file -> target` lines; `files` maps absolute paths under sharedRoot to their text. */
function layerViolations(sharedRoot: string, files: ReadonlyMap<string, string>, allowed: Readonly<Record<string, readonly string[]>>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const from = folderOf(sharedRoot, file);
    const rel = path.relative(sharedRoot, file).split(path.sep).join('/');
    for (const spec of specifiers(text)) {
      if (!spec.startsWith('.')) {
        if (AGENT_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`)) && from !== 'agent')
          out.push(`${rel} -> ${spec} (only shared/agent may import it)`);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec);
      const inside = path.relative(sharedRoot, target);
      if (inside.startsWith('..') || path.isAbsolute(inside)) {
        out.push(`${rel} -> ${spec} (outside shared/)`);
        continue;
      }
      const to = inside.split(path.sep)[0];
      if (to !== from && !(allowed[from] ?? []).includes(to)) out.push(`${rel} -> ${to}`);
    }
  }
  return out.sort();
}

/** A cycle in the allowed graph, as `a -> b -> a`, or undefined. */
function findCycle(graph: Readonly<Record<string, readonly string[]>>): string | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node].join(' -> ');
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph[node] ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of Object.keys(graph)) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const [f, t] of sources(full)) out.set(f, t);
    else if (entry.name.endsWith('.ts')) out.set(full, fs.readFileSync(full, 'utf8'));
  }
  return out;
}

describe('shared/ layers', () => {
  it('places every folder of shared/ in a layer', () => {
    const folders = fs
      .readdirSync(SHARED, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    assert.deepEqual(folders, Object.keys(ALLOWED).sort());
  });

  it('allows no circular dependency between folders', () => {
    assert.equal(findCycle(ALLOWED), undefined);
  });

  it('has no import from a folder its layer does not allow', () => {
    assert.deepEqual(layerViolations(SHARED, sources(SHARED), ALLOWED), []);
  });

  it('catches an upward import, an import out of shared/ and the task lib outside the agent', () => {
    const root = path.resolve('/repo/shared');
    const files = new Map([
      [path.join(root, 'manifests/parse.ts'), "import type { Finding } from '../validate/finding';\n// import x from '../workflows/y';\n"],
      [path.join(root, 'report/junit.ts'), "import type { ValidationReport } from '../workflows/render-and-validate';\nimport { a } from './own';\n"],
      [path.join(root, 'validate/schema.ts'), "import data = require('../../tasks/data.json');\nexport { b } from '../manifests/model';\n"],
      [path.join(root, 'render/tools.ts'), "import * as tl from 'azure-pipelines-task-lib/task';\nimport 'azure-pipelines-task-lib';\n"],
    ]);
    assert.deepEqual(layerViolations(root, files, ALLOWED), [
      'manifests/parse.ts -> validate',
      'render/tools.ts -> azure-pipelines-task-lib (only shared/agent may import it)',
      'render/tools.ts -> azure-pipelines-task-lib/task (only shared/agent may import it)',
      'report/junit.ts -> workflows',
      'validate/schema.ts -> ../../tasks/data.json (outside shared/)',
    ]);
  });

  it('finds a cycle', () => {
    assert.equal(findCycle({ a: ['b'], b: ['c'], c: ['a'], d: [] }), 'a -> b -> c -> a');
    assert.equal(findCycle({ a: ['b'], b: [], c: ['a', 'b'] }), undefined);
  });
});
