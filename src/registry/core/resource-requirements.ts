/**
 * Resource names and quantities of containers, pod overhead and quotas, validated as upstream's
 * pkg/apis/core/validation does (validateResourceRequirements, ValidateResourceQuantityValue,
 * validateContainerResourceName) with its messages, and the pod default that copies limits into missing
 * requests (SetDefaults_Pod). Values are already canonical here: the decode rewrote them
 * (src/registry/quantities.ts).
 */
import { forbidden, GoStructValue, invalid, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isQualifiedName } from '../../machinery/names.js';
import { isPlainObject } from '../../machinery/object.js';
import { Quantity, QuantityError, tryParseQuantity } from '../../machinery/quantity.js';

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu',
  'limits.memory', 'limits.ephemeral-storage', 'pods', 'quotas', 'services', 'replicationcontrollers', 'secrets',
  'persistentvolumeclaims', 'configmaps', 'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers',
]);
const INTEGER_RESOURCES = new Set([
  'pods', 'quotas', 'services', 'replicationcontrollers', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers',
]);
const QOS_RESOURCES = new Set(['cpu', 'memory']);

const isHugePage = (name: string) => name.startsWith('hugepages-');
const isQuotaHugePage = (name: string) => name.startsWith('requests.hugepages-') || name.startsWith('limits.hugepages-');
/** helper.IsNativeResource: no domain, or a kubernetes.io one. */
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

/** helper.IsExtendedResourceName: a domain-qualified name outside kubernetes.io, usable as `requests.<name>`. */
export function isExtendedResourceName(name: string): boolean {
  if (isNative(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

function isIntegerResource(name: string): boolean {
  return INTEGER_RESOURCES.has(name) || isExtendedResourceName(name);
}

/** Non-native resources and huge pages cannot be overcommitted: their requests must equal their limits. */
export function overcommitAllowed(name: string): boolean {
  return isNative(name) && !isHugePage(name);
}

export function validateResourceName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isQuotaHugePage(name)) {
    return [invalid(field, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

export function validateContainerResourceName(name: string, field: string): FieldError[] {
  const errs = validateResourceName(name, field);
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePage(name)) errs.push(invalid(field, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

export function quantityOf(v: unknown): Quantity | undefined {
  if (typeof v !== 'string') return undefined;
  const q = tryParseQuantity(v);
  return q instanceof QuantityError ? undefined : q;
}

/** ValidateResourceQuantityValue: not negative; whole for counted resources (pods, extended resources). */
export function validateResourceQuantityValue(name: string, q: Quantity, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(invalid(field, q.toString(), 'must be greater than or equal to 0'));
  if (isIntegerResource(name) && q.scaledValueBig(-3) % 1000n !== 0n) errs.push(invalid(field, new GoStructValue(q.goString()), 'must be an integer'));
  return errs;
}

function entries(v: unknown): [string, Quantity | undefined][] {
  return isPlainObject(v) ? Object.keys(v).sort().map((k) => [k, quantityOf(v[k])]) : [];
}

/** validateResourceRequirements for a container's (or the pod's overhead as limits) resources. */
export function validateResourceRequirements(resources: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = isPlainObject(resources) ? resources : {};
  const limits = new Map(entries(r.limits));
  let limitsQoS = false;
  let requestsQoS = false;
  let hugePages = false;
  for (const [name, q] of limits) {
    const path = `${field}.limits[${name}]`;
    errs.push(...validateContainerResourceName(name, path));
    if (q) errs.push(...validateResourceQuantityValue(name, q, path));
    if (isHugePage(name)) hugePages = true;
    if (QOS_RESOURCES.has(name)) limitsQoS = true;
  }
  for (const [name, q] of entries(r.requests)) {
    const path = `${field}.requests[${name}]`;
    errs.push(...validateContainerResourceName(name, path));
    if (q) errs.push(...validateResourceQuantityValue(name, q, path));
    const limit = limits.get(name);
    if (limits.has(name)) {
      if (q && limit && q.cmp(limit) !== 0 && !overcommitAllowed(name)) {
        errs.push(invalid(`${field}.requests`, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q && limit && q.cmp(limit) > 0) {
        errs.push(invalid(`${field}.requests`, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(`${field}.limits`, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePage(name)) hugePages = true;
    if (QOS_RESOURCES.has(name)) requestsQoS = true;
  }
  if (!limitsQoS && !requestsQoS && hugePages) errs.push(forbidden(field, 'HugePages require cpu or memory'));
  return errs;
}

/** ValidateResourceQuotaResourceName plus the value checks, for a ResourceQuota's spec.hard and status. */
export function validateQuotaResources(list: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of entries(list)) {
    const path = `${field}[${name}]`;
    const nameErrs = validateResourceName(name, path);
    if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isQuotaHugePage(name)) {
      nameErrs.push(invalid(path, name, 'must be a standard resource for quota'));
    }
    errs.push(...nameErrs);
    if (q) errs.push(...validateResourceQuantityValue(name, q, path));
  }
  return errs;
}

/** SetDefaults_Pod: a container with limits but no request for a resource requests its limit. */
export function defaultRequestsFromLimits(container: Record<string, unknown>): void {
  const resources = container.resources;
  if (!isPlainObject(resources) || !isPlainObject(resources.limits)) return;
  const requests = isPlainObject(resources.requests) ? resources.requests : (resources.requests = {});
  for (const [name, value] of Object.entries(resources.limits)) if (!Object.hasOwn(requests, name)) requests[name] = value;
}
