// Pipeline runs (builds) and their artifacts, as the Build REST API 7.1 shows them: enough for
// Builds - List (definitions, branchName, statusFilter, resultFilter, queryOrder, $top) and
// Artifacts - Get Artifact (JSON, or the files as a zip with $format=zip / Accept: application/zip).
// Tests record finished runs through the admin API (the emulator runs no pipelines).
import { randomUUID } from 'node:crypto';
import type { Organization, Project } from './model';

export interface StoredBuild {
  id: number;
  buildNumber: string;
  project: Project;
  definition: { id: number; name: string };
  sourceBranch: string;
  sourceVersion: string;
  /** BuildStatus as the JSON spells it: inProgress, completed, ... */
  status: string;
  /** BuildResult as the JSON spells it: succeeded, partiallySucceeded, failed, canceled (none while running). */
  result?: string;
  queueTime: string;
  finishTime?: string;
  /** Artifact name -> files (path inside the artifact -> content). */
  artifacts: Map<string, Map<string, Buffer>>;
}

export interface RecordBuild {
  definition: { id: number; name?: string };
  buildNumber?: string;
  sourceBranch?: string;
  sourceVersion?: string;
  status?: string;
  result?: string;
  artifacts?: Record<string, Record<string, string | Buffer>>;
}

export const BUILD_STATUSES = ['none', 'inProgress', 'completed', 'cancelling', 'postponed', 'notStarted', 'all'];
export const BUILD_RESULTS = ['none', 'succeeded', 'partiallySucceeded', 'failed', 'canceled'];
/** Enum values by number, as a client may send a filter (BuildStatus / BuildResult flags). */
export const BUILD_STATUS_VALUES: Record<string, number> = { none: 0, inProgress: 1, completed: 2, cancelling: 4, postponed: 8, notStarted: 32, all: 47 };
export const BUILD_RESULT_VALUES: Record<string, number> = { none: 0, succeeded: 2, partiallySucceeded: 4, failed: 8, canceled: 32 };

export class Builds {
  private readonly byOrg = new Map<Organization, StoredBuild[]>();
  private nextId = 100;
  private tick = 0;

  record(project: Project, run: RecordBuild): StoredBuild {
    if (run.status !== undefined && !BUILD_STATUSES.includes(run.status)) throw new Error(`unknown build status '${run.status}'`);
    if (run.result !== undefined && !BUILD_RESULTS.includes(run.result)) throw new Error(`unknown build result '${run.result}'`);
    const status = run.status ?? 'completed';
    // Strictly increasing times: "the last run" is well defined even within one millisecond.
    const time = new Date(Date.UTC(2026, 11, 1) + ++this.tick * 60_000).toISOString();
    const id = this.nextId++;
    const build: StoredBuild = {
      id,
      buildNumber: run.buildNumber ?? `20261201.${id}`,
      project,
      definition: { id: run.definition.id, name: run.definition.name ?? `definition-${run.definition.id}` },
      sourceBranch: run.sourceBranch ?? 'refs/heads/main',
      sourceVersion: run.sourceVersion ?? randomUUID().replace(/-/g, '').padEnd(40, '0').slice(0, 40),
      status,
      result: status === 'completed' ? (run.result ?? 'succeeded') : undefined,
      queueTime: time,
      finishTime: status === 'completed' ? time : undefined,
      artifacts: new Map(
        Object.entries(run.artifacts ?? {}).map(([name, files]) => [
          name,
          new Map(Object.entries(files).map(([p, c]) => [p.replace(/\\/g, '/').replace(/^\/+/, ''), Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8')])),
        ]),
      ),
    };
    const list = this.byOrg.get(project.org) ?? [];
    list.push(build);
    this.byOrg.set(project.org, list);
    return build;
  }

  of(project: Project): StoredBuild[] {
    return (this.byOrg.get(project.org) ?? []).filter((b) => b.project === project);
  }
}
