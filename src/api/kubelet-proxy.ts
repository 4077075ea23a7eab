/**
 * The API server's side of pods/log, exec, attach, portforward and nodes/proxy: the request goes on to the
 * node agent's kubelet API over TLS (the agent's certificate is not verified, as with kube-apiserver's
 * --kubelet-insecure-tls; the API server authenticates with its kubelet client certificate or token).
 * Plain requests are relayed with their streamed answer (a followed log keeps flowing); upgrades
 * (WebSocket or SPDY) are passed through as bytes both ways, so the agent speaks the client's protocol
 * itself. The user's own credentials never reach the agent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { failureStatus } from '../machinery/status.js';
import type { KubeletTarget } from '../registry/resource.js';
import { sendError } from './respond.js';

/** How the API server authenticates to node agents (kube-apiserver's --kubelet-client-* flags). */
export interface KubeletClientConfig {
  cert?: string;
  key?: string;
  token?: string;
  /** How long dialling an agent may take before the request fails. */
  dialTimeoutMs?: number;
}

/** Request headers that describe the user's connection to us, not ours to the agent. */
const DROPPED_HEADERS = new Set(['host', 'authorization', 'proxy-authorization', 'cookie', 'content-length', 'transfer-encoding']);

/** Set on an upgrade request by the server's 'upgrade' listener: the bytes read past its head. */
const upgradeHeads = new WeakMap<IncomingMessage, Buffer>();

export function markUpgrade(req: IncomingMessage, head: Buffer): void {
  upgradeHeads.set(req, head);
}

function dialError(target: KubeletTarget, err: Error) {
  return failureStatus({ code: 503, reason: 'ServiceUnavailable', message: `error dialing backend: dial tcp ${target.host}:${target.port}: ${err.message}` });
}

function forwardedHeaders(req: IncomingMessage, cfg: KubeletClientConfig): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || DROPPED_HEADERS.has(name) || name.startsWith('impersonate-')) continue;
    out[name] = value;
  }
  if (cfg.token) out.authorization = `Bearer ${cfg.token}`;
  return out;
}

function tlsOptions(target: KubeletTarget, cfg: KubeletClientConfig): tls.ConnectionOptions {
  return { host: target.host, port: target.port, cert: cfg.cert, key: cfg.key, rejectUnauthorized: false, servername: undefined };
}

/** Relays a plain request (pods/log, nodes/proxy) and streams the agent's answer back. */
export function proxyRequest(req: IncomingMessage, res: ServerResponse, target: KubeletTarget, cfg: KubeletClientConfig): Promise<void> {
  return new Promise((resolve) => {
    const upstream = https.request({
      ...tlsOptions(target, cfg),
      method: req.method,
      path: target.path,
      headers: { ...forwardedHeaders(req, cfg), host: `${target.host}:${target.port}` },
      timeout: cfg.dialTimeoutMs ?? 30_000,
      agent: false,
    });
    let answered = false;
    upstream.on('timeout', () => upstream.destroy(new Error('i/o timeout')));
    upstream.on('error', (err) => {
      if (!answered) sendError(res, dialError(target, err));
      else res.destroy();
      resolve();
    });
    upstream.on('response', (up) => {
      answered = true;
      upstream.setTimeout(0);
      if ((up.statusCode ?? 500) >= 300) {
        void agentError(up, target).then((err) => {
          sendError(res, err);
          resolve();
        });
        return;
      }
      res.statusCode = up.statusCode ?? 502;
      for (const h of ['content-type', 'cache-control', 'content-encoding']) {
        const v = up.headers[h];
        if (v !== undefined) res.setHeader(h, v);
      }
      res.flushHeaders();
      up.pipe(res);
      up.on('end', () => resolve());
      up.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    // A client that goes away (kubectl logs -f interrupted) ends the agent's stream too.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
}

/**
 * Passes an upgrade through: the request head goes to the agent with our credentials, then bytes flow
 * both ways untouched (the agent's 101 answer, or its error, included). `res` gives up its socket.
 */
export function proxyUpgrade(req: IncomingMessage, res: ServerResponse, target: KubeletTarget, cfg: KubeletClientConfig): Promise<void> {
  const head = upgradeHeads.get(req) ?? Buffer.alloc(0);
  const client = req.socket as Duplex;
  return new Promise((resolve) => {
    const upstream = tls.connect(tlsOptions(target, cfg));
    const timer = setTimeout(() => upstream.destroy(new Error('i/o timeout')), cfg.dialTimeoutMs ?? 30_000);
    let connected = false;
    upstream.on('error', (err) => {
      clearTimeout(timer);
      if (!connected) sendError(res, dialError(target, err));
      else client.destroy();
      resolve();
    });
    upstream.once('secureConnect', () => {
      clearTimeout(timer);
      connected = true;
      res.detachSocket(client as never);
      const lines = [`${req.method} ${target.path} HTTP/1.1`, `Host: ${target.host}:${target.port}`];
      for (const [name, value] of Object.entries(forwardedHeaders(req, cfg))) {
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
      }
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        client.destroy();
        upstream.destroy();
        // The request is over for whoever watches it (in-flight counts, request logs).
        res.emit('close');
        resolve();
      };
      client.on('close', done);
      upstream.on('close', done);
      client.on('error', done);
    });
  });
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid', 500: 'InternalError', 503: 'ServiceUnavailable' };

/**
 * An agent's error answer (a Status, or kubelet-style plain text) as our own Status with its code and
 * message, so that kubectl prints the agent's words ("previous terminated container ... not found").
 * The agent refusing our credentials is our failure, not the client's: 500.
 */
function agentError(up: IncomingMessage, target: KubeletTarget): Promise<Error> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    up.on('data', (c: Buffer) => {
      if (size < 64 * 1024) chunks.push(c);
      size += c.length;
    });
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      let message = text;
      try {
        const parsed = JSON.parse(text) as { message?: unknown };
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {
        // plain text, as kubelet writes its errors
      }
      const code = up.statusCode ?? 500;
      if (code === 401 || code === 403) {
        resolve(failureStatus({ code: 500, reason: 'InternalError', message: `the node agent of node "${target.node}" refused the API server's credentials: ${message}` }));
        return;
      }
      resolve(failureStatus({ code, reason: REASONS[code] ?? '', message }));
    };
    up.on('end', done);
    up.on('error', done);
  });
}

export function isUpgrade(req: IncomingMessage): boolean {
  return upgradeHeads.has(req);
}
