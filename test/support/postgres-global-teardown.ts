/**
 * jest globalTeardown: removes every PostgreSQL server, container, database and temp directory of the
 * run (see postgres-global.ts, whose globalSetup leaves the clean-up function on the process object;
 * this file cannot import it: jest loads global hooks without moduleNameMapper).
 */
import nodeProcess from 'node:process';

export default async function globalTeardown(): Promise<void> {
  const holder = nodeProcess as unknown as Record<symbol, (() => Promise<void>) | undefined>;
  const key = Symbol.for('pgkube.test.postgres.teardown');
  const cleanup = holder[key];
  holder[key] = undefined;
  if (cleanup) await cleanup();
}
