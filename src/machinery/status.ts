/**
 * metav1.Status errors, built the way apimachinery's pkg/api/errors builds them.
 *
 * Clients branch on `reason` and `code` (client-go's IsNotFound, IsConflict, ...),
 * kubectl prints `message`, and some tools compare whole bodies, so every
 * constructor reproduces upstream's wording and JSON shape: keys in Go's struct
 * order, empty fields omitted (omitempty), `details` present exactly when
 * upstream sets a non-nil Details pointer (so it can be `{}`).
 */
import { aggregateMessage, fieldErrorBody, type FieldError } from './field-errors.js';
import { goQuote } from './go-format.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { resourceVersion?: string; continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** group '' is the core (legacy) group. */
export interface GroupResource {
  group: string;
  resource: string;
}

export interface GroupKind {
  group: string;
  kind: string;
}

/** A failure that the HTTP layer writes out as its Status body with `status.code`. */
export class StatusError extends Error {
  override name = 'StatusError';
  readonly status: Status;

  constructor(status: Status) {
    super(status.message ?? '');
    this.status = status;
  }

  get code(): number {
    return this.status.code;
  }
}

/** True for our StatusError, also across duplicated module instances (jest isolates modules). */
export function isStatusError(err: unknown): err is StatusError {
  if (err instanceof StatusError) return true;
  const s = (err as { status?: Partial<Status> } | null)?.status;
  return err instanceof Error && typeof s === 'object' && s !== null && s.kind === 'Status' && typeof s.code === 'number';
}

// schema.GroupResource.String() / GroupKind.String(): "deployments.apps", or just "pods" for core.
function grString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function gkString(gk: GroupKind): string {
  return gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
}

function cleanCause(c: StatusCause): StatusCause {
  const out: StatusCause = {};
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  if (c.field) out.field = c.field;
  return out;
}

// Go's omitempty drops "", 0 and empty slices; key order follows metav1.StatusDetails.
function cleanDetails(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) out.causes = d.causes.map(cleanCause);
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

export interface StatusParts {
  code: number;
  reason?: string;
  message?: string;
  details?: StatusDetails;
}

function buildStatus(status: 'Success' | 'Failure', p: StatusParts): Status {
  // Key order is metav1.Status's field order, which JSON.stringify preserves.
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status,
    ...(p.message ? { message: p.message } : {}),
    ...(p.reason ? { reason: p.reason } : {}),
    ...(p.details ? { details: cleanDetails(p.details) } : {}),
    code: p.code,
  };
}

function failure(p: StatusParts): StatusError {
  return new StatusError(buildStatus('Failure', p));
}

/** A Failure Status of any code and reason, for answers upstream builds without a named constructor. */
export function failureStatus(p: StatusParts): StatusError {
  return failure(p);
}

/** The router's answer for a path nothing serves. */
export function routeNotFound(): StatusError {
  return failure({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource', details: {} });
}

/** The router's answer for a method a served path lacks. */
export function routeMethodNotAllowed(): StatusError {
  return failure({ code: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource', details: {} });
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return failure({
    code: 404,
    reason: 'NotFound',
    message: `${grString(gr)} ${goQuote(name)} not found`,
    details: { name, group: gr.group, kind: gr.resource },
  });
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return failure({
    code: 409,
    reason: 'AlreadyExists',
    message: `${grString(gr)} ${goQuote(name)} already exists`,
    details: { name, group: gr.group, kind: gr.resource },
  });
}

/** generateName gave up after its retries (apimachinery NewGenerateNameConflict). */
export function generateNameConflict(gr: GroupResource, name: string, retryAfterSeconds: number): StatusError {
  return failure({
    code: 409,
    reason: 'AlreadyExists',
    message: `${grString(gr)} ${goQuote(name)} already exists, the server was not able to generate a unique name for the object`,
    details: { name, group: gr.group, kind: gr.resource, retryAfterSeconds },
  });
}

/** apiserver storage's OptimisticLockErrorMsg, the usual `cause` for conflict(). */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, cause: string): StatusError {
  return failure({
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${grString(gr)} ${goQuote(name)}: ${cause}`,
    details: { name, group: gr.group, kind: gr.resource },
  });
}

/**
 * 422 Invalid. Each cause carries the message without the field path (upstream's
 * ErrorBody) and the field separately; the top message aggregates full messages.
 */
export function invalid(gk: GroupKind, name: string, errs: FieldError[]): StatusError {
  const agg = aggregateMessage(errs);
  return failure({
    code: 422,
    reason: 'Invalid',
    message: agg === '' ? `${gkString(gk)} ${goQuote(name)} is invalid` : `${gkString(gk)} ${goQuote(name)} is invalid: ${agg}`,
    details: {
      name,
      group: gk.group,
      kind: gk.kind,
      causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    },
  });
}

export function badRequest(message: string): StatusError {
  return failure({ code: 400, reason: 'BadRequest', message });
}

export function methodNotSupported(gr: GroupResource, verb: string): StatusError {
  return failure({
    code: 405,
    reason: 'MethodNotAllowed',
    message: `${verb} is not supported on resources of kind ${goQuote(grString(gr))}`,
    details: { group: gr.group, kind: gr.resource },
  });
}

/** `message` is the detail, e.g. `limit is 3145728`. */
export function requestEntityTooLarge(message: string): StatusError {
  return failure({ code: 413, reason: 'RequestEntityTooLarge', message: `Request entity too large: ${message}` });
}

/** 410 Expired: reflectors relist on it (too old resourceVersion, expired continue token). */
export function resourceExpired(message: string): StatusError {
  return failure({ code: 410, reason: 'Expired', message });
}

/** 410 Gone: the deprecated twin of resourceExpired, still what some paths answer. */
export function gone(message: string): StatusError {
  return failure({ code: 410, reason: 'Gone', message });
}

/** kube-apiserver's accepted list for request bodies (json, yaml, protobuf; CBOR is off in 1.33). */
export const ACCEPTED_MEDIA_TYPES: readonly string[] = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
];

/** Upstream does not echo the rejected type; `_contentType` is kept for logging by callers. */
export function unsupportedMediaType(_contentType: string, accepted: readonly string[]): StatusError {
  return failure({
    code: 415,
    reason: 'UnsupportedMediaType',
    message: `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  });
}

export function notAcceptable(accepted: readonly string[]): StatusError {
  return failure({
    code: 406,
    reason: 'NotAcceptable',
    message: `only the following media types are accepted: ${accepted.join(', ')}`,
  });
}

/** `message` is the reason text, e.g. `User "u" cannot list resource "pods" ...`. */
export function forbidden(gr: GroupResource, name: string, message: string): StatusError {
  let text: string;
  if (gr.group === '' && gr.resource === '') text = `forbidden: ${message}`;
  else if (name === '') text = `${grString(gr)} is forbidden: ${message}`;
  else text = `${grString(gr)} ${goQuote(name)} is forbidden: ${message}`;
  return failure({ code: 403, reason: 'Forbidden', message: text, details: { name, group: gr.group, kind: gr.resource } });
}

export function unauthorized(message?: string): StatusError {
  return failure({ code: 401, reason: 'Unauthorized', message: message || 'not authorized' });
}

/** 504 Timeout; details are always present (possibly `{}`), as upstream sets them. */
export function timeout(message: string, retryAfterSeconds: number): StatusError {
  return failure({ code: 504, reason: 'Timeout', message: `Timeout: ${message}`, details: { retryAfterSeconds } });
}

/** 500 ServerTimeout: a storage operation timed out (registry InterpretXError on a timeout). */
export function serverTimeout(gr: GroupResource, operation: string, retryAfterSeconds: number): StatusError {
  return failure({
    code: 500,
    reason: 'ServerTimeout',
    message: `The ${operation} operation against ${grString(gr)} could not be completed at this time, please try again.`,
    details: { name: operation, group: gr.group, kind: gr.resource, retryAfterSeconds },
  });
}

export function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return failure({ code: 429, reason: 'TooManyRequests', message, details: { retryAfterSeconds } });
}

export function serviceUnavailable(message: string): StatusError {
  return failure({ code: 503, reason: 'ServiceUnavailable', message });
}

/**
 * A read at a resourceVersion newer than the store has (apiserver storage
 * NewTooLargeResourceVersionError). client-go's reflector recognises it by the cause.
 */
export function tooLargeResourceVersion(
  current: bigint | number,
  requested: bigint | number,
  retryAfterSeconds: number,
): StatusError {
  return failure({
    code: 504,
    reason: 'Timeout',
    message: `Timeout: Too large resource version: ${requested}, current: ${current}`,
    details: {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds,
    },
  });
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function internalError(err: unknown): StatusError {
  const text = errorText(err);
  return failure({
    code: 500,
    reason: 'InternalError',
    message: `Internal error occurred: ${text}`,
    details: { causes: [{ message: text }] },
  });
}

/**
 * What kube-apiserver answers for an error that is not an API status (its
 * ErrorToAPIStatus fallback): code 500 with the bare message and no reason.
 * Some real paths do this (e.g. a watch with a malformed resourceVersion).
 */
export function plainServerError(message: string): StatusError {
  return failure({ code: 500, message });
}

export function toStatus(err: unknown): Status {
  if (isStatusError(err)) return err.status;
  return internalError(err).status;
}

/** A 200 Success status, e.g. the answer to a DELETE of an object whose body is not returned. */
export function successStatus(details?: StatusDetails): Status {
  return buildStatus('Success', { code: 200, details });
}
