/**
 * The channel protocol of exec and attach over WebSocket (v4.channel.k8s.io, v5.channel.k8s.io): every
 * binary message starts with a channel byte (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize) followed by
 * that channel's data. v5 adds channel 255, whose message [255, n] says the sender closed channel n (kubectl
 * sends it when its stdin ends, so the process sees end of input).
 */
import { PassThrough, Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';

export const CHANNEL_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const CHANNEL_PROTOCOL_V4 = 'v4.channel.k8s.io';
/** In the order the server prefers them. */
export const CHANNEL_PROTOCOLS = [CHANNEL_PROTOCOL_V5, CHANNEL_PROTOCOL_V4];

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
export const CLOSE = 255;

export function channelMessage(channel: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

/** The server side of one channel WebSocket: readables for what the client sends, writables for the rest. */
export class ChannelSocket {
  private readonly inbound = new Map<number, PassThrough>();

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: string,
  ) {
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!isBinary || buf.length === 0) return;
      const channel = buf[0];
      if (channel === CLOSE) {
        if (protocol === CHANNEL_PROTOCOL_V5 && buf.length > 1) this.inbound.get(buf[1])?.end();
        return;
      }
      const target = this.inbound.get(channel);
      if (target && !target.writableEnded) target.write(buf.subarray(1));
    });
    ws.on('close', () => {
      for (const p of this.inbound.values()) if (!p.writableEnded) p.end();
    });
  }

  /** What the client sends on `channel` (stdin, resize). */
  readable(channel: number): Readable {
    let p = this.inbound.get(channel);
    if (!p) {
      p = new PassThrough();
      this.inbound.set(channel, p);
    }
    return p;
  }

  /** Writes to `channel` (stdout, stderr, error); ending it does not close the socket. */
  writable(channel: number): Writable {
    const ws = this.ws;
    return new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (ws.readyState !== ws.OPEN) return cb();
        ws.send(channelMessage(channel, chunk), { binary: true }, () => cb());
      },
    });
  }

  /** Normal closure once everything sent has been flushed. */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
  }
}
