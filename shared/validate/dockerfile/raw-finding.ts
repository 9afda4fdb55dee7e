import type { Severity } from '../../manifests/finding';

/** A finding before suppression / severity overrides; `owner` is the 0-based first line of its instruction. */
export interface RawFinding {
  rule: string;
  severity: Severity;
  message: string;
  line: number; // 0-based
  column: number; // 0-based
  owner?: number;
}
