// Enums: accepted as numbers (what TS callers of azure-devops-node-api send), numeric strings or
// names in any case; answered as camelCase names (flags as "edit, rename"), as the service does.
// Values: azure-devops-node-api interfaces/GitInterfaces (the client's enum maps).
import { ApiError, errors } from './errors';
import { text } from '../common/json';

export type EnumMap = Readonly<Record<string, number>>;

export const VersionControlChangeType: EnumMap = {
  none: 0,
  add: 1,
  edit: 2,
  encoding: 4,
  rename: 8,
  delete: 16,
  undelete: 32,
  branch: 64,
  merge: 128,
  lock: 256,
  rollback: 512,
  sourceRename: 1024,
  targetRename: 2048,
  property: 4096,
  all: 8191,
};
export const ItemContentType: EnumMap = { rawText: 0, base64Encoded: 1 };
export const PullRequestStatus: EnumMap = { notSet: 0, active: 1, abandoned: 2, completed: 3, all: 4 };
export const GitPullRequestMergeStrategy: EnumMap = { noFastForward: 1, squash: 2, rebase: 3, rebaseMerge: 4 };
export const PullRequestAsyncStatus: EnumMap = { notSet: 0, queued: 1, conflicts: 2, succeeded: 3, rejectedByPolicy: 4, failure: 5 };
export const GitStatusState: EnumMap = { notSet: 0, pending: 1, succeeded: 2, failed: 3, error: 4, notApplicable: 5, partiallySucceeded: 6 };
export const CommentThreadStatus: EnumMap = { unknown: 0, active: 1, fixed: 2, wontFix: 3, closed: 4, byDesign: 5, pending: 6 };
export const CommentType: EnumMap = { unknown: 0, text: 1, codeChange: 2, system: 3 };
export const GitRefUpdateStatus: EnumMap = {
  succeeded: 0,
  forcePushRequired: 1,
  staleOldObjectId: 2,
  invalidRefName: 3,
  unprocessed: 4,
  unresolvableToCommit: 5,
  writePermissionRequired: 6,
  manageNotePermissionRequired: 7,
  createBranchPermissionRequired: 8,
  createTagPermissionRequired: 9,
  rejectedByPlugin: 10,
  locked: 11,
  refNameConflict: 12,
  rejectedByPolicy: 13,
  succeededNonExistentRef: 14,
  succeededCorruptRef: 15,
};
export const VersionControlRecursionType: EnumMap = { none: 0, oneLevel: 1, oneLevelPlusNestedEmptyFolders: 4, full: 120 };
export const GitVersionType: EnumMap = { branch: 0, tag: 1, commit: 2 };
export const GitVersionOptions: EnumMap = { none: 0, previousChange: 1, firstParent: 2 };
export const PullRequestTimeRangeType: EnumMap = { created: 1, closed: 2 };

/** Parses an enum value; undefined/null/'' give undefined; an unknown value is a 400. */
export function parseEnum(map: EnumMap, value: unknown, field: string, flags = false): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (flags || Object.values(map).includes(value)) return value;
    throw errors.invalidArgument(field, `'${value}' is not a valid value.`);
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^-?\d+$/.test(trimmed)) return parseEnum(map, Number(trimmed), field, flags);
    const parts = flags ? trimmed.split(',') : [trimmed];
    let result = 0;
    for (const part of parts) {
      const key = Object.keys(map).find((k) => k.toLowerCase() === part.trim().toLowerCase());
      if (key === undefined) throw errors.invalidArgument(field, `'${value}' is not a valid value.`);
      result |= map[key];
    }
    return result;
  }
  throw errors.invalidArgument(field, `'${text(value)}' is not a valid value.`);
}

/** camelCase name of a value; flags are listed as "edit, rename" (the service's order: lowest bit first). */
export function enumName(map: EnumMap, value: number, flags = false): string {
  const exact = Object.keys(map).find((k) => map[k] === value);
  if (exact !== undefined && (!flags || value === 0 || isSingleBit(value))) return exact;
  if (!flags) return exact ?? String(value);
  const names = Object.keys(map).filter((k) => isSingleBit(map[k]) && (value & map[k]) !== 0);
  return names.join(', ');
}

function isSingleBit(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
