import type { FieldPath } from '../../manifests/model';
import { asArray, asRecord, report, type RuleContext } from './context';
import { checkEnum, ENUMS } from './enums';
import { checkLabelMap } from './metadata';
import { duplicate, invalid, isDns1123Label, isPortName, isBadPortNumber, PORT_RANGE, REQUIRED } from './messages';

/** v1 Service (ValidateService): ports, port names, the selector's labels. (Its enums are the schema data's.) */
export function checkService(ctx: RuleContext): void {
  const spec = asRecord(ctx.obj.body.spec);
  if (!spec) return;
  if (spec.type === 'ExternalName' && (typeof spec.externalName !== 'string' || spec.externalName === '')) {
    report(ctx, 'k8s/service', ['spec', 'externalName'], REQUIRED);
  }
  const selector = asRecord(spec.selector);
  if (selector) checkLabelMap(ctx, selector, ['spec', 'selector']);

  const ports = asArray(spec.ports);
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const port = asRecord(p);
    if (!port) return;
    const at: FieldPath = ['spec', 'ports', i];
    const name = port.name;
    if (typeof name === 'string' && name !== '') {
      const errs = isDns1123Label(name);
      if (errs.length > 0) report(ctx, 'k8s/port-name', [...at, 'name'], invalid(name, errs.join('; ')));
      if (names.has(name)) report(ctx, 'k8s/duplicate-name', [...at, 'name'], duplicate(name));
      names.add(name);
    } else if (ports.length > 1) {
      report(ctx, 'k8s/port-name', [...at, 'name'], REQUIRED);
    }
    if (typeof port.port === 'number' && isBadPortNumber(port.port)) report(ctx, 'k8s/port', [...at, 'port'], invalid(port.port, PORT_RANGE));
    if (typeof port.nodePort === 'number' && port.nodePort !== 0 && isBadPortNumber(port.nodePort)) {
      report(ctx, 'k8s/port', [...at, 'nodePort'], invalid(port.nodePort, PORT_RANGE));
    }
    checkPortOrName(ctx, port.targetPort, [...at, 'targetPort']);
  });
}

/** An IntOrString port: a number in range or an IANA_SVC_NAME (ValidatePortNumOrName). */
export function checkPortOrName(ctx: RuleContext, port: unknown, path: FieldPath): void {
  if (typeof port === 'number') {
    if (port !== 0 && isBadPortNumber(port)) report(ctx, 'k8s/port', path, invalid(port, PORT_RANGE));
  } else if (typeof port === 'string') {
    const errs = isPortName(port);
    if (errs.length > 0) report(ctx, 'k8s/port-name', path, invalid(port, errs.join('; ')));
  }
}

/** networking.k8s.io/v1 Ingress: pathType and backend service ports. */
export function checkIngress(ctx: RuleContext): void {
  const spec = asRecord(ctx.obj.body.spec);
  if (!spec) return;
  const backend = (value: unknown, path: FieldPath) => {
    const port = asRecord(asRecord(asRecord(value)?.service)?.port);
    if (!port) return;
    if (typeof port.number === 'number' && isBadPortNumber(port.number))
      report(ctx, 'k8s/port', [...path, 'service', 'port', 'number'], invalid(port.number, PORT_RANGE));
    if (typeof port.name === 'string') {
      const errs = isPortName(port.name);
      if (errs.length > 0) report(ctx, 'k8s/port-name', [...path, 'service', 'port', 'name'], invalid(port.name, errs.join('; ')));
    }
  };
  backend(spec.defaultBackend, ['spec', 'defaultBackend']);
  asArray(spec.rules).forEach((r, i) => {
    asArray(asRecord(asRecord(r)?.http)?.paths).forEach((p, j) => {
      const at: FieldPath = ['spec', 'rules', i, 'http', 'paths', j];
      checkEnum(ctx, p, 'pathType', at, ENUMS.pathType);
      backend(asRecord(p)?.backend, [...at, 'backend']);
    });
  });
}

/** networking.k8s.io/v1 NetworkPolicy: the port of each rule's ports. (policyTypes and protocol: the schema data.) */
export function checkNetworkPolicy(ctx: RuleContext): void {
  const spec = asRecord(ctx.obj.body.spec);
  if (!spec) return;
  for (const direction of ['ingress', 'egress'] as const) {
    asArray(spec[direction]).forEach((rule, i) => {
      asArray(asRecord(rule)?.ports).forEach((p, j) => {
        const at: FieldPath = ['spec', direction, i, 'ports', j];
        checkPortOrName(ctx, asRecord(p)?.port, [...at, 'port']);
        const endPort = asRecord(p)?.endPort;
        if (typeof endPort === 'number' && isBadPortNumber(endPort)) report(ctx, 'k8s/port', [...at, 'endPort'], invalid(endPort, PORT_RANGE));
      });
    });
  }
}
