/**
 * Port-forward over SPDY (portforward.k8s.io), whether the SPDY connection came as an HTTP upgrade or
 * tunnelled in a WebSocket: for each forwarded connection the client opens an error stream and a data
 * stream carrying the same `requestid` and `port` headers. Once both are there the pod's port is dialled;
 * bytes flow both ways on the data stream, and a failure is written as text on the error stream.
 */
import type { Duplex } from 'node:stream';
import type { SpdyStream } from './spdy/session.js';
import type { ChannelSocket } from './ws-channels.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export interface PortForwardTarget {
  /** For messages: "<ns>/<name>" and uid, as kubelet's "error forwarding port" names the pod. */
  podName: string;
  podUID: string;
  dial(port: number): Promise<Duplex>;
}

/** Returns the onStream callback of a SPDY session that forwards to `target`. */
export function portForwardStreams(target: PortForwardTarget): (stream: SpdyStream) => void {
  const pairs = new Map<string, Pair>();
  return (stream) => {
    const type = stream.header('streamtype');
    const requestId = stream.header('requestid') ?? String(stream.id);
    const portText = stream.header('port') ?? '';
    if (type !== 'error' && type !== 'data') {
      stream.reset();
      return;
    }
    const pair = pairs.get(requestId) ?? {};
    pairs.set(requestId, pair);
    pair[type] = stream;
    if (!pair.error || !pair.data) return;
    pairs.delete(requestId);
    void forward(pair.error, pair.data, portText, target);
  };
}

async function forward(errorStream: SpdyStream, data: SpdyStream, portText: string, target: PortForwardTarget): Promise<void> {
  // The client never writes on the error stream; drain it so its end is seen.
  errorStream.resume();
  const port = Number(portText);
  const fail = (message: string) => {
    if (!errorStream.writableEnded) errorStream.end(message);
    data.end();
  };
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    return fail(`invalid port "${portText}"`);
  }
  let conn: Duplex;
  try {
    conn = await target.dial(port);
  } catch (err) {
    return fail(`error forwarding port ${port} to pod ${target.podName}, uid ${target.podUID}: ${(err as Error).message}`);
  }
  conn.on('error', (err) => {
    if (!errorStream.writableEnded) errorStream.end(`error forwarding port ${port} to pod ${target.podName}, uid ${target.podUID}: ${err.message}`);
    data.destroy();
  });
  data.on('error', () => conn.destroy());
  data.pipe(conn);
  conn.pipe(data);
  conn.on('close', () => {
    if (!errorStream.writableEnded) errorStream.end();
  });
  data.on('close', () => conn.destroy());
}

/**
 * Port-forward over the WebSocket channel protocol (v4.channel.k8s.io, as @kubernetes/client-node speaks
 * it): the ports come from the `ports` query; port i uses channel 2i for data and 2i+1 for errors, and
 * the server's first message on each is the port number (16 bits, little-endian). The socket closes once
 * every forwarded connection has ended.
 */
export async function websocketPortForward(socket: ChannelSocket, ports: number[], target: PortForwardTarget): Promise<void> {
  await Promise.all(
    ports.map(async (port, i) => {
      const data = socket.writable(2 * i);
      const errors = socket.writable(2 * i + 1);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port);
      data.write(prefix);
      errors.write(prefix);
      let conn: Duplex;
      try {
        conn = await target.dial(port);
      } catch (err) {
        errors.write(`error forwarding port ${port} to pod ${target.podName}, uid ${target.podUID}: ${(err as Error).message}`);
        return;
      }
      const incoming = socket.readable(2 * i);
      incoming.pipe(conn);
      conn.on('data', (chunk: Buffer) => data.write(chunk));
      await new Promise<void>((resolve) => {
        conn.once('close', () => resolve());
        conn.once('error', (err) => {
          errors.write(`error forwarding port ${port} to pod ${target.podName}, uid ${target.podUID}: ${err.message}`);
          resolve();
        });
        incoming.once('end', () => conn.end());
      });
    }),
  );
  socket.close();
}

/** The `ports` query parameter (repeated or comma-separated), each 1–65535. */
export function portsFromQuery(query: URLSearchParams): number[] {
  const ports: number[] = [];
  for (const v of query.getAll('ports').flatMap((p) => p.split(','))) {
    const text = v.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw Object.assign(new Error(`invalid port "${text}"`), { code: 400 });
    ports.push(n);
  }
  return ports;
}
