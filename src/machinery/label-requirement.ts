/**
 * One label selector requirement: its validation (labels.NewRequirement),
 * matching and canonical string form.
 */
import { aggregateMessage, invalid, notSupported, type FieldError } from './field-errors.js';
import { compareGoStrings, parseGoInt64 } from './go-format.js';
import { isQualifiedName, isValidLabelValue } from './names.js';
import { SelectorError } from './selector-error.js';

/** apimachinery selection.Operator strings. */
export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** Requirements ANDed together; [] selects everything. */
export type LabelSelector = Requirement[];

export const BINARY_OPERATORS: readonly Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const UNARY_OPERATORS: readonly Operator[] = ['exists', '!'];
const ALL_OPERATORS: readonly string[] = [...BINARY_OPERATORS, ...UNARY_OPERATORS];

/**
 * The error for a bad label key. `field` is the path upstream reports: the
 * string parser has no path and so reports "<nil>".
 */
export function labelKeyError(key: string, field: string): FieldError | undefined {
  const msgs = isQualifiedName(key);
  return msgs.length > 0 ? invalid(field, key, msgs.join('; ')) : undefined;
}

/**
 * Builds a validated requirement or throws SelectorError with the aggregated
 * field errors. `values` null stands for a Go nil slice, which upstream prints
 * as `null` (an empty list prints as `[]`).
 */
export function newRequirement(key: string, operator: string, values: string[] | null): Requirement {
  const vals = values ?? [];
  const errs: FieldError[] = [];
  const keyErr = labelKeyError(key, 'key');
  if (keyErr) errs.push(keyErr);

  switch (operator) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseGoInt64(v) === undefined) {
          errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default:
      errs.push(notSupported('operator', operator, [...ALL_OPERATORS]));
  }

  vals.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, msgs.join('; ')));
  });
  if (errs.length > 0) throw new SelectorError(aggregateMessage(errs));
  return { key, operator: operator as Operator, values: [...vals] };
}

export function matchesRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const actual = parseGoInt64(value!);
      const bound = parseGoInt64(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

const INFIX: Partial<Record<Operator, string>> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
};

/** Requirement.String(): values are shown sorted, without changing the requirement. */
export function formatRequirement(r: Requirement): string {
  if (r.operator === 'exists') return r.key;
  if (r.operator === '!') return '!' + r.key;
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareGoStrings).join(',');
  const body = r.operator === 'in' || r.operator === 'notin' ? `(${values})` : values;
  return r.key + (INFIX[r.operator] ?? '') + body;
}

/** Requirements are kept ordered by key (stable), as upstream's selector does. */
export function sortByKey(reqs: Requirement[]): Requirement[] {
  return [...reqs].sort((a, b) => compareGoStrings(a.key, b.key));
}
