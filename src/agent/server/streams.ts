/**
 * Turns an upgraded connection into the client streams of an exec or attach: SPDY (the client opens one
 * stream per stdin, stdout, stderr, error, resize, named by the `streamtype` header; the server waits for
 * all it expects) or WebSocket channels.
 */
import type { WebSocket } from 'ws';
import type { StreamOptions } from '../runtime.js';
import type { ClientStreams } from './remote-command.js';
import { SpdySession } from './spdy/session.js';
import type { SpdyStream } from './spdy/session.js';
import { ChannelSocket, ERROR, RESIZE, STDERR, STDIN, STDOUT } from './ws-channels.js';
import type { Duplex } from 'node:stream';

/** kubelet's streamCreationTimeout: how long the client has to open every stream it asked for. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export function websocketStreams(ws: WebSocket, protocol: string, opts: StreamOptions): ClientStreams {
  const ch = new ChannelSocket(ws, protocol);
  return {
    stdin: opts.stdin ? ch.readable(STDIN) : undefined,
    stdout: opts.stdout ? ch.writable(STDOUT) : undefined,
    stderr: opts.stderr ? ch.writable(STDERR) : undefined,
    error: ch.writable(ERROR),
    resize: opts.tty ? ch.readable(RESIZE) : undefined,
    close: () => ch.close(),
  };
}

/** Waits for the SPDY streams `opts` calls for; rejects when they do not all come in time. */
export function spdyStreams(socket: Duplex, opts: StreamOptions): Promise<ClientStreams> {
  const expected = new Set(['error']);
  if (opts.stdin) expected.add('stdin');
  if (opts.stdout) expected.add('stdout');
  if (opts.stderr) expected.add('stderr');
  if (opts.tty) expected.add('resize');
  const got = new Map<string, SpdyStream>();
  return new Promise((resolve, reject) => {
    let session: SpdySession | undefined;
    const timer = setTimeout(() => {
      session?.close();
      reject(new Error(`timed out waiting for client streams: got [${[...got.keys()].join(' ')}], expected [${[...expected].join(' ')}]`));
    }, STREAM_CREATION_TIMEOUT_MS);
    session = new SpdySession(socket, {
      onStream(stream) {
        const type = stream.header('streamtype') ?? '';
        if (!expected.has(type) || got.has(type)) {
          stream.reset();
          return;
        }
        got.set(type, stream);
        if (type === 'error' || type === 'stdout' || type === 'stderr') stream.resume(); // the client sends nothing on these
        if (got.size < expected.size) return;
        clearTimeout(timer);
        resolve({
          stdin: got.get('stdin'),
          stdout: got.get('stdout'),
          stderr: got.get('stderr'),
          error: got.get('error')!,
          resize: got.get('resize'),
          close: () => session!.close(),
        });
      },
      onClose() {
        clearTimeout(timer);
        if (got.size < expected.size) reject(new Error('connection closed before the client opened its streams'));
      },
    });
  });
}
