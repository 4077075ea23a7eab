import type { FieldError } from '../machinery/field-errors.js';
import { cloneObject } from '../machinery/object.js';
import type { KubeObject } from '../machinery/object.js';
import { keyString } from '../storage/types.js';
import type { ObjectKey, SideWrite, StoredObject, WriteDecision, WriteRequest } from '../storage/types.js';
import { throwIfInvalid } from './object-lifecycle.js';
import type { ResourceDefinition } from './resource.js';

/**
 * Values a kind holds exclusively across the cluster (a Service's cluster IPs and node ports). Each held
 * value is an object named by the value (an IPAddress of networking.k8s.io, as upstream, or a record of an
 * internal resource such as "nodeports.pgkube.internal"), written
 * in the same batch as the object holding it: the batch's revision lock makes the check and the claim
 * atomic across every apiserver process on the database.
 */
export interface Allocator {
  /** The internal resources whose objects record the values. */
  resources: string[];
  /**
   * Fills the values `obj` lacks (carrying over `old`'s where upstream does), picking among those
   * `isFree` accepts; must pick the same values for the same answers of `isFree`. Returns errors for
   * requested values that cannot be had (out of range, range full).
   */
  assign(obj: KubeObject, old: KubeObject | null, ctx: AllocationContext, isFree: (key: ObjectKey) => boolean): FieldError[];
  /** The keys of the values a state holds. */
  held(obj: KubeObject): ObjectKey[];
  /** The error for a requested value found taken by another object. */
  taken(obj: KubeObject, key: ObjectKey): FieldError;
  /** The object recording that `owner` holds `key`. */
  record(key: ObjectKey, owner: KubeObject): KubeObject;
}

/** A range of ports, as utilnet.PortRange: `base` and the `size` ports from it. */
export interface PortRange {
  base: number;
  size: number;
}

/**
 * utilnet.ParsePortRange: "30000-32767", "30000+2767" or a single port; throws with the reason for
 * anything else.
 */
export function parsePortRange(value: string): PortRange {
  const v = value.trim();
  const num = (s: string) => {
    if (!/^\d+$/.test(s)) throw new Error(`unable to parse port range: ${value}`);
    const n = Number(s);
    if (n > 65535) throw new Error(`unable to parse port range: ${value}`);
    return n;
  };
  let base: number;
  let last: number;
  if (v.includes('-')) {
    const [a, b] = v.split('-', 2);
    base = num(a);
    last = num(b);
  } else if (v.includes('+')) {
    const [a, b] = v.split('+', 2);
    base = num(a);
    last = base + num(b);
  } else {
    base = num(v);
    last = base;
  }
  if (last < base || last > 65535) throw new Error(`unable to parse port range: ${value}`);
  return { base, size: last - base + 1 };
}

export const DEFAULT_NODE_PORT_RANGE: PortRange = { base: 30000, size: 2768 };

export interface AllocationContext {
  /** --service-cluster-ip-range. */
  serviceClusterIPRange: string;
  /** --service-node-port-range: the first port and how many follow it (default 30000-32767). */
  serviceNodePortRange?: PortRange;
  /** The values in use (names per internal resource) when the write began: a hint, the batch decides. */
  used: Map<string, Set<string>>;
  /** Where the search for a free value starts (random per write, the same over its retries). */
  seed: number;
}

/** Thrown inside a decision that needs the state of keys the request did not read; the write is retried with them. */
export class NeedReads extends Error {
  constructor(readonly keys: ObjectKey[]) {
    super('allocation needs more keys');
  }
}

/** Wraps a write so that its decision also claims and releases the values its object holds. */
export function withAllocations(def: ResourceDefinition, request: WriteRequest, ctx: AllocationContext, extraReads: ObjectKey[]): WriteRequest {
  const alloc = def.strategy.allocator!;
  return {
    ...request,
    reads: [...(request.reads ?? []), ...extraReads],
    decide(current: StoredObject | null, reads: Map<string, StoredObject | null>): WriteDecision {
      const decision = request.decide(current, reads);
      if (decision.action === 'noop') return decision;
      const oldHeld = current ? alloc.held(current.object) : [];
      const oldSet = new Set(oldHeld.map(keyString));
      let newHeld: ObjectKey[] = [];
      let object = decision.object;
      if (decision.action === 'put') {
        object = cloneObject(decision.object);
        const isFree = (k: ObjectKey) => {
          const s = keyString(k);
          if (oldSet.has(s)) return true;
          if (reads.has(s)) return reads.get(s) === null;
          return !(ctx.used.get(k.resource)?.has(k.name) ?? false);
        };
        const errs = alloc.assign(object, current?.object ?? null, ctx, isFree);
        throwIfInvalid(def, object.metadata.name ?? '', errs);
        newHeld = alloc.held(object);
      }
      const missing = [...oldHeld, ...newHeld].filter((k) => !reads.has(keyString(k)));
      if (missing.length > 0) throw new NeedReads(missing);
      const newSet = new Set(newHeld.map(keyString));
      const also: SideWrite[] = [];
      const errs: FieldError[] = [];
      for (const k of newHeld) {
        if (oldSet.has(keyString(k))) continue;
        if (reads.get(keyString(k))) errs.push(alloc.taken(object, k));
        else also.push({ key: k, action: 'put', object: alloc.record(k, object) });
      }
      throwIfInvalid(def, object.metadata.name ?? '', errs);
      for (const k of oldHeld) if (!newSet.has(keyString(k))) also.push({ key: k, action: 'delete' });
      return { action: decision.action, object, also: [...(decision.also ?? []), ...also] };
    },
  };
}
