/**
 * The simulated kustomize-controller build: `kubectl kustomize` when the path has a
 * kustomization file, else every YAML file under the path (what Flux generates for plain folders);
 * then postBuild substitution (`${VAR}`, `${VAR:=default}`, `${VAR:-default}`; unset -> empty, as
 * Flux does) and the checks the apply would make (kind, name, namespace of namespaced kinds,
 * duplicates).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export type BuildResult = { ok: true; objects: KubeObject[] } | { ok: false; reason: 'BuildFailed' | 'ReconciliationFailed'; message: string };

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Kinds without a namespace (the common ones a GitOps repository carries). */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'PersistentVolume',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'RuntimeClass',
  'CSIDriver',
  'Node',
  'ClusterIssuer',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

export function objectKey(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function objectRef(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

function run(tool: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tool, args, { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? 1 : 0, stdout: String(stdout), stderr: String(stderr || (error ? error.message : '')) });
    });
  });
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/i.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

export function substitute(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[=-])([^}]*))?\}/g, (_m, name: string, op: string | undefined, fallback: string | undefined) => {
    const value = variables[name];
    if (op === undefined) return value ?? '';
    const unsetOrEmpty = value === undefined || (op.startsWith(':') && value === '');
    return unsetOrEmpty ? (fallback ?? '') : value;
  });
}

export async function buildKustomization(
  treeRoot: string,
  kustomizationPath: string,
  options: { kubectl: string; substitute?: Record<string, string>; targetNamespace?: string },
): Promise<BuildResult> {
  const relative = kustomizationPath.replace(/^\.?\/+/, '');
  const dir = path.resolve(treeRoot, relative);
  if (dir !== treeRoot && !dir.startsWith(treeRoot + path.sep)) {
    return { ok: false, reason: 'BuildFailed', message: `kustomization path '${kustomizationPath}' is outside the source` };
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return {
      ok: false,
      reason: 'ReconciliationFailed',
      message: `kustomization path not found: stat ${dir.slice(treeRoot.length) || '/'}: no such file or directory`,
    };
  }
  let text: string;
  if (KUSTOMIZATION_FILES.some((f) => fs.existsSync(path.join(dir, f)))) {
    const r = await run(options.kubectl, ['kustomize', dir]);
    if (r.code !== 0) return { ok: false, reason: 'BuildFailed', message: `kustomize build failed: ${r.stderr.trim().split(treeRoot).join('')}` };
    text = r.stdout;
  } else {
    text = yamlFiles(dir)
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n---\n');
  }
  if (options.substitute) text = substitute(text, options.substitute);
  const objects: KubeObject[] = [];
  const seen = new Set<string>();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) return { ok: false, reason: 'BuildFailed', message: `kustomize build failed: ${doc.errors[0].message}` };
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      return { ok: false, reason: 'BuildFailed', message: 'kustomize build failed: a document is not a Kubernetes object' };
    const o = value as Partial<KubeObject>;
    if (!o.apiVersion || !o.kind)
      return { ok: false, reason: 'BuildFailed', message: `kustomize build failed: missing apiVersion or kind in ${JSON.stringify(o).slice(0, 80)}` };
    if (!o.metadata || typeof o.metadata.name !== 'string' || o.metadata.name === '') {
      return { ok: false, reason: 'BuildFailed', message: `kustomize build failed: ${o.kind} has no metadata.name` };
    }
    const object = o as KubeObject;
    if (options.targetNamespace && !CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = options.targetNamespace;
    if (!CLUSTER_SCOPED.has(object.kind) && !object.metadata.namespace) {
      return {
        ok: false,
        reason: 'ReconciliationFailed',
        message: `${object.kind}/${object.metadata.name} namespace not specified: the server could not find the requested resource`,
      };
    }
    if (CLUSTER_SCOPED.has(object.kind)) delete object.metadata.namespace;
    const key = objectKey(object);
    if (seen.has(key))
      return { ok: false, reason: 'BuildFailed', message: `kustomize build failed: may not add resource with an already registered id: ${objectRef(object)}` };
    seen.add(key);
    objects.push(object);
  }
  return { ok: true, objects };
}
