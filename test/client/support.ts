import pg from 'pg';
import { compactOnce } from '../../src/storage/compactor.js';

/**
 * Compacts all history written so far, so watches from any earlier resourceVersion answer 410 Expired
 * (the compactor keeps history newer than its window: wait past a whole second, then compact with window 0).
 */
export async function compactEverything(databaseUrl: string): Promise<bigint> {
  await new Promise((r) => setTimeout(r, 1100));
  const pool = new pg.Pool({ connectionString: databaseUrl });
  try {
    return await compactOnce(pool, 0);
  } finally {
    await pool.end();
  }
}

/** Polls `cond` every 20 ms until it holds; throws with `what` after `ms`. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
