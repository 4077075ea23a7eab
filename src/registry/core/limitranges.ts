/**
 * LimitRanges and PersistentVolumeClaims: the quantity checks of upstream's ValidateLimitRange (type and
 * resource names, min <= defaultRequest <= default <= max, ratios) and ValidatePersistentVolumeClaimSpec
 * (a positive storage request), with upstream's messages.
 */
import { duplicate, forbidden, GoStructValue, invalid, required } from '../../machinery/field-errors.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { isQualifiedName } from '../../machinery/names.js';
import { isPlainObject } from '../../machinery/object.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Quantity } from '../../machinery/quantity.js';
import type { Strategy } from '../resource.js';
import { overcommitAllowed, quantityOf, validateContainerResourceName, validateResourceName, validateResourceQuantityValue } from './resource-requirements.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isPlainObject(v) ? v : {});
const STANDARD_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];
const go = (q: Quantity) => new GoStructValue(q.goString());

function validateTypeName(type: string, field: string): FieldError[] {
  const errs = isQualifiedName(type).map((m) => invalid(field, type, m));
  if (errs.length === 0 && !type.includes('/') && !STANDARD_TYPES.includes(type)) errs.push(invalid(field, type, 'must be a standard limit type or fully qualified'));
  return errs;
}

function validateLimitRange(lr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const limits = Array.isArray(obj(lr.spec).limits) ? (obj(lr.spec).limits as unknown[]) : [];
  const types = new Set<string>();
  limits.forEach((raw, i) => {
    const limit = obj(raw);
    const path = `spec.limits[${i}]`;
    const type = typeof limit.type === 'string' ? limit.type : '';
    errs.push(...validateTypeName(type, `${path}.type`));
    if (types.has(type)) errs.push(duplicate(`${path}.type`, type));
    types.add(type);
    const nameCheck = (name: string, at: string) => (type === 'Pod' || type === 'Container' ? validateContainerResourceName(name, at) : validateResourceName(name, at));
    const read = (key: string): Map<string, Quantity> => {
      const out = new Map<string, Quantity>();
      const list = obj(limit[key]);
      for (const name of Object.keys(list).sort()) {
        errs.push(...nameCheck(name, `${path}.${key}[${name}]`));
        const q = quantityOf(list[name]);
        if (q) out.set(name, q);
      }
      return out;
    };
    const max = read('max');
    const min = read('min');
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (Object.keys(obj(limit.default)).length > 0) errs.push(forbidden(`${path}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(obj(limit.defaultRequest)).length > 0) errs.push(forbidden(`${path}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    } else {
      defaults = read('default');
      defaultRequests = read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push(required(`${path}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const ratios = read('maxLimitRequestRatio');
    const keys = [...new Set([...max.keys(), ...min.keys(), ...defaults.keys(), ...defaultRequests.keys(), ...ratios.keys()])].sort();
    for (const k of keys) {
      const lo = min.get(k), hi = max.get(k), def = defaults.get(k), req = defaultRequests.get(k), ratio = ratios.get(k);
      if (lo && hi && lo.cmp(hi) > 0) errs.push(invalid(`${path}.min[${k}]`, go(lo), `min value ${lo} is greater than max value ${hi}`));
      if (req && lo && lo.cmp(req) > 0) errs.push(invalid(`${path}.defaultRequest[${k}]`, go(req), `min value ${lo} is greater than default request value ${req}`));
      if (req && hi && req.cmp(hi) > 0) errs.push(invalid(`${path}.defaultRequest[${k}]`, go(req), `default request value ${req} is greater than max value ${hi}`));
      if (req && def && req.cmp(def) > 0) errs.push(invalid(`${path}.defaultRequest[${k}]`, go(req), `default request value ${req} is greater than default limit value ${def}`));
      if (def && lo && lo.cmp(def) > 0) errs.push(invalid(`${path}.default[${k}]`, go(lo), `min value ${lo} is greater than default value ${def}`));
      if (def && hi && def.cmp(hi) > 0) errs.push(invalid(`${path}.default[${k}]`, go(hi), `default value ${def} is greater than max value ${hi}`));
      if (ratio && ratio.milliValue() < 1000) errs.push(invalid(`${path}.maxLimitRequestRatio[${k}]`, go(ratio), `ratio ${ratio} is less than 1`));
      if (ratio && lo && hi && lo.sign() > 0) {
        const limitRatio = hi.milliValue() / lo.milliValue();
        if (ratio.milliValue() / 1000 > limitRatio) errs.push(invalid(`${path}.maxLimitRequestRatio[${k}]`, go(ratio), `ratio ${ratio} is greater than max/min = ${limitRatio.toFixed(6)}`));
      }
      if (!overcommitAllowed(k) && def && req && def.cmp(req) !== 0) {
        errs.push(invalid(`${path}.defaultRequest[${k}]`, go(req), `default value ${def} must equal to defaultRequest value ${req} in ${k}`));
      }
    }
  });
  return errs;
}

export const limitRangeStrategy: Strategy = {
  validate: validateLimitRange,
  validateUpdate: validateLimitRange,
};

/** ValidatePersistentVolumeClaimSpec's storage request: present, positive, a valid quantity. */
function validateClaimStorage(spec: Obj, path: string): FieldError[] {
  const field = `${path}.resources[storage]`;
  const requests = obj(obj(spec.resources).requests);
  if (!Object.hasOwn(requests, 'storage')) return [required(field, '')];
  const q = quantityOf(requests.storage);
  if (!q) return [];
  if (q.sign() <= 0) return [invalid(field, q.toString(), 'must be greater than zero')];
  return validateResourceQuantityValue('storage', q, field);
}

export const persistentVolumeClaimStrategy: Strategy = {
  validate: (pvc) => validateClaimStorage(obj(pvc.spec), 'spec'),
};
