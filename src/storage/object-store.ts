import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import type { Db } from './database.js';
import type { WriteBatcher } from './write-batcher.js';
import { labelSelectorSql } from './label-sql.js';
import { CompactedError, FutureRevisionError } from './types.js';
import type { KubeObject } from '../machinery/object.js';
import type { FieldCondition, ListQuery, ListResult, ObjectKey, StoredObject, WriteRequest, WriteResult } from './types.js';

/**
 * The Kubernetes-semantic storage interface over PostgreSQL: get, list (latest or at an exact revision,
 * paged), and writes through the group-commit batcher.
 */
export class ObjectStore {
  constructor(
    private readonly db: Db,
    private readonly batcher: WriteBatcher,
  ) {}

  write(request: WriteRequest): Promise<WriteResult> {
    return this.batcher.write(request);
  }

  async get(key: ObjectKey): Promise<StoredObject | null> {
    const row = await this.db
      .selectFrom('objects')
      .select(['rv', 'value'])
      .where('resource', '=', key.resource)
      .where('namespace', '=', key.namespace)
      .where('name', '=', key.name)
      .executeTakeFirst();
    return row ? { rv: BigInt(row.rv), object: JSON.parse(row.value) as KubeObject } : null;
  }

  async currentRevision(): Promise<bigint> {
    const row = await this.db.selectFrom('revision').select('rv').executeTakeFirstOrThrow();
    return BigInt(row.rv);
  }

  async compactedRevision(): Promise<bigint> {
    const row = await this.db.selectFrom('compaction').select('compacted_rv').executeTakeFirstOrThrow();
    return BigInt(row.compacted_rv);
  }

  /**
   * Lists in one REPEATABLE READ snapshot. The revision row is written in the same transaction as the
   * objects, so the snapshot holds exactly the writes up to the revision it reads. At an older revision,
   * objects changed since are recovered from the first history row after it (its prev_value).
   */
  async list(q: ListQuery): Promise<ListResult> {
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const head = await sql<{ rv: string; compacted_rv: string }>`
          SELECT r.rv, c.compacted_rv FROM revision r, compaction c`.execute(trx);
        const current = BigInt(head.rows[0].rv);
        const compacted = BigInt(head.rows[0].compacted_rv);
        const at = q.atRevision ?? current;
        if (at > current) throw new FutureRevisionError(at, current);
        if (at < compacted) throw new CompactedError(at, compacted);

        const filters = filterSql(q);
        const limit = q.limit && q.limit > 0 ? q.limit : undefined;
        const limitSql = limit ? sql`LIMIT ${limit + 1}` : sql``;
        const source = at === current ? currentRows(q, filters) : rowsAtRevision(q, at, filters);
        const result = await sql<{ namespace: string; name: string; value: string }>`
          SELECT namespace, name, value FROM (${source}) s ORDER BY namespace, name ${limitSql}`.execute(trx);
        const rows = result.rows;
        const out: ListResult = { rv: at, items: [] };
        const more = limit !== undefined && rows.length > limit;
        const page = more ? rows.slice(0, limit) : rows;
        out.items = page.map((r) => r.value);
        if (more) {
          const last = page[page.length - 1];
          out.next = { namespace: last.namespace, name: last.name };
          if (q.countRemaining) {
            const count = await sql<{ n: string }>`
              SELECT count(*) AS n FROM (${source}) s
              WHERE (namespace, name) > (${last.namespace}, ${last.name})`.execute(trx);
            out.remaining = Number(count.rows[0].n);
          }
        }
        return out;
      });
  }
}

/** Conditions on (namespace, name, labels, selectable fields) of the `objects` rows a list reads. */
function filterSql(q: ListQuery): RawBuilder<boolean> {
  const parts: RawBuilder<boolean>[] = [];
  if (q.namespace !== undefined) parts.push(sql<boolean>`namespace = ${q.namespace}`);
  if (q.after) parts.push(sql<boolean>`(namespace, name) > (${q.after.namespace}, ${q.after.name})`);
  for (const f of q.fields ?? []) {
    if (f.field === 'metadata.name' || f.field === 'metadata.namespace') parts.push(fieldConditionSql(f));
  }
  if (q.labelSelector && q.labelSelector.length > 0) parts.push(labelSelectorSql(q.labelSelector));
  parts.push(...selectableFieldsSql(q, sql.ref('fields')));
  return parts.length === 0 ? sql<boolean>`true` : sql<boolean>`${sql.join(parts, sql` AND `)}`;
}

function fieldConditionSql(f: FieldCondition): RawBuilder<boolean> {
  const column = f.field === 'metadata.name' ? sql.ref('name') : sql.ref('namespace');
  const op = f.op === '=' ? sql.raw('=') : sql.raw('<>');
  return sql<boolean>`${column} ${op} ${f.value}`;
}

/**
 * Conditions on the stored selectable fields (jsonb). `field=value` with a non-empty value is a
 * containment test, which the GIN index on `fields` answers (kubelets list pods by spec.nodeName,
 * describe lists events by involvedObject); a missing field counts as "" as upstream's fields.Set does.
 */
function selectableFieldsSql(q: ListQuery, column: RawBuilder<unknown>): RawBuilder<boolean>[] {
  const parts: RawBuilder<boolean>[] = [];
  for (const f of q.fields ?? []) {
    if (f.field === 'metadata.name' || f.field === 'metadata.namespace') continue;
    const value = sql`coalesce(${column}->>${f.field}, '')`;
    if (f.op === '=' && f.value !== '') parts.push(sql<boolean>`${column} @> ${JSON.stringify({ [f.field]: f.value })}::jsonb`);
    else if (f.op === '=') parts.push(sql<boolean>`${value} = ''`);
    else parts.push(sql<boolean>`${value} <> ${f.value}`);
  }
  return parts;
}

function currentRows(q: ListQuery, filters: RawBuilder<boolean>): RawBuilder<unknown> {
  return sql`SELECT namespace, name, value FROM objects WHERE resource = ${q.resource} AND ${filters}`;
}

function rowsAtRevision(q: ListQuery, at: bigint, filters: RawBuilder<boolean>): RawBuilder<unknown> {
  const histLabels = sql`coalesce(prev_labels, '{}'::jsonb)`;
  const stateConds = selectableFieldsSql(q, sql`coalesce(prev_fields, '{}'::jsonb)`);
  if (q.labelSelector && q.labelSelector.length > 0) stateConds.push(labelSelectorSql(q.labelSelector, histLabels));
  const stateCond = stateConds.length === 0 ? sql<boolean>`true` : sql<boolean>`${sql.join(stateConds, sql` AND `)}`;
  const keyFilters = filterSql({ ...q, labelSelector: undefined, fields: q.fields?.filter((f) => f.field === 'metadata.name' || f.field === 'metadata.namespace') });
  return sql`
    SELECT namespace, name, value FROM objects
      WHERE resource = ${q.resource} AND rv <= ${at.toString()} AND ${filters}
    UNION ALL
    SELECT namespace, name, prev_value AS value FROM (
      SELECT DISTINCT ON (namespace, name) namespace, name, type, prev_value, prev_labels, prev_fields FROM history
        WHERE resource = ${q.resource} AND rv > ${at.toString()} AND ${keyFilters}
        ORDER BY namespace, name, rv ASC
    ) first_change
      WHERE type <> 'ADDED' AND ${stateCond}`;
}

export interface HistoryRow {
  rv: bigint;
  resource: string;
  namespace: string;
  name: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  value: string;
  prevValue: string | null;
}

/**
 * History rows after `after` (exclusive), up to `upTo` (inclusive), oldest first. One statement, so the
 * compaction floor and the rows come from one snapshot: if the floor is above `after`, rows were removed
 * and the caller must not pretend to have them all.
 */
export async function readHistory(
  db: Db,
  opts: { after: bigint; upTo?: bigint; resource?: string; limit: number },
): Promise<HistoryRow[]> {
  const upTo = opts.upTo !== undefined ? sql`AND rv <= ${opts.upTo.toString()}` : sql``;
  const resource = opts.resource !== undefined ? sql`AND resource = ${opts.resource}` : sql``;
  const result = await sql<{
    compacted_rv: string;
    rv: string | null;
    resource: string;
    namespace: string;
    name: string;
    type: HistoryRow['type'];
    value: string;
    prev_value: string | null;
  }>`
    SELECT c.compacted_rv, h.rv, h.resource, h.namespace, h.name, h.type, h.value, h.prev_value
    FROM compaction c
    LEFT JOIN LATERAL (
      SELECT rv, resource, namespace, name, type, value, prev_value FROM history
      WHERE rv > ${opts.after.toString()} ${upTo} ${resource}
      ORDER BY rv LIMIT ${opts.limit}
    ) h ON true`.execute(db);
  const compacted = BigInt(result.rows[0].compacted_rv);
  if (opts.after < compacted) throw new CompactedError(opts.after, compacted);
  return result.rows
    .filter((r) => r.rv !== null)
    .map((r) => ({
      rv: BigInt(r.rv!),
      resource: r.resource,
      namespace: r.namespace,
      name: r.name,
      type: r.type,
      value: r.value,
      prevValue: r.prev_value,
    }));
}
