import type { ServerResponse } from 'node:http';
import { toStatus } from '../machinery/status.js';

/** Sends a JSON body that is already serialised (stored objects and lists are kept as served). */
export function sendJson(res: ServerResponse, code: number, json: string): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/** Every error leaves as a Status with its code; unknown errors as 500 InternalError. */
export function sendError(res: ServerResponse, err: unknown): void {
  const status = toStatus(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // After a 413 the rest of the body was never read: the connection cannot carry another request.
  if (status.code === 413) res.setHeader('Connection', 'close');
  sendJson(res, status.code, JSON.stringify(status));
}
