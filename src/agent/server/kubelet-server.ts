/**
 * The agent's kubelet API: HTTPS on the node's kubelet port, for the API server (which proxies kubectl's
 * logs, exec, attach and port-forward to it) and nothing else. Every request but /healthz must
 * authenticate, with a client certificate signed by `clientCA` (kubelet's --client-ca-file; the API server
 * presents --kubelet-client-certificate) or a bearer token from `tokens`.
 *
 *   GET  /healthz
 *   GET  /pods                                          the pods bound to this agent's nodes
 *   GET  /containerLogs/{namespace}/{pod}/{container}   PodLogOptions as query parameters
 *   *    /exec/{namespace}/{pod}/{container}?command=…  WebSocket (v5/v4.channel.k8s.io) or SPDY/3.1
 *   *    /attach/{namespace}/{pod}/{container}          same
 *   *    /portForward/{namespace}/{pod}                 SPDY/3.1, or SPDY in a WebSocket (SPDY/3.1+portforward.k8s.io)
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { silentLogger } from '../../client/index.js';
import type { Logger, Pod } from '../../client/index.js';
import type { PodRuntime } from '../runtime.js';
import { serveLogs } from './logs.js';
import { PORT_FORWARD_PROTOCOL, portForwardStreams, portsFromQuery, websocketPortForward } from './port-forward.js';
import { failureStatus, serveRemoteCommand, streamOptionsFromQuery } from './remote-command.js';
import { SpdySession } from './spdy/session.js';
import { spdyStreams, websocketStreams } from './streams.js';
import { acceptSpdy, headerValues, negotiate, transportOf, writeRawResponse } from './upgrade.js';
import type { Transport } from './upgrade.js';
import { CHANNEL_PROTOCOL_V4, CHANNEL_PROTOCOLS, ChannelSocket } from './ws-channels.js';

/** SPDY exec/attach protocols the server speaks: v5 over SPDY behaves as v4 (stdin's end is the stream's FIN). */
const SPDY_EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const SPDY_IN_WEBSOCKET = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/**
 * `ws` accepts only RFC 7230 tokens as subprotocols, and "SPDY/3.1+portforward.k8s.io" has a slash: the
 * request header carries this stand-in through `ws`, and the response header gets the real name back.
 */
const SPDY_IN_WEBSOCKET_TOKEN = 'spdy-3.1-portforward.k8s.io';

export interface PodLookup {
  /** A pod bound to one of the agent's nodes, by namespace and name. */
  get(namespace: string, name: string): Pod | undefined;
  list(): Pod[];
}

export interface KubeletServerOptions {
  runtime: PodRuntime;
  pods: PodLookup;
  /** Serving certificate and key (PEM). */
  cert: string;
  key: string;
  /** CA bundle (PEM) whose client certificates are accepted. */
  clientCA?: string;
  /** Bearer tokens that are accepted. */
  tokens?: string[];
  host?: string;
  /** 0: any free port. */
  port: number;
  log?: Logger;
  /** Told of each stream session as it starts: which route, and the transport and protocol agreed. */
  onSession?(session: StreamSessionInfo): void;
}

export interface StreamSessionInfo {
  kind: 'exec' | 'attach' | 'portForward';
  namespace: string;
  pod: string;
  /** "spdy" or "websocket". */
  transport: string;
  /** The negotiated stream protocol (v5.channel.k8s.io, portforward.k8s.io, SPDY/3.1+portforward.k8s.io, ...). */
  protocol: string;
}

type Route =
  | { kind: 'healthz' }
  | { kind: 'pods' }
  | { kind: 'logs' | 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string };

function route(pathname: string): Route | undefined {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 1 && parts[0] === 'healthz') return { kind: 'healthz' };
  if (parts.length === 1 && parts[0] === 'pods') return { kind: 'pods' };
  if (parts.length === 4 && parts[0] === 'containerLogs') return { kind: 'logs', namespace: parts[1], pod: parts[2], container: parts[3] };
  if (parts.length === 4 && (parts[0] === 'exec' || parts[0] === 'attach')) return { kind: parts[0], namespace: parts[1], pod: parts[2], container: parts[3] };
  if (parts.length === 3 && parts[0] === 'portForward') return { kind: 'portForward', namespace: parts[1], pod: parts[2] };
  return undefined;
}

/** The HTTP code an error carries (HttpError, RuntimeStreamError, LogOptionsError), else 500. */
function codeOf(err: unknown): number {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'number' && c >= 400 && c < 600 ? c : 500;
}

/** One upgrade request on its way to a stream session. */
interface UpgradeCall {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  url: URL;
  transport: Transport;
  state: { upgraded: boolean };
  namespace: string;
  name: string;
  uid: string;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class KubeletServer {
  private server?: https.Server;
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols, req) => this.pickWebSocketProtocol(protocols, req) });
  /** The subprotocols the route of each WebSocket request being accepted speaks, in preference order. */
  private readonly routeProtocols = new WeakMap<IncomingMessage, string[]>();
  private readonly log: Logger;
  private readonly sockets = new Set<Duplex>();
  port = 0;

  constructor(private readonly opts: KubeletServerOptions) {
    this.log = opts.log ?? silentLogger;
    this.wss.on('headers', (headers: string[]) => {
      const i = headers.findIndex((h) => h.toLowerCase() === `sec-websocket-protocol: ${SPDY_IN_WEBSOCKET_TOKEN}`);
      if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${SPDY_IN_WEBSOCKET}`;
    });
  }

  async start(): Promise<number> {
    const server = https.createServer(
      { cert: this.opts.cert, key: this.opts.key, ...(this.opts.clientCA ? { ca: this.opts.clientCA, requestCert: true, rejectUnauthorized: false } : {}) },
      (req, res) => void this.onRequest(req, res),
    );
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
    server.on('connection', (s: Duplex) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '0.0.0.0', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private authenticated(req: IncomingMessage): boolean {
    const socket = req.socket as TLSSocket;
    if (this.opts.clientCA && socket.authorized) return true;
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) return false;
    const given = Buffer.from(m[1]);
    return (this.opts.tokens ?? []).some((t) => {
      const want = Buffer.from(t);
      return want.length === given.length && timingSafeEqual(want, given);
    });
  }

  private pod(namespace: string, name: string): Pod {
    const pod = this.opts.pods.get(namespace, name);
    if (!pod) throw new HttpError(404, `pod "${name}" in namespace "${namespace}" not found on this node`);
    return pod;
  }

  private requireRuntime<K extends 'logs' | 'exec' | 'attach' | 'portForward'>(what: K): NonNullable<PodRuntime[K]> {
    const fn = this.opts.runtime[what];
    if (!fn) throw new HttpError(400, `the ${this.opts.runtime.name} runtime does not support ${what}`);
    return fn.bind(this.opts.runtime) as NonNullable<PodRuntime[K]>;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const r = route(url.pathname);
    try {
      if (r?.kind === 'healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      }
      if (!this.authenticated(req)) throw new HttpError(401, 'Unauthorized');
      if (!r) throw new HttpError(404, `404 page not found: ${url.pathname}`);
      if (r.kind === 'pods') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.opts.pods.list() }));
        return;
      }
      if (r.kind === 'logs') {
        if (req.method !== 'GET') throw new HttpError(405, `method ${req.method} not allowed`);
        const pod = this.pod(r.namespace, r.pod);
        await serveLogs(req, res, url.searchParams, (opts) => this.requireRuntime('logs')(pod.metadata.uid!, r.container, opts));
        return;
      }
      throw new HttpError(400, 'Upgrade request required');
    } catch (err) {
      this.sendError(res, err);
    }
  }

  private sendError(res: ServerResponse, err: unknown): void {
    const code = codeOf(err);
    if (code === 500) this.log.warn({ err: (err as Error).message }, 'kubelet API request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(failureStatus((err as Error).message, code)));
  }

  private pickWebSocketProtocol(protocols: Set<string>, req: IncomingMessage): string | false {
    return negotiate([...protocols], (this.routeProtocols.get(req) ?? []).map((p) => (p === SPDY_IN_WEBSOCKET ? SPDY_IN_WEBSOCKET_TOKEN : p))) ?? false;
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const r = route(url.pathname);
    const transport = transportOf(req);
    /** Set once the protocol switched: an error can no longer be an HTTP answer. */
    const state = { upgraded: false };
    try {
      if (!this.authenticated(req)) throw new HttpError(401, 'Unauthorized');
      if (!r || (r.kind !== 'exec' && r.kind !== 'attach' && r.kind !== 'portForward')) throw new HttpError(404, `404 page not found: ${url.pathname}`);
      if (transport === 'none') throw new HttpError(400, `unable to upgrade: the protocol "${req.headers.upgrade ?? ''}" is not supported`);
      const pod = this.pod(r.namespace, r.pod);
      const call = { req, socket, head, url, transport, state, namespace: r.namespace, name: r.pod, uid: pod.metadata.uid! };
      if (r.kind === 'portForward') await this.servePortForward(call);
      else await this.serveRemoteCommand(call, r.kind, r.container);
    } catch (err) {
      const code = codeOf(err);
      if (code === 500) this.log.warn({ err: (err as Error).message, path: url.pathname }, 'kubelet API stream failed');
      if (state.upgraded) socket.destroy();
      else writeRawResponse(socket, code, JSON.stringify(failureStatus((err as Error).message, code)));
    }
  }

  /** SPDY, SPDY tunnelled in a WebSocket, or the WebSocket channel protocol (one port per channel pair). */
  private async servePortForward(c: UpgradeCall): Promise<void> {
    const dial = this.requireRuntime('portForward');
    const target = { podName: `${c.namespace}/${c.name}`, podUID: c.uid, dial: (port: number) => dial(c.uid, port) };
    const onStream = portForwardStreams(target);
    if (c.transport === 'spdy') {
      const offered = headerValues(c.req, 'x-stream-protocol-version');
      if (!offered.includes(PORT_FORWARD_PROTOCOL)) {
        throw new HttpError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`);
      }
      if (c.head.length) c.socket.unshift(c.head);
      acceptSpdy(c.socket, PORT_FORWARD_PROTOCOL);
      c.state.upgraded = true;
      this.started('portForward', c.namespace, c.name, 'spdy', PORT_FORWARD_PROTOCOL);
      new SpdySession(c.socket, { onStream });
      return;
    }
    const ports = portsFromQuery(c.url.searchParams);
    if (negotiate(headerValues(c.req, 'sec-websocket-protocol'), [SPDY_IN_WEBSOCKET, CHANNEL_PROTOCOL_V4]) === CHANNEL_PROTOCOL_V4 && ports.length === 0) {
      throw new HttpError(400, 'query parameter "port" is required');
    }
    const ws = await this.acceptWebSocket(c, [SPDY_IN_WEBSOCKET, CHANNEL_PROTOCOL_V4]);
    if (ws.protocol === SPDY_IN_WEBSOCKET_TOKEN) {
      this.started('portForward', c.namespace, c.name, 'websocket', SPDY_IN_WEBSOCKET);
      new SpdySession(createWebSocketStream(ws), { onStream });
      return;
    }
    this.started('portForward', c.namespace, c.name, 'websocket', ws.protocol);
    await websocketPortForward(new ChannelSocket(ws, ws.protocol), ports, target);
  }

  /** exec and attach, over SPDY or the WebSocket channel protocol. */
  private async serveRemoteCommand(c: UpgradeCall, kind: 'exec' | 'attach', container: string): Promise<void> {
    const opts = streamOptionsFromQuery(c.url.searchParams);
    if (!opts.stdin && !opts.stdout && !opts.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
    const command = c.url.searchParams.getAll('command');
    if (kind === 'exec' && command.length === 0) throw new HttpError(400, 'you must specify a command to execute');
    const start =
      kind === 'exec'
        ? () => this.requireRuntime('exec')(c.uid, container, command, opts)
        : () => this.requireRuntime('attach')(c.uid, container, opts);
    if (c.transport === 'spdy') {
      const offered = headerValues(c.req, 'x-stream-protocol-version');
      const protocol = negotiate(offered, SPDY_EXEC_PROTOCOLS);
      if (!protocol) throw new HttpError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${SPDY_EXEC_PROTOCOLS.join(' ')}]`);
      if (c.head.length) c.socket.unshift(c.head);
      acceptSpdy(c.socket, protocol);
      c.state.upgraded = true;
      this.started(kind, c.namespace, c.name, 'spdy', protocol);
      const client = await spdyStreams(c.socket, opts);
      await serveRemoteCommand(client, command, start);
      return;
    }
    const ws = await this.acceptWebSocket(c, CHANNEL_PROTOCOLS);
    this.started(kind, c.namespace, c.name, 'websocket', ws.protocol);
    await serveRemoteCommand(websocketStreams(ws, ws.protocol, opts), command, start);
  }

  private started(kind: StreamSessionInfo['kind'], namespace: string, pod: string, transport: string, protocol: string): void {
    this.log.debug({ kind, namespace, pod, transport, protocol }, 'kubelet API stream session');
    this.opts.onSession?.({ kind, namespace, pod, transport, protocol });
  }

  private acceptWebSocket(c: UpgradeCall, protocols: string[]): Promise<WebSocket> {
    const { req, socket, head } = c;
    const offered = headerValues(req, 'sec-websocket-protocol');
    if (!negotiate(offered, protocols)) {
      throw new HttpError(400, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${protocols.join(' ')}]`);
    }
    this.routeProtocols.set(req, protocols);
    if (offered.includes(SPDY_IN_WEBSOCKET)) {
      req.headers['sec-websocket-protocol'] = offered.map((p) => (p === SPDY_IN_WEBSOCKET ? SPDY_IN_WEBSOCKET_TOKEN : p)).join(', ');
    }
    c.state.upgraded = true;
    return new Promise((resolve) => this.wss.handleUpgrade(req, socket, head, (ws) => resolve(ws)));
  }
}
