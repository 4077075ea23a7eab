import type { ListMeta, ObjectMeta } from './types/meta-v1.js';

/** Any Kubernetes object: the fields every kind has. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A list response: `<Kind>List` with the snapshot's resourceVersion and continue token in metadata. */
export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One event of a watch stream (metav1.WatchEvent). ERROR events never reach callers: they are thrown as ApiError. */
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}
