import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import {
  MAX_REQUEST_BODY_BYTES,
  checkObjectTarget,
  decodeObject,
  parseMediaType,
  readBody,
} from '../../src/api/body.js';
import { goJSONSyntaxError } from '../../src/machinery/go-json-scanner.js';
import { StatusError } from '../../src/machinery/status.js';

function fakeRequest(headers: Record<string, string> = {}): PassThrough & IncomingMessage {
  const s = new PassThrough() as PassThrough & IncomingMessage;
  (s as { headers: Record<string, string> }).headers = headers;
  return s;
}

function thrown(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('readBody', () => {
  test('reads the whole body', async () => {
    const req = fakeRequest();
    const p = readBody(req);
    req.write('{"a":');
    req.end('1}');
    expect((await p).toString()).toBe('{"a":1}');
  });

  test('default limit is 3 MiB', () => {
    expect(MAX_REQUEST_BODY_BYTES).toBe(3145728);
  });

  test('413 once the body passes the limit', async () => {
    const req = fakeRequest();
    const p = readBody(req, 10);
    req.write('0123456789');
    req.write('x');
    await expect(p).rejects.toMatchObject({
      status: { code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 10' },
    });
  });

  test('exactly the limit is fine', async () => {
    const req = fakeRequest();
    const p = readBody(req, 10);
    req.end('0123456789');
    expect((await p).length).toBe(10);
  });

  test('413 up front when Content-Length announces too much', async () => {
    const req = fakeRequest({ 'content-length': String(MAX_REQUEST_BODY_BYTES + 1) });
    await expect(readBody(req)).rejects.toMatchObject({
      status: { code: 413, message: 'Request entity too large: limit is 3145728' },
    });
  });

  test('limit <= 0 means unlimited', async () => {
    const req = fakeRequest({ 'content-length': '100' });
    const p = readBody(req, 0);
    req.end('x'.repeat(100));
    expect((await p).length).toBe(100);
  });
});

describe('Go encoding/json syntax errors', () => {
  test.each([
    ['{"a":}', "invalid character '}' looking for beginning of value"],
    ['{a}', "invalid character 'a' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['{} x', "invalid character 'x' after top-level value"],
    ['', 'unexpected end of JSON input'],
    ['   ', 'unexpected end of JSON input'],
    ['{"a":1', 'unexpected end of JSON input'],
    ['{"a":"b', 'unexpected end of JSON input'],
    ['tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['nul', "invalid character ' ' in literal null (expecting 'l')"],
    ['fx', "invalid character 'x' in literal false (expecting 'a')"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['-a', "invalid character 'a' in numeric literal"],
    ['-', "invalid character ' ' in numeric literal"],
    ['1e', "invalid character ' ' in exponent of numeric literal"],
    ['01', "invalid character '1' after top-level value"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['\ufeff{}', "invalid character 'ï' looking for beginning of value"],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{"a":[1,]}', "invalid character ']' looking for beginning of value"],
  ])('%j', (text, expected) => {
    expect(goJSONSyntaxError(Buffer.from(text))).toBe(expected);
  });

  test.each(['{}', '[]', ' {"a":[1,2.5e-3,true,false,null,"\\u00e9\\n"]} ', '0', '-0.5E+2', '"x"', '{"a":{}}'])('valid %j', (text) => {
    expect(goJSONSyntaxError(Buffer.from(text))).toBeUndefined();
  });

  test('nesting deeper than 10000 fails like Go', () => {
    expect(goJSONSyntaxError(Buffer.from('['.repeat(10001)))).toBe("invalid character '[' exceeded max depth");
    expect(goJSONSyntaxError(Buffer.from('['.repeat(10000) + ']'.repeat(10000)))).toBeUndefined();
  });
});

describe('parseMediaType', () => {
  test.each([
    ['application/json', 'application/json'],
    ['Application/JSON; charset=utf-8', 'application/json'],
    ['application/json;', 'application/json'],
    ['application/json; charset="utf-8"', 'application/json'],
    ['application/json; charset', undefined],
    ['application/json; a=1; a=2', undefined],
    ['application/', undefined],
    ['', undefined],
    ['text/plain', 'text/plain'],
  ])('%j', (input, expected) => {
    expect(parseMediaType(input)).toBe(expected);
  });
});

describe('decodeObject', () => {
  const unsupported =
    'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf';

  test('JSON with or without a Content-Type', () => {
    expect(decodeObject(Buffer.from('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(decodeObject(Buffer.from('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ a: 1 });
  });

  test.each(['text/plain', 'application/json-patch+json', 'application/json; x', 'application/cbor'])(
    '415 for %j',
    (ct) => {
      const err = thrown(() => decodeObject(Buffer.from('{}'), ct, 'ConfigMap'));
      expect(err.status).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: unsupported,
        reason: 'UnsupportedMediaType',
        code: 415,
      });
    },
  );

  test.each([
    [
      '{"a":}',
      `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '}' looking for beginning of value ({"a":})`,
    ],
    [
      '',
      "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
    ],
    [
      '[1]',
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b315d)',
    ],
    [
      '{"kind":5,"metadata":{"name":"a-fairly-long-name-here"}}',
      `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string ({"kind":5,"metadata":{"name":" ...)`,
    ],
    [
      '{"apiVersion":"a/b/c"}',
      'the object provided is unrecognized (must be of type ConfigMap): unexpected GroupVersion string: a/b/c ({"apiVersion":"a/b/c"})',
    ],
  ])('400 for %j', (text, message) => {
    const err = thrown(() => decodeObject(Buffer.from(text), 'application/json', 'ConfigMap'));
    expect(JSON.stringify(err.status)).toBe(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 }),
    );
  });

  test('without the expected kind the message is the bare decoder error', () => {
    expect(thrown(() => decodeObject(Buffer.from('{'), undefined)).message).toBe(
      "couldn't get version/kind; json parse error: unexpected end of JSON input",
    );
  });

  test('null decodes to an empty object', () => {
    expect(decodeObject(Buffer.from('null'), undefined)).toEqual({});
  });
});

describe('checkObjectTarget', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap' };
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment' };

  test('fills a missing apiVersion and kind from the URL', () => {
    const obj: Record<string, unknown> = { metadata: { name: 'a' } };
    checkObjectTarget(obj, { ...deploy, namespace: 'default' });
    expect(obj).toEqual({ metadata: { name: 'a', namespace: 'default' }, apiVersion: 'apps/v1', kind: 'Deployment' });
  });

  test('a group without version takes the URL version', () => {
    const obj: Record<string, unknown> = { apiVersion: 'apps/' };
    checkObjectTarget(obj, deploy);
    expect(obj.apiVersion).toBe('apps/v1');
  });

  test.each([
    [
      { apiVersion: 'v1', kind: 'pod' },
      { apiVersion: 'v1', kind: 'Pod' },
      'pod in version "v1" cannot be handled as a Pod: no kind "pod" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    ],
    [
      { apiVersion: 'apps/v1', kind: 'deployment' },
      deploy,
      'deployment in version "v1" cannot be handled as a Deployment: no kind "deployment" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    ],
    [
      { apiVersion: 'v1', kind: 'Deployment' },
      deploy,
      'Deployment in version "v1" cannot be handled as a Deployment: no kind "Deployment" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    ],
    [
      { apiVersion: 'foo/', kind: 'Deployment' },
      deploy,
      `Deployment in version "" cannot be handled as a Deployment: Object 'apiVersion' is missing in '{"apiVersion":"foo/","kind":"Deployment"}'`,
    ],
  ])('400 for %j at %j', (obj, target, message) => {
    const err = thrown(() => checkObjectTarget({ ...obj }, target));
    expect(err.status).toMatchObject({ code: 400, reason: 'BadRequest', message });
  });

  test('a known other version of the kind: API version mismatch', () => {
    const isRegistered = (gv: string, kind: string) => kind === 'Deployment' && (gv === 'apps/v1' || gv === 'apps/v1beta1');
    const err = thrown(() => checkObjectTarget({ apiVersion: 'apps/v1beta1', kind: 'Deployment' }, deploy, { isRegistered }));
    expect(err.message).toBe('the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)');
  });

  test('a known other kind: conversion error', () => {
    const isRegistered = (gv: string) => gv === 'v1';
    const err = thrown(() => checkObjectTarget({ apiVersion: 'v1', kind: 'Secret' }, cm, { isRegistered }));
    expect(err.message).toBe(
      'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion',
    );
  });

  test('metadata of the wrong JSON type', () => {
    expect(thrown(() => checkObjectTarget({ metadata: 'x' }, cm)).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta',
    );
    expect(thrown(() => checkObjectTarget({ metadata: { name: 5 } }, cm)).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string',
    );
  });

  test('name must match the URL', () => {
    expect(thrown(() => checkObjectTarget({ metadata: { name: 'a' } }, { ...cm, name: 'b' })).status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'the name of the object (a) does not match the name on the URL (b)',
    });
    expect(thrown(() => checkObjectTarget({}, { ...cm, name: 'b' })).message).toBe(
      'the name of the object () does not match the name on the URL (b)',
    );
    expect(() => checkObjectTarget({ metadata: { name: 'b' } }, { ...cm, name: 'b' })).not.toThrow();
  });

  test('namespace: filled, kept, cleared for cluster scope, or rejected', () => {
    const filled: Record<string, unknown> = { metadata: { name: 'a' } };
    checkObjectTarget(filled, { ...cm, namespace: 'ns1' });
    expect(filled.metadata).toEqual({ name: 'a', namespace: 'ns1' });

    const cleared: Record<string, unknown> = { metadata: { name: 'n', namespace: 'x' } };
    checkObjectTarget(cleared, { apiVersion: 'v1', kind: 'Namespace', namespace: '' });
    expect(cleared.metadata).toEqual({ name: 'n' });

    const err = thrown(() => checkObjectTarget({ metadata: { namespace: 'other' } }, { ...cm, namespace: 'ns1' }));
    expect(err.status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
  });

  test('namespace is checked before the name, as in update', () => {
    const err = thrown(() => checkObjectTarget({ metadata: { name: 'a', namespace: 'x' } }, { ...cm, name: 'b', namespace: 'y' }));
    expect(err.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
  });
});
