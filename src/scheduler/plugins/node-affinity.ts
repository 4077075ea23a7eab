import { matchesRequirement, newRequirement } from '../../machinery/label-requirement.js';
import type { Requirement } from '../../machinery/label-requirement.js';
import { defaultNormalizeScore, MAX_NODE_SCORE } from '../framework.js';
import type { CycleState, FilterPlugin, ScorePlugin } from '../framework.js';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../types.js';

export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

const OPERATORS: Record<string, string> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

/** A node selector requirement as a label requirement; undefined when it is invalid (it then matches nothing). */
function requirementOf(r: NodeSelectorRequirement): Requirement | undefined {
  const op = OPERATORS[r.operator];
  if (!op) return undefined;
  try {
    return newRequirement(r.key, op, r.values && r.values.length > 0 ? r.values : null);
  } catch {
    return undefined;
  }
}

/** A compiled term: all its requirements must hold. A term with none matches no node (as upstream). */
interface CompiledTerm {
  labels: (Requirement | undefined)[];
  fields: (Requirement | undefined)[];
}

function compileTerm(t: NodeSelectorTerm): CompiledTerm {
  return { labels: (t.matchExpressions ?? []).map(requirementOf), fields: (t.matchFields ?? []).map(requirementOf) };
}

function termMatches(t: CompiledTerm, node: Node): boolean {
  if (t.labels.length === 0 && t.fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of t.labels) if (!r || !matchesRequirement(r, labels)) return false;
  // matchFields supports metadata.name only.
  const fields = { 'metadata.name': node.metadata.name ?? '' };
  for (const r of t.fields) if (!r || r.key !== 'metadata.name' || !matchesRequirement(r, fields)) return false;
  return true;
}

export interface RequiredNodeAffinity {
  nodeSelector?: Record<string, string>;
  /** undefined: no required node affinity; otherwise any term may match. */
  terms?: CompiledTerm[];
}

export function requiredNodeAffinityOf(pod: Pod): RequiredNodeAffinity {
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return {
    nodeSelector: pod.spec?.nodeSelector,
    terms: required ? (required.nodeSelectorTerms ?? []).map(compileTerm) : undefined,
  };
}

/** Whether a node satisfies the pod's nodeSelector and required node affinity (upstream's GetRequiredNodeAffinity().Match). */
export function matchesRequiredNodeAffinity(req: RequiredNodeAffinity, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(req.nodeSelector ?? {})) if (labels[k] !== v) return false;
  if (req.terms === undefined) return true;
  return req.terms.some((t) => termMatches(t, node));
}

function required(state: CycleState): RequiredNodeAffinity {
  return state.memo('NodeAffinity/required', () => requiredNodeAffinityOf(state.pod));
}

/** NodeAffinity: nodeSelector and requiredDuringScheduling node affinity. */
export const nodeAffinityFilter: FilterPlugin = {
  name: 'NodeAffinity',
  filter(state, node) {
    if (matchesRequiredNodeAffinity(required(state), node.node)) return undefined;
    return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_AFFINITY] };
  },
};

/** NodeAffinity score: the summed weights of the preferred terms a node matches, scaled to 0..100. */
export const nodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  skip(state) {
    return (state.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length === 0;
  },
  score(state, node) {
    const preferred = state.memo('NodeAffinity/preferred', () =>
      (state.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
        .filter((p) => p.weight !== 0)
        .map((p) => ({ weight: p.weight, term: compileTerm(p.preference) })),
    );
    let sum = 0;
    for (const p of preferred) if (termMatches(p.term, node.node)) sum += p.weight;
    return sum;
  },
  normalize(_state, scores) {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  },
};
