import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  gone,
  internalError,
  invalid,
  isStatusError,
  methodNotSupported,
  notAcceptable,
  notFound,
  OPTIMISTIC_LOCK_MESSAGE,
  plainServerError,
  requestEntityTooLarge,
  resourceExpired,
  successStatus,
  timeout,
  toStatus,
  tooLargeResourceVersion,
  unauthorized,
  unsupportedMediaType,
  ACCEPTED_MEDIA_TYPES,
} from '../../src/machinery/status.js';
import { forbidden as fieldForbidden, invalid as fieldInvalid, required } from '../../src/machinery/field-errors.js';

// Compared as serialized text so that key order (Go's struct order) is checked too.
const json = (e: StatusError) => JSON.stringify(e.status);

describe('Status constructors match kube-apiserver bodies', () => {
  const cases: Array<[string, StatusError, string]> = [
    [
      'not found, core',
      notFound({ group: '', resource: 'configmaps' }, 'x'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404}',
    ],
    [
      'not found, grouped',
      notFound({ group: 'apps', resource: 'deployments' }, 'web'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"web\\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"},"code":404}',
    ],
    [
      'already exists',
      alreadyExists({ group: '', resource: 'pods' }, 'p'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"p\\" already exists","reason":"AlreadyExists","details":{"name":"p","kind":"pods"},"code":409}',
    ],
    [
      'conflict',
      conflict({ group: '', resource: 'configmaps' }, 'cm1', OPTIMISTIC_LOCK_MESSAGE),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on configmaps \\"cm1\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"cm1","kind":"configmaps"},"code":409}',
    ],
    [
      'bad request',
      badRequest('nope'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nope","reason":"BadRequest","code":400}',
    ],
    [
      'method not supported',
      methodNotSupported({ group: 'apps', resource: 'deployments' }, 'watch'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"watch is not supported on resources of kind \\"deployments.apps\\"","reason":"MethodNotAllowed","details":{"group":"apps","kind":"deployments"},"code":405}',
    ],
    [
      'entity too large',
      requestEntityTooLarge('limit is 3145728'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}',
    ],
    [
      'expired',
      resourceExpired('too old resource version: 123 (456)'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 123 (456)","reason":"Expired","code":410}',
    ],
    [
      'gone',
      gone('gone away'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"gone away","reason":"Gone","code":410}',
    ],
    [
      'unsupported media type',
      unsupportedMediaType('text/plain', ACCEPTED_MEDIA_TYPES),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf","reason":"UnsupportedMediaType","code":415}',
    ],
    [
      'not acceptable',
      notAcceptable(['application/json', 'application/yaml']),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"only the following media types are accepted: application/json, application/yaml","reason":"NotAcceptable","code":406}',
    ],
    [
      'forbidden collection',
      forbidden({ group: '', resource: 'pods' }, '', 'User "u" cannot list resource "pods" in API group "" in the namespace "default"'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \\"u\\" cannot list resource \\"pods\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}',
    ],
    [
      'forbidden named',
      forbidden({ group: 'apps', resource: 'deployments' }, 'web', 'no'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"web\\" is forbidden: no","reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments"},"code":403}',
    ],
    [
      'forbidden without resource keeps empty details',
      forbidden({ group: '', resource: '' }, '', 'no'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: no","reason":"Forbidden","details":{},"code":403}',
    ],
    [
      'unauthorized default',
      unauthorized(),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"not authorized","reason":"Unauthorized","code":401}',
    ],
    [
      'timeout',
      timeout('request did not complete within 60s', 0),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: request did not complete within 60s","reason":"Timeout","details":{},"code":504}',
    ],
    [
      'too large resource version',
      tooLargeResourceVersion(100n, 200n, 1),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: 200, current: 100","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}',
    ],
    [
      'internal error',
      internalError(new Error('boom')),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}',
    ],
    [
      'plain server error has no reason',
      plainServerError('x'),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"x","code":500}',
    ],
  ];

  test.each(cases)('%s', (_name, err, expected) => {
    expect(json(err)).toBe(expected);
    expect(err).toBeInstanceOf(StatusError);
    expect(err.message).toBe(err.status.message);
    expect(err.code).toBe(err.status.code);
  });
});

describe('invalid', () => {
  test('one cause', () => {
    const err = invalid({ group: '', kind: 'ConfigMap' }, 'cmnew', [
      fieldInvalid('metadata.name', 'Bad_Name', 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters'),
    ]);
    expect(json(err)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"ConfigMap \\"cmnew\\" is invalid: metadata.name: Invalid value: \\"Bad_Name\\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters",' +
        '"reason":"Invalid","details":{"name":"cmnew","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid",' +
        '"message":"Invalid value: \\"Bad_Name\\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters","field":"metadata.name"}]},"code":422}',
    );
  });

  test('several causes are bracketed; grouped kind; empty name omitted', () => {
    const err = invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', [
      fieldForbidden('resourceVersionMatch', 'a'),
      required('metadata.name', 'name or generateName is required'),
    ]);
    expect(err.status.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: a, metadata.name: Required value: name or generateName is required]',
    );
    expect(err.status.details).toEqual({
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: [
        { reason: 'FieldValueForbidden', message: 'Forbidden: a', field: 'resourceVersionMatch' },
        { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
      ],
    });
  });

  test('no errors', () => {
    expect(invalid({ group: 'apps', kind: 'Deployment' }, 'd', []).status.message).toBe('Deployment.apps "d" is invalid');
  });
});

describe('toStatus and successStatus', () => {
  test('StatusError passes through', () => {
    const err = notFound({ group: '', resource: 'pods' }, 'x');
    expect(toStatus(err)).toBe(err.status);
    expect(isStatusError(err)).toBe(true);
  });

  test('anything else is an InternalError', () => {
    expect(toStatus(new TypeError('bad'))).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: bad' });
    expect(toStatus('text')).toMatchObject({ code: 500, message: 'Internal error occurred: text' });
    expect(isStatusError(new Error('x'))).toBe(false);
  });

  test('success', () => {
    expect(JSON.stringify(successStatus({ name: 'x', group: '', kind: 'configmaps', uid: 'u1' }))).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"x","kind":"configmaps","uid":"u1"},"code":200}',
    );
    expect(JSON.stringify(successStatus())).toBe('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":200}');
  });

  test('names are quoted like Go %q', () => {
    expect(notFound({ group: '', resource: 'pods' }, 'a"b\n').message).toBe('pods "a\\"b\\n" not found');
  });
});
