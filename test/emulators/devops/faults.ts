// Fault injection per route for N requests: 429 with or without Retry-After, 5xx, delays, resets.

export interface FaultSpec {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Matched against the request path and query: a RegExp, or a substring. */
  pathPattern: RegExp | string;
  /** Answer with this status (429, 500, 503, ...) instead of serving the request. */
  status?: number;
  /** With status 429/503: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** Wait this long before answering (alone: a slow but correct answer). */
  delayMs?: number;
  /** Destroy the connection without an answer. */
  reset?: boolean;
  /** How many matching requests the fault applies to. */
  count: number;
}

export interface FaultHandle {
  readonly id: number;
  /** Requests still to be faulted. */
  remaining(): number;
  /** Requests the fault has hit so far. */
  hits(): number;
  cancel(): void;
}

interface ActiveFault {
  id: number;
  spec: FaultSpec;
  remaining: number;
  hits: number;
}

export class FaultTable {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): FaultHandle {
    if (!Number.isInteger(spec.count) || spec.count < 1) throw new Error('fault count must be a positive integer');
    if (spec.status === undefined && !spec.reset && spec.delayMs === undefined) throw new Error('a fault needs a status, a delay or reset');
    const fault: ActiveFault = { id: this.nextId++, spec, remaining: spec.count, hits: 0 };
    this.faults.push(fault);
    return {
      id: fault.id,
      remaining: () => fault.remaining,
      hits: () => fault.hits,
      cancel: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes one use of the first fault matching this request, if any. */
  take(method: string, pathAndQuery: string): FaultSpec | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.spec.method && f.spec.method.toUpperCase() !== method.toUpperCase()) continue;
      const p = f.spec.pathPattern;
      const matches = typeof p === 'string' ? pathAndQuery.includes(p) : new RegExp(p.source, p.flags.replace('g', '')).test(pathAndQuery);
      if (!matches) continue;
      f.remaining--;
      f.hits++;
      if (f.remaining === 0) this.faults = this.faults.filter((x) => x !== f);
      return f.spec;
    }
    return undefined;
  }

  list(): Array<{ id: number; remaining: number; hits: number; spec: FaultSpec }> {
    return this.faults.map((f) => ({ id: f.id, remaining: f.remaining, hits: f.hits, spec: f.spec }));
  }
}
