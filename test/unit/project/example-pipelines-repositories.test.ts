// The example pipelines work in an organization with "Limit job authorization scope to referenced
// Azure DevOps repositories" on (the default since 2020): every job that runs GitOpsPromote@1
// declares the GitOps repository it names, as a resources.repositories entry the job uses
// (`uses: repositories`) or checks out.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';

const pipelinesDir = path.join(process.cwd(), 'examples/pipelines');

type Node = Record<string, unknown>;

/** Every job (job:/deployment:) anywhere in the document, through stages and template expressions. */
function jobs(node: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(node)) for (const item of node) jobs(item, out);
  else if (node && typeof node === 'object') {
    const record = node as Node;
    if (typeof record.job === 'string' || typeof record.deployment === 'string') out.push(record);
    else for (const value of Object.values(record)) jobs(value, out);
  }
  return out;
}

/** Steps with `task:` under a node; checkout steps' repositories. */
function steps(node: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(node)) for (const item of node) steps(item, out);
  else if (node && typeof node === 'object') {
    const record = node as Node;
    if (typeof record.task === 'string' || typeof record.checkout === 'string') out.push(record);
    for (const value of Object.values(record)) steps(value, out);
  }
  return out;
}

/** $(name) from the pipeline's variables (mapping or list form); other text as written. */
function expand(value: string, doc: Node): string {
  const vars = doc.variables;
  const lookup = (name: string): string | undefined => {
    if (Array.isArray(vars)) return (vars as Node[]).find((v) => v.name === name)?.value as string | undefined;
    if (vars && typeof vars === 'object') return (vars as Node)[name] as string | undefined;
    return undefined;
  };
  return value.replace(/\$\(([^)]+)\)/g, (whole, name: string) => lookup(name) ?? whole);
}

/** GitOpsPromote@1 always reads the GitOps repository; GitOpsPrValidate@1 when it previews. */
function readsGitOpsRepository(step: Node): boolean {
  if (typeof step.task !== 'string') return false;
  if (/^GitOpsPromote@/.test(step.task)) return true;
  return /^GitOpsPrValidate@/.test(step.task) && String((step.inputs as Node | undefined)?.preview) === 'true';
}

/** The GitOps repository's alias each promoting or previewing job must declare, or the problem. */
function undeclared(file: string, doc: Node): string[] {
  const resources = ((doc.resources as Node | undefined)?.repositories ?? []) as Node[];
  const problems: string[] = [];
  for (const job of jobs(doc)) {
    const jobName = String(job.job ?? job.deployment);
    for (const step of steps(job).filter(readsGitOpsRepository)) {
      const inputs = (step.inputs ?? {}) as Node;
      const named = expand(typeof inputs.gitopsRepository === 'string' ? inputs.gitopsRepository : '', doc);
      if (inputs.gitopsConnection) continue; // a service connection's PAT, not the job token
      const repoName = named.split('/').pop()!;
      const resource = resources.find((r) => r.type === 'git' && String(r.name).split('/').pop()!.toLowerCase() === repoName.toLowerCase());
      if (!resource) {
        problems.push(`${file}: job ${jobName}: no resources.repositories entry (type: git) for the GitOps repository "${named}"`);
        continue;
      }
      const alias = String(resource.repository);
      const used = (((job.uses as Node | undefined)?.repositories ?? []) as unknown[]).map(String);
      const checkedOut = steps(job).some((s) => s.checkout === alias);
      if (!used.includes(alias) && !checkedOut) problems.push(`${file}: job ${jobName}: neither uses: repositories nor checkout names "${alias}"`);
    }
  }
  return problems;
}

describe('examples/pipelines: job scope limited to referenced repositories', () => {
  const files = fs.readdirSync(pipelinesDir).filter((f) => f.endsWith('.yml'));

  it('declare the GitOps repository on every job that promotes', () => {
    let promoting = 0;
    for (const file of files) {
      const doc = load(fs.readFileSync(path.join(pipelinesDir, file), 'utf8')) as Node;
      promoting += jobs(doc).filter((j) => steps(j).some(readsGitOpsRepository)).length;
      assert.deepEqual(undeclared(file, doc), []);
    }
    assert.ok(promoting >= 2, 'some example jobs promote and preview');
  });

  it('finds a promoting job that does not declare the repository', () => {
    const doc = load(
      [
        'variables: { gitopsRepository: voting-gitops }',
        'resources: { repositories: [ { repository: gitops, type: git, name: Voting/voting-gitops } ] }',
        'jobs:',
        '  - deployment: promote',
        '    strategy: { runOnce: { deploy: { steps: [ { task: GitOpsPromote@1, inputs: { gitopsRepository: $(gitopsRepository) } } ] } } }',
        '  - job: other',
        '    steps: [ { task: GitOpsPromote@1, inputs: { gitopsRepository: infra/fleet } } ]',
        '  - job: preview',
        '    steps: [ { task: GitOpsPrValidate@1, inputs: { preview: true, gitopsRepository: Voting/voting-gitops } } ]',
        '  - job: validate',
        '    steps: [ { task: GitOpsPrValidate@1, inputs: { preview: false, gitopsRepository: Voting/voting-gitops } } ]',
      ].join('\n'),
    ) as Node;
    assert.deepEqual(undeclared('x.yml', doc), [
      'x.yml: job promote: neither uses: repositories nor checkout names "gitops"',
      'x.yml: job other: no resources.repositories entry (type: git) for the GitOps repository "infra/fleet"',
      'x.yml: job preview: neither uses: repositories nor checkout names "gitops"',
    ]);
  });

  it('says on Azure Repos PR validation comes from a Build Validation branch policy', () => {
    const text = fs.readFileSync(path.join(pipelinesDir, 'pr-validation.yml'), 'utf8');
    assert.match(text, /# Azure Repos ignores the `pr:` trigger below: there, PR validation runs from a\n# Build Validation branch policy/);
  });

  it('ci.yml reads the previous release from the last successful run, with no step allowed to fail', () => {
    const doc = load(fs.readFileSync(path.join(pipelinesDir, 'ci.yml'), 'utf8')) as Node;
    const publish = steps(doc).find((s) => s.task === 'GitOpsCiPublish@1');
    assert.equal((publish?.inputs as Node | undefined)?.previousRelease, 'lastSuccessfulRun');
    assert.deepEqual(
      steps(doc).filter((s) => s.continueOnError !== undefined),
      [],
    );
  });
});
