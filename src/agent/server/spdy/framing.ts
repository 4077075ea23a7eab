/**
 * SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 and the 3.1 changes), as Go's spdystream speaks them for
 * kubectl's exec, attach and port-forward: the byte layout of each frame and of an uncompressed header
 * block. Compression (zlib with the SPDY dictionary, one context per direction) is the session's job.
 */

export const SPDY_VERSION = 3;

export const enum FrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

/** A control frame: `body` is what follows the 8-byte header. */
export interface ControlFrame {
  control: true;
  version: number;
  type: number;
  flags: number;
  body: Buffer;
}

export interface DataFrame {
  control: false;
  streamId: number;
  flags: number;
  data: Buffer;
}

export type Frame = ControlFrame | DataFrame;

const HEADER_LEN = 8;
/** Lengths are 24 bits. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/**
 * Splits complete frames off the front of `buf`; returns them and what is left (a partial frame).
 */
export function readFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let off = 0;
  while (buf.length - off >= HEADER_LEN) {
    const first = buf.readUInt32BE(off);
    const flags = buf[off + 4];
    const length = buf.readUIntBE(off + 5, 3);
    if (buf.length - off < HEADER_LEN + length) break;
    const payload = buf.subarray(off + HEADER_LEN, off + HEADER_LEN + length);
    if (first & 0x80000000) {
      frames.push({ control: true, version: (first >>> 16) & 0x7fff, type: first & 0xffff, flags, body: payload });
    } else {
      frames.push({ control: false, streamId: first & 0x7fffffff, flags, data: payload });
    }
    off += HEADER_LEN + length;
  }
  return { frames, rest: buf.subarray(off) };
}

export function controlFrame(type: FrameType, flags: number, body: Buffer): Buffer {
  if (body.length > MAX_FRAME_PAYLOAD) throw new Error(`SPDY control frame too long: ${body.length} bytes`);
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt32BE((0x8000 | SPDY_VERSION) * 0x10000 + type);
  head[4] = flags;
  head.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([head, body]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new Error(`SPDY data frame too long: ${data.length} bytes`);
  const head = Buffer.alloc(HEADER_LEN);
  head.writeUInt32BE(streamId & 0x7fffffff);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** SYN_STREAM's fixed part: stream id, associated stream id, priority (3 bits) and slot. */
export function synStreamBody(streamId: number, compressedHeaders: Buffer, priority = 0): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & 0x7fffffff, 0);
  fixed.writeUInt32BE(0, 4);
  fixed[8] = (priority & 7) << 5;
  fixed[9] = 0;
  return Buffer.concat([fixed, compressedHeaders]);
}

export function parseSynStream(body: Buffer): { streamId: number; associatedId: number; headerBlock: Buffer } {
  if (body.length < 10) throw new Error('SPDY SYN_STREAM frame too short');
  return { streamId: body.readUInt32BE(0) & 0x7fffffff, associatedId: body.readUInt32BE(4) & 0x7fffffff, headerBlock: body.subarray(10) };
}

/** SYN_REPLY and HEADERS: stream id, then the header block. */
export function streamHeadersBody(streamId: number, compressedHeaders: Buffer): Buffer {
  return Buffer.concat([u32s(streamId & 0x7fffffff), compressedHeaders]);
}

export function parseStreamHeaders(body: Buffer): { streamId: number; headerBlock: Buffer } {
  if (body.length < 4) throw new Error('SPDY frame too short');
  return { streamId: body.readUInt32BE(0) & 0x7fffffff, headerBlock: body.subarray(4) };
}

export function rstStreamBody(streamId: number, status: number): Buffer {
  return u32s(streamId & 0x7fffffff, status);
}

export function goAwayBody(lastGoodStreamId: number, status: number): Buffer {
  return u32s(lastGoodStreamId & 0x7fffffff, status);
}

/** The first 32-bit word of a body, with the reserved top bit cleared (stream ids, ping ids). */
export function firstWord(body: Buffer): number {
  return body.length >= 4 ? body.readUInt32BE(0) & 0x7fffffff : 0;
}

/**
 * An uncompressed SPDY/3 header block: a count, then length-prefixed names and values (32-bit lengths).
 * Several values of one name are joined by NUL. Names are lower case on the wire.
 */
export function encodeHeaderBlock(headers: Record<string, string | string[]>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32s(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value, 'utf8');
    parts.push(u32s(n.length), n, u32s(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  let off = 0;
  const need = (n: number) => {
    if (off + n > block.length) throw new Error('SPDY header block truncated');
  };
  need(4);
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nl = block.readUInt32BE(off);
    off += 4;
    need(nl);
    const name = block.toString('utf8', off, off + nl).toLowerCase();
    off += nl;
    need(4);
    const vl = block.readUInt32BE(off);
    off += 4;
    need(vl);
    const value = block.toString('utf8', off, off + vl);
    off += vl;
    (headers[name] ??= []).push(...value.split('\0'));
  }
  return headers;
}
