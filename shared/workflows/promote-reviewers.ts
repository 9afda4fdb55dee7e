import type { DevOpsConnection } from '../devops/connection';
import type { Reviewer } from '../devops/pull-requests';
import type { Repository } from '../devops/repository';
import { InputError } from '../util/errors';
import type { ReviewerInput } from './promote-inputs';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reviewers input as identities, resolved before anything is committed. */
export async function resolvePromotionReviewers(_conn: DevOpsConnection, _repo: Repository, reviewers: ReviewerInput[]): Promise<Reviewer[]> {
  return reviewers.map((r) => {
    if (!GUID.test(r.name)) throw new InputError('reviewers', `"${r.name}" is not an identity id`);
    return { id: r.name, required: r.required };
  });
}
