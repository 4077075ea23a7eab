import type { FieldError } from '../machinery/field-errors.js';
import type { NameValidator } from '../machinery/object-meta.js';
import type { KubeObject } from '../machinery/object.js';

/** Per-kind rules, in the spirit of kube-apiserver's RESTCreateStrategy/RESTUpdateStrategy. All optional. */
export interface Strategy {
  /** Defaults and system-set fields on create (after the generic metadata is filled). */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over or reset fields on update; `old` must not be changed. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  nameValidator?: NameValidator;
  /** PUT of a missing object creates it (upstream: AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
}

export type Subresource = 'status' | 'scale';

/** Everything the generic store and the HTTP layer need to serve one resource. */
export interface ResourceDefinition {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: Subresource[];
  strategy: Strategy;
}

export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** "deployments.apps", or "configmaps" for the core group: the storage key and the form used in messages. */
export function groupResource(def: Pick<ResourceDefinition, 'group' | 'plural'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export function apiVersionOf(def: Pick<ResourceDefinition, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
