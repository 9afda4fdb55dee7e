/**
 * A local GitOps repository for tests and benchmarks (until the Azure DevOps emulator serves one):
 * a bare repository Flux fetches from, and a work tree to commit and push files with.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git, gitAncestry } from './git-source';

export interface TestRepo {
  /** The bare repository (a path git fetch accepts). */
  bare: string;
  url: string;
  /** Writes files (null deletes), commits on the branch and pushes; returns the commit id. */
  commit(files: Record<string, string | null>, message?: string, branch?: string): Promise<string>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  remove(): void;
}

async function must(args: string[], cwd?: string): Promise<string> {
  const r = await git(args, {
    cwd,
    env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export async function createTestRepo(files: Record<string, string>, branch = 'main'): Promise<TestRepo & { first: string }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-test-repo-'));
  const bare = path.join(root, 'gitops.git');
  const work = path.join(root, 'work');
  await must(['init', '--quiet', '--bare', '--initial-branch', branch, bare]);
  await must(['init', '--quiet', '--initial-branch', branch, work]);
  await must(['remote', 'add', 'origin', bare], work);
  const repo: TestRepo = {
    bare,
    url: bare,
    async commit(changes, message = 'change', onBranch = branch) {
      const current = await git(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: work });
      if (current.stdout.trim() !== onBranch) {
        const exists = await git(['rev-parse', '--verify', onBranch], { cwd: work });
        await must(exists.code === 0 ? ['checkout', '--quiet', onBranch] : ['checkout', '--quiet', '-b', onBranch], work);
      }
      for (const [file, content] of Object.entries(changes)) {
        const full = path.join(work, file);
        if (content === null) fs.rmSync(full, { force: true });
        else {
          fs.mkdirSync(path.dirname(full), { recursive: true });
          fs.writeFileSync(full, content);
        }
      }
      await must(['add', '-A'], work);
      await must(['commit', '--quiet', '--allow-empty', '-m', message], work);
      await must(['push', '--quiet', 'origin', `HEAD:refs/heads/${onBranch}`], work);
      return must(['rev-parse', 'HEAD'], work);
    },
    isAncestor: gitAncestry(bare),
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
  const first = await repo.commit(files, 'initial');
  return { ...repo, first };
}

/** A small GitOps repository like examples/gitops: a cluster folder with a Flux Kustomization for one app. */
export function sampleGitOpsFiles(cluster = 'arc-nonprod', tag = '1.0.0'): Record<string, string> {
  return {
    [`clusters/${cluster}/namespaces.yaml`]: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: voting-dev\n',
    [`clusters/${cluster}/voting-app-dev.yaml`]: [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata:',
      '  name: voting-app-dev',
      '  namespace: flux-system',
      'spec:',
      '  interval: 10m',
      '  sourceRef:',
      '    kind: GitRepository',
      '    name: cluster-config',
      '  path: ./apps/dev',
      '  prune: true',
      '  targetNamespace: voting-dev',
      '',
    ].join('\n'),
    'apps/dev/web/deployment.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  replicas: 2',
      '  selector: {matchLabels: {app: web}}',
      '  template:',
      '    metadata: {labels: {app: web}}',
      `    spec: {containers: [{name: web, image: "registry.example/web:${tag}"}]}`,
      '',
    ].join('\n'),
    'apps/dev/web/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n',
  };
}
