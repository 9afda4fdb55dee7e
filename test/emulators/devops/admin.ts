// Admin API: programmatic (tests, benchmarks) and over HTTP at {origin}/_admin (the demo, outside checks).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from './errors';
import { PullRequestStatus } from './enums';
import { faultJson, faultSpecFromJson, FaultHandle, FaultSpec, FaultTable } from '../common/faults';
import { TreeEditor, ZERO_ID } from './git';
import { groupIdentity } from './identities';
import type { RecordBuild } from './builds';
import type { PipelineSettings } from './job-tokens';
import type { Identity, Organization, Repository } from './model';
import { identityFor, nowIso } from './model';
import type { DevOpsHttp, RequestRecord } from './server';
import { DevOpsService, Json, normalizeRepoPath } from './service';
import { text } from '../common/json';

export interface AdminIdentity {
  id: string;
  displayName: string;
  uniqueName: string;
}

export interface AdminWorkItem {
  id: number;
  rev: number;
  title: string;
  /** The work item's relations (rel, url, and the attributes' name when there is one). */
  relations: Array<{ rel: string; url: string; name?: string }>;
}

export interface AdminPullRequestResult {
  pullRequestId: number;
  status: string;
  mergeStatus: string;
  lastMergeCommit?: string;
  mergeFailureMessage?: string;
}

export interface BranchPolicySettings {
  /** Approvals needed from reviewers other than the author; > 0 also blocks direct pushes. */
  requiredReviewers?: number;
  /** Completions into the branch are rejected by policy with this message (mergeStatus rejectedByPolicy). */
  rejectCompletion?: string | null;
}

export interface DevOpsAdmin {
  /** The organization this admin acts on. */
  readonly org: string;
  createOrganization(name: string): { name: string; url: string };
  /** An admin for another organization of the same emulator. */
  forOrganization(name: string): DevOpsAdmin;
  createProject(name: string, description?: string): { id: string; name: string };
  createRepository(project: string, name: string, options?: { defaultBranch?: string }): Promise<{ id: string; name: string; remoteUrl: string }>;
  /** Commits files (path -> content; null deletes) on a branch as one commit; a new branch starts from the default branch. */
  seedFiles(project: string, repo: string, branch: string, files: Record<string, string | Buffer | null>, message?: string): Promise<string>;
  /**
   * A stable identity for a display name, usable as a reviewer id. With an email, the identity
   * with that email (a second person with the same display name gets an id of their own).
   */
  identity(displayName: string, options?: { email?: string }): AdminIdentity;
  /**
   * A security group of a project (or of the organization without one), "[scope]\\name" as
   * identities and reviewers show it; members are display names, emails or ids of identities
   * (unknown names become users).
   */
  group(name: string, options?: { project?: string; description?: string; members?: string[] }): AdminIdentity;
  /** A work item in the project (type "User Story", state "New" unless given). */
  createWorkItem(project: string, item: { title: string; type?: string; state?: string }): { id: number; url: string };
  /** A work item as it is now (rev, title, relations), or undefined. */
  workItem(id: number): AdminWorkItem | undefined;
  /** The identity the emulator's token stands for. */
  serviceIdentity(): AdminIdentity;
  /** A reviewer votes (default 10, approve); auto-complete runs if it is set and nothing else holds it. */
  approvePullRequest(project: string, repo: string, prId: number, options?: { reviewer?: string; vote?: number }): Promise<AdminPullRequestResult>;
  /**
   * A reviewer approves and, unless auto-complete already completed it, completes the PR with its
   * completion options; branch policies still apply (an unmet one leaves mergeStatus rejectedByPolicy).
   */
  completePullRequest(project: string, repo: string, prId: number, options?: { reviewer?: string; bypassPolicy?: boolean }): Promise<AdminPullRequestResult>;
  setRequiredReviewers(project: string, repo: string, branch: string, count: number): Promise<void>;
  setBranchPolicy(project: string, repo: string, branch: string, policy: BranchPolicySettings): Promise<void>;
  injectFault(spec: FaultSpec): FaultHandle;
  clearFaults(): void;
  bareRepositoryPath(project: string, repo: string): string;
  /** Requests served so far (method, path, status, spec operation, api-version, duration). */
  requests(): RequestRecord[];
  clearRequests(): void;
  /** Keep the JSON answers in requests() (for conformance checks). */
  recordResponses(on: boolean): void;
  /**
   * A job access token for a job of `project` that declares `repositories` ("name" in the project or
   * "project/name"; the self repository is one of them when the job checks it out). Accepted as
   * Bearer and as basic password; what it reaches follows pipelineSettings().
   */
  mintJobToken(project: string, repositories?: string[]): string;
  /** Records a pipeline run of the project (completed and succeeded unless given) with its artifacts; answers its id and number. */
  recordBuild(project: string, run: RecordBuild): { id: number; buildNumber: string };
  /** The organization's job scope settings; both on unless changed. */
  pipelineSettings(changes?: Partial<PipelineSettings>): PipelineSettings;
}

export class Admin implements DevOpsAdmin {
  constructor(
    private readonly svc: DevOpsService,
    private readonly http: DevOpsHttp,
    private readonly faults: FaultTable,
    readonly org: string,
  ) {}

  private organization(): Organization {
    const o = this.svc.org(this.org);
    if (!o) throw new Error(`organization '${this.org}' does not exist`);
    return o;
  }

  mintJobToken(project: string, repositories: string[] = []): string {
    const org = this.organization();
    const home = this.svc.findProject(org, project);
    const declared = repositories.map((ref) => {
      const slash = ref.indexOf('/');
      return slash < 0 ? this.svc.findRepository(org, home, ref) : this.repository(ref.slice(0, slash), ref.slice(slash + 1));
    });
    return this.http.jobTokens.mint(org, home, declared);
  }

  recordBuild(project: string, run: RecordBuild): { id: number; buildNumber: string } {
    const org = this.organization();
    const build = this.http.builds.record(this.svc.findProject(org, project), run);
    return { id: build.id, buildNumber: build.buildNumber };
  }

  pipelineSettings(changes: Partial<PipelineSettings> = {}): PipelineSettings {
    return this.http.jobTokens.configure(this.organization(), changes);
  }

  private repository(project: string, repo: string): Repository {
    const org = this.organization();
    return this.svc.findRepository(org, this.svc.findProject(org, project), repo);
  }

  createOrganization(name: string): { name: string; url: string } {
    const org = this.svc.createOrganization(name);
    return { name: org.name, url: this.svc.collectionUrl(org) };
  }

  forOrganization(name: string): DevOpsAdmin {
    this.svc.createOrganization(name);
    return new Admin(this.svc, this.http, this.faults, name);
  }

  createProject(name: string, description = ''): { id: string; name: string } {
    const p = this.svc.createProject(this.organization(), name, description);
    return { id: p.id, name: p.name };
  }

  async createRepository(project: string, name: string, options: { defaultBranch?: string } = {}): Promise<{ id: string; name: string; remoteUrl: string }> {
    const org = this.organization();
    const r = await this.svc.createRepository(this.svc.findProject(org, project), name, options.defaultBranch ?? 'main');
    return { id: r.id, name: r.name, remoteUrl: this.svc.remoteUrl(r) };
  }

  async seedFiles(project: string, repoName: string, branch: string, files: Record<string, string | Buffer | null>, message = 'Seed files'): Promise<string> {
    const repo = this.repository(project, repoName);
    const ref = branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
    const org = this.organization();
    return repo.lock.run(async () => {
      // A new branch starts from the default branch, as a branch made in the web UI does.
      const defaultRef = await repo.git.headTarget();
      const parent = (await repo.git.resolveCommit(ref)) ?? (defaultRef ? await repo.git.resolveCommit(defaultRef) : null);
      const existed = (await repo.git.refValue(ref)) !== null;
      const editor = new TreeEditor(repo.git, parent ? (await repo.git.readCommit(parent)).tree : null);
      const entries = Object.entries(files);
      const writes = entries.filter(([, v]) => v !== null) as Array<[string, string | Buffer]>;
      const ids = await repo.git.writeBlobs(writes.map(([, v]) => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'))));
      for (const [i, [p]] of writes.entries()) await editor.put(normalizeRepoPath(p, 'path'), ids[i]);
      for (const [p, v] of entries) if (v === null) await editor.remove(normalizeRepoPath(p, 'path'));
      const tree = await editor.write();
      const who = { name: org.serviceIdentity.displayName, email: org.serviceIdentity.email, date: nowIso() };
      const commit = await repo.git.commitTree(tree, parent ? [parent] : [], message, who, who);
      const head = await repo.git.headTarget();
      const hadHead = head ? (await repo.git.refValue(head)) !== null : false;
      if (!(await repo.git.compareAndSwapRef(ref, commit, existed ? parent! : ZERO_ID))) throw new Error(`${ref} moved while seeding`);
      if (!hadHead && ref.startsWith('refs/heads/')) await repo.git.setHead(ref);
      repo.pushes.push({
        pushId: ++org.counters.push,
        date: nowIso(),
        pushedBy: org.serviceIdentity,
        commits: [commit],
        refUpdates: [{ name: ref, oldObjectId: existed ? parent! : ZERO_ID, newObjectId: commit }],
      });
      await this.http.prs.afterRefChange(repo, [ref]);
      return commit;
    });
  }

  identity(displayName: string, options: { email?: string } = {}): AdminIdentity {
    const org = this.organization();
    const users = [...org.identities.values()].filter((i) => !i.group);
    const email = options.email?.trim();
    const existing = email ? users.find((i) => i.email.toLowerCase() === email.toLowerCase()) : users.find((i) => i.displayName === displayName);
    const sameName = users.some((i) => i.displayName === displayName);
    const identity = existing ?? identityFor(displayName, email, sameName && email ? `${displayName} <${email.toLowerCase()}>` : displayName);
    org.identities.set(identity.id, identity);
    return adminIdentity(identity);
  }

  group(name: string, options: { project?: string; description?: string; members?: string[] } = {}): AdminIdentity {
    const org = this.organization();
    const project = options.project ? this.svc.findProject(org, options.project) : undefined;
    const group = groupIdentity(org, project, name, options.description ?? '');
    for (const member of options.members ?? []) {
      const known = [...org.identities.values()].find(
        (i) => i.id === member.toLowerCase() || i.displayName === member || (i.email !== '' && i.email.toLowerCase() === member.toLowerCase()),
      );
      const id = known ? known.id : this.identity(member, member.includes('@') ? { email: member } : {}).id;
      if (!group.group!.memberIds.includes(id)) group.group!.memberIds.push(id);
    }
    return adminIdentity(group);
  }

  createWorkItem(project: string, item: { title: string; type?: string; state?: string }): { id: number; url: string } {
    const org = this.organization();
    const created = this.http.workItems.create(this.svc.findProject(org, project), item, org.serviceIdentity);
    return { id: created.id, url: this.http.workItems.url(created) };
  }

  workItem(id: number): AdminWorkItem | undefined {
    const item = this.organization().workItems.get(id);
    if (!item) return undefined;
    return {
      id: item.id,
      rev: item.rev,
      title: text(item.fields['System.Title'], ''),
      relations: item.relations.map((r) => ({ rel: r.rel, url: r.url, ...(typeof r.attributes.name === 'string' ? { name: r.attributes.name } : {}) })),
    };
  }

  serviceIdentity(): AdminIdentity {
    return adminIdentity(this.organization().serviceIdentity);
  }

  private async result(repo: Repository, prId: number): Promise<AdminPullRequestResult> {
    const json = await this.http.prs.json(this.http.prs.find(repo, prId));
    return {
      pullRequestId: prId,
      status: String(json.status),
      mergeStatus: String(json.mergeStatus),
      ...(json.lastMergeCommit ? { lastMergeCommit: String((json.lastMergeCommit as Json).commitId) } : {}),
      ...(json.mergeFailureMessage ? { mergeFailureMessage: text(json.mergeFailureMessage) } : {}),
    };
  }

  async approvePullRequest(
    project: string,
    repoName: string,
    prId: number,
    options: { reviewer?: string; vote?: number } = {},
  ): Promise<AdminPullRequestResult> {
    const repo = this.repository(project, repoName);
    const pr = this.http.prs.find(repo, prId);
    const reviewer = this.http.prs.identityByName(repo, options.reviewer ?? 'Emulator Reviewer');
    await this.http.prs.vote(pr, reviewer, options.vote ?? 10);
    return this.result(repo, prId);
  }

  async completePullRequest(
    project: string,
    repoName: string,
    prId: number,
    options: { reviewer?: string; bypassPolicy?: boolean } = {},
  ): Promise<AdminPullRequestResult> {
    const repo = this.repository(project, repoName);
    const pr = this.http.prs.find(repo, prId);
    if (pr.status !== PullRequestStatus.active) throw new Error(`pull request ${prId} is not active`);
    const reviewer = this.http.prs.identityByName(repo, options.reviewer ?? 'Emulator Reviewer');
    await this.http.prs.vote(pr, reviewer, 10);
    await repo.lock.run(async () => {
      if (pr.status === PullRequestStatus.active) {
        await this.http.prs.complete(
          pr,
          { ...(pr.completionOptions ?? {}), ...(options.bypassPolicy ? { bypassPolicy: true, bypassReason: 'admin' } : {}) },
          reviewer,
        );
      }
    });
    return this.result(repo, prId);
  }

  async setRequiredReviewers(project: string, repo: string, branch: string, count: number): Promise<void> {
    await this.setBranchPolicy(project, repo, branch, { requiredReviewers: count });
  }

  async setBranchPolicy(project: string, repoName: string, branch: string, policy: BranchPolicySettings): Promise<void> {
    const repo = this.repository(project, repoName);
    const ref = branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
    const current = repo.policies.get(ref) ?? { requiredReviewers: 0 };
    const next = {
      requiredReviewers: policy.requiredReviewers ?? current.requiredReviewers,
      ...(policy.rejectCompletion !== undefined
        ? policy.rejectCompletion
          ? { rejectCompletion: policy.rejectCompletion }
          : {}
        : current.rejectCompletion
          ? { rejectCompletion: current.rejectCompletion }
          : {}),
    };
    repo.policies.set(ref, next);
    await this.svc.writeProtectedRefsFile(repo);
    for (const pr of repo.pullRequests.values()) pr.policyRejected = undefined;
    await this.http.prs.refreshAll(repo);
  }

  injectFault(spec: FaultSpec): FaultHandle {
    return this.faults.add(devopsFault(spec));
  }

  clearFaults(): void {
    this.faults.clear();
  }

  bareRepositoryPath(project: string, repo: string): string {
    return this.repository(project, repo).git.gitDir;
  }

  requests(): RequestRecord[] {
    return [...this.http.log];
  }

  clearRequests(): void {
    this.http.log.length = 0;
  }

  recordResponses(on: boolean): void {
    this.http.recordBodies = on;
  }
}

/** The admin API over HTTP: JSON in, JSON out, no authentication (loopback only). */
export function adminHttpHandler(svc: DevOpsService, http: DevOpsHttp, faults: FaultTable, defaultOrg: string) {
  return async (req: IncomingMessage, res: ServerResponse, subPath: string): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const seg = subPath.split('/').filter(Boolean).map(decodeURIComponent);
    const body = await readBody(req);
    const send = (status: number, json: unknown) => http.sendJson(res, status, json);
    try {
      const admin = (org: string) => new Admin(svc, http, faults, org);
      if (seg.length === 0 && method === 'GET') {
        return send(200, {
          defaultOrganization: defaultOrg,
          organizations: [...svc.orgs.values()].map((o) => ({
            name: o.name,
            url: svc.collectionUrl(o),
            projects: [...o.projects.values()].map((p) => ({
              id: p.id,
              name: p.name,
              repositories: [...p.repositories.values()].map((r) => ({ id: r.id, name: r.name, remoteUrl: svc.remoteUrl(r), path: r.git.gitDir })),
            })),
          })),
        });
      }
      if (seg[0] === 'faults') {
        if (method === 'GET' && seg.length === 1) return send(200, { value: faults.list().map(faultJson) });
        if (method === 'DELETE' && seg.length === 1) {
          faults.clear();
          return send(200, {});
        }
        if (method === 'DELETE' && seg.length === 2) return faults.cancel(Number(seg[1])) ? send(200, {}) : send(404, { message: `no fault ${seg[1]}` });
        if (method === 'POST' && seg.length === 1) return send(201, { id: faults.add(devopsFault(faultSpecFromJson(body))).id });
      }
      if (seg[0] === 'requests') {
        if (method === 'DELETE') {
          http.log.length = 0;
          return send(200, {});
        }
        return send(200, { value: http.log.map(({ body: _b, ...r }) => r) });
      }
      if (seg[0] === 'organizations' && method === 'POST') return send(201, admin(defaultOrg).createOrganization(String((body as Json).name)));
      // /{org}/projects, /{org}/{project}/repositories, /{org}/{project}/{repo}/...
      const [org, a, b, c, d, e] = seg;
      if (!org) return send(404, { message: 'unknown admin route' });
      const ad = admin(org);
      if (a === 'projects' && method === 'POST' && seg.length === 2)
        return send(201, ad.createProject(String((body as Json).name), text((body as Json).description, '')));
      if (a === 'identities' && method === 'POST' && seg.length === 2) {
        const x = body as Json;
        return send(201, ad.identity(text(x.displayName, ''), x.email ? { email: text(x.email) } : {}));
      }
      if (a === 'jobtokens' && method === 'POST' && seg.length === 2) {
        const x = body as Json;
        return send(201, { token: ad.mintJobToken(text(x.project, ''), Array.isArray(x.repositories) ? (x.repositories as unknown[]).map(String) : []) });
      }
      if (a === 'pipelinesettings' && (method === 'GET' || method === 'PATCH') && seg.length === 2) {
        const x = (method === 'PATCH' ? body : {}) as Json;
        const changes: Partial<PipelineSettings> = {};
        for (const key of ['limitJobScopeToReferencedRepositories', 'limitJobScopeToCurrentProject'] as const) {
          if (x[key] === undefined) continue;
          if (typeof x[key] !== 'boolean') return send(400, { message: `${key} must be true or false` });
          changes[key] = x[key];
        }
        return send(200, ad.pipelineSettings(changes));
      }
      if (a === 'groups' && method === 'POST' && seg.length === 2) {
        const x = body as Json;
        return send(
          201,
          ad.group(text(x.name, ''), {
            ...(x.project ? { project: text(x.project) } : {}),
            ...(x.description ? { description: text(x.description) } : {}),
            ...(Array.isArray(x.members) ? { members: (x.members as unknown[]).map(String) } : {}),
          }),
        );
      }
      if (a && b === 'workitems' && method === 'POST' && seg.length === 3) {
        const x = body as Json;
        return send(
          201,
          ad.createWorkItem(a, { title: text(x.title, ''), ...(x.type ? { type: text(x.type) } : {}), ...(x.state ? { state: text(x.state) } : {}) }),
        );
      }
      if (a && b === 'repositories' && method === 'POST' && seg.length === 3) {
        return send(201, await ad.createRepository(a, String((body as Json).name), { defaultBranch: (body as Json).defaultBranch as string | undefined }));
      }
      if (a && b === 'builds' && method === 'POST' && seg.length === 3) {
        const x = body as Json;
        const definition = (x.definition ?? {}) as Json;
        return send(
          201,
          ad.recordBuild(a, {
            definition: { id: Number(definition.id), ...(definition.name ? { name: text(definition.name) } : {}) },
            ...(x.buildNumber ? { buildNumber: text(x.buildNumber) } : {}),
            ...(x.sourceBranch ? { sourceBranch: text(x.sourceBranch) } : {}),
            ...(x.status ? { status: text(x.status) } : {}),
            ...(x.result ? { result: text(x.result) } : {}),
            ...(x.artifacts ? { artifacts: x.artifacts as Record<string, Record<string, string>> } : {}),
          }),
        );
      }
      if (a && b && c === 'seed' && method === 'POST') {
        const x = body as Json;
        const commitId = await ad.seedFiles(a, b, text(x.branch, 'main'), (x.files ?? {}) as Record<string, string | null>, x.message as string | undefined);
        return send(201, { commitId });
      }
      if (a && b && c === 'policies' && (method === 'PUT' || method === 'POST')) {
        const x = body as Json;
        await ad.setBranchPolicy(a, b, text(x.branch, 'main'), {
          ...(x.requiredReviewers !== undefined ? { requiredReviewers: Number(x.requiredReviewers) } : {}),
          ...(x.rejectCompletion !== undefined ? { rejectCompletion: x.rejectCompletion as string | null } : {}),
        });
        return send(200, {});
      }
      if (a && b && c && c.toLowerCase() === 'pullrequests' && d && method === 'POST') {
        const x = (body ?? {}) as Json;
        if (e === 'approve')
          return send(200, await ad.approvePullRequest(a, b, Number(d), { reviewer: x.reviewer as string | undefined, vote: x.vote as number | undefined }));
        if (e === 'complete')
          return send(
            200,
            await ad.completePullRequest(a, b, Number(d), { reviewer: x.reviewer as string | undefined, bypassPolicy: x.bypassPolicy === true }),
          );
      }
      return send(404, { message: `unknown admin route ${method} /_admin${subPath}` });
    } catch (err) {
      if (err instanceof ApiError) return http.sendError(res, err);
      return send(400, { message: err instanceof Error ? err.message : String(err) });
    }
  };
}

/** A fault for this emulator: route and cluster select ARM requests and would never match here. */
function devopsFault(spec: FaultSpec): FaultSpec {
  if (spec.route !== undefined || spec.cluster !== undefined)
    throw new RangeError('route and cluster select ARM emulator requests; Azure DevOps faults match by method and pathPattern or pathRegex');
  return spec;
}

function adminIdentity(i: Identity): AdminIdentity {
  return { id: i.id, displayName: i.displayName, uniqueName: i.uniqueName };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw errors.badRequest('BadRequest', 'admin body is not JSON');
  }
}
