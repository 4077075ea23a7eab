/**
 * autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler, as upstream's pkg/apis/autoscaling/v1
 * conversion does it. v1 holds only a CPU utilization target and its current value; everything else v2
 * has travels in annotations so a v1 client that reads and writes back loses nothing:
 *   autoscaling.alpha.kubernetes.io/metrics          the other metric specs, as v1 MetricSpecs
 *   autoscaling.alpha.kubernetes.io/current-metrics  every current metric, as v1 MetricStatuses
 *   autoscaling.alpha.kubernetes.io/conditions       the conditions
 *   autoscaling.alpha.kubernetes.io/behavior         spec.behavior, as upstream's internal Go struct
 *                                                   marshals it (Go field names: ScaleUp, Policies, ...)
 * Reading v1 consumes these annotations; the stored (v2) object never keeps them.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { badRequest } from '../../machinery/status.js';

type Obj = Record<string, unknown>;

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const TOLERANCE_ANNOTATIONS = ['autoscaling.alpha.kubernetes.io/scale-down-tolerance', 'autoscaling.alpha.kubernetes.io/scale-up-tolerance'];
const ROUND_TRIP = [METRIC_SPECS_ANNOTATION, BEHAVIOR_ANNOTATION, ...TOLERANCE_ANNOTATIONS, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION];
export const DEFAULT_CPU_UTILIZATION = 80;

const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const has = (o: Obj, k: string) => o[k] !== undefined && o[k] !== null;
/** A non-pointer resource.Quantity of Go: the zero value marshals as "0". */
const quantity = (o: Obj, k: string) => (has(o, k) ? o[k] : '0');

/** Builds an object from [key, value] pairs, leaving out undefined values (Go's omitempty of nil). */
function build(pairs: [string, unknown][]): Obj {
  const out: Obj = {};
  for (const [k, v] of pairs) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

function isCPUUtilization(m: Obj): boolean {
  const r = obj(m.resource);
  return m.type === 'Resource' && isPlainObject(m.resource) && r.name === 'cpu' && has(obj(r.target), 'averageUtilization');
}

function refToV1(r: Obj): Obj {
  return build([['kind', r.kind ?? ''], ['name', r.name ?? ''], ['apiVersion', r.apiVersion || undefined]]);
}

// ---- metrics: v2 -> v1 ----

function metricSpecToV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const o = m.object, t = obj(o.target), id = obj(o.metric);
    out.object = build([['target', refToV1(obj(o.describedObject))], ['metricName', id.name ?? ''], ['targetValue', quantity(t, 'value')], ['selector', id.selector], ['averageValue', t.averageValue]]);
  }
  if (isPlainObject(m.pods)) {
    const p = m.pods, t = obj(p.target), id = obj(p.metric);
    out.pods = build([['metricName', id.name ?? ''], ['targetAverageValue', quantity(t, 'averageValue')], ['selector', id.selector]]);
  }
  for (const key of ['resource', 'containerResource']) {
    if (!isPlainObject(m[key])) continue;
    const r = m[key] as Obj, t = obj(r.target);
    out[key] = build([['name', r.name ?? ''], ['targetAverageUtilization', t.averageUtilization], ['targetAverageValue', t.averageValue], ['container', key === 'containerResource' ? (r.container ?? '') : undefined]]);
  }
  if (isPlainObject(m.external)) {
    const e = m.external, t = obj(e.target), id = obj(e.metric);
    out.external = build([['metricName', id.name ?? ''], ['metricSelector', id.selector], ['targetValue', t.value], ['targetAverageValue', t.averageValue]]);
  }
  return out;
}

function metricStatusToV1(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const o = m.object, c = obj(o.current), id = obj(o.metric);
    out.object = build([['target', refToV1(obj(o.describedObject))], ['metricName', id.name ?? ''], ['currentValue', quantity(c, 'value')], ['selector', id.selector], ['averageValue', c.averageValue]]);
  }
  if (isPlainObject(m.pods)) {
    const p = m.pods, c = obj(p.current), id = obj(p.metric);
    out.pods = build([['metricName', id.name ?? ''], ['currentAverageValue', quantity(c, 'averageValue')], ['selector', id.selector]]);
  }
  for (const key of ['resource', 'containerResource']) {
    if (!isPlainObject(m[key])) continue;
    const r = m[key] as Obj, c = obj(r.current);
    out[key] = build([['name', r.name ?? ''], ['currentAverageUtilization', c.averageUtilization], ['currentAverageValue', quantity(c, 'averageValue')], ['container', key === 'containerResource' ? (r.container ?? '') : undefined]]);
  }
  if (isPlainObject(m.external)) {
    const e = m.external, c = obj(e.current), id = obj(e.metric);
    out.external = build([['metricName', id.name ?? ''], ['metricSelector', id.selector], ['currentValue', quantity(c, 'value')], ['currentAverageValue', c.averageValue]]);
  }
  return out;
}

// ---- metrics: v1 -> v2 ----

function identifier(src: Obj, selectorKey: string): Obj {
  return build([['name', src.metricName ?? ''], ['selector', src[selectorKey]]]);
}

function metricSpecToV2(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const o = m.object;
    const target = build([['type', has(o, 'averageValue') ? 'AverageValue' : 'Value'], ['value', quantity(o, 'targetValue')], ['averageValue', o.averageValue]]);
    out.object = { describedObject: refToV1(obj(o.target)), target, metric: identifier(o, 'selector') };
  }
  if (isPlainObject(m.pods)) {
    const p = m.pods;
    out.pods = { metric: identifier(p, 'selector'), target: { type: 'AverageValue', averageValue: quantity(p, 'targetAverageValue') } };
  }
  for (const key of ['resource', 'containerResource']) {
    if (!isPlainObject(m[key])) continue;
    const r = m[key] as Obj;
    const target = build([['type', has(r, 'targetAverageUtilization') ? 'Utilization' : 'AverageValue'], ['averageValue', r.targetAverageValue], ['averageUtilization', r.targetAverageUtilization]]);
    out[key] = build([['name', r.name ?? ''], ['target', target], ['container', key === 'containerResource' ? (r.container ?? '') : undefined]]);
  }
  if (isPlainObject(m.external)) {
    const e = m.external;
    const target = build([['type', has(e, 'targetValue') ? 'Value' : 'AverageValue'], ['value', e.targetValue], ['averageValue', e.targetAverageValue]]);
    out.external = { metric: identifier(e, 'metricSelector'), target };
  }
  return out;
}

function metricStatusToV2(m: Obj): Obj {
  const out: Obj = { type: m.type ?? '' };
  if (isPlainObject(m.object)) {
    const o = m.object;
    out.object = { metric: identifier(o, 'selector'), current: build([['value', quantity(o, 'currentValue')], ['averageValue', o.averageValue]]), describedObject: refToV1(obj(o.target)) };
  }
  if (isPlainObject(m.pods)) {
    const p = m.pods;
    out.pods = { metric: identifier(p, 'selector'), current: { averageValue: quantity(p, 'currentAverageValue') } };
  }
  for (const key of ['resource', 'containerResource']) {
    if (!isPlainObject(m[key])) continue;
    const r = m[key] as Obj;
    const current = build([['averageValue', quantity(r, 'currentAverageValue')], ['averageUtilization', r.currentAverageUtilization]]);
    out[key] = build([['name', r.name ?? ''], ['current', current], ['container', key === 'containerResource' ? (r.container ?? '') : undefined]]);
  }
  if (isPlainObject(m.external)) {
    const e = m.external;
    out.external = { metric: identifier(e, 'metricSelector'), current: build([['value', quantity(e, 'currentValue')], ['averageValue', e.currentAverageValue]]) };
  }
  return out;
}

function conditionToV1(c: Obj): Obj {
  return build([['type', c.type ?? ''], ['status', c.status ?? ''], ['lastTransitionTime', c.lastTransitionTime ?? null], ['reason', c.reason || undefined], ['message', c.message || undefined]]);
}

// ---- behavior: the internal Go struct, marshalled without json tags ----

function rulesToGo(r: unknown): unknown {
  if (!isPlainObject(r)) return null;
  const policies = Array.isArray(r.policies)
    ? r.policies.map((p) => ({ Type: obj(p).type ?? '', Value: obj(p).value ?? 0, PeriodSeconds: obj(p).periodSeconds ?? 0 }))
    : null;
  return { StabilizationWindowSeconds: r.stabilizationWindowSeconds ?? null, SelectPolicy: r.selectPolicy ?? null, Policies: policies, Tolerance: r.tolerance ?? null };
}

/** encoding/json matches keys case-insensitively when there is no exact match. */
function field(o: Obj, name: string): unknown {
  if (Object.hasOwn(o, name)) return o[name];
  const lower = name.toLowerCase();
  const key = Object.keys(o).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : o[key];
}

function rulesFromGo(r: unknown): Obj | undefined {
  if (!isPlainObject(r)) return undefined;
  const policies = field(r, 'Policies');
  return build([
    ['stabilizationWindowSeconds', field(r, 'StabilizationWindowSeconds')],
    ['selectPolicy', field(r, 'SelectPolicy')],
    ['policies', Array.isArray(policies) ? policies.map((p) => ({ type: field(obj(p), 'Type') ?? '', value: field(obj(p), 'Value') ?? 0, periodSeconds: field(obj(p), 'PeriodSeconds') ?? 0 })) : undefined],
    ['tolerance', field(r, 'Tolerance')],
  ]);
}

// ---- annotations ----

function dropRoundTrip(annotations: unknown): Record<string, string> | undefined {
  if (!isPlainObject(annotations)) return undefined;
  const out = { ...(annotations as Record<string, string>) };
  if (ROUND_TRIP.some((k) => Object.hasOwn(out, k))) for (const k of ROUND_TRIP) delete out[k];
  return out;
}

function parseAnnotation(annotations: Record<string, string> | undefined, key: string): unknown[] | undefined {
  if (!annotations || !Object.hasOwn(annotations, key)) return undefined;
  try {
    const v = JSON.parse(annotations[key]) as unknown;
    if (v === null) return [];
    if (!Array.isArray(v)) throw new Error(`json: cannot unmarshal ${typeof v} into Go value`);
    return v;
  } catch (e) {
    throw badRequest(`HorizontalPodAutoscaler in version "v1" cannot be handled as a HorizontalPodAutoscaler: ${(e as Error).message}`);
  }
}

function withAnnotations(meta: KubeObject['metadata'], annotations: Record<string, string> | undefined): KubeObject['metadata'] {
  const out = { ...meta };
  if (annotations && Object.keys(annotations).length > 0) out.annotations = annotations;
  else delete out.annotations;
  return out;
}

/** Stored (v2) -> autoscaling/v1. */
export function hpaFromV2ToV1(hpa: KubeObject): KubeObject {
  const spec = obj(hpa.spec);
  const status = obj(hpa.status);
  const metrics = (Array.isArray(spec.metrics) ? spec.metrics : []).map(obj);
  const current = (Array.isArray(status.currentMetrics) ? status.currentMetrics : []).map(obj);
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).map(obj);

  const cpu = metrics.find((m) => m.type === 'Resource' && obj(m.resource).name === 'cpu');
  let currentCPU: unknown;
  for (const m of current) if (m.type === 'Resource' && obj(m.resource).name === 'cpu' && has(obj(obj(m.resource).current), 'averageUtilization')) currentCPU = obj(obj(m.resource).current).averageUtilization;

  const annotations = dropRoundTrip(hpa.metadata.annotations) ?? {};
  const others = metrics.filter((m) => !isCPUUtilization(m)).map(metricSpecToV1);
  if (others.length > 0) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
  if (current.length > 0) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map(metricStatusToV1));
  if (conditions.length > 0) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions.map(conditionToV1));
  if (isPlainObject(spec.behavior)) {
    annotations[BEHAVIOR_ANNOTATION] = JSON.stringify({ ScaleUp: rulesToGo(spec.behavior.scaleUp), ScaleDown: rulesToGo(spec.behavior.scaleDown) });
  }
  const ref = obj(spec.scaleTargetRef);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: withAnnotations(hpa.metadata, annotations),
    spec: build([
      ['scaleTargetRef', refToV1(ref)],
      ['minReplicas', spec.minReplicas],
      ['maxReplicas', spec.maxReplicas ?? 0],
      ['targetCPUUtilizationPercentage', cpu ? obj(obj(cpu.resource).target).averageUtilization : undefined],
    ]),
    status: build([
      ['observedGeneration', status.observedGeneration],
      ['lastScaleTime', status.lastScaleTime],
      ['currentReplicas', status.currentReplicas ?? 0],
      ['desiredReplicas', status.desiredReplicas ?? 0],
      ['currentCPUUtilizationPercentage', currentCPU],
    ]),
  };
}

/** autoscaling/v1 -> stored (v2). */
export function hpaFromV1ToV2(hpa: KubeObject): KubeObject {
  const spec = obj(hpa.spec);
  const status = obj(hpa.status);
  const annotations = isPlainObject(hpa.metadata.annotations) ? (hpa.metadata.annotations as Record<string, string>) : undefined;

  let metrics: Obj[] = [];
  if (has(spec, 'targetCPUUtilizationPercentage')) {
    metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }];
  }
  const others = parseAnnotation(annotations, METRIC_SPECS_ANNOTATION);
  if (others) metrics = [...others.map((m) => metricSpecToV2(obj(m))), ...metrics];
  if (metrics.length === 0) {
    metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }

  let currentMetrics: Obj[] | undefined;
  if (has(status, 'currentCPUUtilizationPercentage')) {
    currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '0', averageUtilization: status.currentCPUUtilizationPercentage } } }];
  }
  const statuses = parseAnnotation(annotations, METRIC_STATUSES_ANNOTATION);
  if (statuses) currentMetrics = statuses.map((m) => metricStatusToV2(obj(m)));
  const conditions = parseAnnotation(annotations, CONDITIONS_ANNOTATION)?.map((c) => conditionToV1(obj(c)));

  let behavior: Obj | undefined;
  if (annotations && Object.hasOwn(annotations, BEHAVIOR_ANNOTATION)) {
    // Only well-formed, non-empty behavior moves from the annotation to the field, as upstream.
    try {
      const raw = obj(JSON.parse(annotations[BEHAVIOR_ANNOTATION]));
      const b = build([['scaleUp', rulesFromGo(field(raw, 'ScaleUp'))], ['scaleDown', rulesFromGo(field(raw, 'ScaleDown'))]]);
      if (Object.keys(b).length > 0) behavior = b;
    } catch {
      behavior = undefined;
    }
  }

  const ref = obj(spec.scaleTargetRef);
  const v2status = build([
    ['observedGeneration', status.observedGeneration],
    ['lastScaleTime', status.lastScaleTime],
    ['currentReplicas', status.currentReplicas ?? 0],
    ['desiredReplicas', status.desiredReplicas ?? 0],
    ['currentMetrics', currentMetrics],
    ['conditions', conditions],
  ]);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: withAnnotations(hpa.metadata, dropRoundTrip(annotations)),
    spec: build([['scaleTargetRef', refToV1(ref)], ['minReplicas', spec.minReplicas], ['maxReplicas', spec.maxReplicas ?? 0], ['metrics', metrics], ['behavior', behavior]]),
    ...(hpa.status === undefined ? {} : { status: v2status }),
  };
}
