/**
 * The HTTP side of stream upgrades on the kubelet API: which transport a request asks for, protocol
 * negotiation through X-Stream-Protocol-Version (SPDY) or Sec-WebSocket-Protocol (WebSocket), and errors
 * written straight onto a socket that was never upgraded.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export type Transport = 'spdy' | 'websocket' | 'none';

export function transportOf(req: IncomingMessage): Transport {
  const connection = (req.headers.connection ?? '').toLowerCase();
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (!connection.split(',').some((t) => t.trim() === 'upgrade')) return 'none';
  if (upgrade === 'websocket') return 'websocket';
  if (upgrade.startsWith('spdy/3.1')) return 'spdy';
  return 'none';
}

/** Every value of a header that may repeat (Node joins repeats of unknown headers with ", "). */
export function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name.toLowerCase()];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** The first protocol of the client's list that the server speaks (httpstream.Handshake's choice). */
export function negotiate(clientProtocols: string[], serverProtocols: string[]): string | undefined {
  return clientProtocols.find((p) => serverProtocols.includes(p));
}

/** Answers a request that was never upgraded, on its raw socket, and closes the socket. */
export function writeRawResponse(socket: Duplex, code: number, body: string, contentType = 'application/json'): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body, 'utf8');
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n` + payload.toString('utf8'),
  );
}

/** 101 Switching Protocols for SPDY, naming the negotiated stream protocol. */
export function acceptSpdy(socket: Duplex, protocol: string): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
}
