/**
 * The truth for watch and storage property tests: the `history` table, read with pg directly, and the
 * comparisons of what clients saw against it. Every check returns a list of problems (empty when all
 * holds) instead of throwing, so a test can report all of them at once, each with enough context to
 * start debugging from.
 *
 *   const h = await readHistoryTable(db.url);
 *   problems.push(...checkHistoryIntegrity(h));
 *   problems.push(...compareEvents(expectedEvents(h, { resource: 'configmaps', startRv }), observed, 'watcher 3'));
 *   problems.push(...checkAckedWrites(h, writes));
 *   problems.push(...compareState(replay(h, 'configmaps'), listItems, 'final list'));
 */
import pg from 'pg';
import type { WatchEvent } from '../support/http.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Object JSON as served (parsed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects of any kind
export type Obj = any;

export interface HistoryEntry {
  rv: bigint;
  resource: string;
  namespace: string;
  name: string;
  type: ChangeType;
  /** The object after the change (for DELETED: its last state, stamped with the deletion's rv). */
  value: Obj;
  /** The object before the change (null for ADDED). */
  prev: Obj | null;
}

export interface HistorySnapshot {
  entries: HistoryEntry[];
  /** revision.rv */
  revision: bigint;
  /** compaction.compacted_rv */
  compacted: bigint;
}

/** Reads the whole history, the revision and the compaction floor in one consistent snapshot. */
export async function readHistoryTable(url: string): Promise<HistorySnapshot> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgkube-test-check' });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const rev = await client.query<{ rv: string; compacted_rv: string }>('SELECT r.rv, c.compacted_rv FROM revision r, compaction c');
    const rows = await client.query<{ rv: string; resource: string; namespace: string; name: string; type: ChangeType; value: string; prev_value: string | null }>(
      'SELECT rv, resource, namespace, name, type, value, prev_value FROM history ORDER BY rv',
    );
    await client.query('COMMIT');
    return {
      revision: BigInt(rev.rows[0].rv),
      compacted: BigInt(rev.rows[0].compacted_rv),
      entries: rows.rows.map((r) => ({
        rv: BigInt(r.rv),
        resource: r.resource,
        namespace: r.namespace,
        name: r.name,
        type: r.type,
        value: JSON.parse(r.value) as Obj,
        prev: r.prev_value === null ? null : (JSON.parse(r.prev_value) as Obj),
      })),
    };
  } finally {
    await client.end();
  }
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const rvOf = (obj: Obj): bigint => BigInt(obj?.metadata?.resourceVersion ?? -1);
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/**
 * Storage invariants of the table itself: revisions gap-free and ending at revision.rv; each row's
 * object carries its rv; each key's chain of rows is consistent (a row's prev is exactly the previous
 * row's value, ADDED only when the key was absent, MODIFIED/DELETED only when present).
 */
export function checkHistoryIntegrity(h: HistorySnapshot, limit = 20): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    if (problems.length < limit) problems.push(p);
  };
  const e = h.entries;
  for (let i = 1; i < e.length; i++) {
    if (e[i].rv !== e[i - 1].rv + 1n) add(`history gap: rv ${e[i - 1].rv} is followed by ${e[i].rv}`);
  }
  if (e.length > 0 && e[e.length - 1].rv !== h.revision) add(`revision.rv is ${h.revision} but the last history row is ${e[e.length - 1].rv}`);
  const last = new Map<string, HistoryEntry>();
  for (const row of e) {
    const k = `${row.resource} ${keyOf(row.namespace, row.name)}`;
    if (rvOf(row.value) !== row.rv) add(`history rv ${row.rv} (${k}): value carries resourceVersion ${row.value?.metadata?.resourceVersion}`);
    if (row.value?.metadata?.name !== row.name) add(`history rv ${row.rv} (${k}): value names ${row.value?.metadata?.name}`);
    const before = last.get(k);
    const present = before !== undefined && before.type !== 'DELETED';
    if (row.type === 'ADDED') {
      if (present) add(`history rv ${row.rv} (${k}): ADDED while the object exists since rv ${before.rv}`);
      if (row.prev !== null) add(`history rv ${row.rv} (${k}): ADDED with a prev_value`);
    } else if (before === undefined) {
      // The key's earlier rows may have been compacted: only the rv is checkable.
      if (row.prev === null) add(`history rv ${row.rv} (${k}): ${row.type} without prev_value`);
      else if (rvOf(row.prev) > row.rv) add(`history rv ${row.rv} (${k}): prev_value is newer than the row`);
    } else if (!present) {
      add(`history rv ${row.rv} (${k}): ${row.type} of an object deleted at rv ${before.rv}`);
    } else if (json(row.prev) !== json(before.value)) {
      add(`history rv ${row.rv} (${k}): prev_value (rv ${rvOf(row.prev)}) is not the previous row's value (rv ${before.rv}): a lost update`);
    }
    last.set(k, row);
  }
  return problems;
}

export interface WatchFilter {
  resource: string;
  namespace?: string;
  /** Equality-only label selector (all must match). */
  labels?: Record<string, string>;
  /** Events with rv greater than this. */
  startRv: bigint;
}

/** The identity of one watch event: what tests compare. */
export interface EventId {
  type: string;
  namespace: string;
  name: string;
  rv: bigint;
}

export function eventId(ev: WatchEvent): EventId {
  const m = ev.object?.metadata ?? {};
  return { type: ev.type, namespace: m.namespace ?? '', name: m.name ?? '', rv: BigInt(m.resourceVersion ?? -1) };
}

function labelsMatch(obj: Obj, labels: Record<string, string>): boolean {
  const have = (obj?.metadata?.labels ?? {}) as Record<string, string>;
  return Object.entries(labels).every(([k, v]) => have[k] === v);
}

/**
 * What a watch with `filter` must deliver, from the history: every change after startRv in rv order.
 * With a label selector, as kube-apiserver's watch cache filters: an object entering the selector is
 * ADDED, one leaving it is DELETED (at the change's rv), changes outside it are not sent.
 */
export function expectedEvents(h: HistorySnapshot, filter: WatchFilter): EventId[] {
  const out: EventId[] = [];
  for (const row of h.entries) {
    if (row.rv <= filter.startRv || row.resource !== filter.resource) continue;
    if (filter.namespace !== undefined && row.namespace !== filter.namespace) continue;
    let type: string | undefined = row.type;
    if (filter.labels) {
      const now = row.type !== 'DELETED' && labelsMatch(row.value, filter.labels);
      const before = row.prev !== null && labelsMatch(row.prev, filter.labels);
      type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    }
    if (type) out.push({ type, namespace: row.namespace, name: row.name, rv: row.rv });
  }
  return out;
}

const fmt = (e: EventId) => `${e.type} ${keyOf(e.namespace, e.name)}@${e.rv}`;

/**
 * Compares a watcher's events (joined across its resumptions) with the expected ones: same sequence,
 * strictly increasing rv, no duplicates, none missing, none extra, matching type/namespace/name/rv.
 */
export function compareEvents(expected: EventId[], observed: EventId[], label: string, limit = 8): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    if (problems.length < limit) problems.push(`${label}: ${p}`);
  };
  for (let i = 1; i < observed.length; i++) {
    if (observed[i].rv === observed[i - 1].rv) add(`duplicate event at index ${i}: ${fmt(observed[i])}`);
    else if (observed[i].rv < observed[i - 1].rv) add(`out of order at index ${i}: ${fmt(observed[i - 1])} then ${fmt(observed[i])}`);
  }
  const want = new Map(expected.map((e) => [e.rv, e]));
  const got = new Map(observed.map((e) => [e.rv, e]));
  const missing = expected.filter((e) => !got.has(e.rv));
  const extra = observed.filter((e) => !want.has(e.rv));
  if (missing.length > 0) add(`${missing.length} of ${expected.length} events missing, first: ${missing.slice(0, 5).map(fmt).join(', ')}`);
  if (extra.length > 0) add(`${extra.length} unexpected events, first: ${extra.slice(0, 5).map(fmt).join(', ')}`);
  for (const o of observed) {
    const e = want.get(o.rv);
    if (e && (e.type !== o.type || e.namespace !== o.namespace || e.name !== o.name)) add(`event at rv ${o.rv} is ${fmt(o)}, history says ${fmt(e)}`);
  }
  return problems;
}

/** The state of `resource` after replaying history up to `upTo` (inclusive): key -> object. */
export function replay(h: HistorySnapshot, resource: string, upTo?: bigint): Map<string, Obj> {
  const state = new Map<string, Obj>();
  for (const row of h.entries) {
    if (upTo !== undefined && row.rv > upTo) break;
    if (row.resource !== resource) continue;
    const k = keyOf(row.namespace, row.name);
    if (row.type === 'DELETED') state.delete(k);
    else state.set(k, row.value);
  }
  return state;
}

/** Compares list items with a replayed state: same keys, and each object equal as JSON. */
export function compareState(expected: Map<string, Obj>, items: Obj[], label: string, limit = 8): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    if (problems.length < limit) problems.push(`${label}: ${p}`);
  };
  const got = new Map<string, Obj>();
  for (const item of items) {
    const k = keyOf(item.metadata.namespace ?? '', item.metadata.name);
    if (got.has(k)) add(`${k} listed twice`);
    got.set(k, item);
  }
  for (const [k, obj] of expected) {
    const g = got.get(k);
    if (g === undefined) add(`${k}@${rvOf(obj)} missing`);
    else if (json(canonical(g)) !== json(canonical(obj))) add(`${k} is rv ${rvOf(g)}, replay says rv ${rvOf(obj)}${rvOf(g) === rvOf(obj) ? ' (same rv, different content)' : ''}`);
  }
  for (const [k, g] of got) if (!expected.has(k)) add(`${k}@${rvOf(g)} listed but absent from the replay`);
  return problems;
}

/** JSON with object keys sorted, so equal objects compare equal whatever their key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** A write the apiserver acknowledged with a 2xx response. */
export interface AckedWrite {
  op: 'create' | 'update' | 'delete';
  namespace: string;
  name: string;
  /** The response object's resourceVersion. */
  rv: bigint;
  /** update and delete: the resourceVersion the request named (what the writer had read). */
  namedRv?: bigint;
  /** create and update: the data the request sent. */
  data?: Record<string, string>;
  /** Which writer and server, for messages. */
  by: string;
  /** When the answer arrived (Date.now()). */
  at?: number;
}

/**
 * Every acknowledged write is in the history at the rv it was answered with, as that change of that key;
 * every update and delete started from the version it named (its row's prev_value carries that rv), so
 * no update was lost; creates and updates stored the data they sent.
 */
export function checkAckedWrites(h: HistorySnapshot, resource: string, writes: AckedWrite[], limit = 20): string[] {
  const problems: string[] = [];
  const add = (p: string) => {
    if (problems.length < limit) problems.push(p);
  };
  const byRv = new Map(h.entries.map((e) => [e.rv, e]));
  const wantType = { create: 'ADDED', update: 'MODIFIED', delete: 'DELETED' } as const;
  const seen = new Set<bigint>();
  for (const w of writes) {
    const what = `${w.op} of ${keyOf(w.namespace, w.name)} by ${w.by} answered rv ${w.rv}`;
    if (seen.has(w.rv)) add(`${what}: another acknowledged write was answered with the same rv`);
    seen.add(w.rv);
    const row = byRv.get(w.rv);
    if (!row) {
      add(`${what}: no history row at that rv (acknowledged write lost)`);
      continue;
    }
    if (row.resource !== resource || row.namespace !== w.namespace || row.name !== w.name || row.type !== wantType[w.op]) {
      add(`${what}: history rv ${row.rv} is ${row.type} of ${row.resource} ${keyOf(row.namespace, row.name)}`);
      continue;
    }
    if (w.namedRv !== undefined && rvOf(row.prev) !== w.namedRv) {
      add(`${what}: named rv ${w.namedRv} but the row's prev_value is rv ${rvOf(row.prev)} (lost update)`);
    }
    if (w.data !== undefined && json(canonical(row.value.data ?? {})) !== json(canonical(w.data))) {
      add(`${what}: stored data ${json(row.value.data)} differs from the data sent ${json(w.data)}`);
    }
  }
  return problems;
}

/** Highest rv of `resource` in the history (or `floor` when it has none after it). */
export function lastRvOf(h: HistorySnapshot, filter: Omit<WatchFilter, 'startRv'>, floor = 0n): bigint {
  const ev = expectedEvents(h, { ...filter, startRv: floor });
  return ev.length > 0 ? ev[ev.length - 1].rv : floor;
}
