/**
 * The scheduling framework in small: filter plugins say whether a pod fits a node (and why not), score
 * plugins rank the nodes that fit, each with upstream's weight, on upstream's 0..100 scale.
 */
import type { NodeInfo } from './node-info.js';
import { podRequests } from './resources.js';
import type { Amounts } from './resources.js';
import type { Pod } from './types.js';

export const MAX_NODE_SCORE = 100;

/**
 * Why a node does not fit. `Unschedulable`: preemption could make room; `UnschedulableAndUnresolvable`:
 * nothing short of changing the node or the pod will (upstream's status codes).
 */
export type FilterCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface FilterFailure {
  code: FilterCode;
  reasons: string[];
  plugin: string;
}

/** Everything computed once per pod per scheduling cycle, shared by the plugins. */
export class CycleState {
  readonly requests: Amounts;
  readonly nonZeroRequests: Amounts;
  private readonly data = new Map<string, unknown>();

  constructor(
    readonly pod: Pod,
    /** Every node the scheduler knows, for plugins that look beyond the node being filtered. */
    readonly allNodes: readonly NodeInfo[],
  ) {
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
  }

  /** A plugin's per-cycle data, computed on first use. */
  memo<T>(key: string, compute: () => T): T {
    if (!this.data.has(key)) this.data.set(key, compute());
    return this.data.get(key) as T;
  }
}

export interface FilterPlugin {
  readonly name: string;
  /** undefined when the pod fits the node. */
  filter(state: CycleState, node: NodeInfo): Omit<FilterFailure, 'plugin'> | undefined;
}

export interface ScorePlugin {
  readonly name: string;
  /** Upstream's default weight for the plugin. */
  readonly weight: number;
  /** Whether the plugin has nothing to say for this pod (upstream's PreScore Skip). */
  skip?(state: CycleState, nodes: readonly NodeInfo[]): boolean;
  score(state: CycleState, node: NodeInfo, nodes: readonly NodeInfo[]): number;
  /** Rescales the raw scores of all feasible nodes (same order as `nodes`) to 0..MAX_NODE_SCORE, in place. */
  normalize?(state: CycleState, scores: number[], nodes: readonly NodeInfo[]): void;
}

export interface Profile {
  filters: FilterPlugin[];
  scores: ScorePlugin[];
}

/** Runs the filters in order; the first that rejects the node decides (as upstream's RunFilterPlugins). */
export function runFilters(profile: Profile, state: CycleState, node: NodeInfo): FilterFailure | undefined {
  for (const p of profile.filters) {
    const failure = p.filter(state, node);
    if (failure) return { ...failure, plugin: p.name };
  }
  return undefined;
}

/** The weighted total score of each feasible node. */
export function runScores(profile: Profile, state: CycleState, feasible: readonly NodeInfo[]): number[] {
  const totals = new Array<number>(feasible.length).fill(0);
  for (const p of profile.scores) {
    if (p.skip?.(state, feasible)) continue;
    const scores = feasible.map((n) => p.score(state, n, feasible));
    p.normalize?.(state, scores, feasible);
    for (let i = 0; i < scores.length; i++) totals[i] += scores[i] * p.weight;
  }
  return totals;
}

/**
 * upstream's DefaultNormalizeScore: scales to 0..max by the highest score; `reverse` makes the highest
 * raw score the lowest.
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: number[]): void {
  let highest = 0;
  for (const s of scores) if (s > highest) highest = s;
  if (highest === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((max * scores[i]) / highest);
    scores[i] = reverse ? max - s : s;
  }
}
