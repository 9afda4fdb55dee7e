// Job access tokens as Azure Pipelines mints them for each job, and the organization's pipeline
// settings that scope them: "Limit job authorization scope to referenced Azure DevOps repositories"
// (a job token reaches only the repositories its pipeline references: resources.repositories with
// a checkout, or the job's `uses: repositories`) and "Limit job authorization scope to current
// project" (no repository of another project). Both are on by default, as in organizations created
// since 2020. A repository the token may not reach answers as one the identity cannot read: 404
// GitRepositoryNotFoundException (TF401019), and it is left out of lists.
import { randomBytes } from 'node:crypto';
import type { Organization, Project, Repository } from './model';

export interface PipelineSettings {
  /** "Limit job authorization scope to referenced Azure DevOps repositories" (default on). */
  limitJobScopeToReferencedRepositories: boolean;
  /** "Limit job authorization scope to current project for non-release pipelines" (default on). */
  limitJobScopeToCurrentProject: boolean;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = { limitJobScopeToReferencedRepositories: true, limitJobScopeToCurrentProject: true };

/** What one job's token carries: its organization, the pipeline's project and the repositories the job declares (ids). */
export interface JobGrant {
  org: Organization;
  project: Project;
  repositories: ReadonlySet<string>;
}

export class JobTokens {
  private readonly grants = new Map<string, JobGrant>();
  private readonly settings = new Map<Organization, PipelineSettings>();

  /** A new job token for a job of `project` that declares `repositories` (the self repository included when the job checks it out). */
  mint(org: Organization, project: Project, repositories: Repository[]): string {
    const token = randomBytes(48).toString('base64url');
    this.grants.set(token, { org, project, repositories: new Set(repositories.map((r) => r.id)) });
    return token;
  }

  grant(token: string): JobGrant | undefined {
    return this.grants.get(token);
  }

  settingsOf(org: Organization): PipelineSettings {
    return this.settings.get(org) ?? DEFAULT_PIPELINE_SETTINGS;
  }

  configure(org: Organization, changes: Partial<PipelineSettings>): PipelineSettings {
    const next = { ...this.settingsOf(org), ...changes };
    this.settings.set(org, next);
    return next;
  }

  /** Whether a job token with this grant reaches the repository under the organization's settings. */
  canSee(grant: JobGrant, repo: Repository): boolean {
    if (repo.project.org !== grant.org) return false;
    const settings = this.settingsOf(grant.org);
    if (settings.limitJobScopeToCurrentProject && repo.project !== grant.project) return false;
    if (settings.limitJobScopeToReferencedRepositories && !grant.repositories.has(repo.id)) return false;
    return true;
  }
}
