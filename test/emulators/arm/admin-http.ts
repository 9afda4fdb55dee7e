/**
 * The ARM emulator's admin API over plain HTTP on loopback (no authentication): faults on the
 * ARM, login and IMDS endpoints, Flux scenarios per cluster or configuration, forced
 * reconciliations, object failures, denials, rate limits and the request log. JSON in, JSON out;
 * test/emulators/README.md documents every route with curl examples.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultJson, faultSpecFromJson, FaultTable } from '../common/faults';
import { asJsonObject, JsonObject, optionalText, parseJson, readBody, sendJson, text } from '../common/json';
import type { FluxSimulator, ObjectFailure, ProvisioningFailure, Scenario } from '../flux/simulator';
import type { ArmService, ClusterRecord, ClusterType } from './arm';
import type { LoggedRequest } from './http';

export interface ArmAdminTarget {
  arm: ArmService;
  flux: FluxSimulator;
  faults: FaultTable;
  requests: LoggedRequest[];
  /** The fields `npm run emulators` prints. */
  info: () => Record<string, unknown>;
  addCluster(c: { name: string; type: ClusterType }): ClusterRecord;
  addFluxConfiguration(cluster: string, name: string, properties: Record<string, unknown>, state?: { provisioningState?: string; errorMessage?: string }): void;
}

/** A bad admin request: answered 400 (or the given status) with the message. */
class AdminError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The fault route names the ARM emulator gives requests (FaultSpec.route). */
export const ARM_FAULT_ROUTES = [
  'flux.list',
  'flux.get',
  'flux.put',
  'flux.patch',
  'flux.delete',
  'flux.operation',
  'groups.list',
  'resources.list',
  'arm.unknown',
  'token',
  'oidc',
  'openid-configuration',
  'instance-discovery',
  'jwks',
  'imds',
];

export function armAdminHandler(target: ArmAdminTarget) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      if (url.pathname !== '/_admin' && !url.pathname.startsWith('/_admin/'))
        throw new AdminError(`unknown admin route ${url.pathname}: the admin API is under /_admin`, 404);
      const seg = url.pathname.slice('/_admin'.length).split('/').filter(Boolean).map(decodeURIComponent);
      let body: unknown;
      try {
        body = parseJson(await readBody(req, 1024 * 1024));
      } catch (e) {
        throw new AdminError(`admin request body is not JSON: ${(e as Error).message}`);
      }
      const answer = await route(target, method, seg, url.searchParams, body);
      sendJson(res, answer.status, answer.json);
    } catch (e) {
      const status = e instanceof AdminError ? e.status : e instanceof RangeError ? 400 : 500;
      sendJson(res, status, { message: e instanceof Error ? e.message : String(e) });
    }
  };
}

async function route(t: ArmAdminTarget, method: string, seg: string[], query: URLSearchParams, body: unknown): Promise<{ status: number; json: unknown }> {
  const ok = (json: unknown = {}) => ({ status: 200, json });
  const [a, b, c, d, e] = seg;
  if (seg.length === 0 && method === 'GET') return ok({ ...t.info(), faults: t.faults.list().map(faultJson), faultRoutes: ARM_FAULT_ROUTES });

  if (a === 'faults') {
    if (seg.length === 1 && method === 'GET') return ok({ value: t.faults.list().map(faultJson) });
    if (seg.length === 1 && method === 'POST') return { status: 201, json: { id: t.faults.add(faultSpecFromJson(body)).id } };
    if (seg.length === 1 && method === 'DELETE') {
      t.faults.clear();
      return ok();
    }
    if (seg.length === 2 && method === 'DELETE') {
      if (!t.faults.cancel(Number(b))) throw new AdminError(`no fault ${b}`, 404);
      return ok();
    }
  }

  if (a === 'requests' && seg.length === 1) {
    if (method === 'DELETE') {
      t.requests.length = 0;
      return ok();
    }
    if (method === 'GET') {
      const cluster = query.get('cluster')?.toLowerCase();
      const routeName = query.get('route');
      const server = query.get('server');
      return ok({
        value: t.requests.filter(
          (r) => (!cluster || r.cluster?.toLowerCase() === cluster) && (!routeName || r.route === routeName) && (!server || r.server === server),
        ),
      });
    }
  }

  if (a === 'clusters') {
    if (seg.length === 1 && method === 'GET') return ok({ value: clusterList(t) });
    if (seg.length === 1 && method === 'POST') {
      const x = object(body, 'cluster');
      const type = text(x.type, 'connectedClusters');
      if (type !== 'connectedClusters' && type !== 'managedClusters' && type !== 'provisionedClusters')
        throw new AdminError(`cluster type '${type}' is not connectedClusters, managedClusters or provisionedClusters`);
      const record = t.addCluster({ name: requiredString(x, 'name'), type });
      return { status: 201, json: { name: record.name, type: record.type, resourceId: record.id } };
    }
    const cluster = b === '*' ? '*' : knownCluster(t, b).name;
    // /clusters/{cluster}/scenario or /clusters/{cluster}/fluxConfigurations/{name}/scenario
    const config = c === 'fluxConfigurations' ? d : undefined;
    const action = config === undefined ? c : e;
    if (config !== undefined && cluster === '*') throw new AdminError("a configuration's scenario needs a cluster name, not '*'");
    if (action === 'scenario' && seg.length === (config === undefined ? 3 : 5)) {
      if (method === 'PATCH' || method === 'PUT') t.flux.setScenario(cluster, scenarioPatch(body), config);
      else if (method !== 'GET') throw new AdminError(`${method} is not allowed on a scenario: GET or PATCH`, 405);
      return ok(t.flux.scenarioOf({ clusterName: cluster === '*' ? '' : cluster, name: config ?? '' }));
    }
    if (config !== undefined && seg.length === 5 && e === 'reconcile' && method === 'POST') return ok(await t.flux.reconcileNow(cluster, config));
    if (c === 'fluxConfigurations' && seg.length === 3 && method === 'POST') {
      const x = object(body, 'flux configuration');
      const state: { provisioningState?: string; errorMessage?: string } | undefined =
        x.state === undefined
          ? undefined
          : { provisioningState: optionalText(object(x.state, 'state').provisioningState), errorMessage: optionalText(object(x.state, 'state').errorMessage) };
      t.addFluxConfiguration(cluster, requiredString(x, 'name'), object(x.properties, 'properties'), state);
      return { status: 201, json: {} };
    }
  }

  if (a === 'object-failures' && seg.length === 1) {
    if (method === 'POST') {
      const x = object(body, 'object failure');
      const mode = optionalText(x.mode);
      if (mode !== undefined && mode !== 'apply' && mode !== 'health') throw new AdminError(`object failure mode '${mode}' is not apply or health`);
      const failure: ObjectFailure = { kind: requiredString(x, 'kind'), name: requiredString(x, 'name'), message: requiredString(x, 'message') };
      for (const k of ['cluster', 'config', 'namespace'] as const) if (x[k] !== undefined) failure[k] = requiredString(x, k);
      if (mode) failure.mode = mode;
      t.flux.failObject(failure);
      return { status: 201, json: {} };
    }
    if (method === 'DELETE') {
      t.flux.clearFailures();
      return ok();
    }
  }

  // Images that never become Ready (test double, flux/app-endpoint.ts): {"pattern":"web:3\\.0\\.0$","message":"...","cluster":"arc-nonprod"}
  if (a === 'image-failures' && seg.length === 1) {
    if (method === 'POST') {
      const x = object(body, 'image failure');
      let pattern: RegExp;
      try {
        pattern = new RegExp(requiredString(x, 'pattern'));
      } catch (err) {
        throw new AdminError(`image failure pattern: ${(err as Error).message}`);
      }
      t.flux.failImages(pattern, optionalText(x.message), x.cluster !== undefined ? requiredString(x, 'cluster') : undefined);
      return { status: 201, json: {} };
    }
    if (method === 'DELETE') {
      t.flux.clearImageFailures();
      return ok();
    }
  }

  // Scripted answers of the app endpoint: {"image":"web:3\\.0\\.0$","status":503,"body":"...","times":2}
  if (a === 'app-answers' && seg.length === 1) {
    if (method === 'POST') {
      const x = object(body, 'app answer');
      const status = x.status;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
        throw new AdminError('app answer status must be an HTTP status');
      const times = x.times;
      if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 0)) throw new AdminError('app answer times must be a count');
      t.flux.setAppAnswer({
        image: new RegExp(requiredString(x, 'image')),
        status,
        ...(x.body !== undefined ? { body: requiredString(x, 'body') } : {}),
        ...(times !== undefined ? { times } : {}),
        ...(x.cluster !== undefined ? { cluster: requiredString(x, 'cluster') } : {}),
        ...(x.namespace !== undefined ? { namespace: requiredString(x, 'namespace') } : {}),
      });
      return { status: 201, json: {} };
    }
    if (method === 'DELETE') {
      t.flux.clearAppAnswers();
      return ok();
    }
  }

  if (a === 'denials' && seg.length === 1) {
    if (method === 'POST') {
      const x = object(body, 'denial');
      const action = optionalText(x.action);
      if (action !== undefined && action !== 'read' && action !== 'write' && action !== 'delete')
        throw new AdminError(`denial action '${action}' is not read, write or delete`);
      t.arm.denied.push({
        ...(x.clientId !== undefined ? { clientId: requiredString(x, 'clientId') } : {}),
        ...(x.scope !== undefined ? { scope: requiredString(x, 'scope') } : {}),
        ...(action ? { action } : {}),
      });
      return { status: 201, json: {} };
    }
    if (method === 'DELETE') {
      t.arm.denied.splice(0);
      return ok();
    }
  }

  if (a === 'rate-limits' && (b === 'read' || b === 'write') && seg.length === 2 && method === 'PUT') {
    const x = object(body, 'rate limit');
    const capacity = Number(x.capacity);
    const refillPerSecond = Number(x.refillPerSecond);
    if (!(capacity >= 1) || !(refillPerSecond > 0)) throw new AdminError('a rate limit needs capacity >= 1 and refillPerSecond > 0');
    t.arm.setRateLimit(b, { capacity, refillPerSecond });
    return ok();
  }

  throw new AdminError(`unknown admin route ${method} /_admin/${seg.join('/')}`, 404);
}

function clusterList(t: ArmAdminTarget): unknown[] {
  return [...t.arm.clusters.values()].map((c) => ({ name: c.name, type: c.type, resourceId: c.id }));
}

function knownCluster(t: ArmAdminTarget, name: string | undefined): ClusterRecord {
  const record = [...t.arm.clusters.values()].find((c) => c.name.toLowerCase() === (name ?? '').toLowerCase());
  if (!record)
    throw new AdminError(
      `no cluster '${name ?? ''}'; clusters: ${clusterList(t)
        .map((c) => (c as { name: string }).name)
        .join(', ')}`,
      404,
    );
  return record;
}

function object(value: unknown, what: string): JsonObject {
  const o = asJsonObject(value);
  if (!o) throw new AdminError(`the ${what} must be a JSON object`);
  return o;
}

function requiredString(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new AdminError(`'${key}' must be a non-empty string`);
  return v;
}

/** A scenario patch from JSON, checked field by field (a typo must not pass silently). */
export function scenarioPatch(value: unknown): Partial<Scenario> {
  const x = object(value, 'scenario');
  const patch: Partial<Scenario> = {};
  const ms = (key: 'syncDelayMs' | 'relayLagMs' | 'syncIntervalMs', min: number) => {
    const v = x[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new AdminError(`scenario ${key} must be a number >= ${min}`);
    patch[key] = v;
  };
  for (const key of Object.keys(x)) {
    const v = x[key];
    if (key === 'syncDelayMs' || key === 'relayLagMs') ms(key, 0);
    else if (key === 'syncIntervalMs') ms(key, 1);
    else if (key === 'stalled') {
      if (typeof v !== 'boolean') throw new AdminError('scenario stalled must be true or false');
      patch.stalled = v;
    } else if (key === 'revisionFormat') {
      if (v !== 'sha1' && v !== 'legacy') throw new AdminError("scenario revisionFormat must be 'sha1' or 'legacy'");
      patch.revisionFormat = v;
    } else if (key === 'provisioningCheck') {
      if (v !== 'auto' && v !== 'always' && v !== 'never') throw new AdminError("scenario provisioningCheck must be 'auto', 'always' or 'never'");
      patch.provisioningCheck = v;
    } else if (key === 'provisioningFailure') patch.provisioningFailure = v === null ? null : provisioningFailure(v);
    else
      throw new AdminError(
        `unknown scenario field '${key}'; known: syncDelayMs, relayLagMs, stalled, revisionFormat, syncIntervalMs, provisioningCheck, provisioningFailure`,
      );
  }
  return patch;
}

function provisioningFailure(value: unknown): ProvisioningFailure {
  const x = object(value, 'provisioningFailure');
  const failure: ProvisioningFailure = {};
  for (const key of Object.keys(x)) {
    const v = x[key];
    if (key === 'code' || key === 'message') failure[key] = requiredString(x, key);
    else if (key === 'times') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new AdminError('provisioningFailure times must be a positive integer');
      failure.times = v;
    } else if (key === 'operations') {
      const ops = Array.isArray(v) ? (v as unknown[]) : [];
      if (ops.length === 0 || ops.some((o) => o !== 'create' && o !== 'update' && o !== 'delete'))
        throw new AdminError("provisioningFailure operations must be a list of 'create', 'update', 'delete'");
      failure.operations = ops as ProvisioningFailure['operations'];
    } else throw new AdminError(`unknown provisioningFailure field '${key}'; known: code, message, operations, times`);
  }
  return failure;
}
