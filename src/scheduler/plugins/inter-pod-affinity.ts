import { labelSelectorFromObject, matchesLabels } from '../../machinery/labels.js';
import { MAX_NODE_SCORE } from '../framework.js';
import type { CycleState, FilterPlugin, ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { Pod, PodAffinityTerm } from '../types.js';

export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

interface CompiledTerm {
  topologyKey: string;
  /** Whether a pod is one the term is about (namespace and labels). */
  matches(p: Pod): boolean;
}

/**
 * A pod affinity term of `owner`: its label selector over the namespaces it names (the owner's own when it
 * names none). A namespaceSelector of {} means every namespace; other namespace selectors would need the
 * namespaces' labels, which this scheduler does not watch, so they add no namespace.
 */
export function compileTerm(owner: Pod, t: PodAffinityTerm): CompiledTerm {
  let sel: ReturnType<typeof labelSelectorFromObject>;
  try {
    sel = labelSelectorFromObject(t.labelSelector);
  } catch {
    sel = 'nothing';
  }
  const nsSel = t.namespaceSelector;
  const allNamespaces = nsSel !== undefined && nsSel !== null && !nsSel.matchLabels && !(nsSel.matchExpressions ?? []).length;
  const namespaces = new Set(t.namespaces ?? []);
  if (namespaces.size === 0 && (nsSel === undefined || nsSel === null)) namespaces.add(owner.metadata.namespace ?? '');
  return {
    topologyKey: t.topologyKey,
    matches: (p) =>
      sel !== 'nothing' && (allNamespaces || namespaces.has(p.metadata.namespace ?? '')) && matchesLabels(sel, p.metadata.labels),
  };
}

function livePods(n: NodeInfo): Pod[] {
  return n.podList().filter((p) => !p.metadata.deletionTimestamp);
}

/** The topology values (per key) holding at least one pod a term matches. */
function domainsWith(state: CycleState, key: string, terms: CompiledTerm[]): Set<string>[] {
  return state.memo(key, () =>
    terms.map((t) => {
      const values = new Set<string>();
      for (const n of state.allNodes) {
        const v = n.node.metadata.labels?.[t.topologyKey];
        if (v !== undefined && livePods(n).some((p) => t.matches(p))) values.add(v);
      }
      return values;
    }),
  );
}

interface PodTerms {
  affinity: CompiledTerm[];
  antiAffinity: CompiledTerm[];
}

interface RequiredAffinity {
  podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] };
}

function requiredTerms(state: CycleState): PodTerms {
  return state.memo('InterPodAffinity/terms', () => {
    const aff = state.pod.spec?.affinity;
    const positive = (aff?.podAffinity as RequiredAffinity['podAffinity'])?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    return {
      affinity: positive.map((t) => compileTerm(state.pod, t)),
      antiAffinity: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compileTerm(state.pod, t)),
    };
  });
}

/** Domains (key=value) where an existing pod's required anti-affinity term matches the incoming pod. */
function existingAntiAffinityDomains(state: CycleState): Set<string> {
  return state.memo('InterPodAffinity/existing', () => {
    const out = new Set<string>();
    for (const n of state.allNodes) {
      if (n.podsWithRequiredAntiAffinity === 0) continue;
      for (const p of livePods(n)) {
        const terms = p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
        if (!terms) continue;
        for (const t of terms) {
          const v = n.node.metadata.labels?.[t.topologyKey];
          if (v !== undefined && compileTerm(p, t).matches(state.pod)) out.add(`${t.topologyKey}=${v}`);
        }
      }
    }
    return out;
  });
}

/**
 * InterPodAffinity filter: required pod affinity (a matching pod in the node's domain, or none anywhere
 * when the pod matches its own term), required anti-affinity (no matching pod in the domain), and the
 * required anti-affinity of the pods already placed.
 */
export const interPodAffinityFilter: FilterPlugin = {
  name: 'InterPodAffinity',
  filter(state, node) {
    const labels = node.node.metadata.labels ?? {};
    const existing = existingAntiAffinityDomains(state);
    if (existing.size > 0) {
      for (const [k, v] of Object.entries(labels)) {
        if (existing.has(`${k}=${v}`)) return { code: 'Unschedulable', reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY] };
      }
    }
    const { affinity, antiAffinity } = requiredTerms(state);
    if (antiAffinity.length > 0) {
      const taken = domainsWith(state, 'InterPodAffinity/anti', antiAffinity);
      for (let i = 0; i < antiAffinity.length; i++) {
        const v = labels[antiAffinity[i].topologyKey];
        if (v !== undefined && taken[i].has(v)) return { code: 'Unschedulable', reasons: [ERR_REASON_ANTI_AFFINITY] };
      }
    }
    if (affinity.length > 0) {
      const present = domainsWith(state, 'InterPodAffinity/affinity', affinity);
      const noneAnywhere = present.every((s) => s.size === 0) && affinity.every((t) => t.matches(state.pod));
      for (let i = 0; i < affinity.length; i++) {
        const v = labels[affinity[i].topologyKey];
        if (v === undefined || !(present[i].has(v) || noneAnywhere)) return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY] };
      }
    }
    return undefined;
  },
};

/**
 * InterPodAffinity score, for the incoming pod's preferred anti-affinity: each matching pod in a node's
 * domain subtracts the term's weight; scores are then scaled between the lowest and highest onto 0..100.
 */
export const interPodAffinityScore: ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  skip(state) {
    return (state.pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length === 0;
  },
  score(state, node) {
    const terms = state.memo('InterPodAffinity/preferred', () =>
      (state.pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => ({
        weight: w.weight,
        term: compileTerm(state.pod, w.podAffinityTerm),
      })),
    );
    let score = 0;
    for (const { weight, term } of terms) {
      const v = node.node.metadata.labels?.[term.topologyKey];
      if (v === undefined) continue;
      for (const n of state.allNodes) {
        if (n.node.metadata.labels?.[term.topologyKey] !== v) continue;
        for (const p of livePods(n)) if (term.matches(p)) score -= weight;
      }
    }
    return score;
  },
  normalize(_state, scores) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i] - min)) / diff) : 0;
  },
};
