import type { FieldPath } from '../../manifests/model';
import { asRecord, BUILTIN, report, type RuleContext } from './context';
import { invalid, isDns1035Label, isDns1123Label, isDns1123Subdomain, isLabelValue, isPathSegmentName, isQualifiedName } from './messages';

/** Which name rule each kind's objects follow (ValidateObjectMeta's nameFn per kind); every other kind: a DNS subdomain. */
function nameRule(apiVersion: string, kind: string): (name: string) => readonly string[] {
  if (apiVersion === BUILTIN.core && kind === 'Service') return isDns1035Label;
  if (apiVersion === BUILTIN.core && kind === 'Namespace') return isDns1123Label;
  if (apiVersion === BUILTIN.rbac) return isPathSegmentName;
  return isDns1123Subdomain;
}

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

/** metadata.name, metadata.namespace, labels and annotation keys of every object (custom resources too). */
export function checkMetadata(ctx: RuleContext): void {
  const metadata = asRecord(ctx.obj.body.metadata);
  if (!metadata) return;
  const name = metadata.name;
  if (typeof name === 'string') {
    const errs = nameRule(ctx.obj.apiVersion, ctx.obj.kind)(name);
    if (errs.length > 0) report(ctx, 'k8s/name', ['metadata', 'name'], invalid(name, errs.join('; ')));
    // The Job controller puts the CronJob's name plus an 11-character suffix into a label value.
    else if (ctx.obj.apiVersion === BUILTIN.batch && ctx.obj.kind === 'CronJob' && name.length > 52) {
      report(ctx, 'k8s/name', ['metadata', 'name'], invalid(name, 'must be no more than 52 characters'));
    }
  }
  const namespace = metadata.namespace;
  if (typeof namespace === 'string' && namespace !== '') {
    const errs = isDns1123Label(namespace);
    if (errs.length > 0) report(ctx, 'k8s/name', ['metadata', 'namespace'], invalid(namespace, errs.join('; ')));
  }
  checkLabelsAndAnnotations(ctx, metadata, ['metadata']);
}

/** Labels (keys and values) and annotation keys of an object's or a template's metadata. */
export function checkLabelsAndAnnotations(ctx: RuleContext, metadata: Record<string, unknown>, path: FieldPath): void {
  const labels = asRecord(metadata.labels);
  if (labels) checkLabelMap(ctx, labels, [...path, 'labels']);
  const annotations = asRecord(metadata.annotations);
  if (annotations) {
    let size = 0;
    for (const key of Object.keys(annotations)) {
      const errs = isQualifiedName(key.toLowerCase());
      if (errs.length > 0) report(ctx, 'k8s/annotation', [...path, 'annotations', key], invalid(key, errs.join('; ')));
      const value = annotations[key];
      size += key.length + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    }
    if (size > TOTAL_ANNOTATION_SIZE) {
      report(ctx, 'k8s/annotation', [...path, 'annotations'], `Too long: may not be more than ${TOTAL_ANNOTATION_SIZE} bytes`);
    }
  }
}

/** A label map (metadata labels, matchLabels, a Service's selector): qualified-name keys and label values. */
export function checkLabelMap(ctx: RuleContext, labels: Record<string, unknown>, path: FieldPath): void {
  for (const key of Object.keys(labels)) {
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length > 0) report(ctx, 'k8s/label', [...path, key], invalid(key, keyErrs.join('; ')));
    const value = labels[key];
    if (typeof value !== 'string') continue; // the schema reports a label that is not a string
    const valueErrs = isLabelValue(value);
    if (valueErrs.length > 0) report(ctx, 'k8s/label', [...path, key], invalid(value, valueErrs.join('; ')));
  }
}
