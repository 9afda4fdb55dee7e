// Work Item Tracking, the part the GitOps pipeline touches: work items with fields and relations
// (WorkItem, WorkItemRelation of the wit 7.1 API), read one or many, updated with a JSON Patch
// document (application/json-patch+json). A pull request's work items are the work items holding
// an ArtifactLink to the pull request's artifact URI (vstfs:///Git/PullRequestId/...), as on the
// service, whichever way the link was made (workItemRefs at creation, or a work item update).
import { ApiError } from './errors';
import type { Identity, Organization, Project, PullRequest, WorkItem, WorkItemRelation } from './model';
import { nowIso, pullRequestArtifactId } from './model';
import type { DevOpsService, Json } from './service';
import { text } from '../common/json';

const WIT = 'Microsoft.TeamFoundation.WorkItemTracking.Server';
const witError = (status: number, typeKey: string, message: string) => new ApiError(status, typeKey, message, {}, WIT, WIT);
const common = (status: number, typeKey: string, message: string) =>
  new ApiError(status, typeKey, message, {}, 'Microsoft.VisualStudio.Services.Common', 'Microsoft.VisualStudio.Services.Common');

export const witErrors = {
  /** The service answers a missing work item and one the caller may not read alike (404). */
  notFound: (id: number | string) =>
    witError(404, 'WorkItemUnauthorizedAccessException', `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`),
  badPatch: (detail: string) => common(400, 'VssPropertyValidationException', detail),
  artifactLinkName: () => common(400, 'ArgumentException', 'Artifact links must have a valid name specified.\r\nParameter name: workItemUpdates'),
  // Not observed on the service: the emulator's own wording for adding a relation twice.
  duplicateRelation: (id: number, rel: string, url: string) =>
    witError(400, 'WorkItemLinkAlreadyExistsException', `The relation ${rel} to ${url} already exists on work item ${id}.`),
  testFailed: (path: string) => witError(400, 'TestOperationFailedException', `The test operation on '${path}' failed: the value differs.`),
};

/** WorkItemExpand: None, Relations, Fields, Links, All (numbers or names, any case). */
const EXPAND: Record<string, number> = { none: 0, relations: 1, fields: 2, links: 3, all: 4 };

export function parseExpand(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = /^\d+$/.test(value) ? Number(value) : EXPAND[value.toLowerCase()];
  if (n === undefined || n < 0 || n > 4)
    throw common(
      400,
      'InvalidArgumentValueException',
      `The value specified for the following variable must be valid: $expand. '${value}' is not a valid value.`,
    );
  return n;
}

export interface NewWorkItem {
  title: string;
  type?: string;
  state?: string;
}

export class WorkItems {
  constructor(private readonly svc: DevOpsService) {}

  create(project: Project, spec: NewWorkItem, by: Identity): WorkItem {
    const org = project.org;
    const id = ++org.counters.workItem;
    const now = nowIso();
    const who = this.svc.identityRef(org, by);
    const item: WorkItem = {
      id,
      rev: 1,
      project,
      fields: {
        'System.AreaPath': project.name,
        'System.TeamProject': project.name,
        'System.IterationPath': project.name,
        'System.WorkItemType': spec.type ?? 'User Story',
        'System.State': spec.state ?? 'New',
        'System.Reason': 'New',
        'System.CreatedDate': now,
        'System.CreatedBy': who,
        'System.ChangedDate': now,
        'System.ChangedBy': who,
        'System.CommentCount': 0,
        'System.Title': spec.title,
      },
      relations: [],
    };
    org.workItems.set(id, item);
    return item;
  }

  /** The work item, or 404 (also when it belongs to another project than the one in the route). */
  find(org: Organization, id: unknown, project?: Project): WorkItem {
    const n = Number(id);
    const item = Number.isInteger(n) && n > 0 ? org.workItems.get(n) : undefined;
    if (!item || (project && item.project !== project)) throw witErrors.notFound(String(id));
    return item;
  }

  url(item: WorkItem): string {
    return `${this.svc.collectionUrl(item.project.org)}/${item.project.id}/_apis/wit/workItems/${item.id}`;
  }

  /** The ResourceRef of a work item, as pullRequests/{id}/workitems lists it. */
  ref(item: WorkItem): Json {
    return { id: String(item.id), url: `${this.svc.collectionUrl(item.project.org)}/_apis/wit/workItems/${item.id}` };
  }

  json(item: WorkItem, options: { expand?: number; fields?: string[]; relations?: boolean } = {}): Json {
    const expand = options.expand ?? 0;
    const url = this.url(item);
    const base = this.svc.collectionUrl(item.project.org);
    let fields: Json = { ...item.fields };
    if (options.fields && options.fields.length > 0) {
      const wanted = new Set(options.fields.map((f) => f.toLowerCase()));
      fields = Object.fromEntries(Object.entries(fields).filter(([k]) => wanted.has(k.toLowerCase())));
    }
    const withRelations = options.relations === true || expand === EXPAND.relations || expand === EXPAND.all;
    return {
      id: item.id,
      rev: item.rev,
      fields,
      ...(withRelations && item.relations.length > 0
        ? { relations: item.relations.map((r) => ({ rel: r.rel, url: r.url, attributes: { ...r.attributes } })) }
        : {}),
      _links: {
        self: { href: url },
        workItemUpdates: { href: `${url}/updates` },
        workItemRevisions: { href: `${url}/revisions` },
        workItemComments: { href: `${url}/comments` },
        html: { href: `${base}/${item.project.id}/_workitems/edit/${item.id}` },
        workItemType: { href: `${base}/${item.project.id}/_apis/wit/workItemTypes/${encodeURIComponent(String(item.fields['System.WorkItemType']))}` },
        fields: { href: `${base}/${item.project.id}/_apis/wit/fields` },
      },
      url,
    };
  }

  /**
   * Applies a JSON Patch document: add/replace/remove/test on /fields/<reference name>, add on
   * /relations/- and remove on /relations/<index>, test on /rev. All or nothing; a change bumps rev.
   */
  patch(item: WorkItem, document: unknown, by: Identity): void {
    if (!Array.isArray(document) || document.length === 0) throw witErrors.badPatch('A JSON Patch document (a non-empty array of operations) is expected.');
    const fields: Record<string, unknown> = { ...item.fields };
    const relations: WorkItemRelation[] = item.relations.map((r) => ({ ...r, attributes: { ...r.attributes } }));
    const org = item.project.org;
    let changed = false;
    for (const [i, raw] of (document as Json[]).entries()) {
      // Operation names, or the numbers of the client's Operation enum (Add, Remove, Replace, Move, Copy, Test).
      const op =
        typeof raw?.op === 'number' ? (['add', 'remove', 'replace', 'move', 'copy', 'test'][raw.op] ?? String(raw.op)) : text(raw?.op, '').toLowerCase();
      const path = text(raw?.path, '');
      const field = /^\/fields\/(.+)$/.exec(path)?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
      if (op === 'test') {
        const current = path === '/rev' ? item.rev : field !== undefined ? fields[field] : undefined;
        if (path !== '/rev' && field === undefined) throw witErrors.badPatch(`Operation ${i}: test is supported on /rev and /fields/<name>, not '${path}'.`);
        if (String(current) !== String(raw.value)) throw witErrors.testFailed(path);
        continue;
      }
      if (field !== undefined) {
        if (op === 'add' || op === 'replace') fields[field] = raw.value;
        else if (op === 'remove') delete fields[field];
        else throw witErrors.badPatch(`Operation ${i}: '${op}' is not supported on fields.`);
        if (field === 'System.Title' && (typeof fields[field] !== 'string' || String(fields[field]).trim() === ''))
          throw witErrors.badPatch('TF401320: Rule Error for field Title. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.');
        changed = true;
        continue;
      }
      if (path === '/relations/-' && op === 'add') {
        const value = raw.value as Json | undefined;
        if (!value || typeof value !== 'object' || typeof value.rel !== 'string' || typeof value.url !== 'string') {
          throw witErrors.badPatch(
            `Value ${JSON.stringify(value ?? null)} does not match the expected type Microsoft.TeamFoundation.WorkItemTracking.WebApi.Models.WorkItemRelation.`,
          );
        }
        const attributes = (value.attributes && typeof value.attributes === 'object' ? value.attributes : {}) as Json;
        const relation = this.relation(item, value.rel, value.url, attributes, relations);
        relations.push(relation);
        changed = true;
        continue;
      }
      const index = /^\/relations\/(\d+)$/.exec(path)?.[1];
      if (index !== undefined && op === 'remove') {
        if (Number(index) >= relations.length) throw witErrors.badPatch(`Operation ${i}: there is no relation at index ${index}.`);
        relations.splice(Number(index), 1);
        changed = true;
        continue;
      }
      throw witErrors.badPatch(`Operation ${i}: '${op}' on '${path}' is not supported by the emulator.`);
    }
    if (!changed) return;
    item.fields = fields;
    item.relations = relations;
    item.rev++;
    item.fields['System.Rev'] = item.rev;
    item.fields['System.ChangedDate'] = nowIso();
    item.fields['System.ChangedBy'] = this.svc.identityRef(org, by);
  }

  /** A new relation, checked as the service checks it: a known type, an artifact link with a name, no duplicate. */
  private relation(item: WorkItem, rel: string, url: string, attributes: Json, existing: WorkItemRelation[]): WorkItemRelation {
    const now = nowIso();
    if (existing.some((r) => r.rel.toLowerCase() === rel.toLowerCase() && r.url.toLowerCase() === url.toLowerCase()))
      throw witErrors.duplicateRelation(item.id, rel, url);
    const org = item.project.org;
    if (rel === 'ArtifactLink') {
      if (typeof attributes.name !== 'string' || attributes.name.trim() === '') throw witErrors.artifactLinkName();
      if (!/^vstfs:\/\/\/[^/]+\/[^/]+\/.+/i.test(url)) throw witErrors.badPatch(`'${url}' is not an artifact URI (vstfs:///<tool>/<type>/<id>).`);
      // The service does not check that the artifact exists.
      return {
        rel,
        url,
        attributes: {
          authorizedDate: now,
          id: ++org.counters.link,
          resourceCreatedDate: now,
          resourceModifiedDate: now,
          revisedDate: '9999-01-01T00:00:00Z',
          name: attributes.name,
          ...(typeof attributes.comment === 'string' ? { comment: attributes.comment } : {}),
        },
      };
    }
    if (rel === 'Hyperlink') return { rel, url, attributes: { ...(typeof attributes.comment === 'string' ? { comment: attributes.comment } : {}) } };
    if (/^System\.LinkTypes\./.test(rel)) {
      const target = /\/_apis\/wit\/workItems\/(\d+)$/i.exec(url)?.[1];
      if (!target) throw witErrors.badPatch(`'${url}' is not a work item URL.`);
      this.find(org, target);
      return { rel, url, attributes: { isLocked: false, ...(typeof attributes.comment === 'string' ? { comment: attributes.comment } : {}) } };
    }
    throw witErrors.badPatch(`The relation type '${rel}' is not supported by the emulator (ArtifactLink, Hyperlink, System.LinkTypes.*).`);
  }

  /** Links the pull request to a work item with an ArtifactLink named "Pull Request" (no-op when linked, or when the work item is unknown). */
  linkPullRequest(pr: PullRequest, workItemId: unknown, by: Identity): void {
    const org = pr.repo.project.org;
    const item = org.workItems.get(Number(workItemId));
    if (!item) return; // the service ignores work item refs it cannot resolve when creating a pull request
    const url = pullRequestArtifactId(pr);
    if (item.relations.some((r) => r.rel === 'ArtifactLink' && r.url.toLowerCase() === url.toLowerCase())) return;
    this.patch(item, [{ op: 'add', path: '/relations/-', value: { rel: 'ArtifactLink', url, attributes: { name: 'Pull Request' } } }], by);
  }

  /** Work items linked to the pull request (ArtifactLink to its artifact URI), by id. */
  linkedTo(pr: PullRequest): WorkItem[] {
    const url = pullRequestArtifactId(pr).toLowerCase();
    return [...pr.repo.project.org.workItems.values()]
      .filter((w) => w.relations.some((r) => r.rel === 'ArtifactLink' && r.url.toLowerCase() === url))
      .sort((a, b) => a.id - b.id);
  }
}
