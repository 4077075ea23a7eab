/**
 * Watch and write guarantees under faults, each checked against the history table (history-check.ts):
 *   (a) the LISTEN connection of both apiservers terminated again and again (pg_terminate_backend):
 *       watchers still get every change, and the processes listen again afterwards;
 *   (b) apiserver processes SIGKILLed and restarted on the same port: watchers reconnect to the new
 *       process and resume from their last resourceVersion without loss or duplicates;
 *   (c) PostgreSQL restarted under load (fast, then immediate = crash-like): the apiservers serve again
 *       within seconds without help, watchers resume without loss, and no acknowledged (2xx) write is
 *       lost. Skipped when the backend cannot restart its server (DATABASE_URL).
 * In all three: each watcher got exactly the committed changes after its start, in order; every
 * acknowledged write is in the history at its rv and started from the rv it named; lists equal the replay.
 */
import pg from 'pg';
import { spawnApiServer } from '../support/apiserver.js';
import type { ApiServerProcess } from '../support/apiserver.js';
import { createNamespace } from '../support/fixture.js';
import { request } from '../support/http.js';
import { createTestDatabase, dedicatedServerSupported, startDedicatedServer } from '../support/postgres.js';
import { checkAckedWrites, checkHistoryIntegrity, compareEvents, compareState, expectedEvents, readHistoryTable, replay } from './history-check.js';
import type { AckedWrite, HistorySnapshot } from './history-check.js';
import { ResumingWatcher, Rng, RvPool, seedFromEnv, sleep, waitUntil, Writer } from './workload.js';

const NAMESPACES = ['f1', 'f2'];
const NAMES = Array.from({ length: 12 }, (_, i) => `cm-${i}`);
const logArgs = process.env.PGKUBE_TEST_LOG ? [] : ['--log-level', 'error'];

/** An apiserver process that can be killed and started again on the same port (so the same URL). */
class Slot {
  constructor(
    public proc: ApiServerProcess,
    private readonly databaseUrl: string,
    private readonly args: string[],
  ) {}
  static async spawn(databaseUrl: string, args: string[] = []): Promise<Slot> {
    const all = [...args, ...logArgs];
    return new Slot(await spawnApiServer(databaseUrl, all), databaseUrl, all);
  }
  get url(): string {
    return this.proc.url;
  }
  get alive(): boolean {
    return this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }
  async kill(): Promise<void> {
    await this.proc.kill();
  }
  async start(): Promise<void> {
    const port = Number(new URL(this.proc.url).port);
    this.proc = await spawnApiServer(this.databaseUrl, this.args, port);
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

interface Load {
  seed: number;
  writers: Writer[];
  watchers: ResumingWatcher[];
  extraAcked: AckedWrite[];
  /** Stops the writers (if still running) and waits for them and the watcher launches. */
  stopWriters(): Promise<void>;
}

/**
 * Writers spread over the slots, and watchers started at random times in the first `launchWithinMs`
 * (at resourceVersions seen so far), homed on a slot; `roam` lets some resume on any slot.
 */
async function startLoad(opts: { slots: Slot[]; writers: number; watchers: number; launchWithinMs: number; maxSeconds: number; roam: boolean }): Promise<Load> {
  const seed = seedFromEnv();
  const rng = new Rng(seed);
  const pool = new RvPool();
  const { slots } = opts;
  const first = await request(slots[0].url, 'GET', '/api/v1/configmaps');
  pool.add(BigInt(first.json.metadata.resourceVersion));
  const deadline = Date.now() + opts.maxSeconds * 1000;
  const writers = Array.from({ length: opts.writers }, (_, i) => {
    const slot = slots[i % slots.length];
    return new Writer({ id: `w${i}`, server: () => slot.url, namespaces: NAMESPACES, names: NAMES, rng: new Rng(seed + 1 + i), pool, pauseMs: [1, 6] });
  });
  const writing = writers.map((w) => w.run(deadline));
  const watchers: ResumingWatcher[] = [];
  const launches = Array.from({ length: opts.watchers }, async (_, i) => {
    await sleep(i === 0 ? 0 : rng.between(100, opts.launchWithinMs));
    const home = slots[i % slots.length];
    const kind = i % 4;
    const ns = kind === 1 ? 'f1' : kind === 2 ? 'f2' : undefined;
    const roams = opts.roam && i % 3 === 0;
    const w = new ResumingWatcher({
      id: `watcher${i}`,
      server: () => (roams ? slots[rng.int(slots.length)] : home).url,
      path: ns ? `/api/v1/namespaces/${ns}/configmaps` : '/api/v1/configmaps',
      namespace: ns,
      labels: kind === 3 ? { color: 'blue' } : undefined,
      startRv: pool.pick(rng)!,
      dropAfterMs: i % 2 === 0 ? [1000, 4000] : undefined,
      timeoutSeconds: i % 5 === 4 ? 3 : undefined,
      allowBookmarks: i % 5 === 4,
      rng: new Rng(seed + 100 + i),
    });
    watchers.push(w);
    w.start();
  });
  // If the test fails early, nothing keeps running after it.
  cleanups.push(async () => {
    for (const w of writers) w.stop();
    await Promise.all([...writing, ...launches]);
    await Promise.all(watchers.map((w) => w.stop()));
  });
  return {
    seed,
    writers,
    watchers,
    extraAcked: [],
    async stopWriters() {
      for (const w of writers) w.stop();
      await Promise.all([...writing, ...launches]);
    },
  };
}

const expectedFor = (h: HistorySnapshot, w: ResumingWatcher) =>
  expectedEvents(h, { resource: 'configmaps', namespace: w.o.namespace, labels: w.o.labels, startRv: w.o.startRv });

/**
 * Stops the writers, lets every watcher catch up with the history, stops them and checks everything.
 * `allowServerErrors`: ERROR events and answers with a 5xx code are expected (PostgreSQL was away); a
 * 410 never is (nothing is compacted).
 */
async function finish(databaseUrl: string, load: Load, slots: Slot[], allowServerErrors: boolean): Promise<{ problems: string[]; h: HistorySnapshot; stats: Record<string, unknown> }> {
  await load.stopWriters();
  let h = await readHistoryTable(databaseUrl);
  const target = (w: ResumingWatcher) => {
    const ev = expectedFor(h, w);
    return ev.length > 0 ? ev[ev.length - 1].rv : w.o.startRv;
  };
  const caughtUp = await waitUntil(() => load.watchers.every((w) => w.seenRv() >= target(w)), 30_000);
  await sleep(300);
  await Promise.all(load.watchers.map((w) => w.stop()));
  h = await readHistoryTable(databaseUrl);

  const problems: string[] = [];
  if (!caughtUp) problems.push(`watchers not caught up after 30 s: ${load.watchers.filter((w) => w.seenRv() < target(w)).map((w) => `${w.o.id} at ${w.seenRv()} < ${target(w)}`).join(', ')}`);
  problems.push(...checkHistoryIntegrity(h));
  for (const w of load.watchers) {
    problems.push(...compareEvents(expectedFor(h, w), w.events, `${w.o.id} (${w.o.path}${w.o.labels ? ' color=blue' : ''} from ${w.o.startRv}, ${w.streams} streams)`));
    problems.push(...w.problems);
    for (const e of w.errors) {
      if (e.code === 410 || !allowServerErrors || e.code < 500) problems.push(`${w.o.id}: ERROR ${e.code} ${e.reason}: ${e.message}`);
    }
  }
  const acked = [...load.writers.flatMap((w) => w.acked), ...load.extraAcked];
  problems.push(...checkAckedWrites(h, 'configmaps', acked));
  const final = replay(h, 'configmaps');
  for (const s of slots) {
    const r = await request(s.url, 'GET', '/api/v1/configmaps');
    if (r.status !== 200) problems.push(`final list on ${s.url}: ${r.status} ${r.text}`);
    else problems.push(...compareState(final, r.json.items, `final list on ${s.url}`));
  }
  const stats = {
    seed: load.seed,
    historyRows: h.entries.length,
    acked: acked.length,
    updates: acked.filter((w) => w.op === 'update').length,
    conflicts: load.writers.reduce((n, w) => n + w.stats.conflicts, 0),
    unknownOutcome: load.writers.reduce((n, w) => n + w.stats.unknown, 0),
    watchers: load.watchers.length,
    streams: load.watchers.reduce((n, w) => n + w.streams, 0),
    connectFailures: load.watchers.reduce((n, w) => n + w.connectFailures, 0),
    watchErrors: load.watchers.reduce((n, w) => n + w.errors.length, 0),
    eventsDelivered: load.watchers.reduce((n, w) => n + w.events.length, 0),
  };
  if (problems.length > 0) problems.unshift(`seed ${load.seed} (rerun with PGKUBE_TEST_SEED=${load.seed}); ${JSON.stringify(stats)}`);
  return { problems, h, stats };
}

async function twoApiServers(databaseUrl: string): Promise<Slot[]> {
  const a = await Slot.spawn(databaseUrl);
  cleanups.push(() => a.proc.stop());
  const b = await Slot.spawn(databaseUrl, ['--watch-cache-size', '50']);
  cleanups.push(() => b.proc.stop());
  for (const ns of NAMESPACES) await createNamespace(a.url, ns);
  return [a, b];
}

test('(a) terminating the LISTEN connections mid-run loses no event', async () => {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const slots = await twoApiServers(db.url);
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  cleanups.push(() => admin.end());
  const listeners = async () =>
    (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'pgkube-listen' AND datname = current_database()`)).rows.map((r) => r.pid);
  expect(await listeners()).toHaveLength(2);

  const load = await startLoad({ slots, writers: 6, watchers: 12, launchWithinMs: 3000, maxSeconds: 10, roam: true });
  const killed: number[] = [];
  await sleep(1000);
  for (let round = 0; round < 6; round++) {
    const pids = await listeners();
    for (const pid of pids) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    killed.push(pids.length);
    await sleep(1400);
  }
  const { problems, stats } = await finish(db.url, load, slots, false);
  console.log(`LISTEN fault run: ${JSON.stringify({ ...stats, killed })}`);
  expect(problems).toEqual([]);
  expect(killed[0]).toBe(2);
  // The feed reconnected after each kill: later rounds found listeners to kill again.
  expect(killed.slice(1).reduce((n, k) => n + k, 0)).toBeGreaterThanOrEqual(6);
  expect(await waitUntil(async () => (await listeners()).length === 2, 10_000)).toBe(true);
  expect(slots.every((s) => s.alive)).toBe(true);
  expect(stats.unknownOutcome).toBe(0);
  expect(stats.updates as number).toBeGreaterThan(50);
}, 120_000);

test('(b) an apiserver SIGKILLed and restarted: watchers reconnect to the new process and resume without loss', async () => {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const slots = await twoApiServers(db.url);
  // Watchers stay with their own process: those of a killed one must come back to its successor.
  const load = await startLoad({ slots, writers: 6, watchers: 12, launchWithinMs: 2000, maxSeconds: 30, roam: false });
  const reconnected: string[] = [];
  const restartedAt: number[] = [];
  for (const slot of slots) {
    await sleep(2500);
    const homed = load.watchers.filter((w) => w.o.server() === slot.url);
    const before = new Map(homed.map((w) => [w, w.streams]));
    await slot.kill();
    await sleep(700);
    await slot.start();
    restartedAt.push(Date.now());
    // Each of its watchers opens a new stream on the new process.
    const ok = await waitUntil(() => homed.every((w) => w.streams > before.get(w)!), 15_000);
    reconnected.push(`${slot.url}: ${ok ? 'all' : 'not all'} ${homed.length} watchers reconnected`);
    expect(ok).toBe(true);
  }
  await sleep(2500); // load on both new processes
  const { problems, stats } = await finish(db.url, load, slots, false);
  console.log(`SIGKILL fault run: ${JSON.stringify(stats)} ${reconnected.join('; ')}`);
  expect(problems).toEqual([]);
  expect(stats.connectFailures as number).toBeGreaterThan(0); // watchers did find their process gone
  // Both new processes took writes after the restarts.
  for (const [i, slot] of slots.entries()) expect(load.writers.some((w) => w.acked.some((a) => a.by.endsWith(slot.url) && a.at! > restartedAt[i]))).toBe(true);
}, 120_000);

const withDedicated = dedicatedServerSupported() ? test : test.skip;

withDedicated('(c) PostgreSQL restarted under load: the apiservers recover alone; no acknowledged write is lost', async () => {
  const server = await startDedicatedServer();
  cleanups.push(() => server.destroy());
  const slots = await twoApiServers(server.url);
  const load = await startLoad({ slots, writers: 6, watchers: 12, launchWithinMs: 2000, maxSeconds: 60, roam: true });
  const recovery: Record<string, number> = {};
  for (const mode of ['fast', 'immediate'] as const) {
    await sleep(2500);
    await server.restart({ mode });
    const restarted = Date.now();
    for (const slot of slots) {
      // Without any action of ours, each process serves a list and takes a write again.
      const probe = `probe-${mode}-${new URL(slot.url).port}`;
      const ok = await waitUntil(async () => {
        const r = await request(slot.url, 'POST', `/api/v1/namespaces/f1/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: probe }, data: { probe } }).catch(() => undefined);
        if (r?.status === 201) {
          load.extraAcked.push({ op: 'create', namespace: 'f1', name: probe, rv: BigInt(r.json.metadata.resourceVersion), data: { probe }, by: `probe@${slot.url}` });
          return true;
        }
        return false;
      }, 20_000, 200);
      recovery[`${mode}@${new URL(slot.url).port}`] = Date.now() - restarted;
      expect(ok).toBe(true);
      const list = await request(slot.url, 'GET', '/api/v1/configmaps?limit=5');
      expect(list.status).toBe(200);
    }
  }
  const lastRestart = Date.now();
  await sleep(2500);
  const { problems, stats } = await finish(server.url, load, slots, true);
  console.log(`PostgreSQL restart run: ${JSON.stringify({ ...stats, recoveryMs: recovery })}`);
  expect(problems).toEqual([]);
  expect(Math.max(...Object.values(recovery))).toBeLessThan(20_000);
  // The writers themselves (not just the probes) got through on both processes after the last restart.
  for (const slot of slots) expect(load.writers.some((w) => w.acked.some((a) => a.by.endsWith(slot.url) && a.at! > lastRestart))).toBe(true);
  expect(slots.every((s) => s.alive)).toBe(true);
}, 120_000);
