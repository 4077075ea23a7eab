/**
 * SPDY/3.1 as the kubelet API speaks it: frame layout, header blocks, the compression dictionary, and a
 * server session driven by a client written here from the specification (zlib with the dictionary, one
 * context per direction, as Go's spdystream does).
 */
import { createHash } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../src/agent/server/spdy/dictionary.js';
import {
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameType,
  parseStreamHeaders,
  readFrames,
  synStreamBody,
} from '../../src/agent/server/spdy/framing.js';
import type { Frame } from '../../src/agent/server/spdy/framing.js';
import { SpdySession } from '../../src/agent/server/spdy/session.js';
import type { SpdyStream } from '../../src/agent/server/spdy/session.js';

test('the dictionary is the specification\'s, byte for byte', () => {
  expect(SPDY3_DICTIONARY.length).toBe(1423);
  expect(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex')).toBe('51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('control and data frames: layout, and splitting a byte stream into frames', () => {
  const ping = controlFrame(FrameType.Ping, 0, Buffer.from([0, 0, 0, 7]));
  expect([...ping]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 7]);
  const data = dataFrame(5, FLAG_FIN, Buffer.from('hi'));
  expect([...data]).toEqual([0, 0, 0, 5, 1, 0, 0, 2, 0x68, 0x69]);
  const both = Buffer.concat([ping, data]);
  // Cut in the middle of the second frame: the first comes out, the rest waits for more bytes.
  const first = readFrames(both.subarray(0, 15));
  expect(first.frames).toEqual([{ control: true, version: 3, type: FrameType.Ping, flags: 0, body: Buffer.from([0, 0, 0, 7]) }]);
  expect(first.rest.length).toBe(3);
  const second = readFrames(Buffer.concat([first.rest, both.subarray(15)]));
  expect(second.frames).toEqual([{ control: false, streamId: 5, flags: FLAG_FIN, data: Buffer.from('hi') }]);
  expect(second.rest.length).toBe(0);
});

test('header blocks: lower-case names, NUL-separated values', () => {
  const block = encodeHeaderBlock({ StreamType: 'data', Port: '8080', 'X-Multi': ['a', 'b'] });
  expect(block.readUInt32BE(0)).toBe(3);
  expect(decodeHeaderBlock(block)).toEqual({ streamtype: ['data'], port: ['8080'], 'x-multi': ['a', 'b'] });
  expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow('truncated');
});

/** The client end: compresses its header blocks with one zlib context and reads the server's frames. */
class TestClient {
  readonly frames: Frame[] = [];
  private pending = Buffer.alloc(0);
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private waiters: (() => void)[] = [];

  constructor(readonly toServer: PassThrough, fromServer: PassThrough) {
    fromServer.on('data', (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([this.pending, chunk]));
      this.pending = Buffer.from(rest);
      this.frames.push(...frames);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  private run(z: zlib.Deflate | zlib.Inflate, input: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer) => chunks.push(c);
      z.on('data', onData);
      z.write(input);
      z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        z.off('data', onData);
        resolve(Buffer.concat(chunks));
      });
    });
  }

  async open(id: number, headers: Record<string, string>, fin = false): Promise<void> {
    const block = await this.run(this.deflate, encodeHeaderBlock(headers));
    this.toServer.write(controlFrame(FrameType.SynStream, fin ? FLAG_FIN : 0, synStreamBody(id, block)));
  }

  async headersOf(frame: Frame): Promise<Record<string, string[]>> {
    if (!frame.control) throw new Error('not a control frame');
    return decodeHeaderBlock(await this.run(this.inflate, parseStreamHeaders(frame.body).headerBlock));
  }

  async waitFor(pred: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

function pipePair(): { serverSide: Duplex; toServer: PassThrough; fromServer: PassThrough } {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const serverSide = Duplex.from({ readable: toServer, writable: fromServer });
  return { serverSide, toServer, fromServer };
}

test('a session: streams with headers, replies, data both ways with FIN, ping answered, several header blocks in one zlib context', async () => {
  const { serverSide, toServer, fromServer } = pipePair();
  const streams: SpdyStream[] = [];
  new SpdySession(serverSide, { onStream: (s) => streams.push(s) });
  const client = new TestClient(toServer, fromServer);

  await client.open(1, { streamtype: 'error', port: '80' });
  await client.open(3, { streamtype: 'data', port: '80', requestid: '0' });
  const reply1 = await client.waitFor((f) => f.control && f.type === FrameType.SynReply && parseStreamHeaders(f.body).streamId === 1);
  const reply3 = await client.waitFor((f) => f.control && f.type === FrameType.SynReply && parseStreamHeaders(f.body).streamId === 3);
  expect(await client.headersOf(reply1)).toEqual({});
  expect(await client.headersOf(reply3)).toEqual({});
  expect(streams.map((s) => [s.id, s.header('streamtype'), s.header('port')])).toEqual([[1, 'error', '80'], [3, 'data', '80']]);

  // Client to server: data then FIN ends the stream's readable side.
  const received: Buffer[] = [];
  const ended = new Promise<void>((r) => streams[1].on('end', () => r()));
  streams[1].on('data', (c: Buffer) => received.push(c));
  toServer.write(dataFrame(3, 0, Buffer.from('hello ')));
  toServer.write(dataFrame(3, FLAG_FIN, Buffer.from('server')));
  await ended;
  expect(Buffer.concat(received).toString()).toBe('hello server');

  // Server to client: a write larger than one data frame arrives whole, then FIN.
  const big = Buffer.alloc(100_000, 'x');
  streams[1].end(big);
  await client.waitFor((f) => !f.control && f.streamId === 3 && (f.flags & FLAG_FIN) !== 0);
  const sent = Buffer.concat(client.frames.filter((f): f is Extract<Frame, { control: false }> => !f.control && f.streamId === 3).map((f) => f.data));
  expect(sent.equals(big)).toBe(true);

  toServer.write(controlFrame(FrameType.Ping, 0, Buffer.from([0, 0, 0, 1])));
  const pong = await client.waitFor((f) => f.control && f.type === FrameType.Ping);
  expect(pong.control && [...pong.body]).toEqual([0, 0, 0, 1]);
});

test('a stream the client resets ends; GOAWAY closes the session', async () => {
  const { serverSide, toServer, fromServer } = pipePair();
  const streams: SpdyStream[] = [];
  let closed!: () => void;
  const sessionClosed = new Promise<void>((r) => (closed = r));
  new SpdySession(serverSide, { onStream: (s) => streams.push(s), onClose: () => closed() });
  const client = new TestClient(toServer, fromServer);
  await client.open(1, { streamtype: 'stdin' });
  await client.waitFor((f) => f.control && f.type === FrameType.SynReply);
  const gone = new Promise<void>((r) => streams[0].on('close', () => r()));
  toServer.write(controlFrame(FrameType.RstStream, 0, Buffer.from([0, 0, 0, 1, 0, 0, 0, 5])));
  await gone;
  toServer.write(controlFrame(FrameType.GoAway, 0, Buffer.from([0, 0, 0, 1, 0, 0, 0, 0])));
  await client.waitFor((f) => f.control && f.type === FrameType.GoAway);
  await sessionClosed;
});
