/**
 * Evaluates a task.json dataSourceBinding as the Azure DevOps service does for the classic
 * editor's pick lists, so a test can show the list a user would see:
 * - `$(input)` macros in `endpointId`, `endpointUrl` and `parameters` take the values of the task's
 *   other inputs; a binding whose macros are not all filled is not called (the editor waits for
 *   those inputs). The editor sends only task inputs: a macro naming anything else (a variable such
 *   as `$(System.TeamProject)`) reaches the service unfilled, so it is an error here; the service
 *   itself offers `{{system.teamProject}}` (the editor's project) to the templates, as VsTest@2's
 *   test plan binding uses it;
 * - `endpointUrl` is a Mustache template over `endpoint.url` (and `endpoint.subscriptionId` for an
 *   AzureRM connection), `system.teamProject`, the parameters (under their own names and under the
 *   names of the inputs they come from, as the editor sends both) and the paging context; templates
 *   are not HTML-escaped;
 * - `resultSelector` (`jsonpath:...`) picks the items from the JSON answer; `resultTemplate` renders
 *   each one, a `{ "Value": ..., "DisplayValue": ... }` JSON object or plain text; the editor keeps
 *   its options in a map keyed by Value, so a value listed twice shows once (in its first place, with
 *   its last DisplayValue);
 * - one binding per input: the editor gives an input the last binding whose `target` names it, so a
 *   second binding for the same target replaces the first rather than adding a fallback
 *   (`bindingFor`);
 * - paging: `initialContextTemplate` gives the first context; after each answer
 *   `callbackRequiredTemplate` (over `result` = the answer body and `headers`) says whether to call
 *   again, with the context `callbackContextTemplate` renders; at most 5 calls (the service's limit).
 * JSONPath and Mustache come from maintained libraries (jsonpath-plus, mustache), not our own code.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { JSONPath } from 'jsonpath-plus';
import Mustache from 'mustache';

export interface DataSourceBinding {
  target: string;
  endpointId: string;
  endpointUrl?: string;
  dataSourceName?: string;
  parameters?: Record<string, string>;
  resultSelector?: string;
  resultTemplate?: string;
  initialContextTemplate?: string;
  callbackContextTemplate?: string;
  callbackRequiredTemplate?: string;
}

/** A service connection as the service sees it: its URL, data and the Authorization header it sends. */
export interface BindingEndpoint {
  url: string;
  subscriptionId?: string;
  authorization: string;
  /** CA certificate to trust for an https URL (the emulators' self-signed one). */
  ca?: string;
}

export interface BindingContext {
  /** Connections by id: an AzureRM connection's id (the value of its input) and `tfs:teamfoundation`. */
  endpoints: Record<string, BindingEndpoint>;
  /** The task's input values as set in the editor. */
  inputs: Record<string, string>;
  /** The project the editor is open in: `{{system.teamProject}}` of the templates. */
  teamProject?: string;
}

export interface PickListEntry {
  value: string;
  displayValue: string;
}

export interface BindingResult {
  /** undefined: not called, because an input it depends on is empty. */
  items?: PickListEntry[];
  /** The URLs called, in order. */
  calls: string[];
}

export const MAX_CALLS = 5;
const noEscape = { escape: (s: string) => s };

function render(template: string, view: unknown): string {
  return Mustache.render(template, view, {}, noEscape);
}

/**
 * `$(name)` macros filled from the task's inputs; undefined when one of them is empty. `taskInputs`
 * names the inputs the task declares: a macro naming anything else is an error (see above).
 */
export function fillMacros(text: string, ctx: BindingContext, taskInputs?: ReadonlySet<string>, used?: Record<string, string>): string | undefined {
  let missing = false;
  const out = text.replace(/\$\(([^)]+)\)/g, (_, name: string) => {
    if (taskInputs && !taskInputs.has(name))
      throw new Error(`$(${name}) is not an input of the task: the editor sends only input values (use {{system.teamProject}} for the project)`);
    const value = (ctx.inputs[name] ?? '').trim();
    if (value === '') missing = true;
    else if (used) used[name] = value;
    return value;
  });
  return missing ? undefined : out;
}

/** The binding the editor uses for an input: the last one whose target names it. */
export function bindingFor(bindings: readonly DataSourceBinding[], target: string): DataSourceBinding | undefined {
  return bindings.filter((b) => b.target === target).at(-1);
}

/** `taskInputs`: the names of the task's inputs, to reject macros the editor would not fill. */
export async function evaluateBinding(binding: DataSourceBinding, ctx: BindingContext, taskInputs?: ReadonlySet<string>): Promise<BindingResult> {
  if (binding.dataSourceName)
    throw new Error(`${binding.target}: named data sources (${binding.dataSourceName}) are the service's own and cannot be evaluated here`);
  if (!binding.endpointUrl || !binding.resultSelector) throw new Error(`${binding.target}: endpointUrl and resultSelector are needed`);
  const sent: Record<string, string> = {};
  const endpointId = fillMacros(binding.endpointId, ctx, taskInputs);
  if (endpointId === undefined) return { calls: [] };
  const endpoint = ctx.endpoints[endpointId];
  if (!endpoint) throw new Error(`${binding.target}: no endpoint ${endpointId}`);
  const urlTemplate = fillMacros(binding.endpointUrl, ctx, taskInputs, sent);
  const parameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(binding.parameters ?? {})) {
    const filled = fillMacros(v, ctx, taskInputs, sent);
    if (filled === undefined) return { calls: [] };
    parameters[k] = filled;
  }
  if (urlTemplate === undefined) return { calls: [] };
  Object.assign(parameters, { ...sent, ...parameters });
  const selector = /^jsonpath:(.+)$/.exec(binding.resultSelector)?.[1];
  if (!selector) throw new Error(`${binding.target}: resultSelector must be jsonpath:...`);

  const endpointView = { url: endpoint.url, subscriptionId: endpoint.subscriptionId };
  const system = { teamProject: ctx.teamProject ?? '' };
  let context: Record<string, unknown> = binding.initialContextTemplate
    ? (JSON.parse(render(binding.initialContextTemplate, { endpoint: endpointView, system, ...parameters })) as Record<string, unknown>)
    : {};
  const items: PickListEntry[] = [];
  const calls: string[] = [];
  for (;;) {
    const url = render(urlTemplate, { endpoint: endpointView, system, ...parameters, ...context });
    calls.push(url);
    const answer = await getJson(url, endpoint);
    if (answer.status !== 200) throw new Error(`${binding.target}: GET ${url} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const selected = JSONPath<unknown[]>({ path: selector, json: answer.body as object, wrap: true });
    for (const item of selected) {
      const entry = entryOf(render(binding.resultTemplate ?? '{{{.}}}', item));
      const seen = items.find((i) => i.value === entry.value);
      if (seen) seen.displayValue = entry.displayValue;
      else items.push(entry);
    }
    if (!binding.callbackRequiredTemplate || !binding.callbackContextTemplate) break;
    const view = { result: answer.body, headers: answer.headers, ...context };
    if (render(binding.callbackRequiredTemplate, view).trim().toLowerCase() !== 'true') break;
    if (calls.length >= MAX_CALLS) break;
    context = { ...context, ...(JSON.parse(render(binding.callbackContextTemplate, view)) as Record<string, unknown>) };
  }
  return { items, calls };
}

function entryOf(rendered: string): PickListEntry {
  const text = rendered.trim();
  if (text.startsWith('{')) {
    const o = JSON.parse(text) as { Value?: string; DisplayValue?: string };
    return { value: o.Value ?? '', displayValue: o.DisplayValue ?? o.Value ?? '' };
  }
  return { value: text, displayValue: text };
}

function getJson(url: string, endpoint: BindingEndpoint): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
  const u = new URL(url);
  const get = u.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(u, { headers: { Authorization: endpoint.authorization, Accept: 'application/json' }, ca: endpoint.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, headers });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text, headers });
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
