// The emulated service: repositories, refs, pushes, items, commits, diffs over real git, plus the
// JSON shapes of the 7.1 definitions (GitRepository, GitRef, GitPush, GitItem, GitCommit(Ref),
// GitCommitDiffs, IdentityRef). Pull requests live in pull-requests.ts.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError, errors } from './errors';
import { GitVersionOptions, GitVersionType, ItemContentType, VersionControlChangeType, enumName, parseEnum } from './enums';
import { BareRepository, CommitInfo, GitPerson, TreeEditor, TreePathError, ZERO_ID } from './git';
import { subjectDescriptor } from './identities';
import { BranchPolicy, Identity, Mutex, Organization, Project, Repository, StoredPush, newOrganization, nowIso } from './model';
import { text } from '../common/json';

export type Json = Record<string, unknown>;

export interface ResolvedVersion {
  commit: string;
  /** How the service names the descriptor in messages: "<Branch: main >". */
  label: string;
}

const CHANGE = VersionControlChangeType;

export class DevOpsService {
  readonly orgs = new Map<string, Organization>();
  origin = '';

  constructor(readonly dataDir: string) {}

  // ---------- organizations, projects, repositories ----------

  createOrganization(name: string): Organization {
    const key = name.toLowerCase();
    const existing = this.orgs.get(key);
    if (existing) return existing;
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(name) || name.startsWith('_')) throw new Error(`invalid organization name '${name}'`);
    const org = newOrganization(name);
    this.orgs.set(key, org);
    return org;
  }

  org(name: string): Organization | undefined {
    return this.orgs.get(name.toLowerCase());
  }

  createProject(org: Organization, name: string, description = ''): Project {
    const existing = this.findProjectOrNull(org, name);
    if (existing) return existing;
    if (!name || /[\\/:*?"<>|;#$%{}+=[\]]/.test(name)) throw new Error(`invalid project name '${name}'`);
    const project: Project = { id: randomUUID(), name, description, revision: 1, lastUpdateTime: nowIso(), org, repositories: new Map() };
    org.projects.set(project.id, project);
    return project;
  }

  findProjectOrNull(org: Organization, nameOrId: string): Project | null {
    const key = nameOrId.toLowerCase();
    for (const p of org.projects.values()) if (p.id === key || p.name.toLowerCase() === key) return p;
    return null;
  }

  findProject(org: Organization, nameOrId: string): Project {
    const p = this.findProjectOrNull(org, nameOrId);
    if (!p) throw errors.projectNotFound(nameOrId);
    return p;
  }

  async createRepository(project: Project, name: string, defaultBranch = 'main'): Promise<Repository> {
    if (!name || /[\\/:*?"<>|;#$%{}+=[\]]/.test(name) || name.startsWith('.') || name.startsWith('_')) throw new Error(`invalid repository name '${name}'`);
    for (const r of project.repositories.values())
      if (r.name.toLowerCase() === name.toLowerCase()) throw new Error(`repository '${name}' already exists in '${project.name}'`);
    const id = randomUUID();
    const gitDir = path.join(this.dataDir, project.org.name.toLowerCase(), project.id, `${id}.git`);
    const branch = defaultBranch.replace(/^refs\/heads\//, '');
    const git = await BareRepository.create(gitDir, branch);
    const repo: Repository = {
      id,
      name,
      project,
      git,
      lock: new Mutex(),
      pushes: [],
      pullRequests: new Map(),
      commitStatuses: new Map(),
      policies: new Map(),
    };
    project.repositories.set(id, repo);
    await this.writeProtectedRefsFile(repo);
    return repo;
  }

  /** Finds a repository by id (anywhere in the organization) or by name (within the project). */
  findRepository(org: Organization, project: Project | undefined, nameOrId: string): Repository {
    const key = decodeURIComponent(nameOrId).toLowerCase();
    const projects = project ? [project] : [...org.projects.values()];
    for (const p of org.projects.values()) {
      const byId = p.repositories.get(key);
      if (byId && (!project || project === p)) return byId;
    }
    for (const p of projects) for (const r of p.repositories.values()) if (r.name.toLowerCase() === key) return r;
    throw errors.repositoryNotFound(nameOrId);
  }

  allRepositories(org: Organization, project?: Project): Repository[] {
    return (project ? [project] : [...org.projects.values()]).flatMap((p) => [...p.repositories.values()]);
  }

  // ---------- URLs and JSON shapes ----------

  collectionUrl(org: Organization): string {
    return `${this.origin}/${org.name}`;
  }

  repoApiUrl(repo: Repository): string {
    return `${this.collectionUrl(repo.project.org)}/${repo.project.id}/_apis/git/repositories/${repo.id}`;
  }

  remoteUrl(repo: Repository): string {
    return `${this.collectionUrl(repo.project.org)}/${encodeURIComponent(repo.project.name)}/_git/${encodeURIComponent(repo.name)}`;
  }

  identityRef(org: Organization, identity: Identity): Json {
    const base = this.collectionUrl(org);
    const descriptor = subjectDescriptor(identity);
    return {
      displayName: identity.displayName,
      url: `${base}/_apis/Identities/${identity.id}`,
      _links: { avatar: { href: `${base}/_apis/GraphProfile/MemberAvatars/${descriptor}` } },
      id: identity.id,
      uniqueName: identity.uniqueName,
      imageUrl: `${base}/_api/_common/identityImage?id=${identity.id}`,
      ...(identity.group ? { isContainer: true } : {}),
      descriptor,
    };
  }

  projectRef(project: Project): Json {
    return {
      id: project.id,
      name: project.name,
      ...(project.description ? { description: project.description } : {}),
      url: `${this.collectionUrl(project.org)}/_apis/projects/${project.id}`,
      state: 'wellFormed',
      revision: project.revision,
      visibility: 'private',
      lastUpdateTime: project.lastUpdateTime,
    };
  }

  async repositoryJson(repo: Repository): Promise<Json> {
    const head = await repo.git.headTarget();
    const hasHead = head ? (await repo.git.refValue(head)) !== null : false;
    const remoteUrl = this.remoteUrl(repo);
    return {
      id: repo.id,
      name: repo.name,
      url: this.repoApiUrl(repo),
      project: this.projectRef(repo.project),
      ...(hasHead ? { defaultBranch: head } : {}),
      size: hasHead ? await repo.git.diskSize() : 0,
      remoteUrl,
      sshUrl: `git@ssh.emulator.local:v3/${repo.project.org.name}/${encodeURIComponent(repo.project.name)}/${encodeURIComponent(repo.name)}`,
      webUrl: remoteUrl,
      isDisabled: false,
      isInMaintenance: false,
      _links: {
        self: { href: this.repoApiUrl(repo) },
        project: { href: `${this.collectionUrl(repo.project.org)}/_apis/projects/${repo.project.id}` },
        web: { href: remoteUrl },
        ssh: { href: `git@ssh.emulator.local:v3/${repo.project.org.name}/${encodeURIComponent(repo.project.name)}/${encodeURIComponent(repo.name)}` },
        commits: { href: `${this.repoApiUrl(repo)}/commits` },
        refs: { href: `${this.repoApiUrl(repo)}/refs` },
        pullRequests: { href: `${this.repoApiUrl(repo)}/pullRequests` },
        items: { href: `${this.repoApiUrl(repo)}/items` },
        pushes: { href: `${this.repoApiUrl(repo)}/pushes` },
      },
    };
  }

  userDate(p: GitPerson): Json {
    return { name: p.name, email: p.email, date: p.date };
  }

  commitRefJson(repo: Repository, c: CommitInfo, extra: Json = {}): Json {
    return {
      commitId: c.id,
      author: this.userDate(c.author),
      committer: this.userDate(c.committer),
      comment: c.message.replace(/\n+$/, ''),
      ...extra,
      url: `${this.repoApiUrl(repo)}/commits/${c.id}`,
      remoteUrl: `${this.remoteUrl(repo)}/commit/${c.id}`,
    };
  }

  // ---------- versions ----------

  async defaultBranchRef(repo: Repository): Promise<string> {
    return (await repo.git.headTarget()) ?? 'refs/heads/main';
  }

  /** Resolves a GitVersionDescriptor (version, versionType, versionOptions) to a commit. */
  async resolveVersion(repo: Repository, version: string | undefined, versionTypeRaw: unknown, optionsRaw?: unknown): Promise<ResolvedVersion> {
    const versionType = parseEnum(GitVersionType, versionTypeRaw, 'versionType') ?? GitVersionType.branch;
    const options = parseEnum(GitVersionOptions, optionsRaw, 'versionOptions') ?? 0;
    let commit: string | null;
    let label: string;
    if (version === undefined || version === '') {
      const ref = await this.defaultBranchRef(repo);
      label = `<Branch: ${ref.replace(/^refs\/heads\//, '')} >`;
      commit = await repo.git.resolveCommit(ref);
    } else if (versionType === GitVersionType.commit) {
      label = `<Commit: ${version} >`;
      commit = /^[0-9a-fA-F]{4,40}$/.test(version) ? await repo.git.resolveCommit(version.toLowerCase()) : null;
    } else if (versionType === GitVersionType.tag) {
      label = `<Tag: ${version} >`;
      commit = await repo.git.resolveCommit(`refs/tags/${version.replace(/^refs\/tags\//, '')}`);
    } else {
      label = `<Branch: ${version} >`;
      commit = await repo.git.resolveCommit(`refs/heads/${version.replace(/^refs\/heads\//, '')}`);
    }
    if (!commit) throw errors.unresolvableVersion(label);
    if (options === GitVersionOptions.previousChange || options === GitVersionOptions.firstParent) {
      const info = await repo.git.readCommit(commit);
      if (!info.parents[0]) throw errors.unresolvableVersion(label);
      commit = info.parents[0];
    }
    return { commit, label };
  }

  // ---------- refs ----------

  async listRefs(repo: Repository, filter: string | undefined, filterContains: string | undefined, peelTags: boolean): Promise<Json[]> {
    const refs = await repo.git.listRefs();
    const prefix = filter ? `refs/${filter.replace(/^\/+/, '').replace(/^refs\//, '')}` : 'refs/';
    const contains = filterContains?.toLowerCase();
    return refs
      .filter((r) => r.name.startsWith(prefix))
      .filter((r) => !r.name.startsWith('refs/pull/') || prefix.startsWith('refs/pull'))
      .filter((r) => !contains || r.name.toLowerCase().includes(contains))
      .map((r) => ({
        name: r.name,
        objectId: r.objectId,
        ...(peelTags && r.peeledObjectId ? { peeledObjectId: r.peeledObjectId } : {}),
        creator: this.identityRef(repo.project.org, repo.project.org.serviceIdentity),
        url: `${this.repoApiUrl(repo)}/refs?filter=${encodeURIComponent(r.name.slice(5))}`,
      }));
  }

  isProtected(repo: Repository, ref: string): BranchPolicy | undefined {
    const policy = repo.policies.get(ref);
    return policy && policy.requiredReviewers > 0 ? policy : undefined;
  }

  /** The file the pre-receive hook reads, so smart-HTTP pushes honour the same branch policies. */
  async writeProtectedRefsFile(repo: Repository): Promise<void> {
    const refs = [...repo.policies.entries()].filter(([, p]) => p.requiredReviewers > 0).map(([r]) => r);
    await fs.writeFile(path.join(repo.git.gitDir, 'emulator-protected-refs'), refs.map((r) => r + '\n').join(''));
    const hook = path.join(repo.git.gitDir, 'hooks', 'pre-receive');
    await fs.mkdir(path.dirname(hook), { recursive: true });
    await fs.writeFile(
      hook,
      [
        '#!/bin/sh',
        '# Written by the Azure DevOps emulator: branch policies that require a pull request.',
        'status=0',
        'while read old new ref; do',
        '  if grep -qxF "$ref" "$GIT_DIR/emulator-protected-refs" 2>/dev/null; then',
        '    echo "TF402455: Pushes to this branch are not permitted; you must use a pull request to update this branch." >&2',
        '    status=1',
        '  fi',
        'done',
        'exit $status',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }

  async updateRefs(repo: Repository, updates: unknown, by: Identity, afterChange: (repo: Repository, refs: string[]) => Promise<void>): Promise<Json[]> {
    if (!Array.isArray(updates)) throw errors.argumentNull('refUpdates');
    return repo.lock.run(async () => {
      const results: Json[] = [];
      const changed: string[] = [];
      for (const raw of updates as Json[]) {
        const name = text(raw?.name, '');
        const oldObjectId = text(raw?.oldObjectId, ZERO_ID).toLowerCase();
        const newObjectId = text(raw?.newObjectId, ZERO_ID).toLowerCase();
        const result = (updateStatus: string, success: boolean, customMessage?: string): Json => ({
          repositoryId: repo.id,
          name,
          oldObjectId,
          newObjectId,
          isLocked: false,
          updateStatus,
          success,
          ...(customMessage ? { customMessage } : {}),
        });
        if (!(await repo.git.isValidRefName(name)) || !/^[0-9a-f]{40}$/.test(oldObjectId) || !/^[0-9a-f]{40}$/.test(newObjectId)) {
          results.push(result('invalidRefName', false));
          continue;
        }
        if (this.isProtected(repo, name)) {
          results.push(
            result('rejectedByPolicy', false, 'TF402455: Pushes to this branch are not permitted; you must use a pull request to update this branch.'),
          );
          continue;
        }
        if (newObjectId !== ZERO_ID && (await repo.git.objectType(newObjectId)) === null) {
          results.push(result('unresolvableToCommit', false));
          continue;
        }
        const ok = await repo.git.compareAndSwapRef(name, newObjectId, oldObjectId);
        if (!ok) {
          results.push(result('staleOldObjectId', false));
          continue;
        }
        changed.push(name);
        results.push(result('succeeded', true));
      }
      if (changed.length > 0) {
        repo.pushes.push({
          pushId: ++repo.project.org.counters.push,
          date: nowIso(),
          pushedBy: by,
          commits: [],
          refUpdates: results
            .filter((r) => r.success)
            .map((r) => ({ name: String(r.name), oldObjectId: String(r.oldObjectId), newObjectId: String(r.newObjectId) })),
        });
        await afterChange(repo, changed);
      }
      return results;
    });
  }

  // ---------- pushes ----------

  async createPush(repo: Repository, body: Json, by: Identity, afterChange: (repo: Repository, refs: string[]) => Promise<void>): Promise<Json> {
    const refUpdates = body.refUpdates;
    if (!Array.isArray(refUpdates) || refUpdates.length === 0) throw errors.argumentNull('refUpdates');
    if (refUpdates.length > 1) throw errors.invalidArgument('refUpdates', 'A push can update exactly one ref.');
    const ru = refUpdates[0] as Json;
    const name = text(ru.name, '');
    if (!(await repo.git.isValidRefName(name))) throw errors.badRequest('GitRefNameInvalidException', `TF401025: '${name}' is not a valid name for a Git ref.`);
    if (ru.oldObjectId === undefined || ru.oldObjectId === null) throw errors.argumentNull('refUpdates[0].oldObjectId');
    const oldObjectId = text(ru.oldObjectId).toLowerCase();
    if (!/^[0-9a-f]{40}$/.test(oldObjectId)) throw errors.invalidArgument('oldObjectId', `'${oldObjectId}' is not an object id.`);
    const commits = body.commits;
    if (!Array.isArray(commits) || commits.length === 0) throw errors.argumentNull('commits');
    if (this.isProtected(repo, name)) throw errors.refRejectedByPolicy(name);

    // The commits are built on oldObjectId outside the lock; only the compare-and-swap is serialized.
    // oldObjectId is the ref's current value, or, for a branch the push creates, the commit it
    // starts from (or zeros). Either way it must name a commit.
    let tip: string | null = oldObjectId === ZERO_ID ? null : oldObjectId;
    if (tip && (await repo.git.objectType(tip)) !== 'commit') throw errors.refStale(name);
    const created: CommitInfo[] = [];
    const now = nowIso();
    let firstParents: string[] = [];
    for (const [index, rawCommit] of (commits as Json[]).entries()) {
      const parents = Array.isArray(rawCommit.parents) ? (rawCommit.parents as unknown[]).map((p) => String(p).toLowerCase()) : tip ? [tip] : [];
      if (index === 0) firstParents = parents;
      for (const p of parents) if ((await repo.git.objectType(p)) !== 'commit') throw errors.objectNotFound(p);
      const baseTree = parents[0] ? (await repo.git.readCommit(parents[0])).tree : null;
      const editor = new TreeEditor(repo.git, baseTree);
      const changes = Array.isArray(rawCommit.changes) ? (rawCommit.changes as Json[]) : [];
      if (changes.length === 0) throw errors.invalidArgument(`commits[${index}].changes`, 'A commit needs at least one change.');
      await this.applyChanges(repo, editor, changes);
      const tree = await editor.write();
      const person = (raw: unknown): GitPerson => {
        const o = (raw ?? {}) as Json;
        return {
          name: text(o.name, by.displayName),
          email: text(o.email, by.email),
          date: typeof o.date === 'string' ? o.date : o.date instanceof Date ? o.date.toISOString() : now,
        };
      };
      const author = person(rawCommit.author);
      const committer = rawCommit.committer ? person(rawCommit.committer) : { ...author };
      const message = text(rawCommit.comment, '');
      const id = await repo.git.commitTree(tree, parents, message, author, committer);
      created.push(await repo.git.readCommit(id));
      tip = id;
    }
    const newObjectId = tip!;
    return repo.lock.run(async () => {
      const hadHead = await this.hasDefaultBranch(repo);
      // A push to an existing ref names its current value; a push creating a branch names the
      // commit it starts from (or zeros), and then the ref must still not exist (httpExamples pushes8).
      const current = await repo.git.refValue(name);
      if (current !== null && current !== oldObjectId) throw errors.refStale(name);
      // A new branch "from" a commit must be built on that commit: naming a base and pushing a
      // commit on another one is as stale as naming an old value the ref does not have.
      if (current === null && oldObjectId !== ZERO_ID && !firstParents.includes(oldObjectId)) throw errors.refStale(name);
      const expected = current === null ? ZERO_ID : oldObjectId;
      const ok = await repo.git.compareAndSwapRef(name, newObjectId, expected);
      if (!ok) throw errors.refStale(name);
      if (!hadHead && name.startsWith('refs/heads/')) await repo.git.setHead(name);
      const push: StoredPush = {
        pushId: ++repo.project.org.counters.push,
        date: nowIso(),
        pushedBy: by,
        commits: created.map((c) => c.id),
        refUpdates: [{ name, oldObjectId: expected, newObjectId }],
      };
      repo.pushes.push(push);
      await afterChange(repo, [name]);
      return this.pushJson(repo, push, created);
    });
  }

  private async hasDefaultBranch(repo: Repository): Promise<boolean> {
    const head = await repo.git.headTarget();
    return head ? (await repo.git.refValue(head)) !== null : false;
  }

  private async applyChanges(repo: Repository, editor: TreeEditor, changes: Json[]): Promise<void> {
    const blobs: Buffer[] = [];
    const plans: Array<{ type: number; path: string; source?: string; blob?: number }> = [];
    for (const [i, change] of changes.entries()) {
      const type = parseEnum(VersionControlChangeType, change.changeType, `changes[${i}].changeType`, true);
      if (type === undefined) throw errors.argumentNull(`changes[${i}].changeType`);
      const itemPath = normalizeRepoPath((change.item as Json | undefined)?.path, `changes[${i}].item.path`);
      let blob: number | undefined;
      const newContent = change.newContent as Json | undefined;
      if (change.newContentTemplate) throw errors.invalidArgument(`changes[${i}].newContentTemplate`, 'Content templates are not supported by the emulator.');
      if (newContent) {
        const contentType = parseEnum(ItemContentType, newContent.contentType, `changes[${i}].newContent.contentType`) ?? ItemContentType.rawText;
        const content = text(newContent.content, '');
        if (contentType === ItemContentType.base64Encoded && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(content)) {
          throw errors.invalidArgument(`changes[${i}].newContent.content`, 'The content is not valid base64.');
        }
        blobs.push(contentType === ItemContentType.base64Encoded ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8'));
        blob = blobs.length - 1;
      }
      const source = type & CHANGE.rename ? normalizeRepoPath(change.sourceServerItem, `changes[${i}].sourceServerItem`) : undefined;
      plans.push({ type, path: itemPath, source, blob });
    }
    const ids = await repo.git.writeBlobs(blobs);
    try {
      for (const plan of plans) {
        const existing = await editor.get(plan.path);
        const label = `/${plan.path}`;
        if (plan.type & CHANGE.delete) {
          if (!(await editor.remove(plan.path))) throw itemMissing(label, 'delete');
        } else if (plan.type & CHANGE.rename) {
          const from = await editor.get(plan.source!);
          if (!from) throw itemMissing(`/${plan.source}`, 'rename');
          if (existing) throw itemExists(label);
          await editor.remove(plan.source!);
          if (from.type === 'tree') throw errors.invalidArgument('sourceServerItem', 'Renaming folders is not supported by the emulator; rename the files.');
          await editor.put(plan.path, plan.blob !== undefined ? ids[plan.blob] : from.id, from.mode);
        } else if (plan.type & CHANGE.add) {
          if (existing) throw itemExists(label);
          if (plan.blob === undefined) throw errors.argumentNull('newContent');
          await editor.put(plan.path, ids[plan.blob]);
        } else if (plan.type & CHANGE.edit) {
          if (!existing || existing.type !== 'blob') throw itemMissing(label, 'edit');
          if (plan.blob === undefined) throw errors.argumentNull('newContent');
          await editor.put(plan.path, ids[plan.blob], existing.mode);
        } else {
          throw errors.invalidArgument('changeType', `'${enumName(VersionControlChangeType, plan.type, true)}' is not supported in a push.`);
        }
      }
    } catch (e) {
      if (e instanceof TreePathError) throw errors.invalidArgument('item.path', e.message);
      throw e;
    }
    void repo;
  }

  async pushJson(repo: Repository, push: StoredPush, commits?: CommitInfo[]): Promise<Json> {
    const list = commits ?? (await Promise.all(push.commits.map((id) => repo.git.readCommit(id))));
    return {
      commits: list.map((c) => ({ treeId: c.tree, ...this.commitRefJson(repo, c, { parents: c.parents }) })),
      refUpdates: push.refUpdates.map((r) => ({ repositoryId: repo.id, ...r })),
      repository: await this.repositoryJson(repo),
      pushedBy: this.identityRef(repo.project.org, push.pushedBy),
      pushId: push.pushId,
      date: push.date,
      url: `${this.repoApiUrl(repo)}/pushes/${push.pushId}`,
      _links: {
        self: { href: `${this.repoApiUrl(repo)}/pushes/${push.pushId}` },
        repository: { href: this.repoApiUrl(repo) },
        commits: { href: `${this.repoApiUrl(repo)}/pushes/${push.pushId}/commits` },
        pusher: { href: `${this.collectionUrl(repo.project.org)}/_apis/Identities/${push.pushedBy.id}` },
        refs: { href: `${this.repoApiUrl(repo)}/refs` },
      },
    };
  }

  // ---------- items ----------

  async itemJson(
    repo: Repository,
    commit: string,
    filePath: string,
    object: { id: string; type: string; mode: string },
    opts: { includeContent: boolean; includeContentMetadata: boolean },
  ): Promise<Json> {
    const isFolder = object.type === 'tree';
    const item: Json = {
      objectId: object.id,
      gitObjectType: object.type,
      commitId: commit,
      path: filePath,
      ...(isFolder ? { isFolder: true } : {}),
      ...(object.mode === '120000' ? { isSymLink: true } : {}),
      url: `${this.repoApiUrl(repo)}/items?path=${encodeURIComponent(filePath)}&versionType=Commit&version=${commit}&versionOptions=None`,
    };
    if (opts.includeContentMetadata || (opts.includeContent && !isFolder)) {
      const name = filePath.slice(filePath.lastIndexOf('/') + 1);
      const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
      let isBinary = false;
      let content: Buffer | undefined;
      if (!isFolder) {
        content = await repo.git.readBlob(object.id);
        isBinary = content.subarray(0, 8000).includes(0);
      }
      if (opts.includeContentMetadata || isBinary) {
        item.contentMetadata = isFolder
          ? { fileName: name }
          : {
              encoding: isBinary ? -1 : 65001,
              contentType: isBinary ? 'application/octet-stream' : 'text/plain',
              fileName: name,
              extension: ext,
              ...(isBinary ? { isBinary: true } : {}),
            };
      }
      if (opts.includeContent && content) item.content = isBinary ? content.toString('base64') : content.toString('utf8');
    }
    return item;
  }

  // ---------- commits and diffs ----------

  changeJson(repo: Repository, commitId: string, c: { status: string; path: string; oldId: string; newId: string }): Json {
    const changeType = c.status === 'A' ? 'add' : c.status === 'D' ? 'delete' : 'edit';
    return {
      item: {
        objectId: c.status === 'D' ? c.oldId : c.newId,
        ...(c.status === 'M' || c.status === 'T' ? { originalObjectId: c.oldId } : {}),
        gitObjectType: 'blob',
        commitId,
        path: `/${c.path}`,
        url: `${this.repoApiUrl(repo)}/items/${c.path.split('/').map(encodeURIComponent).join('/')}?versionType=Commit&version=${commitId}`,
      },
      changeType,
    };
  }

  async commitJson(repo: Repository, id: string, changeCount: number): Promise<Json> {
    if (!/^[0-9a-fA-F]{40}$/.test(id) || (await repo.git.objectType(id.toLowerCase())) !== 'commit') throw errors.commitNotFound(id);
    const c = await repo.git.readCommit(id.toLowerCase());
    const changes = await repo.git.diffTrees(c.parents[0] ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904', c.id);
    const counts = { Add: 0, Edit: 0, Delete: 0 };
    for (const ch of changes) counts[ch.status === 'A' ? 'Add' : ch.status === 'D' ? 'Delete' : 'Edit']++;
    const push = repo.pushes.find((p) => p.commits.includes(c.id));
    return {
      treeId: c.tree,
      ...this.commitRefJson(repo, c, {
        parents: c.parents,
        changeCounts: counts,
        ...(changeCount > 0 ? { changes: changes.slice(0, changeCount).map((ch) => this.changeJson(repo, c.id, ch)) } : {}),
        ...(push ? { push: { pushedBy: this.identityRef(repo.project.org, push.pushedBy), pushId: push.pushId, date: push.date } } : {}),
      }),
      _links: {
        self: { href: `${this.repoApiUrl(repo)}/commits/${c.id}` },
        repository: { href: this.repoApiUrl(repo) },
        changes: { href: `${this.repoApiUrl(repo)}/commits/${c.id}/changes` },
        web: { href: `${this.remoteUrl(repo)}/commit/${c.id}` },
        tree: { href: `${this.repoApiUrl(repo)}/trees/${c.tree}` },
      },
    };
  }

  async commitDiffs(repo: Repository, base: ResolvedVersion, target: ResolvedVersion, diffCommonCommit: boolean, top: number, skip: number): Promise<Json> {
    const common = await repo.git.mergeBase(base.commit, target.commit);
    const [behindCount, aheadCount] = await repo.git.leftRightCount(base.commit, target.commit);
    const from = diffCommonCommit && common ? common : base.commit;
    const all = await repo.git.diffTrees(from, target.commit);
    const page = all.slice(skip, skip + top);
    const changeCounts: Record<string, number> = {};
    for (const ch of all) {
      const key = ch.status === 'A' ? 'Add' : ch.status === 'D' ? 'Delete' : 'Edit';
      changeCounts[key] = (changeCounts[key] ?? 0) + 1;
    }
    return {
      allChangesIncluded: skip + page.length >= all.length,
      changeCounts,
      changes: page.map((ch) => this.changeJson(repo, target.commit, ch)),
      ...(common ? { commonCommit: common } : {}),
      baseCommit: base.commit,
      targetCommit: target.commit,
      aheadCount,
      behindCount,
    };
  }
}

export function normalizeRepoPath(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw errors.argumentNull(field);
  const parts = raw
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw errors.invalidArgument(field, `'${raw}' is not a valid path.`);
  if (parts.length === 0) throw errors.invalidArgument(field, `'${raw}' names the root folder.`);
  return parts.join('/');
}

function itemMissing(label: string, action: string): ApiError {
  return new ApiError(404, 'GitItemNotFoundException', `TF401174: The item '${label}' could not be found in the repository (${action}).`);
}

function itemExists(label: string): ApiError {
  return errors.badRequest('GitItemAlreadyExistsException', `The path '${label}' already exists; use an edit change to change it.`);
}
