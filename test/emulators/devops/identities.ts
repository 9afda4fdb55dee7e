// Identities (IMS) as `GET {collection}/_apis/identities` answers them: users and groups of the
// organization, searched by searchFilter (General, AccountName, DisplayName, MailAddress) and
// filterValue, or read by identityIds. Shapes follow the Identity model of the Identities REST API
// (id, descriptor, subjectDescriptor, providerDisplayName, isActive, isContainer, members,
// memberOf, memberIds, properties as { $type, $value }, resourceVersion, metaTypeId).
import { createHash } from 'node:crypto';
import { ApiError } from './errors';
import type { Identity, Organization, Project } from './model';
import { stableGuid } from './model';
import type { Json } from './service';

const common = (status: number, typeKey: string, message: string) =>
  new ApiError(status, typeKey, message, {}, 'Microsoft.VisualStudio.Services.Common', 'Microsoft.VisualStudio.Services.Common');

export const identityErrors = {
  missingFilter: () => common(400, 'ArgumentNullException', 'Value cannot be null.\r\nParameter name: filterValue'),
  badSearchFilter: (v: string) =>
    common(
      400,
      'InvalidArgumentValueException',
      `The value specified for the following variable must be valid: searchFilter. '${v}' is not a valid value (General, AccountName, DisplayName, MailAddress).`,
    ),
  badMembership: (v: string) =>
    common(400, 'InvalidArgumentValueException', `The value specified for the following variable must be valid: queryMembership. '${v}' is not a valid value.`),
};

const SEARCH_FILTERS = ['general', 'accountname', 'displayname', 'mailaddress'];
const MEMBERSHIP = ['none', 'direct', 'expanded', 'expandedup', 'expandeddown'];

/** A group of the project (or of the organization when project is undefined); same name and scope give the same group. */
export function groupIdentity(org: Organization, project: Project | undefined, name: string, description = ''): Identity {
  const domain = project ? `vstfs:///Classification/TeamProject/${project.id}` : `vstfs:///Framework/IdentityDomain/${org.id}`;
  const id = stableGuid(`group:${domain}\\${name}`.toLowerCase());
  const existing = org.identities.get(id);
  if (existing) return existing;
  const digits = createHash('sha1').update(id).digest().subarray(0, 16);
  const sid = `S-1-9-1551374245-${[0, 4, 8, 12].map((o) => digits.readUInt32BE(o)).join('-')}`;
  const scopeName = project ? project.name : org.name;
  const group: Identity = {
    id,
    displayName: `[${scopeName}]\\${name}`,
    uniqueName: `${domain}\\${name}`,
    email: '',
    group: { name, scopeName, domain, description, sid, memberIds: [] },
  };
  org.identities.set(id, group);
  return group;
}

export function subjectDescriptor(identity: Identity): string {
  return identity.group ? `vssgp.${Buffer.from(identity.group.sid).toString('base64url')}` : `aad.${Buffer.from(identity.id).toString('base64url')}`;
}

function descriptor(org: Organization, identity: Identity): string {
  return identity.group
    ? `Microsoft.TeamFoundation.Identity;${identity.group.sid}`
    : `Microsoft.IdentityModel.Claims.ClaimsIdentity;${org.id}\\${identity.uniqueName}`;
}

const str = (value: string) => ({ $type: 'System.String', $value: value });

export function identityJson(org: Organization, identity: Identity, membership: string): Json {
  const direct = membership !== 'none';
  const groups = [...org.identities.values()].filter((g) => g.group?.memberIds.includes(identity.id));
  const members = identity.group ? identity.group.memberIds.map((m) => org.identities.get(m)).filter((m): m is Identity => !!m) : [];
  const properties: Json = identity.group
    ? {
        SchemaClassName: str('Group'),
        Description: str(identity.group.description),
        Domain: str(identity.group.domain),
        Account: str(identity.group.name),
        SecurityGroup: str('SecurityGroup'),
        SpecialType: str('Generic'),
        ScopeName: str(identity.group.scopeName),
      }
    : {
        SchemaClassName: str('User'),
        Description: str(''),
        Domain: str(org.id),
        Account: str(identity.uniqueName),
        Mail: str(identity.email),
      };
  return {
    id: identity.id,
    descriptor: descriptor(org, identity),
    subjectDescriptor: subjectDescriptor(identity),
    providerDisplayName: identity.displayName,
    isActive: true,
    ...(identity.group ? { isContainer: true } : {}),
    members: direct ? members.map((m) => descriptor(org, m)) : [],
    memberOf: direct ? groups.map((g) => descriptor(org, g)) : [],
    memberIds: direct ? members.map((m) => m.id) : [],
    properties,
    resourceVersion: 2,
    metaTypeId: identity.group ? 255 : 0,
  };
}

/** The names an identity is found by, per search filter (compared case-insensitively, exactly). */
function names(identity: Identity, filter: string): string[] {
  const g = identity.group;
  switch (filter) {
    case 'accountname':
      return g ? [g.name, identity.displayName] : [identity.uniqueName];
    case 'displayname':
      return g ? [identity.displayName, g.name] : [identity.displayName];
    case 'mailaddress':
      return g ? [] : [identity.email];
    default:
      return g ? [identity.displayName, g.name, identity.uniqueName] : [identity.displayName, identity.uniqueName, identity.email];
  }
}

/** GET _apis/identities: by searchFilter and filterValue, or by identityIds (comma separated). */
export function readIdentities(
  org: Organization,
  query: { searchFilter?: string; filterValue?: string; identityIds?: string; queryMembership?: string },
): Json[] {
  const membership = (query.queryMembership ?? 'none').toLowerCase();
  if (!MEMBERSHIP.includes(membership)) throw identityErrors.badMembership(query.queryMembership!);
  if (query.identityIds) {
    return query.identityIds
      .split(',')
      .map((id) => org.identities.get(id.trim().toLowerCase()))
      .filter((i): i is Identity => !!i)
      .map((i) => identityJson(org, i, membership));
  }
  if (!query.filterValue) throw identityErrors.missingFilter();
  const filter = (query.searchFilter ?? 'General').toLowerCase();
  if (!SEARCH_FILTERS.includes(filter)) throw identityErrors.badSearchFilter(query.searchFilter!);
  const wanted = query.filterValue.trim().toLowerCase();
  return [...org.identities.values()]
    .filter((i) => names(i, filter).some((n) => n !== '' && n.toLowerCase() === wanted))
    .map((i) => identityJson(org, i, membership));
}
