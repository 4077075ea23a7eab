import { goQuote } from './go-format.js';
/**
 * A byte-level replica of Go encoding/json's scanner, for one purpose: kube-apiserver runs it over a
 * body before decoding, and clients show its syntax error, so ours must word errors the same way.
 */

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const MAX_DEPTH = 10000;
const IN_KEY = 0; // inside an object, before a key's colon
const IN_VALUE = 1; // inside an object, after the colon
const IN_ARRAY = 2;

// encoding/json quoteChar: a byte shown as a Go rune literal.
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  return `'${goQuote(String.fromCharCode(c)).slice(1, -1)}'`;
}

class GoJSONScanner {
  err: string | undefined;
  private endTop = false;
  private stack: number[] = [];
  private step: (c: number) => void = (c) => this.beginValue(c);

  feed(c: number): boolean {
    this.step(c);
    return this.err === undefined;
  }

  eof(): string | undefined {
    if (this.err !== undefined || this.endTop) return this.err;
    this.step(0x20);
    if (this.endTop) return undefined;
    return this.err ?? 'unexpected end of JSON input';
  }

  private fail(c: number, context: string): void {
    this.err = `invalid character ${quoteChar(c)} ${context}`;
  }

  private next(state: (c: number) => void): void {
    this.step = state;
  }

  private push(c: number, kind: number, then: (c: number) => void): void {
    this.stack.push(kind);
    if (this.stack.length > MAX_DEPTH) this.fail(c, 'exceeded max depth');
    else this.next(then);
  }

  private pop(): void {
    this.stack.pop();
    if (this.stack.length === 0) {
      this.endTop = true;
      this.next((c) => this.afterTop(c));
    } else {
      this.next((c) => this.endValue(c));
    }
  }

  private beginValue(c: number): void {
    if (isSpace(c)) return;
    switch (c) {
      case 0x7b: // {
        return this.push(c, IN_KEY, (d) => this.beginKeyOrEmpty(d));
      case 0x5b: // [
        return this.push(c, IN_ARRAY, (d) => this.beginValueOrEmpty(d));
      case 0x22:
        return this.next((d) => this.inString(d));
      case 0x2d: // -
        return this.next((d) => this.negative(d));
      case 0x30:
        return this.next((d) => this.zero(d));
      case 0x74:
        return this.literal('true', 1);
      case 0x66:
        return this.literal('false', 1);
      case 0x6e:
        return this.literal('null', 1);
    }
    if (c >= 0x31 && c <= 0x39) return this.next((d) => this.digits(d));
    this.fail(c, 'looking for beginning of value');
  }

  private beginValueOrEmpty(c: number): void {
    if (isSpace(c)) return;
    if (c === 0x5d) return this.endValue(c);
    this.beginValue(c);
  }

  private beginKeyOrEmpty(c: number): void {
    if (isSpace(c)) return;
    if (c === 0x7d) {
      this.stack[this.stack.length - 1] = IN_VALUE;
      return this.endValue(c);
    }
    this.beginKey(c);
  }

  private beginKey(c: number): void {
    if (isSpace(c)) return;
    if (c === 0x22) return this.next((d) => this.inString(d));
    this.fail(c, 'looking for beginning of object key string');
  }

  private endValue(c: number): void {
    const n = this.stack.length;
    if (n === 0) {
      this.endTop = true;
      this.next((d) => this.afterTop(d));
      return this.afterTop(c);
    }
    if (isSpace(c)) return this.next((d) => this.endValue(d));
    switch (this.stack[n - 1]) {
      case IN_KEY:
        if (c === 0x3a) {
          this.stack[n - 1] = IN_VALUE;
          return this.next((d) => this.beginValue(d));
        }
        return this.fail(c, 'after object key');
      case IN_VALUE:
        if (c === 0x2c) {
          this.stack[n - 1] = IN_KEY;
          return this.next((d) => this.beginKey(d));
        }
        if (c === 0x7d) return this.pop();
        return this.fail(c, 'after object key:value pair');
      default:
        if (c === 0x2c) return this.next((d) => this.beginValue(d));
        if (c === 0x5d) return this.pop();
        return this.fail(c, 'after array element');
    }
  }

  private afterTop(c: number): void {
    if (!isSpace(c)) this.fail(c, 'after top-level value');
  }

  private inString(c: number): void {
    if (c === 0x22) return this.next((d) => this.endValue(d));
    if (c === 0x5c) return this.next((d) => this.escape(d));
    if (c < 0x20) this.fail(c, 'in string literal');
  }

  private escape(c: number): void {
    if ('bfnrt\\/"'.includes(String.fromCharCode(c))) return this.next((d) => this.inString(d));
    if (c === 0x75) return this.next((d) => this.unicodeEscape(d, 1));
    this.fail(c, 'in string escape code');
  }

  private unicodeEscape(c: number, nth: number): void {
    if (!isHex(c)) return this.fail(c, 'in \\u hexadecimal character escape');
    this.next(nth === 4 ? (d) => this.inString(d) : (d) => this.unicodeEscape(d, nth + 1));
  }

  private negative(c: number): void {
    if (c === 0x30) return this.next((d) => this.zero(d));
    if (c >= 0x31 && c <= 0x39) return this.next((d) => this.digits(d));
    this.fail(c, 'in numeric literal');
  }

  private digits(c: number): void {
    if (isDigit(c)) return;
    this.zero(c);
  }

  private zero(c: number): void {
    if (c === 0x2e) return this.next((d) => this.dot(d));
    if (c === 0x65 || c === 0x45) return this.next((d) => this.exponent(d));
    this.endValue(c);
  }

  private dot(c: number): void {
    if (isDigit(c)) return this.next((d) => this.fraction(d));
    this.fail(c, 'after decimal point in numeric literal');
  }

  private fraction(c: number): void {
    if (isDigit(c)) return;
    if (c === 0x65 || c === 0x45) return this.next((d) => this.exponent(d));
    this.endValue(c);
  }

  private exponent(c: number): void {
    if (c === 0x2b || c === 0x2d) return this.next((d) => this.exponentSign(d));
    this.exponentSign(c);
  }

  private exponentSign(c: number): void {
    if (isDigit(c)) return this.next((d) => this.exponentDigits(d));
    this.fail(c, 'in exponent of numeric literal');
  }

  private exponentDigits(c: number): void {
    if (isDigit(c)) return;
    this.endValue(c);
  }

  // true/false/null: `pos` is the index of the letter expected next.
  private literal(word: string, pos: number): void {
    this.next((c) => {
      if (c !== word.charCodeAt(pos)) return this.fail(c, `in literal ${word} (expecting '${word[pos]}')`);
      if (pos + 1 === word.length) this.next((d) => this.endValue(d));
      else this.literal(word, pos + 1);
    });
  }
}

/** encoding/json's syntax error for `data`, or undefined if it is valid JSON. */
export function goJSONSyntaxError(data: Uint8Array): string | undefined {
  const scanner = new GoJSONScanner();
  for (const c of data) {
    if (!scanner.feed(c)) return scanner.err;
  }
  return scanner.eof();
}
