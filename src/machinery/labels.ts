/**
 * Label selectors: parsing the query-string form, converting the structured
 * metav1.LabelSelector form, matching and printing.
 */
import { formatRequirement, matchesRequirement, newRequirement, sortByKey } from './label-requirement.js';
import type { LabelSelector, Requirement } from './label-requirement.js';
import { parseLabelSelectorString } from './label-selector-parser.js';
import { compareGoStrings, goQuote } from './go-format.js';
import { SelectorError } from './selector-error.js';

export type { LabelSelector, Operator, Requirement } from './label-requirement.js';
export { newRequirement } from './label-requirement.js';
export { SelectorError } from './selector-error.js';

/** Parses `?labelSelector=`; "" selects everything. Throws SelectorError. */
export function parseLabelSelector(s: string): LabelSelector {
  return parseLabelSelectorString(s);
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const EXPRESSION_OPERATORS = new Map<string, Requirement['operator']>([
  ['In', 'in'],
  ['NotIn', 'notin'],
  ['Exists', 'exists'],
  ['DoesNotExist', '!'],
]);

/**
 * metav1.LabelSelectorAsSelector: a missing selector selects nothing, an empty
 * one selects everything. Throws SelectorError for invalid requirements.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector | 'nothing' {
  if (sel === null || sel === undefined) return 'nothing';
  const matchLabels = sel.matchLabels ?? {};
  const expressions = sel.matchExpressions ?? [];
  const reqs: Requirement[] = [];
  // Go iterates the map in random order; sorting makes the first error reported deterministic.
  for (const key of Object.keys(matchLabels).sort(compareGoStrings)) {
    reqs.push(newRequirement(key, '=', [matchLabels[key]]));
  }
  for (const expr of expressions) {
    const op = EXPRESSION_OPERATORS.get(expr.operator);
    if (op === undefined) throw new SelectorError(`${goQuote(String(expr.operator))} is not a valid label selector operator`);
    // Absent or empty values are a nil slice upstream (printed as null).
    const values = expr.values && expr.values.length > 0 ? expr.values : null;
    reqs.push(newRequirement(expr.key, op, values));
  }
  return sortByKey(reqs);
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined | null): boolean {
  const ls = labels ?? {};
  return sel.every((r) => matchesRequirement(r, ls));
}

/** Canonical string form, e.g. `a=b,c in (d,e),!f`. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.map(formatRequirement).join(',');
}
