import type { KubeObject } from '../object.js';

/** An object whose last state was missed (deleted while the watch was down): its key and last known state. */
export interface DeletedFinalStateUnknown<T> {
  key: string;
  obj: T;
}

export function isDeletedFinalStateUnknown<T>(o: T | DeletedFinalStateUnknown<T>): o is DeletedFinalStateUnknown<T> {
  return !!o && typeof o === 'object' && 'key' in o && 'obj' in o && !('metadata' in o);
}

/** client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KubeObject | DeletedFinalStateUnknown<KubeObject>): string {
  if (isDeletedFinalStateUnknown(obj)) return obj.key;
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name: no key');
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** client-go's SplitMetaNamespaceKey: the inverse of objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1) return { name: parts[0]! };
  if (parts.length === 2 && parts[1]) return parts[0] ? { namespace: parts[0], name: parts[1] } : { name: parts[1] };
  throw new Error(`unexpected key format: "${key}"`);
}
