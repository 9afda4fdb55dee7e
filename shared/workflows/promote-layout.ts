import * as path from 'node:path';
import { apiGroup, ManifestObject } from '../manifests/model';
import { manifestFiles, serializeObject } from '../manifests/serialize';

import type { FolderLayout } from './folder-layout';

export { FOLDER_LAYOUTS } from './folder-layout';
export type { FolderLayout } from './folder-layout';

/**
 * The files of the environment folder: one per object (`deployment-web.yaml`), or for teams
 * keeping the reference scripts' repository one `{app}.yaml` holding every object in a stable
 * order (what each object needs first: namespaces, CRDs, RBAC, config, then workloads), so the same
 * release always gives the same bytes whatever order the renderer produced.
 */
export function environmentFiles(objects: readonly ManifestObject[], layout: FolderLayout, app: string): Map<string, string> {
  if (layout === 'filePerObject') return manifestFiles(objects);
  manifestFiles(objects); // the same objects twice is an error in either layout
  const text = stableOrder(objects)
    .map((o) => `---\n${serializeObject(o.body)}`)
    .join('');
  return new Map([[singleFileName(app), text]]);
}

/** `{app}.yaml` with the app name made safe as a file name. */
export function singleFileName(app: string): string {
  return `${app.toLowerCase().replace(/[^a-z0-9._-]+/g, '_')}.yaml`;
}

/** Kinds that others depend on first (the order Helm installs in), every other kind after them by name. */
const KIND_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export function stableOrder(objects: readonly ManifestObject[]): ManifestObject[] {
  const rank = (kind: string) => {
    const i = KIND_ORDER.indexOf(kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  const key = (o: ManifestObject) => [apiGroup(o.apiVersion), o.kind, o.namespace ?? '', o.name];
  return [...objects].sort((a, b) => {
    const byRank = rank(a.kind) - rank(b.kind);
    if (byRank !== 0) return byRank;
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}

/**
 * The substituted templates as the files of the templates folder: paths relative to the folder
 * all of them share (`helm/values.yaml`, `kustomize/base/kustomization.yaml`), as the reference
 * copies its `helm` and `kustomize` folders.
 */
export function templateFiles(substituted: ReadonlyMap<string, string>): Map<string, string> {
  const paths = [...substituted.keys()].sort();
  if (paths.length === 0) return new Map();
  let common = path.posix.dirname(paths[0]);
  for (const p of paths) while (common !== '.' && !p.startsWith(`${common}/`)) common = path.posix.dirname(common);
  return new Map(paths.map((p) => [common === '.' ? p : p.slice(common.length + 1), substituted.get(p)!]));
}
