import type { ToolRunner } from '../render/tools';
import { InputError } from '../util/errors';
import { GitHistory } from './git-history';
import { ImageSpec, ImageVariableSuffix, imageVariable } from './image-list';
import { isValidTag } from './reference';
import type { TagStrategy } from './tag-strategy';

export { TAG_STRATEGIES } from './tag-strategy';
export type { TagStrategy } from './tag-strategy';

export interface TagRequest {
  repoRoot: string;
  strategy: TagStrategy;
  /** Build.BuildNumber, for the buildNumber strategy. */
  buildNumber?: string;
  /** The `tag` input, for the fixed strategy. */
  fixedTag?: string;
  tools: ToolRunner;
  /** Images of the previous release (name -> reference), to tell whether a tag is new. */
  previous?: ReadonlyMap<string, string>;
  onWarning?: (message: string) => void;
}

/** An image with its computed tag. */
export interface TaggedImage extends ImageSpec {
  tag: string;
  strategy: TagStrategy;
  /** The commit the content tag names (content strategy only). */
  contentCommit?: string;
  /** `repository:tag`. */
  reference: string;
  /**
   * False only when the previous release holds exactly this reference for this image, i.e. it
   * was published before; true otherwise (also when no previous release is known).
   */
  isNew: boolean;
}

/**
 * Computes each image's tag:
 * - content: the id of the last commit that touched the image's source paths (unchanged code keeps its tag),
 * - buildNumber: Build.BuildNumber,
 * - fixed: the given tag.
 */
export async function tagImages(images: ImageSpec[], request: TagRequest): Promise<TaggedImage[]> {
  if (images.length === 0) return [];
  let fixed: string | undefined;
  if (request.strategy === 'buildNumber') {
    fixed = request.buildNumber ?? '';
    if (!isValidTag(fixed)) {
      throw new InputError(
        'tagStrategy',
        `the build number "${fixed}" (Build.BuildNumber) is not a valid image tag (letters, digits, _, . and -, at most 128, not starting with . or -); set the pipeline's run number format (name:) accordingly or use another tag strategy`,
      );
    }
  } else if (request.strategy === 'fixed') {
    fixed = request.fixedTag ?? '';
    if (fixed === '') throw new InputError('tag', 'is required with tagStrategy fixed');
    if (!isValidTag(fixed))
      throw new InputError('tag', `"${fixed}" is not a valid image tag (letters, digits, _, . and -, at most 128, not starting with . or -)`);
  }
  const history =
    request.strategy === 'content' ? await GitHistory.open(request.tools, request.repoRoot, 'compute content tags (tagStrategy content)') : undefined;
  const out: TaggedImage[] = [];
  for (const image of images) {
    let tag = fixed ?? '';
    let contentCommit: string | undefined;
    if (history) {
      const where = `line ${image.line}, image "${image.name}"`;
      contentCommit = await history.lastCommitTouching(image.paths, where, 'images');
      tag = contentCommit;
      const modified = await history.modifiedFiles(image.paths);
      if (modified.length > 0) {
        request.onWarning?.(
          `Image "${image.name}": ${modified.length} tracked file(s) under its source paths differ from the commit (${modified.slice(0, 5).join(', ')}${modified.length > 5 ? ', ...' : ''}); its content tag ${tag} names the committed content, not these changes`,
        );
      }
    }
    const reference = `${image.repository.name}:${tag}`;
    const isNew = request.previous?.get(image.name) !== reference;
    out.push({ ...image, tag, strategy: request.strategy, ...(contentCommit ? { contentCommit } : {}), reference, isNew });
  }
  return out;
}

/** The variables an image defines: NAME_IMAGE (repository), NAME_TAG, NAME_REF (repository:tag), NAME_REPOSITORY (path in the registry). */
export function imageVariables(images: TaggedImage[]): Map<string, string> {
  const vars = new Map<string, string>();
  for (const image of images) {
    const values: Record<ImageVariableSuffix, string> = {
      IMAGE: image.repository.name,
      TAG: image.tag,
      REF: image.reference,
      REPOSITORY: image.repository.path,
    };
    for (const [suffix, value] of Object.entries(values) as [ImageVariableSuffix, string][]) vars.set(imageVariable(image, suffix), value);
  }
  return vars;
}
