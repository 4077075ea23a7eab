/**
 * The field manager of each resource (apiserver's fieldmanager set up per endpoint): the kind's schema,
 * the fields the endpoint resets, and the time entries get. The work itself is in machinery/apply.
 */
import { FieldSet, fieldPE, kindType } from '../machinery/apply/index.js';
import type { FieldManagerScope } from '../machinery/apply/index.js';
import { now } from './object-lifecycle.js';
import type { ResourceDefinition } from './resource.js';

/** Main resources of kinds with a status subresource do not own status through it, and /status owns only status. */
const RESET_ON_MAIN = FieldSet.of([fieldPE('status')]);
const RESET_ON_STATUS = FieldSet.of([fieldPE('spec')]);

/** The scope of the resource's field manager, or undefined for a kind without schema (no managedFields). */
export function fieldManagerScope(def: ResourceDefinition, subresource: string): FieldManagerScope | undefined {
  const type = kindType(def.group, def.version, def.kind);
  if (!type) return undefined;
  const hasStatus = def.subresources.includes('status');
  return {
    type,
    group: def.group,
    version: def.version,
    kind: def.kind,
    subresource,
    resetFields: subresource === 'status' ? RESET_ON_STATUS : hasStatus && subresource === '' ? RESET_ON_MAIN : undefined,
    now: now(),
  };
}
