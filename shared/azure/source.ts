/**
 * What a Flux configuration syncs, against what the promotion committed to: only a GitRepository
 * source on the GitOps repository and its target branch can ever show the promotion's commit.
 * A Bucket, AzureBlob or OCIRepository source syncs an artifact whose revision is a digest, not a
 * commit; another repository or branch never gets the commit. Both are configuration errors to
 * report at once, not reasons to wait until the timeout. Pure functions.
 *
 * Repository URLs compare by identity: Azure Repos URLs (https://dev.azure.com/org/project/_git/repo,
 * https://org.visualstudio.com[/DefaultCollection]/project/_git/repo, the SSH forms
 * git@ssh.dev.azure.com:v3/org/project/repo and org@vs-ssh.visualstudio.com:v3/org/project/repo,
 * Azure DevOps Server .../_git/repo) case-insensitively, ignoring user info, a trailing `.git`
 * or slash, query and fragment; other URLs by host and path, case-insensitively too (a false
 * match only means waiting as before, a false mismatch would fail a good promotion); local paths
 * and file:// URLs exactly.
 */
import type { FluxStatus } from './flux-status';

/** The repository and branch the promotion committed to, when the caller knows them. */
export interface ExpectedSource {
  /** Clone URL of the GitOps repository (any of the forms above). */
  url?: string;
  /** Target branch, `main` or `refs/heads/main`. */
  branch?: string;
}

/** The URL as it may be shown: user name and password (a PAT in a clone URL) removed. */
export function displayUrl(url: string): string {
  return url.trim().replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A key that two URLs naming the same repository share: `azure-repos:org/project/repo` for Azure
 * DevOps Services, `azure-repos:host/collection.../project/repo` for Azure DevOps Server (and the
 * emulator), `host/path` otherwise, `file:/path` for local paths. Scheme, user info and port are
 * left out (the HTTPS and SSH URLs of a repository differ in them).
 */
export function repositoryKey(url: string): string {
  const text = url.trim();
  let host: string;
  let segments: string[];
  const scp = /^(?:[^@/\s]+@)?([^:/\s]{2,}):(?!\/\/)(.+)$/.exec(text); // git@host:path (not C:\ or scheme://)
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && scp) {
    host = scp[1].toLowerCase();
    segments = scp[2].split('/');
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return text.replace(/(\.git)?\/*$/i, '');
    }
    if (parsed.protocol === 'file:') return `file:${decode(parsed.pathname).replace(/(\.git)?\/*$/i, '')}`;
    // scheme and port are left out: the HTTPS and SSH URLs of one server differ in both
    host = parsed.hostname.toLowerCase();
    segments = parsed.pathname.split('/');
  } else {
    return `file:${text.replace(/\\/g, '/').replace(/(\.git)?\/*$/i, '')}`;
  }
  segments = segments.map(decode).filter((s) => s !== '');
  if (segments.length > 0) segments[segments.length - 1] = segments[segments.length - 1].replace(/\.git$/i, '');
  segments = segments.filter((s) => s !== '');
  const lower = segments.map((s) => s.toLowerCase());
  const azure = (org: string, project: string, repo: string) => `azure-repos:${org}/${project}/${repo}`.toLowerCase();

  // SSH: git@ssh.dev.azure.com:v3/org/project/repo, org@vs-ssh.visualstudio.com:v3/org/project/repo
  if ((host === 'ssh.dev.azure.com' || host === 'vs-ssh.visualstudio.com') && lower[0] === 'v3' && segments.length === 4) {
    return azure(segments[1], segments[2], segments[3]);
  }
  // Azure DevOps Server's SSH URLs say _ssh where its HTTPS URLs say _git
  const git = Math.max(lower.lastIndexOf('_git'), lower.lastIndexOf('_ssh'));
  if (git >= 0 && git === segments.length - 2) {
    const repo = segments[git + 1];
    const before = segments.slice(0, git);
    if (host === 'dev.azure.com' && before.length >= 1 && before.length <= 2) {
      // dev.azure.com/org/_git/repo: the project is named like the repository
      return azure(before[0], before[1] ?? repo, repo);
    }
    const vs = /^([^.]+)\.visualstudio\.com$/.exec(host);
    if (vs) {
      const rest = before[0]?.toLowerCase() === 'defaultcollection' ? before.slice(1) : before;
      if (rest.length <= 1) return azure(vs[1], rest[0] ?? repo, repo);
    }
    // Azure DevOps Server (https://server/tfs/Collection/project/_git/repo) and the emulator;
    // .../Collection/_git/repo names the project like the repository, as .../Collection/repo/_git/repo does
    const path = [...before, repo].map((x) => x.toLowerCase());
    if (path.length >= 2 && path[path.length - 2] === path[path.length - 1]) path.pop();
    return `azure-repos:${host}/${path.join('/')}`;
  }
  // GitHub, GitLab and most servers name repositories case-insensitively; a false match only means waiting
  return `${host}/${segments.join('/')}`.toLowerCase();
}

export function sameRepository(a: string, b: string): boolean {
  return repositoryKey(a) === repositoryKey(b);
}

function branchName(ref: string): string {
  return ref.trim().replace(/^refs\/heads\//, '');
}

export type SourcePhase = 'unsupported-source' | 'source-mismatch';

/**
 * Why this configuration can never show `target` (a full commit id), or undefined when it can:
 * its source kind is not GitRepository, or (with `expected`) it syncs another repository, another
 * branch, a tag, a semver range or a pinned commit. A status without a source definition (nothing
 * to compare) passes.
 */
export function checkSource(status: FluxStatus, target: string, expected?: ExpectedSource): { phase: SourcePhase; summary: string } | undefined {
  const short = target.slice(0, 12);
  const kind = status.sourceKind ?? 'GitRepository';
  if (kind !== 'GitRepository') {
    const where =
      kind === 'Bucket' && status.bucket
        ? ` (bucket "${status.bucket.bucketName ?? '?'}" at ${displayUrl(status.bucket.url ?? '?')})`
        : kind === 'AzureBlob' && status.azureBlob
          ? ` (container "${status.azureBlob.containerName ?? '?'}" at ${displayUrl(status.azureBlob.url ?? '?')})`
          : kind === 'OCIRepository' && status.ociRepository
            ? ` (${displayUrl(status.ociRepository.url ?? '?')})`
            : '';
    return {
      phase: 'unsupported-source',
      summary:
        `sourceKind is ${kind}${where}, not GitRepository: what it syncs is an artifact, not a commit of the GitOps repository, ` +
        `so it cannot show that ${short} is deployed; promotion through Azure Repos needs a GitRepository source`,
    };
  }
  const git = status.gitRepository;
  if (!expected || !git) return undefined;
  const url = git.url ?? undefined;
  if (expected.url && url && !sameRepository(expected.url, url)) {
    return {
      phase: 'source-mismatch',
      summary: `syncs ${displayUrl(url)}, not ${displayUrl(expected.url)} where ${short} was committed: it will never show that commit`,
    };
  }
  const ref = git.repositoryRef;
  if (expected.branch && ref) {
    const want = branchName(expected.branch);
    const of = url ? ` of ${displayUrl(url)}` : '';
    const not = `not branch "${want}" where ${short} was committed: it will never show that commit`;
    if (ref.commit && ref.commit.toLowerCase() !== target.toLowerCase()) {
      return { phase: 'source-mismatch', summary: `is pinned to commit ${ref.commit.slice(0, 12)} (repositoryRef.commit)${of}, ${not}` };
    }
    if (!ref.commit && ref.semver) return { phase: 'source-mismatch', summary: `follows semver range "${ref.semver}" (repositoryRef.semver)${of}, ${not}` };
    if (!ref.commit && !ref.semver && ref.tag) return { phase: 'source-mismatch', summary: `follows tag "${ref.tag}" (repositoryRef.tag)${of}, ${not}` };
    if (!ref.commit && !ref.semver && !ref.tag && ref.branch && branchName(ref.branch) !== want) {
      return { phase: 'source-mismatch', summary: `syncs branch "${branchName(ref.branch)}"${of}, ${not}` };
    }
  }
  return undefined;
}
