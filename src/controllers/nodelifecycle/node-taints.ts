/**
 * Which taints a node should carry for its conditions (upstream: doNoScheduleTaintingPass and
 * processTaintBaseEviction of pkg/controller/nodelifecycle).
 */
import type { Node, Taint } from '../../client/index.js';
import {
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NETWORK_UNAVAILABLE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
} from '../util/taints.js';

/** Condition type -> status -> the NoSchedule taint that status brings (upstream: nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NODE_NOT_READY, Unknown: TAINT_NODE_UNREACHABLE },
  MemoryPressure: { True: TAINT_NODE_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_NODE_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NODE_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_NODE_PID_PRESSURE },
};

/** Every taint key this controller manages with effect NoSchedule. */
const NO_SCHEDULE_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), TAINT_NODE_UNSCHEDULABLE]);

export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' };
export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' };

/**
 * The NoSchedule taints to add and remove so the node's managed NoSchedule taints match its conditions and
 * spec.unschedulable. A node without a Ready condition yet is left alone, as upstream.
 */
export function noScheduleTaintChanges(node: Node): { add: Taint[]; remove: Taint[] } | null {
  const conditions = node.status?.conditions ?? [];
  if (!conditions.some((c) => c.type === 'Ready')) return null;
  const wanted: Taint[] = [];
  for (const c of conditions) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) wanted.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) wanted.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  const present = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key));
  const add = wanted.filter((w) => !present.some((p) => p.key === w.key));
  const remove = present.filter((p) => !wanted.some((w) => w.key === p.key));
  return add.length === 0 && remove.length === 0 ? null : { add, remove };
}

/**
 * The NoExecute taint a node's Ready status calls for: not-ready for False, unreachable for Unknown, none for
 * True (upstream: processTaintBaseEviction).
 */
export function noExecuteTaintFor(readyStatus: string): Taint | undefined {
  if (readyStatus === 'False') return NOT_READY_NO_EXECUTE;
  if (readyStatus === 'Unknown') return UNREACHABLE_NO_EXECUTE;
  return undefined;
}
