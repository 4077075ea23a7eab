import { duplicate, invalid, notSupported, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isDNS1123Label } from '../../machinery/names.js';
import { isPlainObject } from '../../machinery/object.js';
import { parseQuantity } from '../../machinery/quantity.js';
import { validateResourceRequirements } from './resource-requirements.js';
import { validateContainerDetails, validateHostPorts } from './container-validation.js';

/**
 * Pod spec defaults and the common validation, shared by pods and every kind with a pod template
 * (upstream pkg/apis/core/v1/defaults.go SetDefaults_PodSpec/Container/ContainerPort and
 * pkg/apis/core/validation ValidatePodSpec, the checks people trip over).
 */

type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** The object at `parent[key]`, created (as {}) when missing. */
export function child(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const o: Obj = {};
  parent[key] = o;
  return o;
}

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

/** An image without a tag (or digest) or tagged :latest is pulled Always, others IfNotPresent. */
function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tail = image.slice(lastSlash + 1);
  const colon = tail.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return tail.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Obj): void {
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isPlainObject(p)) setDefault(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = obj(c[probe]);
    if (!pr) continue;
    setDefault(pr, 'timeoutSeconds', 1);
    setDefault(pr, 'periodSeconds', 10);
    setDefault(pr, 'successThreshold', 1);
    setDefault(pr, 'failureThreshold', 3);
    const http = obj(pr.httpGet);
    if (http) {
      setDefault(http, 'path', '/');
      setDefault(http, 'scheme', 'HTTP');
    }
  }
}

/** SetDefaults_PodSpec and the container defaults (for pods and templates alike). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  if (!isPlainObject(spec.securityContext)) spec.securityContext = {};
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isPlainObject(c)) defaultContainer(c);
  }
}

/** Defaults of a pod template: its spec. */
export function defaultPodTemplate(template: unknown): void {
  const t = obj(template);
  if (!t) return;
  defaultPodSpec(child(t, 'spec'));
}

function validateContainers(list: unknown, field: string, names: Set<string>, errs: FieldError[], needOne: boolean): void {
  const cs = Array.isArray(list) ? list : [];
  if (needOne && cs.length === 0) {
    errs.push(required(field, ''));
    return;
  }
  cs.forEach((raw, i) => {
    const path = `${field}[${i}]`;
    const c = obj(raw) ?? {};
    const name = typeof c.name === 'string' ? c.name : '';
    if (name === '') errs.push(required(`${path}.name`, ''));
    else {
      for (const msg of isDNS1123Label(name)) errs.push(invalid(`${path}.name`, name, msg));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      names.add(name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') errs.push(required(`${path}.image`, ''));
    validateContainerDetails(c, path, field.endsWith('initContainers'), errs);
    errs.push(...validateResourceRequirements(c.resources, `${path}.resources`));
  });
}

const RESTART_POLICIES = ['Always', 'Never', 'OnFailure'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

/** ValidatePodSpec, the common checks: containers with names and images, unique names, ports, policies. */
export function validatePodSpec(spec: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const s = obj(spec) ?? {};
  const names = new Set<string>();
  validateContainers(s.containers, `${field}.containers`, names, errs, true);
  validateContainers(s.initContainers, `${field}.initContainers`, names, errs, false);
  validateHostPorts(Array.isArray(s.containers) ? s.containers : [], `${field}.containers`, errs);
  if (s.restartPolicy !== undefined && !RESTART_POLICIES.includes(s.restartPolicy as string)) {
    errs.push(notSupported(`${field}.restartPolicy`, s.restartPolicy, RESTART_POLICIES));
  }
  if (s.dnsPolicy !== undefined && !DNS_POLICIES.includes(s.dnsPolicy as string)) {
    errs.push(notSupported(`${field}.dnsPolicy`, s.dnsPolicy, DNS_POLICIES));
  }
  if (s.overhead !== undefined && s.overhead !== null) errs.push(...validateResourceRequirements({ limits: s.overhead }, `${field}.overhead`));
  if (typeof s.terminationGracePeriodSeconds === 'number' && s.terminationGracePeriodSeconds < 0) {
    errs.push(invalid(`${field}.terminationGracePeriodSeconds`, s.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  return errs;
}

function sameQuantity(a: unknown, b: unknown): boolean {
  try {
    return parseQuantity(String(a)).cmp(parseQuantity(String(b))) === 0;
  } catch {
    return String(a) === String(b);
  }
}

/** The pod's QoS class from its containers' requests and limits (pkg/apis/core/helper/qos). */
export function qosClass(spec: Obj): string {
  const containers = [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])];
  let any = false;
  let guaranteed = true;
  for (const raw of containers) {
    const res = obj(obj(raw)?.resources) ?? {};
    const requests = obj(res.requests) ?? {};
    const limits = obj(res.limits) ?? {};
    const relevant = (m: Obj) => Object.keys(m).filter((k) => k === 'cpu' || k === 'memory');
    if (relevant(requests).length > 0 || relevant(limits).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined) guaranteed = false;
      else if (requests[r] !== undefined && !sameQuantity(requests[r], limits[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
