import { labelSelectorFromObject, matchesLabels } from '../../machinery/labels.js';
import { MAX_NODE_SCORE } from '../framework.js';
import type { CycleState, FilterPlugin, ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { LabelSelector, Pod } from '../types.js';
import { matchesRequiredNodeAffinity, requiredNodeAffinityOf } from './node-affinity.js';

export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEY = 'topology.kubernetes.io/zone';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  /** Whether an existing pod counts for the constraint. */
  matches: (p: Pod) => boolean;
}

interface SpreadConstraintSpec {
  maxSkew?: number;
  topologyKey?: string;
  whenUnsatisfiable?: string;
  labelSelector?: LabelSelector;
}

function controllerUid(p: Pod): string | undefined {
  return p.metadata.ownerReferences?.find((o) => o.controller)?.uid;
}

/**
 * The constraints for a pod: its own, or else upstream's system defaults (hostname with maxSkew 3, zone with
 * maxSkew 5, both ScheduleAnyway) over the pods of the same controller. Upstream selects those through the
 * Services, ReplicaSets, ReplicationControllers and StatefulSets that select the pod; sharing the
 * controlling owner picks the same replicas without watching those kinds.
 */
export function constraintsOf(pod: Pod): { constraints: Constraint[]; systemDefaulted: boolean } {
  const ns = pod.metadata.namespace;
  const own = (pod.spec?.topologySpreadConstraints ?? []) as SpreadConstraintSpec[];
  if (own.length > 0) {
    const constraints: Constraint[] = [];
    for (const c of own) {
      let sel: ReturnType<typeof labelSelectorFromObject>;
      try {
        sel = labelSelectorFromObject(c.labelSelector);
      } catch {
        continue;
      }
      constraints.push({
        maxSkew: c.maxSkew ?? 1,
        topologyKey: c.topologyKey ?? '',
        whenUnsatisfiable: c.whenUnsatisfiable ?? 'DoNotSchedule',
        matches: (p) => sel !== 'nothing' && p.metadata.namespace === ns && matchesLabels(sel, p.metadata.labels),
      });
    }
    return { constraints, systemDefaulted: false };
  }
  const owner = controllerUid(pod);
  if (!owner) return { constraints: [], systemDefaulted: true };
  const matches = (p: Pod) => p.metadata.namespace === ns && controllerUid(p) === owner;
  return {
    constraints: [
      { maxSkew: 3, topologyKey: HOSTNAME_KEY, whenUnsatisfiable: 'ScheduleAnyway', matches },
      { maxSkew: 5, topologyKey: ZONE_KEY, whenUnsatisfiable: 'ScheduleAnyway', matches },
    ],
    systemDefaulted: true,
  };
}

function countOn(node: NodeInfo, c: Constraint): number {
  let n = 0;
  for (const e of node.pods.values()) if (!e.pod.metadata.deletionTimestamp && c.matches(e.pod)) n++;
  return n;
}

/** Pods per topology value, over the nodes that satisfy the pod's required node affinity (NodeAffinityPolicy Honor). */
function countsByDomain(state: CycleState, c: Constraint): Map<string, number> {
  return state.memo(`PodTopologySpread/counts/${c.topologyKey}/${c.whenUnsatisfiable}/${c.maxSkew}`, () => {
    const affinity = requiredNodeAffinityOf(state.pod);
    const counts = new Map<string, number>();
    for (const n of state.allNodes) {
      const value = n.node.metadata.labels?.[c.topologyKey];
      if (value === undefined || !matchesRequiredNodeAffinity(affinity, n.node)) continue;
      counts.set(value, (counts.get(value) ?? 0) + countOn(n, c));
    }
    return counts;
  });
}

function spread(state: CycleState) {
  return state.memo('PodTopologySpread', () => constraintsOf(state.pod));
}

/** PodTopologySpread filter: DoNotSchedule constraints may not push the skew past maxSkew. */
export const podTopologySpreadFilter: FilterPlugin = {
  name: 'PodTopologySpread',
  filter(state, node) {
    const hard = spread(state).constraints.filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
    for (const c of hard) {
      const value = node.node.metadata.labels?.[c.topologyKey];
      if (value === undefined) return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_MISSING_LABEL] };
      const counts = countsByDomain(state, c);
      let min = Infinity;
      for (const v of counts.values()) if (v < min) min = v;
      if (min === Infinity) min = 0;
      const self = c.matches(state.pod) ? 1 : 0;
      if ((counts.get(value) ?? 0) + self - min > c.maxSkew) return { code: 'Unschedulable', reasons: [ERR_REASON_CONSTRAINTS_NOT_MATCH] };
    }
    return undefined;
  },
};

/**
 * PodTopologySpread score: fewer matching pods in a node's domains is better. Each constraint adds
 * count * log(domains + 2) + (maxSkew - 1); scores are then inverted onto 0..100.
 */
export const podTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  skip(state) {
    return !spread(state).constraints.some((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
  },
  score(state, node, nodes) {
    const pre = state.memo('PodTopologySpread/score', () => {
      const { constraints, systemDefaulted } = spread(state);
      const soft = constraints.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
      // log(domains + 2) per constraint: the feasible nodes for the host name, else their distinct values.
      const weights = soft.map((c) => {
        const domains = c.topologyKey === HOSTNAME_KEY ? nodes.length : new Set(nodes.map((n) => n.node.metadata.labels?.[c.topologyKey]).filter((v) => v !== undefined)).size;
        return Math.log(domains + 2);
      });
      return { soft, weights, systemDefaulted };
    });
    const labels = node.node.metadata.labels ?? {};
    // With the pod's own constraints, a node lacking one of their keys is not scored (upstream: ignored).
    if (!pre.systemDefaulted && pre.soft.some((c) => labels[c.topologyKey] === undefined)) return -1;
    let score = 0;
    for (let i = 0; i < pre.soft.length; i++) {
      const c = pre.soft[i];
      const value = labels[c.topologyKey];
      if (value === undefined) continue;
      const count = c.topologyKey === HOSTNAME_KEY ? countOn(node, c) : (countsByDomain(state, c).get(value) ?? 0);
      score += count * pre.weights[i] + (c.maxSkew - 1);
    }
    return Math.round(score);
  },
  normalize(_state, scores) {
    let min = Infinity;
    let max = 0;
    for (const s of scores) {
      if (s < 0) continue;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] < 0) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
    }
  },
};
