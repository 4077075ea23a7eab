/**
 * events.k8s.io/v1 Event <-> core v1 Event (upstream pkg/apis/events/v1/conversion.go): the same object
 * with renamed fields. Go's encoding writes the zero values of non-omitempty fields (a null time, an
 * empty object reference), which the converted object carries too.
 */
import type { KubeObject } from '../../machinery/object.js';

type Obj = Record<string, unknown>;

/** Fields with the same name in both versions. */
const SHARED = ['eventTime', 'series', 'action', 'reason', 'related', 'type', 'reportingInstance'];

function copy(from: Obj, to: Obj, pairs: [string, string][]): void {
  for (const [a, b] of pairs) if (from[a] !== undefined) to[b] = from[a];
}

export function eventsV1ToCoreEvent(e: KubeObject): KubeObject {
  const src = e as Obj;
  const out: Obj = { apiVersion: 'v1', kind: 'Event', metadata: e.metadata, involvedObject: src.regarding ?? {} };
  copy(src, out, [
    ['reason', 'reason'], ['note', 'message'], ['deprecatedSource', 'source'], ['deprecatedFirstTimestamp', 'firstTimestamp'],
    ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count'], ['type', 'type'], ['eventTime', 'eventTime'],
    ['series', 'series'], ['action', 'action'], ['related', 'related'], ['reportingController', 'reportingComponent'],
    ['reportingInstance', 'reportingInstance'],
  ]);
  out.source ??= {};
  out.firstTimestamp ??= null;
  out.lastTimestamp ??= null;
  out.eventTime ??= null;
  out.reportingComponent ??= '';
  out.reportingInstance ??= '';
  if (out.count === 0) delete out.count;
  return out as KubeObject;
}

export function coreEventToEventsV1(e: KubeObject): KubeObject {
  const src = e as Obj;
  const out: Obj = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: e.metadata };
  for (const k of SHARED) if (src[k] !== undefined) out[k] = src[k];
  out.eventTime ??= null;
  copy(src, out, [
    ['reportingComponent', 'reportingController'], ['involvedObject', 'regarding'], ['message', 'note'], ['source', 'deprecatedSource'],
    ['firstTimestamp', 'deprecatedFirstTimestamp'], ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount'],
  ]);
  out.regarding ??= {};
  out.deprecatedSource ??= {};
  out.deprecatedFirstTimestamp ??= null;
  out.deprecatedLastTimestamp ??= null;
  // Empty strings are omitted in events.k8s.io/v1 (omitempty), where core v1 writes some of them.
  for (const k of ['reportingController', 'reportingInstance', 'action', 'reason', 'note', 'type']) if (out[k] === '') delete out[k];
  if (out.deprecatedCount === 0) delete out.deprecatedCount;
  return out as KubeObject;
}
