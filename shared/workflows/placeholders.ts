/** The names a promotion's patterns (targetFolder, promotionBranch, commitMessage) refer to. */
export interface PromotionNames {
  app: string;
  environment: string;
  release: string;
}

/**
 * Replaces `{app}`, `{environment}` and `{release}` in a pattern; a placeholder whose name is not
 * given stays as it is (so a branch pattern can be filled for the app and environment only).
 */
export function fillPlaceholders(pattern: string, names: Partial<PromotionNames>): string {
  let out = pattern;
  for (const key of ['app', 'environment', 'release'] as const) {
    const value = names[key];
    if (value !== undefined) out = out.split(`{${key}}`).join(value);
  }
  return out;
}
