import type { Strategy } from '../resource.js';
import { isPlainObject } from '../../machinery/object.js';
import { validateQuotaResources } from './resource-requirements.js';

/** ResourceQuotas: ValidateResourceQuota's checks of the resource names and quantities of spec and status. */
function validateQuota(quota: Record<string, unknown>) {
  const spec = isPlainObject(quota.spec) ? quota.spec : {};
  const status = isPlainObject(quota.status) ? quota.status : {};
  return [
    ...validateQuotaResources(spec.hard, 'spec.hard'),
    ...validateQuotaResources(status.hard, 'status.hard'),
    ...validateQuotaResources(status.used, 'status.used'),
  ];
}

export const resourceQuotaStrategy: Strategy = {
  validate: validateQuota,
  validateUpdate: validateQuota,
};
