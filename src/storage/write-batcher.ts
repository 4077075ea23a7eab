import type pg from 'pg';
import type { KubeObject } from '../machinery/object.js';
import { keyString } from './types.js';
import type { EventType, ObjectKey, StoredObject, WriteRequest, WriteResult } from './types.js';

export const CHANGES_CHANNEL = 'pgkube_changes';

interface Pending {
  request: WriteRequest;
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
}

interface Change {
  rv: bigint;
  key: ObjectKey;
  type: EventType;
  json: string;
  prevJson: string | null;
  prevLabels: Record<string, string> | null;
  labels: Record<string, string>;
  /** The kind's selectable fields (WriteRequest.fields) of the new state and of the one it replaces. */
  fields: Record<string, string>;
  prevFields: Record<string, string> | null;
}

export interface BatchStats {
  batches: number;
  writes: number;
  lastBatchSize: number;
  lastCommitMs: number;
}

/**
 * Group commit. Concurrent writes queue here; one transaction at a time takes up to `maxBatch` of them,
 * locks the revision row, reads the current state of every key in the batch, lets each request decide
 * what it does (in arrival order, each seeing the effect of the ones before it), bumps the revision by
 * the number of changes, writes history and current state, NOTIFYs once and commits. A request whose
 * decision throws fails alone; its neighbours commit.
 */
export class WriteBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  readonly stats: BatchStats = { batches: 0, writes: 0, lastBatchSize: 0, lastCommitMs: 0 };
  /** Called after each commit with the highest revision written (the change feed polls on it). */
  onCommit?: (rv: bigint) => void;
  /** Called after each committed batch: requests in it, changes it wrote, seconds it took (metrics). */
  onBatch?: (requests: number, changes: number, seconds: number) => void;
  /** Called when a batch's transaction fails as a whole (metrics). */
  onBatchError?: (err: unknown) => void;

  /**
   * Two batches may be in flight: while one commits, the next already waits on the revision lock in
   * PostgreSQL, which hides its BEGIN and read round trips. The lock still orders them.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBatch = 128,
    private readonly maxInFlight = 2,
  ) {}

  write(request: WriteRequest): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // Let the requests that arrive in the same tick join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight += 1;
    this.commit(batch)
      .catch((err: unknown) => {
        this.onBatchError?.(err);
        for (const p of batch) p.reject(err);
      })
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
    this.schedule();
  }

  private async commit(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const keys = new Map<string, ObjectKey>();
    for (const { request } of batch) {
      keys.set(keyString(request.key), request.key);
      for (const k of request.reads ?? []) keys.set(keyString(k), k);
    }
    const keyList = [...keys.values()];
    const client = await this.pool.connect();
    let outcomes: ({ ok: true; result: WriteResult } | { ok: false; error: unknown })[] = [];
    try {
      await client.query('BEGIN');
      const read = await client.query<{ current_rv: string; resource: string | null; namespace: string; name: string; rv: string; value: string }>(
        'SELECT * FROM pgkube_lock_and_read($1, $2, $3)',
        [keyList.map((k) => k.resource), keyList.map((k) => k.namespace), keyList.map((k) => k.name)],
      );
      const baseRv = BigInt(read.rows[0].current_rv);
      // Current state per key, updated as the batch's own changes are decided.
      const state = new Map<string, { stored: StoredObject | null; json: string | null }>();
      for (const k of keyList) state.set(keyString(k), { stored: null, json: null });
      for (const row of read.rows) {
        if (row.resource === null) continue;
        state.set(keyString({ resource: row.resource, namespace: row.namespace, name: row.name }), { stored: { rv: BigInt(row.rv), object: JSON.parse(row.value) as KubeObject }, json: row.value });
      }

      const changes: Change[] = [];
      let rv = baseRv;
      outcomes = batch.map(({ request }) => {
        const k = keyString(request.key);
        const current = state.get(k)!;
        try {
          const reads = new Map<string, StoredObject | null>();
          for (const r of request.reads ?? []) reads.set(keyString(r), state.get(keyString(r))!.stored);
          const decision = request.decide(current.stored, reads);
          if (decision.action === 'noop') {
            if (!current.stored) throw new Error('noop decision on a missing object');
            return { ok: true as const, result: { type: 'NOOP' as const, rv: current.stored.rv, object: current.stored.object, json: current.json! } };
          }
          if (decision.action === 'delete' && !current.stored) throw new Error('delete decision on a missing object');
          // Before the revision is taken: a request failing here must not leave a gap in the history.
          const fields = request.fields?.(decision.object) ?? {};
          const prevFields = current.stored ? (request.fields?.(current.stored.object) ?? {}) : null;
          // Side writes: only to keys read in this batch; a delete of a missing key is dropped.
          const sides = (decision.also ?? []).filter((side) => {
            const sideState = state.get(keyString(side.key));
            if (!sideState) throw new Error(`side write to a key the request did not read: ${side.key.resource}/${side.key.name}`);
            return side.action === 'put' || sideState.stored !== null;
          });
          // Everything that can throw happens on tentative revisions; the batch's counter moves only when
          // the whole request succeeded, so a failing request never leaves a hole in the history.
          let next = rv + 1n;
          const mainRv = next;
          const object = decision.object;
          object.metadata.resourceVersion = mainRv.toString();
          const json = JSON.stringify(object);
          const type: EventType = decision.action === 'delete' ? 'DELETED' : current.stored ? 'MODIFIED' : 'ADDED';
          const staged: Change[] = [
            {
              rv: mainRv,
              key: request.key,
              type,
              json,
              prevJson: current.json,
              prevLabels: current.stored ? (current.stored.object.metadata.labels ?? {}) : null,
              labels: object.metadata.labels ?? {},
              fields,
              prevFields,
            },
          ];
          const newStates: [string, { stored: StoredObject | null; json: string | null }][] = [
            [k, decision.action === 'delete' ? { stored: null, json: null } : { stored: { rv: mainRv, object }, json }],
          ];
          for (const side of sides) {
            const sk = keyString(side.key);
            const prev = state.get(sk)!;
            next += 1n;
            let sideJson: string;
            if (side.action === 'put') {
              side.object.metadata.resourceVersion = next.toString();
              sideJson = JSON.stringify(side.object);
            } else {
              const gone = structuredClone(prev.stored!.object);
              gone.metadata.resourceVersion = next.toString();
              sideJson = JSON.stringify(gone);
            }
            staged.push({
              rv: next,
              key: side.key,
              type: side.action === 'delete' ? 'DELETED' : prev.stored ? 'MODIFIED' : 'ADDED',
              json: sideJson,
              prevJson: prev.json,
              prevLabels: prev.stored ? (prev.stored.object.metadata.labels ?? {}) : null,
              labels: side.action === 'put' ? (side.object.metadata.labels ?? {}) : {},
              fields: {},
              prevFields: prev.stored ? {} : null,
            });
            newStates.push([sk, side.action === 'delete' ? { stored: null, json: null } : { stored: { rv: next, object: side.object }, json: sideJson }]);
          }
          rv = next;
          changes.push(...staged);
          for (const [key, value] of newStates) state.set(key, value);
          return { ok: true as const, result: { type, rv: mainRv, object, json } };
        } catch (error) {
          return { ok: false as const, error };
        }
      });

      if (changes.length > 0) await this.writeChanges(client, changes, rv);
      await client.query('COMMIT');
      this.stats.batches += 1;
      this.stats.writes += changes.length;
      this.stats.lastBatchSize = changes.length;
      this.stats.lastCommitMs = performance.now() - started;
      this.onBatch?.(batch.length, changes.length, this.stats.lastCommitMs / 1000);
      if (changes.length > 0) this.onCommit?.(rv);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw err;
    }
    client.release();
    outcomes.forEach((o, i) => (o.ok ? batch[i].resolve(o.result) : batch[i].reject(o.error)));
  }

  /** One statement: revision bump, history rows, final state per key, and the NOTIFY hint. */
  private async writeChanges(client: pg.PoolClient, changes: Change[], lastRv: bigint): Promise<void> {
    // The current-state table gets only the last change per key (a statement may not touch a row twice).
    const finalByKey = new Map<string, Change>();
    for (const c of changes) finalByKey.set(keyString(c.key), c);
    const finals = [...finalByKey.values()];
    const deletes = finals.filter((c) => c.type === 'DELETED');
    const puts = finals.filter((c) => c.type !== 'DELETED');
    await client.query(
      `WITH rev AS (UPDATE revision SET rv = $1 WHERE singleton),
       hist AS (
         INSERT INTO history (rv, resource, namespace, name, type, value, prev_value, prev_labels, prev_fields)
         SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $18::jsonb[], $19::jsonb[])),
       del AS (
         DELETE FROM objects o USING unnest($9::text[], $10::text[], $11::text[]) AS d(resource, namespace, name)
         WHERE o.resource = d.resource AND o.namespace = d.namespace AND o.name = d.name),
       put AS (
         INSERT INTO objects (resource, namespace, name, rv, labels, value, fields)
         SELECT * FROM unnest($12::text[], $13::text[], $14::text[], $15::bigint[], $16::jsonb[], $17::text[], $20::jsonb[])
         ON CONFLICT (resource, namespace, name) DO UPDATE SET rv = excluded.rv, labels = excluded.labels, value = excluded.value, fields = excluded.fields)
       SELECT pg_notify('${CHANGES_CHANNEL}', $1::text)`,
      [
        lastRv.toString(),
        changes.map((c) => c.rv.toString()),
        changes.map((c) => c.key.resource),
        changes.map((c) => c.key.namespace),
        changes.map((c) => c.key.name),
        changes.map((c) => c.type),
        changes.map((c) => c.json),
        changes.map((c) => c.prevJson),
        deletes.map((c) => c.key.resource),
        deletes.map((c) => c.key.namespace),
        deletes.map((c) => c.key.name),
        puts.map((c) => c.key.resource),
        puts.map((c) => c.key.namespace),
        puts.map((c) => c.key.name),
        puts.map((c) => c.rv.toString()),
        puts.map((c) => JSON.stringify(c.labels)),
        puts.map((c) => c.json),
        changes.map((c) => (c.prevLabels ? JSON.stringify(c.prevLabels) : null)),
        changes.map((c) => (c.prevFields ? JSON.stringify(c.prevFields) : null)),
        puts.map((c) => JSON.stringify(c.fields)),
      ],
    );
  }
}
