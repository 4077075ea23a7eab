/**
 * Field selectors (`?fieldSelector=`): `field=value`, `field==value` and
 * `field!=value` terms joined by commas. In values, `\`, `,` and `=` must be
 * escaped with a backslash; field names are taken verbatim.
 */
import { compareGoStrings } from './go-format.js';
import { SelectorError } from './labels.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Splits on commas that are not backslash-escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// '!=' and '==' are tried before '=' at each position so '==' is not read as '=' plus '='.
const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): [string, (typeof TERM_OPERATORS)[number], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

export function unescapeFieldValue(s: string): string {
  let out = '';
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      // Upstream prints the rune with %v, i.e. as its code point number.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => '\\' + c);
}

/**
 * fields.ParseSelector. Terms come back sorted by their raw text (upstream
 * sorts before parsing); '==' is normalised to '=' as upstream's
 * Requirements() reports it; a term with empty field and value is dropped.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const reqs: FieldSelector = [];
  for (const term of splitTerms(s).sort(compareGoStrings)) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (parts === undefined) throw new SelectorError(`invalid selector: '${s}'; can't understand '${term}'`);
    const [field, op, rawValue] = parts;
    const value = unescapeFieldValue(rawValue);
    if (field === '' && value === '') continue;
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value });
  }
  return reqs;
}

/** A field missing from `fields` counts as the empty string, as upstream's fields.Set does. */
export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  return sel.every((r) => {
    const actual = Object.hasOwn(fields, r.field) ? fields[r.field] : '';
    return r.operator === '!=' ? actual !== r.value : actual === r.value;
  });
}

/** Canonical string form, values escaped. */
export function formatFieldSelector(sel: FieldSelector): string {
  return sel.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}
