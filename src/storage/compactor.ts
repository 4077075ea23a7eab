import type pg from 'pg';

// Only one apiserver compacts at a time; the others skip the round.
const COMPACTION_LOCK_KEY = 0x70676b76;

/**
 * Removes history older than the window. Watches and lists at revisions below the new compacted
 * revision then answer 410 Expired and clients relist, as with etcd compaction under kube-apiserver.
 * Returns the compacted revision after the round.
 */
export async function compactOnce(pool: pg.Pool, windowSeconds: number): Promise<bigint> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [COMPACTION_LOCK_KEY]);
    if (!locked.rows[0].ok) {
      await client.query('ROLLBACK');
      return BigInt((await pool.query<{ rv: string }>('SELECT compacted_rv AS rv FROM compaction')).rows[0].rv);
    }
    // The newest revision older than the window; everything at or below it goes.
    const target = await client.query<{ rv: string | null }>(
      `SELECT max(rv) AS rv FROM history WHERE created_at < now() - make_interval(secs => $1)`,
      [windowSeconds],
    );
    const rv = target.rows[0].rv;
    if (rv !== null) {
      // Raise the floor first, in the same transaction, so no reader sees a hole above it.
      await client.query('UPDATE compaction SET compacted_rv = greatest(compacted_rv, $1::bigint)', [rv]);
      await client.query('DELETE FROM history WHERE rv <= $1', [rv]);
    }
    await client.query('COMMIT');
    return BigInt((await client.query<{ rv: string }>('SELECT compacted_rv AS rv FROM compaction')).rows[0].rv);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Runs compactOnce every `intervalSeconds` until stopped. */
export function startCompactor(pool: pg.Pool, opts: { windowSeconds: number; intervalSeconds: number; onError?: (err: unknown) => void }): () => void {
  const timer = setInterval(() => {
    compactOnce(pool, opts.windowSeconds).catch((err) => opts.onError?.(err));
  }, opts.intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
