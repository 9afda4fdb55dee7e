/**
 * Identities by name: a reviewer given as an identity id (GUID), an email or unique name, or a
 * display or group name ("Jamal Hartnett", "[fleet]\Release Approvers") becomes an identity id
 * through the Identities REST API (GET _apis/identities?searchFilter=General&filterValue=...,
 * api-version 7.1). azure-devops-node-api has no client for it, so the request goes through the
 * connection's own REST client (same token, same retry rules). A name that matches nothing, or
 * more than one identity, is an error naming it.
 */
import { DevOpsConnection } from './connection';
import { NotFoundError } from './errors';

/** An identity found by name (or given by id). */
export interface IdentityMatch {
  id: string;
  /** providerDisplayName, e.g. "Jamal Hartnett" or "[fleet]\Release Approvers". */
  displayName: string;
  /** The Account property: the sign-in name of a user, the name of a group without its scope. */
  accountName?: string;
  mail?: string;
  isGroup: boolean;
}

/** Identity as the Identities API answers it (the fields this module reads). */
interface IdentityRecord {
  id?: string;
  providerDisplayName?: string;
  customDisplayName?: string;
  isActive?: boolean;
  isContainer?: boolean;
  properties?: Record<string, { $value?: unknown } | undefined>;
}

export class IdentityResolutionError extends Error {
  constructor(
    readonly query: string,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityResolutionError';
  }
}

/** No active user or group has that id, name, email or account name. */
export class UnknownIdentityError extends IdentityResolutionError {
  constructor(query: string, role: string, collectionUrl: string) {
    super(query, `${role} "${query}": no active user or group in ${collectionUrl} has that display name, email, account or group name`);
    this.name = 'UnknownIdentityError';
  }
}

/** Several identities answer to the name; the caller must say which one. */
export class AmbiguousIdentityError extends IdentityResolutionError {
  constructor(
    query: string,
    role: string,
    readonly candidates: IdentityMatch[],
  ) {
    super(
      query,
      `${role} "${query}" is ambiguous: it matches ${candidates.length} identities (${candidates.map(describeMatch).join('; ')}); ` +
        'give the email, the scoped group name ("[project]\\Group") or the identity id instead',
    );
    this.name = 'AmbiguousIdentityError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for an identity id (a GUID, with or without braces). */
export function isIdentityId(text: string): boolean {
  return GUID.test(text.trim().replace(/^\{(.*)\}$/, '$1'));
}

/**
 * Where the Identities API lives: the organization's vssps host on Azure DevOps Services
 * (https://vssps.dev.azure.com/<org>, https://<org>.vssps.visualstudio.com), the collection URL on
 * Azure DevOps Server (and the emulator).
 */
export function identitiesBaseUrl(collectionUrl: string): string {
  const url = new URL(collectionUrl);
  const host = url.hostname.toLowerCase();
  if (host === 'dev.azure.com') {
    const org = url.pathname.split('/').filter(Boolean)[0];
    if (org) return `${url.protocol}//vssps.dev.azure.com/${org}`;
  }
  const legacy = /^([a-z0-9][a-z0-9-]*)\.visualstudio\.com$/.exec(host);
  if (legacy) return `${url.protocol}//${legacy[1]}.vssps.visualstudio.com`;
  return collectionUrl.replace(/\/+$/, '');
}

/** "Jamal Hartnett <jamal@contoso.com> (id 1d...)" for messages. */
export function describeMatch(m: IdentityMatch): string {
  const detail = m.isGroup ? 'group' : m.mail || m.accountName;
  return `${m.displayName}${detail ? ` <${detail}>` : ''} (id ${m.id})`;
}

function property(record: IdentityRecord, name: string): string | undefined {
  const value = record.properties?.[name]?.$value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function toMatch(record: IdentityRecord): IdentityMatch {
  return {
    id: (record.id ?? '').toLowerCase(),
    displayName: record.customDisplayName || record.providerDisplayName || '',
    accountName: property(record, 'Account'),
    mail: property(record, 'Mail'),
    isGroup: record.isContainer === true || property(record, 'SchemaClassName') === 'Group',
  };
}

/** The names an identity answers to: display names, account, mail, and "[scope]\Name" for a group. */
function namesOf(record: IdentityRecord): string[] {
  const names = [record.providerDisplayName, record.customDisplayName, property(record, 'Account'), property(record, 'Mail')];
  const scope = property(record, 'ScopeName');
  const account = property(record, 'Account');
  if (scope && account) names.push(`[${scope}]\\${account}`);
  return names.filter((n): n is string => typeof n === 'string' && n.trim() !== '').map((n) => n.trim().toLowerCase());
}

/**
 * Searches identities (searchFilter General: display name, account name or email). Returns what
 * the service answers, active identities only, as matches; no exact-name filtering.
 */
export async function searchIdentities(
  conn: DevOpsConnection,
  filterValue: string,
  searchFilter: 'General' | 'AccountName' | 'DisplayName' | 'MailAddress' = 'General',
): Promise<IdentityRecordMatch[]> {
  const base = identitiesBaseUrl(conn.collectionUrl);
  const url = `${base}/_apis/identities?searchFilter=${searchFilter}&filterValue=${encodeURIComponent(filterValue)}&queryMembership=None&api-version=7.1`;
  const action = `looking up the identity "${filterValue}" in ${base}`;
  const response = await conn.idempotent(action, (git) =>
    git.rest.get<{ count?: number; value?: IdentityRecord[] }>(url, { acceptHeader: 'application/json' }),
  );
  if (response.result === null) throw new NotFoundError(action, `the Identities API was not found (HTTP ${response.statusCode})`);
  return (response.result.value ?? []).filter((r) => r && r.id && r.isActive !== false).map((r) => ({ ...toMatch(r), names: namesOf(r) }));
}

/** A search result with the names it answers to (lower case), for exact matching. */
export interface IdentityRecordMatch extends IdentityMatch {
  names: string[];
}

/**
 * The one identity a text names: an id (GUID) is taken as it is (no request); anything else is
 * looked up and must match exactly one active identity by display name, email, account name or
 * scoped group name (case-insensitive). `role` names the caller's use in errors ("reviewer").
 */
export async function resolveIdentity(conn: DevOpsConnection, text: string, role = 'identity'): Promise<IdentityMatch> {
  const query = text.trim();
  if (query === '') throw new IdentityResolutionError(text, `${role}: the name is empty`);
  if (isIdentityId(query)) {
    const id = query.replace(/^\{(.*)\}$/, '$1').toLowerCase();
    return { id, displayName: id, isGroup: false };
  }
  const wanted = query.toLowerCase();
  const found = await searchIdentities(conn, query);
  const exact = new Map<string, IdentityMatch>();
  for (const r of found)
    if (r.names.includes(wanted) && !exact.has(r.id))
      exact.set(r.id, { id: r.id, displayName: r.displayName, accountName: r.accountName, mail: r.mail, isGroup: r.isGroup });
  const matches = [...exact.values()];
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new UnknownIdentityError(query, role, conn.collectionUrl);
  throw new AmbiguousIdentityError(query, role, matches);
}
