/**
 * Parser for the label selector string syntax (`?labelSelector=`), mirroring
 * labels.Parse token by token so that the same inputs fail with the same
 * messages:
 *
 *   selector    := requirement ("," requirement)*
 *   requirement := ["!"] KEY [ ("in"|"notin") "(" values ")" | ("="|"=="|"!="|">"|"<") VALUE ]
 */
import { fieldErrorMessage } from './field-errors.js';
import { BINARY_OPERATORS, labelKeyError, newRequirement, sortByKey, type Operator, type Requirement } from './label-requirement.js';
import { compareGoStrings } from './go-format.js';
import { SelectorError } from './selector-error.js';

type Token =
  | 'error'
  | 'eos'
  | ')'
  | ','
  | '!'
  | '=='
  | '='
  | '>'
  | 'identifier'
  | 'in'
  | '<'
  | '!='
  | 'notin'
  | '(';

interface Item {
  tok: Token;
  lit: string;
}

// A Map, so that words like "constructor" are not mistaken for keywords.
const KEYWORDS = new Map<string, Token>([
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['==', '=='],
  ['=', '='],
  ['>', '>'],
  ['in', 'in'],
  ['<', '<'],
  ['!=', '!='],
  ['notin', 'notin'],
  ['(', '('],
]);

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c) && c !== '';

/** Splits the input into tokens; the last one is always 'eos'. */
function lex(s: string): Item[] {
  let pos = 0;
  // Like upstream, a NUL character reads as end of input.
  const read = (): string => (pos < s.length ? s[pos++] : '\0');
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    let item: Item;
    if (ch === '\0') {
      item = { tok: 'eos', lit: '' };
    } else if (isSpecial(ch)) {
      // Longest run of special characters that still forms an operator.
      let buf = ch;
      const first = KEYWORDS.get(ch);
      let last: Item | undefined = first ? { tok: first, lit: ch } : undefined;
      for (;;) {
        const next = read();
        if (next === '\0') break;
        if (!isSpecial(next)) {
          pos--;
          break;
        }
        buf += next;
        const tok = KEYWORDS.get(buf);
        if (tok) last = { tok, lit: buf };
        else if (last) {
          pos--;
          break;
        }
      }
      item = last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` };
    } else {
      let buf = ch;
      for (;;) {
        const next = read();
        if (next === '\0') break;
        if (isSpecial(next) || isWhitespace(next)) {
          pos--;
          break;
        }
        buf += next;
      }
      item = { tok: KEYWORDS.get(buf) ?? 'identifier', lit: buf };
    }
    items.push(item);
    if (item.tok === 'eos') return items;
  }
}

const OPERATOR_OF: Partial<Record<Token, Operator>> = {
  in: 'in',
  '=': '=',
  '==': '==',
  '>': 'gt',
  '<': 'lt',
  notin: 'notin',
  '!=': '!=',
};

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  // In value position the keywords 'in' and 'notin' are plain identifiers.
  private asValue(item: Item): Item {
    return item.tok === 'in' || item.tok === 'notin' ? { tok: 'identifier', lit: item.lit } : item;
  }
  private peek(): Item {
    return this.asValue(this.items[Math.min(this.pos, this.items.length - 1)]);
  }
  private next(asValue = true): Item {
    const item = this.items[Math.min(this.pos, this.items.length - 1)];
    this.pos++;
    return asValue ? this.asValue(item) : item;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === 'eos') return reqs;
      if (tok !== 'identifier' && tok !== '!') {
        throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.requirement());
      } catch (e) {
        throw new SelectorError(`unable to parse requirement: ${(e as Error).message}`);
      }
      const after = this.next();
      if (after.tok === 'eos') return reqs;
      if (after.tok !== ',') throw new SelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.tok !== 'identifier' && following.tok !== '!') {
        throw new SelectorError(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): Requirement {
    let unary: Operator | undefined;
    let item = this.next();
    if (item.tok === '!') {
      unary = '!';
      item = this.next();
    }
    if (item.tok !== 'identifier') throw new Error(`found '${item.lit}', expected: identifier`);
    const key = item.lit;
    // The string parser validates keys with no field path, hence "<nil>".
    const keyErr = labelKeyError(key, '<nil>');
    if (keyErr) throw new Error(fieldErrorMessage(keyErr));
    const ahead = this.peek().tok;
    if (unary === undefined && (ahead === 'eos' || ahead === ',')) unary = 'exists';
    if (unary !== undefined) return newRequirement(key, unary, []);

    const opItem = this.next(false);
    const op = OPERATOR_OF[opItem.tok];
    if (op === undefined) throw new Error(`found '${opItem.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    const values = op === 'in' || op === 'notin' ? this.valueSet() : this.exactValue();
    // Upstream collects values in a set: sorted and de-duplicated.
    return newRequirement(key, op, [...values].sort(compareGoStrings));
  }

  private valueSet(): Set<string> {
    const open = this.next();
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const first = this.peek();
    if (first.tok === ')') {
      this.next();
      return new Set(['']); // "()" means the empty value
    }
    if (first.tok !== 'identifier' && first.tok !== ',') {
      throw new Error(`found '${first.lit}', expected: ',', ')' or identifier`);
    }
    const values = this.identifierList();
    this.next(); // the ')' that identifierList stopped at
    return values;
  }

  // Empty entries ("a,,b", "(,a)", "(a,)") stand for the empty value.
  private identifierList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const item = this.next();
      if (item.tok === 'identifier') {
        values.add(item.lit);
        const ahead = this.peek();
        if (ahead.tok === ')') return values;
        if (ahead.tok !== ',') throw new Error(`found '${ahead.lit}', expected: ',' or ')'`);
      } else if (item.tok === ',') {
        if (values.size === 0) values.add('');
        const ahead = this.peek().tok;
        if (ahead === ')') {
          values.add('');
          return values;
        }
        if (ahead === ',') values.add('');
      } else {
        throw new Error(`found '${item.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): Set<string> {
    const ahead = this.peek().tok;
    if (ahead === 'eos' || ahead === ',') return new Set(['']);
    const item = this.next();
    if (item.tok !== 'identifier') throw new Error(`found '${item.lit}', expected: identifier`);
    return new Set([item.lit]);
  }
}

/** labels.Parse: requirements ordered by key; throws SelectorError with upstream's message. */
export function parseLabelSelectorString(s: string): Requirement[] {
  return sortByKey(new Parser(lex(s)).parse());
}
