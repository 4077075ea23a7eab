import {
  aggregateMessage,
  duplicate,
  fieldErrorBody,
  fieldErrorMessage,
  forbidden,
  internalError,
  invalid,
  notFound,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  type FieldError,
} from '../../src/machinery/field-errors.js';

describe('fieldErrorMessage', () => {
  const cases: [string, FieldError, string][] = [
    ['required', required('metadata.name', 'name or generateName is required'), 'metadata.name: Required value: name or generateName is required'],
    ['required without detail', required('metadata.namespace'), 'metadata.namespace: Required value'],
    ['required ignores a stray value', { type: 'FieldValueRequired', field: 'f', badValue: 'v', detail: 'd' }, 'f: Required value: d'],
    ['forbidden', forbidden('metadata.namespace', 'not allowed on this type'), 'metadata.namespace: Forbidden: not allowed on this type'],
    ['too long, plural', tooLong('f', 'the value', 2), 'f: Too long: may not be more than 2 bytes'],
    ['too long, singular', tooLong('f', 'the value', 1), 'f: Too long: may not be more than 1 byte'],
    ['too long, unknown limit', tooLong('f', 'the value', -1), 'f: Too long: value is too long'],
    ['too many', tooMany('f', 3, 2), 'f: Too many: 3: must have at most 2 items'],
    ['too many, singular', tooMany('f', 2, 1), 'f: Too many: 2: must have at most 1 item'],
    ['too many, unknown limit', tooMany('f', 2, -1), 'f: Too many: 2: has too many items'],
    ['too many, count omitted', tooMany('f', -1, 1), 'f: Too many: must have at most 1 item'],
    ['internal error', internalError('f', new Error('the error')), 'f: Internal error: the error'],
    ['invalid string', invalid('metadata.name', 'Foo', 'bad'), 'metadata.name: Invalid value: "Foo": bad'],
    ['invalid int', invalid('f', -42, 'd'), 'f: Invalid value: -42: d'],
    ['invalid large int stays plain', invalid('f', 123456789012, 'd'), 'f: Invalid value: 123456789012: d'],
    ['invalid float', invalid('f', 1.5, 'd'), 'f: Invalid value: 1.5: d'],
    ['invalid small float uses %v exponent form', invalid('f', 0.000001, 'd'), 'f: Invalid value: 1e-06: d'],
    ['invalid big float uses %v exponent form', invalid('f', 1234567.5, 'd'), 'f: Invalid value: 1.2345675e+06: d'],
    ['invalid bool', invalid('f', true, 'd'), 'f: Invalid value: true: d'],
    ['invalid list', invalid('f', ['one', 'two', 'three'], 'd'), 'f: Invalid value: ["one","two","three"]: d'],
    ['invalid empty list', invalid('f', [], 'd'), 'f: Invalid value: []: d'],
    ['invalid object keeps key order', invalid('f', { stringField: 'x', intField: 9376, boolField: true }, 'd'), 'f: Invalid value: {"stringField":"x","intField":9376,"boolField":true}: d'],
    ['invalid JSON escapes HTML characters', invalid('f', ['a<b>&c'], 'd'), 'f: Invalid value: ["a\\u003cb\\u003e\\u0026c"]: d'],
    ['invalid null', invalid('f', null, 'd'), 'f: Invalid value: null: d'],
    ['invalid with omitted value', invalid('f', undefined, 'd'), 'f: Invalid value: d'],
    ['invalid quotes like %q', invalid('f', 'tab\there "q"', 'd'), 'f: Invalid value: "tab\\there \\"q\\"": d'],
    ['type invalid', typeInvalid('f', 'the value', 'the details'), 'f: Invalid value: "the value": the details'],
    ['not found', notFound('f', 'the value'), 'f: Not found: "the value"'],
    ['not supported', notSupported('f', 'the value', ['val1', 'val2']), 'f: Unsupported value: "the value": supported values: "val1", "val2"'],
    ['not supported with no list', notSupported('f', 'v', []), 'f: Unsupported value: "v"'],
    ['duplicate', duplicate('f', 'the value'), 'f: Duplicate value: "the value"'],
    [
      'unknown type',
      { type: 'not real' as FieldError['type'], field: 'f', badValue: 'v', detail: 'the details' },
      'f: Internal error: unhandled error code: <unknown error "not real">: please report this: the details',
    ],
  ];
  it.each(cases)('%s', (_name, err, expected) => {
    expect(fieldErrorMessage(err)).toBe(expected);
  });

  it('body is the message without the field path', () => {
    expect(fieldErrorBody(invalid('metadata.name', 'Foo', 'bad'))).toBe('Invalid value: "Foo": bad');
  });

  it('constructors set upstream types', () => {
    expect(required('f').type).toBe('FieldValueRequired');
    expect(invalid('f', 1, 'd').type).toBe('FieldValueInvalid');
    expect(forbidden('f', 'd').type).toBe('FieldValueForbidden');
    expect(notSupported('f', 'v', []).type).toBe('FieldValueNotSupported');
    expect(tooLong('f', 'v', 1).type).toBe('FieldValueTooLong');
    expect(duplicate('f', 'v').type).toBe('FieldValueDuplicate');
  });
});

describe('aggregateMessage', () => {
  const a = invalid('f', 'v', 'd');
  const b = required('g', 'x');
  const cases: [string, FieldError[], string][] = [
    ['none', [], ''],
    ['one', [a], 'f: Invalid value: "v": d'],
    ['duplicates collapse to one, unbracketed', [a, { ...a }], 'f: Invalid value: "v": d'],
    ['several are bracketed', [a, b], '[f: Invalid value: "v": d, g: Required value: x]'],
    ['duplicates dropped among several', [a, b, a], '[f: Invalid value: "v": d, g: Required value: x]'],
  ];
  it.each(cases)('%s', (_name, errs, expected) => {
    expect(aggregateMessage(errs)).toBe(expected);
  });
});
