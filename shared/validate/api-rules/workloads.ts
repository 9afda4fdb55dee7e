import type { FieldPath, ManifestObject } from '../../manifests/model';
import { asArray, asRecord, BUILTIN, report, scalarText, type RuleContext } from './context';
import { checkSchedule } from './cron';
import { checkEnum, ENUMS } from './enums';
import { checkLabelMap, checkLabelsAndAnnotations } from './metadata';
import { invalid, REQUIRED } from './messages';
import { checkPodSpec } from './pod-spec';

export interface PodTemplate {
  /** Path of the template (its `metadata` and `spec` are below), or of the Pod itself. */
  path: FieldPath;
  metadata: Record<string, unknown> | undefined;
  spec: Record<string, unknown>;
  /** restartPolicy values the owner allows. */
  restartPolicies: readonly string[];
}

const ALWAYS = ['Always'];
const JOB_RESTART = ['OnFailure', 'Never'];

/** The pod template of a built-in workload (or the Pod itself), if the object has one. */
export function podTemplateOf(obj: ManifestObject): PodTemplate | undefined {
  const body = obj.body;
  const spec = asRecord(body.spec);
  switch (`${obj.apiVersion} ${obj.kind}`) {
    case 'v1 Pod':
      return spec && { path: [], metadata: asRecord(body.metadata), spec, restartPolicies: ENUMS.podRestartPolicy };
    case 'v1 PodTemplate':
      return template(asRecord(body.template), ['template'], ENUMS.podRestartPolicy);
    case 'v1 ReplicationController':
    case 'apps/v1 Deployment':
    case 'apps/v1 ReplicaSet':
    case 'apps/v1 StatefulSet':
    case 'apps/v1 DaemonSet':
      return template(asRecord(spec?.template), ['spec', 'template'], ALWAYS);
    case 'batch/v1 Job':
      return template(asRecord(spec?.template), ['spec', 'template'], JOB_RESTART);
    case 'batch/v1 CronJob':
      return template(asRecord(asRecord(asRecord(spec?.jobTemplate)?.spec)?.template), ['spec', 'jobTemplate', 'spec', 'template'], JOB_RESTART);
    default:
      return undefined;
  }
}

function template(value: Record<string, unknown> | undefined, path: FieldPath, restartPolicies: readonly string[]): PodTemplate | undefined {
  const spec = asRecord(value?.spec);
  return spec && { path, metadata: asRecord(value?.metadata), spec, restartPolicies };
}

/** Pod templates: labels and annotations of the template, then the pod spec. */
export function checkPodTemplate(ctx: RuleContext): void {
  const pod = podTemplateOf(ctx.obj);
  if (!pod) return;
  // A Pod's own metadata is checked with every object's.
  if (pod.path.length > 0 && pod.metadata) checkLabelsAndAnnotations(ctx, pod.metadata, [...pod.path, 'metadata']);
  const claimTemplates =
    ctx.obj.apiVersion === BUILTIN.apps && ctx.obj.kind === 'StatefulSet'
      ? asArray(asRecord(ctx.obj.body.spec)?.volumeClaimTemplates)
          .map((t) => asRecord(asRecord(t)?.metadata)?.name)
          .filter((n): n is string => typeof n === 'string')
      : [];
  checkPodSpec(ctx, pod.spec, [...pod.path, 'spec'], pod.restartPolicies, claimTemplates);
}

/**
 * A workload's selector must select its own template's labels (`selector` does not match template `labels`):
 * Deployment, ReplicaSet, StatefulSet, DaemonSet (apps/v1 requires the selector), ReplicationController, and a
 * Job whose selector is written by hand (manualSelector: true).
 */
export function checkSelector(ctx: RuleContext): void {
  const { obj } = ctx;
  const spec = asRecord(obj.body.spec);
  if (!spec) return;
  const templateLabels = asRecord(asRecord(asRecord(spec.template)?.metadata)?.labels) ?? {};
  const labelsPath: FieldPath = ['spec', 'template', 'metadata', 'labels'];
  const key = `${obj.apiVersion} ${obj.kind}`;
  if (key === 'v1 ReplicationController') {
    const selector = asRecord(spec.selector);
    if (!selector || Object.keys(selector).length === 0) return; // defaults to the template's labels
    checkLabelMap(ctx, selector, ['spec', 'selector']);
    if (asRecord(spec.template) && !matchesLabels(selector, templateLabels))
      report(ctx, 'k8s/selector', labelsPath, invalid(templateLabels, '`selector` does not match template `labels`'));
    return;
  }
  const isApps = obj.apiVersion === BUILTIN.apps && ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(obj.kind);
  const isManualJob = key === 'batch/v1 Job' && spec.manualSelector === true;
  if (!isApps && !isManualJob) return;
  const selector = asRecord(spec.selector);
  if (!selector) {
    // apps/v1 lists selector as required: the schema says so. A manual Job: the API server's own wording.
    if (isManualJob) report(ctx, 'k8s/selector', ['spec', 'selector'], REQUIRED);
    return;
  }
  const matchLabels = asRecord(selector.matchLabels);
  if (matchLabels) checkLabelMap(ctx, matchLabels, ['spec', 'selector', 'matchLabels']);
  const expressions = asArray(selector.matchExpressions);
  expressions.forEach((e, i) => checkEnum(ctx, e, 'operator', ['spec', 'selector', 'matchExpressions', i], ENUMS.selectorOperator));
  if ((!matchLabels || Object.keys(matchLabels).length === 0) && expressions.length === 0) {
    report(ctx, 'k8s/selector', ['spec', 'selector'], invalid(selector, `empty selector is invalid for ${obj.kind.toLowerCase()}`));
    return;
  }
  if (!asRecord(spec.template)) return;
  if (!selectorMatches(selector, templateLabels))
    report(ctx, 'k8s/selector', labelsPath, invalid(templateLabels, '`selector` does not match template `labels`'));
}

/** Every key/value of a plain selector map is among the labels. */
export function matchesLabels(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  return Object.keys(selector).every((k) => {
    const value = scalarText(labels[k]);
    return value !== undefined && value === scalarText(selector[k]);
  });
}

/** metav1.LabelSelector semantics: every matchLabels pair and every matchExpressions requirement. */
export function selectorMatches(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  const matchLabels = asRecord(selector.matchLabels);
  if (matchLabels && !matchesLabels(matchLabels, labels)) return false;
  for (const e of asArray(selector.matchExpressions)) {
    const expression = asRecord(e);
    if (!expression || typeof expression.key !== 'string') continue;
    const value = scalarText(labels[expression.key]);
    const has = value !== undefined;
    const values = asArray(expression.values).map(scalarText);
    switch (expression.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * A CronJob's schedule. (The strategy and policy enums of the workload kinds, and their claim templates' accessModes,
 * are the schema data's.)
 */
export function checkWorkloadSpec(ctx: RuleContext): void {
  const spec = asRecord(ctx.obj.body.spec);
  if (!spec) return;
  switch (`${ctx.obj.apiVersion} ${ctx.obj.kind}`) {
    case 'batch/v1 CronJob': {
      const schedule = spec.schedule;
      if (typeof schedule === 'string') {
        const errs = checkSchedule(schedule);
        if (errs.length > 0) report(ctx, 'k8s/cron-schedule', ['spec', 'schedule'], invalid(schedule, errs.join('; ')));
      }
      return;
    }
  }
}
