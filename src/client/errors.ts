import type { Status } from './types/meta-v1.js';

/**
 * A failed API call: the HTTP code and the Status body the server sent (or one built from the response when
 * the body was not a Status), as client-go's StatusError.
 */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: Status;

  constructor(status: Status) {
    super(status.message || status.reason || `the server responded with code ${status.code ?? 'unknown'}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = status.code ?? 0;
    this.reason = status.reason ?? '';
  }

  /** An ApiError from a non-2xx response: its Status body if it has one, else one derived from the code, as client-go does. */
  static fromResponse(code: number, body: string, verb = 'GET'): ApiError {
    try {
      const parsed = JSON.parse(body) as Partial<Status>;
      if (parsed && (parsed as { kind?: string }).kind === 'Status') return new ApiError({ ...parsed, code: parsed.code || code } as Status);
    } catch {
      // not JSON: fall through
    }
    const [reason, message] = reasonForCode(code, verb);
    return new ApiError({
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      code,
      reason,
      message: body.trim() ? `${message} (${verb.toLowerCase()}): ${body.trim().slice(0, 1024)}` : message,
    });
  }
}

/** client-go's newUnstructuredResponseError: reason and message for a response without a Status. */
function reasonForCode(code: number, verb: string): [string, string] {
  switch (code) {
    case 400:
      return ['BadRequest', 'the server rejected our request for an unknown reason'];
    case 401:
      return ['Unauthorized', 'the server has asked for the client to provide credentials'];
    case 403:
      return ['Forbidden', 'the server does not allow access to the requested resource'];
    case 404:
      return ['NotFound', 'the server could not find the requested resource'];
    case 405:
      return ['MethodNotAllowed', 'the server does not allow this method on the requested resource'];
    case 406:
      return ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'];
    case 409:
      return ['Conflict', 'the server reported a conflict'];
    case 410:
      return ['Expired', 'the server could not find the requested resource'];
    case 413:
      return ['RequestEntityTooLarge', 'the server has rejected the request because it is too large'];
    case 415:
      return ['UnsupportedMediaType', 'the server does not support the media type of the request'];
    case 422:
      return ['Invalid', 'the server rejected our request due to an error in our request'];
    case 429:
      return ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'];
    case 500:
      return ['InternalError', 'an error on the server has prevented the request from succeeding'];
    case 503:
      return ['ServiceUnavailable', 'the server is currently unable to handle the request'];
    case 504:
      return ['Timeout', `the server was unable to return a response in the time allotted, but may still be processing the request`];
    default:
      return code >= 500 ? ['InternalError', `an error on the server ("${verb}") has prevented the request from succeeding`] : ['Unknown', `the server responded with the status code ${code}`];
  }
}

function reasonOf(e: unknown): string | undefined {
  return e instanceof ApiError ? e.reason : undefined;
}

function codeOf(e: unknown): number | undefined {
  return e instanceof ApiError ? e.code : undefined;
}

/** As apimachinery's errors.IsNotFound: reason NotFound, or code 404 when the reason is unknown. */
export function isNotFound(e: unknown): boolean {
  return reasonOf(e) === 'NotFound' || (reasonOf(e) === '' && codeOf(e) === 404);
}
export function isAlreadyExists(e: unknown): boolean {
  return reasonOf(e) === 'AlreadyExists';
}
export function isConflict(e: unknown): boolean {
  return reasonOf(e) === 'Conflict' || (reasonOf(e) === '' && codeOf(e) === 409);
}
/** 410: the resourceVersion asked for is older than the server keeps (reason Expired or Gone). */
export function isGone(e: unknown): boolean {
  return reasonOf(e) === 'Gone' || reasonOf(e) === 'Expired' || (reasonOf(e) === '' && codeOf(e) === 410);
}
/** As errors.IsResourceExpired: reason Expired (a too-old resourceVersion or continue token). */
export function isResourceExpired(e: unknown): boolean {
  return reasonOf(e) === 'Expired';
}
export function isInvalid(e: unknown): boolean {
  return reasonOf(e) === 'Invalid' || (reasonOf(e) === '' && codeOf(e) === 422);
}
export function isForbidden(e: unknown): boolean {
  return reasonOf(e) === 'Forbidden' || (reasonOf(e) === '' && codeOf(e) === 403);
}
export function isUnauthorized(e: unknown): boolean {
  return reasonOf(e) === 'Unauthorized' || (reasonOf(e) === '' && codeOf(e) === 401);
}
export function isTooManyRequests(e: unknown): boolean {
  return reasonOf(e) === 'TooManyRequests' || codeOf(e) === 429;
}
export function isTimeout(e: unknown): boolean {
  return reasonOf(e) === 'Timeout' || codeOf(e) === 504;
}
