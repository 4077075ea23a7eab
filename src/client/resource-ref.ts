import type { KubeObject } from './object.js';

/**
 * Where a resource lives in the API: group (empty for core), version, plural resource name, kind and scope.
 * `T` is the type of its objects; the optional phantom field lets `client.resource(ref)` infer it.
 */
export interface ResourceRef<T = KubeObject> {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Never set: carries the object type for inference only. */
  readonly __object?: T;
}

/** A reference to any resource, for custom resources or kinds the generated table does not know. */
export function resourceRef<T extends KubeObject = KubeObject>(r: { group: string; version: string; resource: string; kind: string; namespaced: boolean }): ResourceRef<T> {
  return Object.freeze({ group: r.group, version: r.version, resource: r.resource, kind: r.kind, namespaced: r.namespaced });
}

/** "apps/v1", or "v1" for the core group. */
export function apiVersionOf(ref: ResourceRef<unknown>): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}
