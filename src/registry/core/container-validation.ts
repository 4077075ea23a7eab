/**
 * Per-container checks of upstream's ValidatePodSpec (pkg/apis/core/validation): ports (names, numbers,
 * protocols, host ports unique across the pod), environment variables (names as the
 * RelaxedEnvironmentVariableValidation gate on by default in 1.33 accepts them, and valueFrom's one
 * source), and probes (one handler, non-negative timings, liveness/startup successThreshold 1). Messages
 * are upstream's.
 */
import { duplicate, forbidden, invalid, notSupported, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isPlainObject } from '../../machinery/object.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** validation.IsValidPortNum. */
function portNumErrors(n: unknown): string[] {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [PORT_RANGE];
}

/** validation.IsValidPortName (IANA_SVC_NAME). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  else if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.length > 0 && (name.startsWith('-') || name.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** validateContainerPorts. */
function validatePorts(ports: unknown, path: string, errs: FieldError[]): void {
  const names = new Set<string>();
  list(ports).forEach((raw, i) => {
    const p = obj(raw);
    const pp = `${path}[${i}]`;
    if (typeof p.name === 'string' && p.name !== '') {
      const msgs = portNameErrors(p.name);
      if (msgs.length > 0) for (const m of msgs) errs.push(invalid(`${pp}.name`, p.name, m));
      else if (names.has(p.name)) errs.push(duplicate(`${pp}.name`, p.name));
      else names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === null || p.containerPort === 0) errs.push(required(`${pp}.containerPort`, ''));
    else for (const m of portNumErrors(p.containerPort)) errs.push(invalid(`${pp}.containerPort`, p.containerPort, m));
    if (p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0) for (const m of portNumErrors(p.hostPort)) errs.push(invalid(`${pp}.hostPort`, p.hostPort, m));
    if (p.protocol === undefined || p.protocol === '') errs.push(required(`${pp}.protocol`, ''));
    else if (!PROTOCOLS.includes(p.protocol as string)) errs.push(notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
  });
}

/** AccumulateUniqueHostPorts: a host port (with its IP and protocol) is used once across the pod's containers. */
export function validateHostPorts(containers: unknown[], path: string, errs: FieldError[]): void {
  const seen = new Set<string>();
  containers.forEach((raw, ci) => {
    list(obj(raw).ports).forEach((rawPort, pi) => {
      const p = obj(rawPort);
      if (typeof p.hostPort !== 'number' || p.hostPort === 0) return;
      const key = `${typeof p.hostIP === 'string' ? p.hostIP : ''}/${typeof p.protocol === 'string' ? p.protocol : ''}/${p.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(`${path}[${ci}].ports[${pi}].hostPort`, key));
      seen.add(key);
    });
  });
}

/** validation.IsRelaxedEnvVarName. */
function envNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length === 0) errs.push('environment variable name must be non-empty');
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c > 126 || c < 32 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

const ENV_SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'];

/** ValidateEnv and validateEnvVarValueFrom's structure checks. */
function validateEnv(env: unknown, path: string, errs: FieldError[]): void {
  list(env).forEach((raw, i) => {
    const e = obj(raw);
    const ep = `${path}[${i}]`;
    const name = typeof e.name === 'string' ? e.name : '';
    if (name === '') errs.push(required(`${ep}.name`, ''));
    for (const m of envNameErrors(name)) errs.push(invalid(`${ep}.name`, name, m));
    if (e.valueFrom === undefined || e.valueFrom === null) return;
    const from = obj(e.valueFrom);
    const fp = `${ep}.valueFrom`;
    const sources = ENV_SOURCES.filter((k) => from[k] !== undefined && from[k] !== null);
    for (const k of ['configMapKeyRef', 'secretKeyRef']) {
      if (!sources.includes(k)) continue;
      const ref = obj(from[k]);
      if (typeof ref.name !== 'string' || ref.name === '') errs.push(required(`${fp}.${k}.name`, ''));
      if (typeof ref.key !== 'string' || ref.key === '') errs.push(required(`${fp}.${k}.key`, ''));
    }
    if (sources.includes('fieldRef') && (typeof obj(from.fieldRef).fieldPath !== 'string' || obj(from.fieldRef).fieldPath === '')) errs.push(required(`${fp}.fieldRef.fieldPath`, ''));
    if (sources.includes('resourceFieldRef') && (typeof obj(from.resourceFieldRef).resource !== 'string' || obj(from.resourceFieldRef).resource === '')) {
      errs.push(required(`${fp}.resourceFieldRef.resource`, ''));
    }
    if (sources.length === 0) errs.push(invalid(fp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (typeof e.value === 'string' && e.value !== '') errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (sources.length > 1) errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
  });
}

/** validateHandler: exactly one handler, each well formed. */
function validateHandler(h: Obj, path: string, errs: FieldError[]): void {
  const kinds = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'].filter((k) => h[k] !== undefined && h[k] !== null);
  if (kinds.length === 0) {
    errs.push(required(path, 'must specify a handler type'));
    return;
  }
  if (kinds.length > 1) errs.push(forbidden(`${path}.${kinds[1]}`, 'may not specify more than 1 handler type'));
  const port = (p: unknown, at: string) => {
    if (typeof p === 'string') for (const m of portNameErrors(p)) errs.push(invalid(at, p, m));
    else for (const m of portNumErrors(p)) errs.push(invalid(at, p, m));
  };
  if (kinds[0] === 'exec' && list(obj(h.exec).command).length === 0) errs.push(required(`${path}.exec.command`, ''));
  if (kinds[0] === 'httpGet') {
    const g = obj(h.httpGet);
    if (typeof g.path !== 'string' || g.path === '') errs.push(required(`${path}.httpGet.path`, ''));
    port(g.port, `${path}.httpGet.port`);
    if (g.scheme !== undefined && g.scheme !== 'HTTP' && g.scheme !== 'HTTPS') errs.push(notSupported(`${path}.httpGet.scheme`, g.scheme, ['HTTP', 'HTTPS']));
  }
  if (kinds[0] === 'tcpSocket') port(obj(h.tcpSocket).port, `${path}.tcpSocket.port`);
  if (kinds[0] === 'grpc') for (const m of portNumErrors(obj(h.grpc).port)) errs.push(invalid(`${path}.grpc.port`, obj(h.grpc).port, m));
}

const NONNEGATIVE = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'];

function validateProbe(probe: unknown, path: string, errs: FieldError[]): void {
  if (probe === undefined || probe === null) return;
  const p = obj(probe);
  validateHandler(p, path, errs);
  for (const k of NONNEGATIVE) if (typeof p[k] === 'number' && (p[k] as number) < 0) errs.push(invalid(`${path}.${k}`, p[k], 'must be greater than or equal to 0'));
  if (typeof p.terminationGracePeriodSeconds === 'number' && p.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
}

/** The checks of one container (regular or init) beyond its name, image and resources. */
export function validateContainerDetails(c: Obj, path: string, init: boolean, errs: FieldError[]): void {
  validatePorts(c.ports, `${path}.ports`, errs);
  validateEnv(c.env, `${path}.env`, errs);
  if (init) return; // init containers' probes are checked by upstream's sidecar rules (restartPolicy: Always)
  validateProbe(c.livenessProbe, `${path}.livenessProbe`, errs);
  validateProbe(c.readinessProbe, `${path}.readinessProbe`, errs);
  validateProbe(c.startupProbe, `${path}.startupProbe`, errs);
  for (const k of ['livenessProbe', 'startupProbe']) {
    const p = obj(c[k]);
    if (isPlainObject(c[k]) && p.successThreshold !== undefined && p.successThreshold !== 1) errs.push(invalid(`${path}.${k}.successThreshold`, p.successThreshold, 'must be 1'));
  }
  const readiness = obj(c.readinessProbe);
  if (readiness.terminationGracePeriodSeconds !== undefined && readiness.terminationGracePeriodSeconds !== null) {
    errs.push(invalid(`${path}.readinessProbe.terminationGracePeriodSeconds`, readiness.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
}
