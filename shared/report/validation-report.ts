import type { Finding } from '../manifests/finding';
import type { ObjectRef } from '../manifests/model';
import type { RendererKind } from '../render/render';

/** What rendering and validating one environment found. */
export interface EnvironmentReport {
  environment: string;
  renderer?: RendererKind;
  objects: number;
  files: number;
  /** The objects rendered, for per-object test results. */
  objectRefs: ObjectRef[];
  findings: Finding[];
  timings: Record<string, number>;
}

export interface DockerfileReport {
  file: string;
  findings: Finding[];
}

/** Every environment's and every Dockerfile's findings: what the reports (JUnit, SARIF, summary) are written from. */
export interface ValidationReport {
  environments: EnvironmentReport[];
  dockerfiles: DockerfileReport[];
}
