import type { Strategy } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/field-errors.js';
import { QuantityError, tryParseQuantity } from '../../machinery/quantity.js';
import { validateResourceQuantityValue } from './resource-requirements.js';

/** ValidateNodeResources: capacity and allocatable quantities (the decode already made them canonical). */
function validateNodeResources(node: KubeObject): FieldError[] {
  const status = isPlainObject(node.status) ? node.status : {};
  const errs: FieldError[] = [];
  for (const key of ['capacity', 'allocatable']) {
    const list = isPlainObject(status[key]) ? status[key] : {};
    for (const name of Object.keys(list).sort()) {
      const value = list[name];
      const q = typeof value === 'string' ? tryParseQuantity(value) : undefined;
      if (q === undefined || q instanceof QuantityError) continue;
      errs.push(...validateResourceQuantityValue(name, q, `status.${key}.${name}`));
    }
  }
  return errs;
}

/** Nodes: the resource checks of upstream's ValidateNode on create, update and status writes. */
export const nodeStrategy: Strategy = {
  keepsStatusOnCreate: true,
  validate: validateNodeResources,
  validateUpdate: validateNodeResources,
};
