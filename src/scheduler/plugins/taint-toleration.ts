import { defaultNormalizeScore, MAX_NODE_SCORE } from '../framework.js';
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import { tolerated } from './tolerations.js';

/**
 * TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate them; each
 * untolerated PreferNoSchedule taint lowers the node's score.
 */
export const taintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  filter(state, node) {
    for (const taint of node.node.spec?.taints ?? []) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (tolerated(state.pod.spec?.tolerations, taint)) continue;
      return { code: 'UnschedulableAndUnresolvable', reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`] };
    }
    return undefined;
  },
};

export const taintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(state, node) {
    // Only tolerations that can apply to PreferNoSchedule count (upstream: effect empty or PreferNoSchedule).
    const tolerations = state.memo('TaintToleration/prefer', () =>
      (state.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'),
    );
    let count = 0;
    for (const taint of node.node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule' && !tolerated(tolerations, taint)) count++;
    }
    return count;
  },
  normalize(_state, scores) {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  },
};
