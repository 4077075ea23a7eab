/**
 * The watch clients of the storage benchmark, in a worker thread (its own event loop, so the writer's
 * pacing and the watchers' reading do not delay each other).
 *
 * It opens `watchers` watch streams (HTTP/1.1 holds one stream per connection, so one keep-alive
 * connection each), tells the main thread when every stream has its 200, and then stamps each received
 * read with the monotonic clock. The writer puts its own send time (same clock) and a sequence number in
 * each object's data, so latency = receive time - send time needs no matching. To keep the client's cost
 * low (500 watchers x 200 events/s is 100,000 lines/s) it speaks HTTP/1.1 over raw sockets with its
 * own chunked decoder, and cuts the few fields it needs out of each line with Buffer.indexOf instead of
 * parsing JSON.
 */
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { nowMs } from './support/stats.js';

export interface WatchWorkerInput {
  base: string;
  /** Path with query, e.g. /api/v1/namespaces/x/configmaps?watch=1&resourceVersion=12 */
  path: string;
  watchers: number;
  /** Sizing hint for the latency buffer. */
  expectedEvents: number;
}

export type ToWorker = { type: 'finish'; lastRv: number; timeoutMs: number } | { type: 'elu-mark' };

export interface WatchWorkerResult {
  type: 'result';
  /** Every (watcher, event) delivery latency in ms, receive - send. */
  latencies: Float64Array;
  /** Per sequence number: first and last receive time over all watchers, and how many received it. */
  firstRecv: Float64Array;
  lastRecv: Float64Array;
  recvCount: Uint32Array;
  perWatcher: { events: number; outOfOrder: number; ended: boolean }[];
  caughtUp: number;
  otherLines: number;
  errorLines: string[];
  /** Event loop utilisation of this worker between 'elu-mark' and the end (1 = saturated). */
  elu: number;
  bytes: number;
}

export type FromWorker =
  | { type: 'ready'; opened: number; ms: number }
  | { type: 'error'; message: string }
  | WatchWorkerResult;

const input = workerData as WatchWorkerInput;
const port = parentPort!;

class Growable {
  buf: Float64Array;
  n = 0;
  constructor(size: number) {
    this.buf = new Float64Array(Math.max(1024, size));
  }
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  result(): Float64Array {
    return this.buf.slice(0, this.n);
  }
}

const latencies = new Growable(input.watchers * input.expectedEvents * 1.1);
let firstRecv = new Float64Array(Math.max(1024, input.expectedEvents * 2)).fill(Number.NaN);
let lastRecv = new Float64Array(firstRecv.length).fill(Number.NaN);
let recvCount = new Uint32Array(firstRecv.length);
let otherLines = 0;
let bytes = 0;
const errorLines: string[] = [];

function ensureSeq(seq: number): void {
  if (seq < firstRecv.length) return;
  let size = firstRecv.length;
  while (size <= seq) size *= 2;
  const f = new Float64Array(size).fill(Number.NaN);
  f.set(firstRecv);
  const l = new Float64Array(size).fill(Number.NaN);
  l.set(lastRecv);
  const c = new Uint32Array(size);
  c.set(recvCount);
  firstRecv = f;
  lastRecv = l;
  recvCount = c;
}

const MARK_RV = Buffer.from('"resourceVersion":"');
const MARK_SEQ = Buffer.from('"seq":"');
const MARK_SENT = Buffer.from('"sent":"');
const ADDED = Buffer.from('{"type":"ADDED"');
const ERROR = Buffer.from('{"type":"ERROR"');
const BOOKMARK = Buffer.from('{"type":"BOOKMARK"');
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** The number in the string value after `marker` within line[start, end), or NaN. */
function numberAfter(line: Buffer, marker: Buffer, start: number, end: number): number {
  const i = line.indexOf(marker, start);
  if (i < 0 || i >= end) return Number.NaN;
  const from = i + marker.length;
  const to = line.indexOf(QUOTE, from);
  if (to < 0 || to > end) return Number.NaN;
  return Number(line.toString('latin1', from, to));
}

function startsWith(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  return end - start >= prefix.length && buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
}

interface WatchState {
  events: number;
  lastRv: number;
  outOfOrder: number;
  ended: boolean;
  socket?: net.Socket;
}

const base = new URL(input.base);
const states: WatchState[] = [];
let eluStart = performance.eventLoopUtilization();

/** One event line, buf[start, end) without its newline. */
function onLine(st: WatchState, buf: Buffer, start: number, end: number, t: number): void {
  if (!startsWith(buf, start, end, ADDED)) {
    if (startsWith(buf, start, end, ERROR)) {
      if (errorLines.length < 5) errorLines.push(buf.toString('utf8', start, Math.min(end, start + 500)));
    } else if (!startsWith(buf, start, end, BOOKMARK)) {
      otherLines++;
    }
    return;
  }
  const rv = numberAfter(buf, MARK_RV, start, end);
  const seq = numberAfter(buf, MARK_SEQ, start, end);
  const sent = numberAfter(buf, MARK_SENT, start, end);
  st.events++;
  if (!(rv > st.lastRv)) st.outOfOrder++;
  st.lastRv = rv;
  if (Number.isFinite(sent)) latencies.push(t - sent);
  if (Number.isInteger(seq) && seq >= 0) {
    ensureSeq(seq);
    if (Number.isNaN(firstRecv[seq]) || t < firstRecv[seq]) firstRecv[seq] = t;
    if (Number.isNaN(lastRecv[seq]) || t > lastRecv[seq]) lastRecv[seq] = t;
    recvCount[seq]++;
  }
}

/**
 * A watch over a raw keep-alive TCP connection: an HTTP/1.1 GET written by hand and a small decoder for
 * the chunked response. node:http's client costs several microseconds per chunk (parser, stream
 * events), which at 100,000 chunks/s would make the client, not the server, the thing measured.
 */
function open(st: WatchState): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: base.hostname, port: Number(base.port) });
    st.socket = socket;
    socket.setNoDelay(true);
    let headerDone = false;
    let head = Buffer.alloc(0);
    // chunked decoding state
    let chunkLeft = 0; // data bytes left in the current chunk
    let sizeLine = ''; // hex size being read
    let phase: 'size' | 'data' | 'crlf' = 'size';
    let crlfLeft = 0;
    let line: Buffer[] = []; // pieces of an event line split across reads or chunks
    let settled = false;
    const fail = (err: Error) => {
      st.ended = true;
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    /** Event-line bytes: split at newlines. */
    const onData = (buf: Buffer, start: number, end: number, t: number) => {
      let from = start;
      let nl = buf.indexOf(LF, from);
      while (nl >= 0 && nl < end) {
        if (line.length > 0) {
          line.push(buf.subarray(from, nl));
          const whole = Buffer.concat(line);
          line = [];
          onLine(st, whole, 0, whole.length, t);
        } else {
          onLine(st, buf, from, nl, t);
        }
        from = nl + 1;
        nl = buf.indexOf(LF, from);
      }
      if (from < end) line.push(Buffer.from(buf.subarray(from, end)));
    };
    const onBody = (buf: Buffer, t: number) => {
      let i = 0;
      while (i < buf.length) {
        if (phase === 'size') {
          const c = buf[i++];
          if (c === LF) {
            const size = Number.parseInt(sizeLine, 16);
            sizeLine = '';
            if (size === 0) {
              st.ended = true; // end of the stream
              socket.destroy();
              return;
            }
            chunkLeft = size;
            phase = 'data';
          } else if (c !== CR) {
            sizeLine += String.fromCharCode(c);
          }
        } else if (phase === 'data') {
          const n = Math.min(chunkLeft, buf.length - i);
          onData(buf, i, i + n, t);
          i += n;
          chunkLeft -= n;
          if (chunkLeft === 0) {
            phase = 'crlf';
            crlfLeft = 2;
          }
        } else {
          const n = Math.min(crlfLeft, buf.length - i);
          i += n;
          crlfLeft -= n;
          if (crlfLeft === 0) phase = 'size';
        }
      }
    };
    socket.on('data', (buf: Buffer) => {
      const t = nowMs();
      bytes += buf.length;
      if (headerDone) {
        onBody(buf, t);
        return;
      }
      head = Buffer.concat([head, buf]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      const headers = head.toString('latin1', 0, end);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]);
      if (status !== 200 || !/\r\ntransfer-encoding:\s*chunked/i.test(headers)) {
        fail(new Error(`watch answered: ${head.toString('utf8', 0, Math.min(head.length, 400))}`));
        socket.destroy();
        return;
      }
      settled = true;
      resolve();
      onBody(head.subarray(end + 4), t);
    });
    socket.on('error', (err) => fail(err));
    socket.on('close', () => {
      st.ended = true;
      fail(new Error('watch connection closed before the response'));
    });
    socket.write(`GET ${input.path} HTTP/1.1\r\nHost: ${base.host}\r\nAccept: application/json\r\nUser-Agent: pgkube-bench\r\nConnection: keep-alive\r\n\r\n`);
  });
}

async function main(): Promise<void> {
  const t0 = nowMs();
  const opening: Promise<void>[] = [];
  for (let i = 0; i < input.watchers; i++) {
    const st: WatchState = { events: 0, lastRv: 0, outOfOrder: 0, ended: false };
    states.push(st);
    opening.push(open(st));
    // Open in waves so that the server is not handed 500 connections in one tick.
    if (i % 50 === 49) await Promise.all(opening.slice(i - 49));
  }
  await Promise.all(opening);
  port.postMessage({ type: 'ready', opened: states.length, ms: nowMs() - t0 } satisfies FromWorker);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'elu-mark') {
    eluStart = performance.eventLoopUtilization();
    return;
  }
  if (msg.type !== 'finish') return;
  const deadline = nowMs() + msg.timeoutMs;
  const check = () => {
    const caughtUp = states.filter((s) => s.lastRv >= msg.lastRv).length;
    if (caughtUp < states.length && nowMs() < deadline && states.some((s) => !s.ended && s.lastRv < msg.lastRv)) {
      setTimeout(check, 20);
      return;
    }
    const elu = performance.eventLoopUtilization(eluStart).utilization;
    const perWatcher = states.map((s) => ({ events: s.events, outOfOrder: s.outOfOrder, ended: s.ended }));
    for (const s of states) s.socket?.destroy();
    const result: WatchWorkerResult = {
      type: 'result',
      latencies: latencies.result(),
      firstRecv,
      lastRecv,
      recvCount,
      perWatcher,
      caughtUp,
      otherLines,
      errorLines,
      elu,
      bytes,
    };
    port.postMessage(result, [result.latencies.buffer, result.firstRecv.buffer, result.lastRecv.buffer, result.recvCount.buffer] as ArrayBuffer[]);
  };
  check();
});

main().catch((err: unknown) => {
  port.postMessage({ type: 'error', message: (err as Error).message } satisfies FromWorker);
});
