import {
  decodeDeleteOptionsBody,
  parseDeleteOptions,
  parseListOptions,
  type ListOptions,
} from '../../src/api/list-options.js';
import { StatusError } from '../../src/machinery/status.js';

const q = (s: string) => new URLSearchParams(s);

function thrown(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('parseListOptions: values', () => {
  test('kubectl get', () => {
    expect(parseListOptions(q('limit=500'), false)).toEqual<ListOptions>({
      labelSelector: '',
      fieldSelector: '',
      resourceVersion: '',
      resourceVersionMatch: '',
      limit: 500,
      continue: '',
      watch: false,
      allowWatchBookmarks: false,
    });
  });

  test('reflector watch', () => {
    expect(
      parseListOptions(q('allowWatchBookmarks=true&fieldSelector=metadata.name%3Dx&resourceVersion=42&timeoutSeconds=321&watch=true'), true),
    ).toEqual<ListOptions>({
      labelSelector: '',
      fieldSelector: 'metadata.name=x',
      resourceVersion: '42',
      resourceVersionMatch: '',
      limit: 0,
      continue: '',
      watch: true,
      allowWatchBookmarks: true,
      timeoutSeconds: 321,
    });
  });

  test('first value of a repeated parameter wins; bools like the parameter codec', () => {
    const o = parseListOptions(q('labelSelector=a%3D1&labelSelector=b%3D2&allowWatchBookmarks&watch=FALSE'), false);
    expect(o.labelSelector).toBe('a=1');
    expect(o.allowWatchBookmarks).toBe(true);
    expect(o.watch).toBe(false);
  });

  test('legacy /watch/ path: watch without the parameter', () => {
    expect(parseListOptions(q(''), true).watch).toBe(true);
  });

  test('signed and negative integers parse like strconv.ParseInt', () => {
    expect(parseListOptions(q('limit=%2B5'), false).limit).toBe(5);
    expect(parseListOptions(q('limit=-1'), false).limit).toBe(-1);
    expect(parseListOptions(q('timeoutSeconds=-3&watch=1'), false).timeoutSeconds).toBe(-3);
  });

  test('resourceVersionMatch with a resourceVersion', () => {
    const o = parseListOptions(q('resourceVersion=10&resourceVersionMatch=NotOlderThan'), false);
    expect(o.resourceVersionMatch).toBe('NotOlderThan');
  });
});

describe('parseListOptions: 400 from query conversion', () => {
  test.each([
    ['limit=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ['limit=', 'strconv.ParseInt: parsing "": invalid syntax'],
    ['limit=1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ['limit=99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ['timeoutSeconds=x', 'strconv.ParseInt: parsing "x": invalid syntax'],
    // timeoutSeconds converts before limit
    ['limit=y&timeoutSeconds=x', 'strconv.ParseInt: parsing "x": invalid syntax'],
  ])('%s', (query, message) => {
    const err = thrown(() => parseListOptions(q(query), false));
    expect(JSON.stringify(err.status)).toBe(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 }),
    );
  });
});

describe('parseListOptions: 422 from ValidateListOptions', () => {
  test.each([
    [
      'resourceVersionMatch=NotOlderThan',
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    ],
    [
      'resourceVersion=0&resourceVersionMatch=Exact',
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ],
    [
      'resourceVersion=5&resourceVersionMatch=Latest',
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Latest": supported values: "Exact", "NotOlderThan", ""',
    ],
    [
      'resourceVersionMatch=Exact&continue=abc',
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided]',
    ],
    ['sendInitialEvents=true', 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
    [
      'watch=1&resourceVersionMatch=NotOlderThan',
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    ],
    [
      'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
    ],
    [
      'watch=1&sendInitialEvents=true',
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled]',
    ],
  ])('%s', (query, message) => {
    const err = thrown(() => parseListOptions(q(query), query.startsWith('watch')));
    expect(err.status).toMatchObject({ code: 422, reason: 'Invalid', message, details: { group: 'meta.k8s.io', kind: 'ListOptions' } });
  });

  test('full body of one validation error', () => {
    const err = thrown(() => parseListOptions(q('sendInitialEvents=false'), false));
    expect(JSON.stringify(err.status)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"ListOptions.meta.k8s.io \\"\\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list",' +
        '"reason":"Invalid","details":{"group":"meta.k8s.io","kind":"ListOptions","causes":[{"reason":"FieldValueForbidden",' +
        '"message":"Forbidden: sendInitialEvents is forbidden for list","field":"sendInitialEvents"}]},"code":422}',
    );
  });

  test('the legacy watch path validates as a list (upstream checks only the parameter)', () => {
    expect(thrown(() => parseListOptions(q('sendInitialEvents=true'), true)).message).toContain('sendInitialEvents is forbidden for list');
  });

  test('with the WatchList gate on, a streaming watch is accepted and legacy watches are defaulted', () => {
    const stream = parseListOptions(q('watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'), true, {
      watchList: true,
    });
    expect(stream).toMatchObject({ watch: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
    const legacy = parseListOptions(q('watch=1'), true, { watchList: true });
    expect(legacy).toMatchObject({ sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
    const fromRV = parseListOptions(q('watch=1&resourceVersion=7'), true, { watchList: true });
    expect(fromRV.sendInitialEvents).toBeUndefined();
  });
});

describe('parseListOptions: storage resourceVersion checks', () => {
  test('list: 400 invalid resource version', () => {
    const err = thrown(() => parseListOptions(q('resourceVersion=abc'), false));
    expect(err.status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    });
    expect(thrown(() => parseListOptions(q('resourceVersion=-1'), false)).message).toBe(
      'invalid resource version: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax',
    );
    expect(thrown(() => parseListOptions(q('resourceVersion=18446744073709551616'), false)).message).toBe(
      'invalid resource version: resourceVersion: Invalid value: "18446744073709551616": strconv.ParseUint: parsing "18446744073709551616": value out of range',
    );
  });

  test('list: resourceVersion with continue', () => {
    expect(thrown(() => parseListOptions(q('resourceVersion=5&continue=tok'), false)).status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'specifying resource version is not allowed when using continue',
    });
    expect(parseListOptions(q('resourceVersion=0&continue=tok'), false).continue).toBe('tok');
  });

  test('watch: a reason-less 500, as the unwrapped storage error', () => {
    const err = thrown(() => parseListOptions(q('watch=true&resourceVersion=abc'), true));
    expect(JSON.stringify(err.status)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion: Invalid value: \\"abc\\": strconv.ParseUint: parsing \\"abc\\": invalid syntax","code":500}',
    );
  });

  test('"0" and empty are always fine', () => {
    expect(parseListOptions(q('resourceVersion=0'), false).resourceVersion).toBe('0');
    expect(parseListOptions(q('watch=1&resourceVersion=0'), true).resourceVersion).toBe('0');
  });
});

describe('parseDeleteOptions', () => {
  test('kubectl delete body', () => {
    expect(parseDeleteOptions(q(''), { propagationPolicy: 'Background' })).toEqual({ propagationPolicy: 'Background', dryRun: false });
    expect(parseDeleteOptions(q(''), { propagationPolicy: 'Foreground', gracePeriodSeconds: 0, dryRun: ['All'] })).toEqual({
      propagationPolicy: 'Foreground',
      gracePeriodSeconds: 0,
      dryRun: true,
    });
    expect(parseDeleteOptions(q(''), { preconditions: { uid: 'u1', resourceVersion: '7' } })).toEqual({
      preconditions: { uid: 'u1', resourceVersion: '7' },
      dryRun: false,
    });
  });

  test('query parameters, used only without a body', () => {
    expect(parseDeleteOptions(q('gracePeriodSeconds=5&propagationPolicy=Orphan&dryRun=All&uid=u&resourceVersion=3'), undefined)).toEqual({
      gracePeriodSeconds: 5,
      propagationPolicy: 'Orphan',
      dryRun: true,
      preconditions: { uid: 'u', resourceVersion: '3' },
    });
    expect(parseDeleteOptions(q('orphanDependents=false'), undefined)).toEqual({ orphanDependents: false, dryRun: false });
    expect(parseDeleteOptions(q('propagationPolicy=Orphan'), {})).toEqual({ dryRun: false });
  });

  test('bad gracePeriodSeconds in the query is a 400', () => {
    expect(thrown(() => parseDeleteOptions(q('gracePeriodSeconds=soon'), undefined)).status).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'strconv.ParseInt: parsing "soon": invalid syntax',
    });
  });

  test.each([
    [
      { propagationPolicy: 'Sometimes' },
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"',
    ],
    [
      { propagationPolicy: 'Orphan', orphanDependents: true },
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set',
    ],
    [{ dryRun: ['All', 'Some'] }, 'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "Some"}: supported values: "All"'],
  ])('422 for %j', (body, message) => {
    const err = thrown(() => parseDeleteOptions(q(''), body));
    expect(err.status).toMatchObject({ code: 422, reason: 'Invalid', message, details: { group: 'meta.k8s.io', kind: 'DeleteOptions' } });
  });

  test('422 cause for dryRun', () => {
    const err = thrown(() => parseDeleteOptions(q('dryRun=true'), undefined));
    expect(err.status.details?.causes).toEqual([
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: []string{"true"}: supported values: "All"', field: 'dryRun' },
    ]);
  });

  test.each([
    [{ gracePeriodSeconds: 'x' }, 'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64'],
    [{ gracePeriodSeconds: 1.5 }, 'json: cannot unmarshal number 1.5 into Go struct field DeleteOptions.gracePeriodSeconds of type int64'],
    [{ dryRun: 'All' }, 'json: cannot unmarshal string into Go struct field DeleteOptions.dryRun of type []string'],
    [{ dryRun: [1] }, 'json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type string'],
    [{ preconditions: { uid: 1 } }, 'json: cannot unmarshal number into Go struct field Preconditions.preconditions.uid of type types.UID'],
    [{ propagationPolicy: true }, 'json: cannot unmarshal bool into Go struct field DeleteOptions.propagationPolicy of type v1.DeletionPropagation'],
  ])('decode errors in the body are reason-less 500s: %j', (body, message) => {
    const err = thrown(() => parseDeleteOptions(q(''), body));
    expect(err.status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500 });
  });
});

describe('decodeDeleteOptionsBody', () => {
  test('empty body means "use the query"', () => {
    expect(decodeDeleteOptionsBody(Buffer.alloc(0), undefined)).toBeUndefined();
  });

  test('JSON body', () => {
    expect(decodeDeleteOptionsBody(Buffer.from('{"propagationPolicy":"Background"}'), 'application/json')).toEqual({
      propagationPolicy: 'Background',
    });
  });

  test('malformed JSON is a reason-less 500 with the decoder message', () => {
    expect(thrown(() => decodeDeleteOptionsBody(Buffer.from('{'), 'application/json')).status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "couldn't get version/kind; json parse error: unexpected end of JSON input",
      code: 500,
    });
  });

  test('415 for other media types', () => {
    expect(thrown(() => decodeDeleteOptionsBody(Buffer.from('{}'), 'application/yaml')).code).toBe(415);
  });
});
