import type { Finding } from '../../manifests/finding';
import type { FieldPath, ManifestObject } from '../../manifests/model';
import { asArray, asRecord, BUILTIN, report, scalarText, type RuleContext } from './context';
import { matchesLabels, podTemplateOf } from './workloads';

/**
 * Warnings across the objects of one environment: what a Service selects and what a pod refers to, compared with
 * what the environment renders. Never errors: the object may exist in the cluster (created by hand, by another
 * Flux Kustomization, by an operator). An object without a namespace matches any namespace (Flux's
 * targetNamespace or the default one decides).
 */
export function checkCrossObject(objects: readonly ManifestObject[], minor: number): Finding[] {
  const findings: Finding[] = [];
  const rendered = { ConfigMap: new Names(), Secret: new Names(), PersistentVolumeClaim: new Names() };
  const templates = new TemplateIndex();
  for (const obj of objects) {
    const { apiVersion, kind } = obj;
    if (apiVersion === BUILTIN.core && (kind === 'ConfigMap' || kind === 'Secret' || kind === 'PersistentVolumeClaim'))
      rendered[kind].add(obj.namespace, obj.name);
    // Objects that make a Secret of the same (or the named target) name.
    else if (kind === 'SealedSecret' && apiVersion.startsWith('bitnami.com/')) rendered.Secret.add(obj.namespace, obj.name);
    else if (kind === 'ExternalSecret' && apiVersion.startsWith('external-secrets.io/')) {
      const target = asRecord(asRecord(obj.body.spec)?.target)?.name;
      rendered.Secret.add(obj.namespace, typeof target === 'string' ? target : obj.name);
    }
    const pod = podTemplateOf(obj);
    if (pod) templates.add({ namespace: obj.namespace, labels: asRecord(pod.metadata?.labels) ?? {} });
    if (apiVersion === BUILTIN.apps && kind === 'StatefulSet') {
      // Claims made from volumeClaimTemplates: <template>-<statefulset>-<ordinal>.
      for (const t of asArray(asRecord(obj.body.spec)?.volumeClaimTemplates)) {
        const name = asRecord(asRecord(t)?.metadata)?.name;
        if (typeof name === 'string') rendered.PersistentVolumeClaim.addPrefix(obj.namespace, `${name}-${obj.name}-`);
      }
    }
  }
  for (const obj of objects) {
    const ctx: RuleContext = { obj, minor, findings };
    if (obj.apiVersion === BUILTIN.core && obj.kind === 'Service') checkServiceSelects(ctx, templates);
    const pod = podTemplateOf(obj);
    if (pod) checkPodReferences(ctx, pod.spec, [...pod.path, 'spec'], rendered);
  }
  return findings;
}

class Names {
  private readonly names = new Map<string, Set<string | undefined>>();
  private readonly prefixes: { namespace?: string; prefix: string }[] = [];

  add(namespace: string | undefined, name: string): void {
    let namespaces = this.names.get(name);
    if (!namespaces) this.names.set(name, (namespaces = new Set()));
    namespaces.add(namespace);
  }

  addPrefix(namespace: string | undefined, prefix: string): void {
    this.prefixes.push({ namespace, prefix });
  }

  has(namespace: string | undefined, name: string): boolean {
    const namespaces = this.names.get(name);
    if (namespaces && (namespace === undefined || namespaces.has(undefined) || namespaces.has(namespace))) return true;
    return this.prefixes.some((p) => name.startsWith(p.prefix) && (namespace === undefined || p.namespace === undefined || p.namespace === namespace));
  }
}

interface Template {
  namespace?: string;
  labels: Record<string, unknown>;
}

/** Pod templates by each of their label pairs, so that a Service's lookup does not scan every template. */
class TemplateIndex {
  private readonly byLabel = new Map<string, Template[]>();

  add(template: Template): void {
    for (const key of Object.keys(template.labels)) {
      const pair = `${key}=${scalarText(template.labels[key]) ?? ''}`;
      let list = this.byLabel.get(pair);
      if (!list) this.byLabel.set(pair, (list = []));
      list.push(template);
    }
  }

  /** Templates carrying the selector's first pair (every match carries it). */
  candidates(selector: Record<string, unknown>): readonly Template[] {
    const key = Object.keys(selector)[0];
    return this.byLabel.get(`${key}=${scalarText(selector[key]) ?? ''}`) ?? [];
  }
}

function checkServiceSelects(ctx: RuleContext, templates: TemplateIndex): void {
  const spec = asRecord(ctx.obj.body.spec);
  const selector = asRecord(spec?.selector);
  if (!spec || !selector || Object.keys(selector).length === 0 || spec.type === 'ExternalName') return;
  const namespace = ctx.obj.namespace;
  const selects = templates
    .candidates(selector)
    .some((t) => (namespace === undefined || t.namespace === undefined || t.namespace === namespace) && matchesLabels(selector, t.labels));
  if (!selects) {
    report(
      ctx,
      'ref/service-selector',
      ['spec', 'selector'],
      'selects no pod template rendered in this environment; the Service has no endpoints unless other pods carry these labels',
      'warning',
    );
  }
}

type Rendered = Record<'ConfigMap' | 'Secret' | 'PersistentVolumeClaim', Names>;

const RULES = { ConfigMap: 'ref/config-map', Secret: 'ref/secret', PersistentVolumeClaim: 'ref/pvc' } as const;

function checkPodReferences(ctx: RuleContext, spec: Record<string, unknown>, path: FieldPath, rendered: Rendered): void {
  const refer = (kind: keyof Rendered, holder: unknown, field: string, at: FieldPath) => {
    const h = asRecord(holder);
    const name = h?.[field];
    if (typeof name !== 'string' || name === '' || h?.optional === true) return;
    if (rendered[kind].has(ctx.obj.namespace, name)) return;
    report(
      ctx,
      RULES[kind],
      [...at, field],
      `${kind} "${name}" is not rendered in this environment; the pod does not start unless it exists in the cluster`,
      'warning',
    );
  };
  asArray(spec.volumes).forEach((v, i) => {
    const volume = asRecord(v);
    if (!volume) return;
    const at: FieldPath = [...path, 'volumes', i];
    refer('ConfigMap', volume.configMap, 'name', [...at, 'configMap']);
    refer('Secret', volume.secret, 'secretName', [...at, 'secret']);
    refer('PersistentVolumeClaim', volume.persistentVolumeClaim, 'claimName', [...at, 'persistentVolumeClaim']);
    asArray(asRecord(volume.projected)?.sources).forEach((s, j) => {
      const source = asRecord(s);
      refer('ConfigMap', source?.configMap, 'name', [...at, 'projected', 'sources', j, 'configMap']);
      refer('Secret', source?.secret, 'name', [...at, 'projected', 'sources', j, 'secret']);
    });
  });
  for (const list of ['initContainers', 'containers'] as const) {
    asArray(spec[list]).forEach((c, i) => {
      const container = asRecord(c);
      if (!container) return;
      const at: FieldPath = [...path, list, i];
      asArray(container.envFrom).forEach((e, j) => {
        refer('ConfigMap', asRecord(e)?.configMapRef, 'name', [...at, 'envFrom', j, 'configMapRef']);
        refer('Secret', asRecord(e)?.secretRef, 'name', [...at, 'envFrom', j, 'secretRef']);
      });
      asArray(container.env).forEach((e, j) => {
        const from = asRecord(asRecord(e)?.valueFrom);
        if (!from) return;
        refer('ConfigMap', from.configMapKeyRef, 'name', [...at, 'env', j, 'valueFrom', 'configMapKeyRef']);
        refer('Secret', from.secretKeyRef, 'name', [...at, 'env', j, 'valueFrom', 'secretKeyRef']);
      });
    });
  }
}
