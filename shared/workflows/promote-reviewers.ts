import type { DevOpsConnection } from '../devops/connection';
import { IdentityResolutionError } from '../devops/identities';
import { Reviewer, resolveReviewers } from '../devops/pull-requests';
import { InputError } from '../util/errors';
import type { ReviewerInput } from './promote-inputs';

/** The reviewers input as identities, resolved before anything is committed; a name that matches no one (or several) is an input error. */
export async function resolvePromotionReviewers(conn: DevOpsConnection, reviewers: ReviewerInput[]): Promise<Reviewer[]> {
  try {
    return await resolveReviewers(conn, reviewers);
  } catch (err) {
    if (err instanceof IdentityResolutionError) throw new InputError('reviewers', err.message);
    throw err;
  }
}
