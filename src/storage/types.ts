import type { KubeObject } from '../machinery/object.js';
import type { LabelSelector } from '../machinery/labels.js';

/** Identifies one stored object. `resource` is the group-resource string, e.g. "pods" or "deployments.apps". */
export interface ObjectKey {
  resource: string;
  namespace: string; // '' for cluster-scoped objects
  name: string;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredObject {
  rv: bigint;
  object: KubeObject;
}

/**
 * What a write does, decided from the current state while the batch holds the revision lock.
 * The store assigns the revision and writes it into metadata.resourceVersion.
 */
export type WriteDecision =
  | { action: 'put'; object: KubeObject; also?: SideWrite[] }
  | { action: 'delete'; object: KubeObject; also?: SideWrite[] }
  | { action: 'noop' };

/**
 * A write to another key made atomically with the request's own (an allocation record of an internal
 * resource). Its key must be among the request's `reads`; deleting a missing key does nothing.
 */
export type SideWrite = { key: ObjectKey; action: 'put'; object: KubeObject } | { key: ObjectKey; action: 'delete' };

export interface WriteRequest {
  key: ObjectKey;
  /** Other keys whose current state `decide` needs (for example the namespace of a create). */
  reads?: ObjectKey[];
  /**
   * Called once, synchronously, with the committed current state (null when absent) and the state of
   * `reads`. It must be fast and must not mutate its arguments. A thrown error fails only this request.
   */
  decide(current: StoredObject | null, reads: Map<string, StoredObject | null>): WriteDecision;
  /**
   * The kind's selectable fields of a state (field selectors other than metadata.name/namespace), stored
   * with it so lists filter in SQL. Called on the decided object and on the state it replaces. Absent:
   * the kind has none.
   */
  fields?(object: KubeObject): Record<string, string>;
}

export interface WriteResult {
  type: EventType | 'NOOP';
  rv: bigint;
  /** The object as stored (for DELETED: the final state with the deletion's revision). */
  object: KubeObject;
  json: string;
}

export interface ListQuery {
  resource: string;
  namespace?: string; // undefined: all namespaces
  labelSelector?: LabelSelector;
  /** Field selector requirements (after the kind's label conversion); all must hold. */
  fields?: FieldCondition[];
  /** Read at this revision (an exact snapshot); undefined: the latest. */
  atRevision?: bigint;
  limit?: number;
  /** Continue after this key (namespace, name) of the previous page. */
  after?: { namespace: string; name: string };
  /** Count what remains after the page (only when nothing filters the list, as upstream). */
  countRemaining?: boolean;
}

/**
 * One field selector requirement. metadata.name and metadata.namespace are the key columns; any other
 * field is looked up in the object's stored selectable fields, a missing one counting as "".
 */
export interface FieldCondition {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface ListResult {
  rv: bigint;
  /** The items' JSON, ready to be joined into a list body. */
  items: string[];
  /** Key of the last item when more items remain. */
  next?: { namespace: string; name: string };
  remaining?: number;
}

export function keyString(k: ObjectKey): string {
  return `${k.resource}\u0000${k.namespace}\u0000${k.name}`;
}

/** Storage-level errors; the registry turns them into API Status errors. */
export class CompactedError extends Error {
  constructor(
    readonly requested: bigint,
    readonly compacted: bigint,
  ) {
    super(`revision ${requested} has been compacted (oldest available ${compacted})`);
  }
}

export class FutureRevisionError extends Error {
  constructor(
    readonly requested: bigint,
    readonly current: bigint,
  ) {
    super(`revision ${requested} is newer than the current revision ${current}`);
  }
}
