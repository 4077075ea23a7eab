/**
 * Field-level validation errors, shaped and rendered like apimachinery's
 * util/validation/field package (the `causes` of a 422 Invalid status).
 */
import { goJSON, goNumber, goQuote } from './go-format.js';

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

/**
 * `badValue` undefined means "omitted" (upstream's omitValue): the message then
 * shows no value. `null` renders as `null`, like a Go nil.
 */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  badValue?: unknown;
  detail: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

// Types whose message never shows the bad value.
const VALUELESS = new Set<FieldErrorType>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'InternalError']);

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, badValue: '', detail };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue: value, detail };
}

export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, badValue: value, detail };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, badValue: '', detail };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue: value, detail: '' };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue: value, detail: '' };
}

export function notSupported(field: string, value: unknown, valid: string[]): FieldError {
  const detail = valid.length > 0 ? 'supported values: ' + valid.map(goQuote).join(', ') : '';
  return { type: 'FieldValueNotSupported', field, badValue: value, detail };
}

/** The value itself is never shown; `max` < 0 gives the generic wording. */
export function tooLong(field: string, _value: unknown, max: number): FieldError {
  const detail = max >= 0 ? `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` : 'value is too long';
  return { type: 'FieldValueTooLong', field, badValue: '<value omitted>', detail };
}

/** `actual` < 0 omits the count from the message. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items';
  return { type: 'FieldValueTooMany', field, badValue: actual >= 0 ? actual : undefined, detail };
}

export function internalError(field: string, err: Error | string): FieldError {
  const detail = typeof err === 'string' ? err : err.message;
  return { type: 'InternalError', field, badValue: detail, detail };
}

/**
 * A bad value that upstream passes as a Go struct without a String method, which ErrorBody prints with
 * %#v (a resource.Quantity, for one): `text` is that rendering.
 */
export class GoStructValue {
  constructor(readonly text: string) {}
}

/** Renders a bad value the way field.Error.ErrorBody does. */
function formatBadValue(v: unknown): string {
  if (v instanceof GoStructValue) return v.text;
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'number':
      return goNumber(v);
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return goJSON(v);
  }
}

/** The message without the field path: what a StatusCause's `message` holds. */
export function fieldErrorBody(e: FieldError): string {
  let s: string;
  const text = Object.hasOwn(TYPE_TEXT, e.type) ? TYPE_TEXT[e.type] : undefined;
  if (text === undefined) {
    s = `Internal error: unhandled error code: <unknown error ${goQuote(String(e.type))}>: please report this`;
  } else if (VALUELESS.has(e.type) || e.badValue === undefined) {
    s = text;
  } else {
    s = `${text}: ${formatBadValue(e.badValue)}`;
  }
  return e.detail.length > 0 ? `${s}: ${e.detail}` : s;
}

/** Like upstream field.Error.Error(): `<field>: <body>`. */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** Like ErrorList.ToAggregate().Error(): duplicates dropped, several messages bracketed. */
export function aggregateMessage(errs: FieldError[]): string {
  const msgs = [...new Set(errs.map(fieldErrorMessage))];
  if (msgs.length === 1) return msgs[0];
  return msgs.length === 0 ? '' : `[${msgs.join(', ')}]`;
}
