import { CycleState, runFilters, runScores } from './framework.js';
import type { FilterFailure, Profile } from './framework.js';
import { fitErrorMessage } from './fit-error.js';
import type { NodeInfo } from './node-info.js';
import type { Pod } from './types.js';

export type ScheduleResult =
  | { node: string; feasible: number }
  | { node?: undefined; message: string; failures: Map<string, FilterFailure> };

/**
 * One scheduling decision (upstream's schedulePod): filter every node, score the feasible ones, take the
 * highest score, breaking ties at random so equal nodes share the load.
 */
export function schedulePod(profile: Profile, pod: Pod, nodes: readonly NodeInfo[], random: () => number = Math.random): ScheduleResult {
  const state = new CycleState(pod, nodes);
  const feasible: NodeInfo[] = [];
  const failures = new Map<string, FilterFailure>();
  for (const n of nodes) {
    const failure = runFilters(profile, state, n);
    if (failure) failures.set(n.name, failure);
    else feasible.push(n);
  }
  if (feasible.length === 0) return { message: fitErrorMessage(nodes.length, [...failures.values()]), failures };
  if (feasible.length === 1) return { node: feasible[0].name, feasible: 1 };
  const totals = runScores(profile, state, feasible);
  let best = -Infinity;
  let chosen = 0;
  let ties = 0;
  for (let i = 0; i < totals.length; i++) {
    if (totals[i] > best) {
      best = totals[i];
      chosen = i;
      ties = 1;
    } else if (totals[i] === best) {
      // Reservoir sampling over the tied nodes.
      ties++;
      if (random() * ties < 1) chosen = i;
    }
  }
  return { node: feasible[chosen].name, feasible: feasible.length };
}
