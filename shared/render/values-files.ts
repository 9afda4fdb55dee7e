import * as path from 'node:path';

const ENVIRONMENT = '{environment}';

/**
 * A test for "is this file a values file?" from the valuesFile and helmValuesFiles patterns.
 * `{environment}` stands for any environment, not only the one being rendered: with templates in
 * `deploy/` and values in `deploy/environments/{environment}.yaml`, prod.yaml is no manifest in
 * dev either. Patterns are relative to `repoRoot` or absolute; files are absolute.
 */
export function valuesFileMatcher(repoRoot: string, patterns: readonly string[]): (file: string) => boolean {
  const expressions = patterns
    .filter((p) => p.trim() !== '')
    .map((p) => {
      const parts = path.resolve(repoRoot, p).split(ENVIRONMENT).map(escapeRegExp);
      // An environment is one path segment's worth of text.
      return new RegExp(`^${parts.join('[^/\\\\]+')}$`);
    });
  return (file) => {
    const absolute = path.resolve(file);
    return expressions.some((e) => e.test(absolute));
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
