/** How GitOpsCiPublish@1 tags images (tags.ts computes the tags). */
export const TAG_STRATEGIES = ['content', 'buildNumber', 'fixed'] as const;
export type TagStrategy = (typeof TAG_STRATEGIES)[number];
