/**
 * The hidden marker a promotion writes at the top of its pull request's description: which app,
 * environment and folder the PR promotes. A later run adopts (or supersedes) a PR only when the
 * marker says it is the same promotion, whatever the branch is called. Markdown hides the comment;
 * values are URI-encoded, so no name can end the comment or forge another field.
 */
export interface PromotionIdentity {
  app: string;
  environment: string;
  /** The environment folder, normalized (no leading or trailing "/"). */
  folder: string;
}

const MARKER = /^<!-- gitops-flow-promotion app=(\S*) environment=(\S*) folder=(\S*) -->$/m;

export function promotionMarker(id: PromotionIdentity): string {
  return `<!-- gitops-flow-promotion app=${encodeURIComponent(id.app)} environment=${encodeURIComponent(id.environment)} folder=${encodeURIComponent(id.folder)} -->`;
}

/** The marker in a PR description; undefined when there is none (a PR not opened by GitOpsPromote, or by a version before markers). */
export function readPromotionMarker(description: string): PromotionIdentity | undefined {
  const m = MARKER.exec(description);
  if (!m) return undefined;
  try {
    return { app: decodeURIComponent(m[1]), environment: decodeURIComponent(m[2]), folder: decodeURIComponent(m[3]) };
  } catch {
    return undefined;
  }
}

export function samePromotion(a: PromotionIdentity, b: PromotionIdentity): boolean {
  return a.app === b.app && a.environment === b.environment && a.folder === b.folder;
}

/** "web to dev in /apps/dev/web". */
export function describePromotion(id: PromotionIdentity): string {
  return `${id.app} to ${id.environment} in /${id.folder}`;
}
