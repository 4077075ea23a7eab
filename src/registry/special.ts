import { failureStatus } from '../machinery/status.js';
import type { StatusError } from '../machinery/status.js';
import type { Status } from '../machinery/status.js';

/**
 * The answer for a resource, subresource or verb that kube-apiserver serves and pgkube routes, lists in
 * discovery, but does not implement yet: 405 MethodNotAllowed with a message naming what is missing.
 */
export function notSupportedYet(group: string, resource: string, verb: string, detail?: string): StatusError {
  const what = group ? `${resource}.${group}` : resource;
  return failureStatus({
    code: 405,
    reason: 'MethodNotAllowed',
    message: detail ?? `${verb} on "${what}" is not supported by this server yet`,
    details: { group, kind: resource },
  });
}

/** The Status kube-apiserver answers a successful create of a binding or an eviction with (code 201). */
export function createdStatus(): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } as Status;
}
