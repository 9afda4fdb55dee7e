/**
 * The deployment's status mirrored on the application repository's commit the release was built
 * from (release.json's source), so developers see on their own commit and pull request where it
 * runs: `gitops-flow/<app>/<environment>` pending, then succeeded, failed or rolled back. Only for
 * an Azure Repos repository of the GitOps repository's organization (the job's token reaches it);
 * a status that cannot be posted is a warning, never a failure.
 */
import { sameCollection } from '../devops/connection';
import { resolveRepository } from '../devops/repository';
import { postCommitStatus, StatusToPost } from '../devops/statuses';
import type { PromotionContext } from './promote-context';

/** The collection, project and repository name of an Azure Repos clone URL, or undefined for any other URL. */
export function parseAzureReposUrl(uri: string): { collection: string; project: string; repository: string } | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const seg = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const git = seg.indexOf('_git');
  if (git < 1 || git + 1 >= seg.length) return undefined;
  url.username = '';
  url.password = '';
  return { collection: `${url.origin}/${seg.slice(0, git - 1).join('/')}`, project: seg[git - 1], repository: seg[git + 1] };
}

/** Posts the status on the source commit when there is one to post it on; a failure is a warning. */
export async function postSourceStatus(ctx: PromotionContext, wanted: Omit<StatusToPost, 'targetUrl' | 'context'>): Promise<void> {
  const { agent, inputs, sourceRepositoryUri: uri, sourceCommit, names } = ctx;
  if (!inputs.commitStatuses || !uri || ctx.rollback || !/^[0-9a-f]{40}$/i.test(sourceCommit)) return;
  const parsed = parseAzureReposUrl(uri);
  if (!parsed) return; // GitHub, Bitbucket, ...: not ours to post on
  const on = `the source commit ${sourceCommit.slice(0, 12)} of ${parsed.project}/${parsed.repository}`;
  if (!sameCollection(parsed.collection, ctx.conn.collectionUrl)) {
    agent.warning(`Could not post the deployment status on ${on}: it is in another organization than the GitOps repository`);
    return;
  }
  try {
    const repo = await resolveRepository(ctx.conn, `${parsed.project}/${parsed.repository}`);
    await postCommitStatus(ctx.conn, repo, sourceCommit, {
      ...wanted,
      targetUrl: ctx.runUrl,
      context: { genre: 'gitops-flow', name: `${names.app}/${names.environment}` },
    });
  } catch (err) {
    agent.warning(`Could not post the deployment status on ${on}: ${(err as Error).message}`);
  }
}
