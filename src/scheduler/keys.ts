import type { ObjectMeta } from '../machinery/object.js';

/** "namespace/name", the key the client's caches use for namespaced objects. */
export function objectKeyOf(obj: { metadata: ObjectMeta }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : (obj.metadata.name ?? '');
}
