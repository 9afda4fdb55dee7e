import type { ObjectRef } from './model';

export type Severity = 'error' | 'warning';

/** One problem found in what the user's repository renders or contains. */
export interface Finding {
  /** Stable rule id, e.g. `schema/unknown-field`, `api/removed`, `policy/latest-tag`, `DL3007`. */
  rule: string;
  severity: Severity;
  message: string;
  /** Repository-relative file the finding points at, when known. */
  file?: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** The Kubernetes object concerned, when the finding is about one. */
  object?: ObjectRef;
}
