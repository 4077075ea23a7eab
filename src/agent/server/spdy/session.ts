/**
 * The server side of a SPDY/3.1 connection over any byte stream (an upgraded socket, or a WebSocket
 * carrying SPDY for port-forward): the client opens streams with SYN_STREAM, each becomes a Duplex here.
 *
 * Like Go's spdystream (the other end, in kubectl and kube-apiserver) it does no flow control: it neither
 * sends WINDOW_UPDATE nor waits for one. Back-pressure comes from the underlying socket.
 */
import { Duplex } from 'node:stream';
import type { Duplex as DuplexType } from 'node:stream';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import {
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  firstWord,
  FrameType,
  goAwayBody,
  parseStreamHeaders,
  parseSynStream,
  readFrames,
  rstStreamBody,
  RST_CANCEL,
  streamHeadersBody,
} from './framing.js';
import type { ControlFrame, DataFrame, Frame } from './framing.js';

/** Data frames are cut at this size so one large write does not hold the connection for long. */
const DATA_CHUNK = 32 * 1024;

/** One zlib context used for a whole direction of the connection, flushed (Z_SYNC_FLUSH) per header block. */
class HeaderCodec {
  private readonly z: zlib.Inflate | zlib.Deflate;
  private chunks: Buffer[] = [];
  private failure: Error | undefined;

  constructor(kind: 'inflate' | 'deflate') {
    this.z = kind === 'inflate' ? zlib.createInflate({ dictionary: SPDY3_DICTIONARY }) : zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
    this.z.on('data', (c: Buffer) => this.chunks.push(c));
    this.z.on('error', (e: Error) => (this.failure = e));
  }

  /** Feeds one block and returns what came out once flushed. Calls must not overlap (the session serialises them). */
  run(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.z.write(input);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (this.failure) return reject(this.failure);
        const out = Buffer.concat(this.chunks);
        this.chunks = [];
        resolve(out);
      });
    });
  }

  close(): void {
    this.z.destroy();
  }
}

export class SpdyStream extends Duplex {
  /** Lower-case header names, every value kept. */
  readonly headers: Record<string, string[]>;
  private replied = false;
  private remoteClosed = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    headers: Record<string, string[]>,
  ) {
    super({ allowHalfOpen: true });
    this.headers = headers;
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** SYN_REPLY: the session sends an empty one for every stream it hands out unless the handler did. */
  reply(headers: Record<string, string> = {}, fin = false): Promise<void> {
    if (this.replied) return Promise.resolve();
    this.replied = true;
    return this.session.sendReply(this.id, headers, fin);
  }

  get hasReplied(): boolean {
    return this.replied;
  }

  /** Called by the session for each DATA frame (and its FIN) the client sent on this stream. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
    }
  }

  /** The client reset the stream, or the connection is gone. */
  abort(): void {
    if (!this.remoteClosed) {
      this.remoteClosed = true;
      this.push(null);
    }
    this.destroy();
  }

  /** RST_STREAM with CANCEL, for a stream the server gives up on. */
  reset(status = RST_CANCEL): void {
    void this.session.sendReset(this.id, status);
    this.abort();
  }

  override _read(): void {
    // Data is pushed as frames arrive: there is no flow control to open.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => cb(), cb);
  }
}

export interface SpdySessionOptions {
  /** A new stream from the client; the session replies to it (empty SYN_REPLY) once this returns. */
  onStream(stream: SpdyStream): void;
  /** The connection ended (either side), after every stream was aborted. */
  onClose?(): void;
}

export class SpdySession {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderCodec('inflate');
  private readonly deflater = new HeaderCodec('deflate');
  private pending = Buffer.alloc(0);
  /** Incoming frames are handled one after another (header blocks decompress asynchronously). */
  private inbound: Promise<void> = Promise.resolve();
  /** Outgoing frames leave in the order they were asked for. */
  private outbound: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  /** GOAWAY sent or received: incoming frames are ignored. */
  private closed = false;
  /** The socket is gone: nothing more can be written. */
  private ended = false;

  constructor(
    private readonly socket: DuplexType,
    private readonly opts: SpdySessionOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.shutdown());
    socket.on('close', () => this.shutdown());
    socket.on('error', () => this.shutdown());
  }

  private onData(chunk: Buffer): void {
    const { frames, rest } = readFrames(this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk);
    this.pending = Buffer.from(rest);
    for (const f of frames) {
      this.inbound = this.inbound.then(() => this.handle(f)).catch(() => this.close());
    }
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (!f.control) return this.handleData(f);
    await this.handleControl(f);
  }

  private handleData(f: DataFrame): void {
    this.streams.get(f.streamId)?.receive(f.data, (f.flags & FLAG_FIN) !== 0);
  }

  private async handleControl(f: ControlFrame): Promise<void> {
    switch (f.type) {
      case FrameType.SynStream: {
        const { streamId, headerBlock } = parseSynStream(f.body);
        const headers = decodeHeaderBlock(await this.inflater.run(headerBlock));
        const stream = new SpdyStream(this, streamId, headers);
        this.lastStreamId = Math.max(this.lastStreamId, streamId);
        this.streams.set(streamId, stream);
        stream.on('close', () => this.streams.delete(streamId));
        if (f.flags & FLAG_FIN) stream.receive(Buffer.alloc(0), true);
        this.opts.onStream(stream);
        void stream.reply();
        return;
      }
      case FrameType.SynReply:
      case FrameType.Headers: {
        // Keep the decompression context in step even though a server needs nothing from these.
        await this.inflater.run(parseStreamHeaders(f.body).headerBlock);
        return;
      }
      case FrameType.RstStream:
        this.streams.get(firstWord(f.body))?.abort();
        return;
      case FrameType.Ping:
        // A ping is answered with the same frame (kubectl pings port-forward connections to keep them up).
        this.enqueue(async () => controlFrame(FrameType.Ping, 0, f.body));
        return;
      case FrameType.GoAway:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: nothing to do without flow control.
        return;
    }
  }

  private enqueue(build: () => Promise<Buffer>): Promise<void> {
    const step = this.outbound.then(async () => {
      if (this.ended) throw new Error('SPDY connection closed');
      const frame = await build();
      await new Promise<void>((resolve, reject) => this.socket.write(frame, (err) => (err ? reject(err) : resolve())));
    });
    this.outbound = step.catch(() => {});
    return step;
  }

  sendReply(streamId: number, headers: Record<string, string>, fin: boolean): Promise<void> {
    return this.enqueue(async () => controlFrame(FrameType.SynReply, fin ? FLAG_FIN : 0, streamHeadersBody(streamId, await this.deflater.run(encodeHeaderBlock(headers)))));
  }

  async sendData(streamId: number, data: Buffer, fin: boolean): Promise<void> {
    let off = 0;
    do {
      const part = data.subarray(off, off + DATA_CHUNK);
      off += part.length;
      const last = off >= data.length;
      await this.enqueue(async () => dataFrame(streamId, fin && last ? FLAG_FIN : 0, part));
    } while (off < data.length);
  }

  sendReset(streamId: number, status: number): Promise<void> {
    return this.enqueue(async () => controlFrame(FrameType.RstStream, 0, rstStreamBody(streamId, status))).catch(() => {});
  }

  /** GOAWAY, then the socket is ended once everything queued has been written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.enqueue(async () => controlFrame(FrameType.GoAway, 0, goAwayBody(this.lastStreamId, 0)))
      .catch(() => {})
      .finally(() => {
        this.socket.end();
        this.shutdown();
      });
  }

  private shutdown(): void {
    if (this.ended) return;
    this.closed = true;
    this.ended = true;
    for (const s of [...this.streams.values()]) s.abort();
    this.streams.clear();
    this.inflater.close();
    this.deflater.close();
    if (!this.socket.destroyed) this.socket.destroy();
    const cb = this.opts.onClose;
    this.opts.onClose = undefined;
    cb?.();
  }
}
