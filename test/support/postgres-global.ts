/**
 * PostgreSQL servers for tests: the machinery behind test/support/postgres.ts, and jest's globalSetup.
 *
 * Tests import test/support/postgres.ts, not this file.
 *
 * This file must not import other project files statically (only node: modules and npm packages). Jest
 * loads a globalSetup module through Node's own loader, without moduleNameMapper, so the `./x.js` ->
 * `./x.ts` mapping that test files rely on does not apply to it. The embedded servers are run by
 * src/embedded-postgres/server.ts, which this file loads from its built copy in dist/ (see embedded()).
 *
 * Backends (see backendName()):
 *   embedded        default: embedded-postgres' PostgreSQL binaries, run by
 *                   src/embedded-postgres/server.ts (data dir under os.tmpdir(), a free 127.0.0.1
 *                   port, fsync on)
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
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodeProcess from 'node:process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Binaries, EmbeddedPostgres, StopMode } from '../../src/embedded-postgres/server.js';

type Embedded = typeof import('../../src/embedded-postgres/server.js');

const execFileAsync = promisify(execFile);

export type BackendName = 'embedded' | 'database-url' | 'testcontainers';
export type { StopMode };

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

function pidAlive(pid: number): boolean {
  try {
    nodeProcess.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
// Embedded: embedded-postgres' binaries, run by src/embedded-postgres/server.ts (setpriv: the postgres
// user when root, and --pdeathsig; output to a log file; unref'd, so that it keeps no jest worker alive).
//
// Loaded from its BUILT copy in dist/ (npm test builds first): this file is also jest's globalSetup,
// which jest loads without moduleNameMapper, so the project's `./x.js` -> `./x.ts` mapping does not
// apply here. The specifier is relative to this file; as a variable, tsc does not resolve it (the types
// come from the source through `import type`).

const EMBEDDED_MODULE = '../../dist/src/embedded-postgres/server.js';
let embeddedModule: Promise<Embedded> | undefined;

function embedded(): Promise<Embedded> {
  embeddedModule ??= (import(EMBEDDED_MODULE) as Promise<Embedded>).catch((err: unknown) => {
    embeddedModule = undefined;
    throw new Error(
      `the tests' embedded PostgreSQL needs the built module ${EMBEDDED_MODULE.slice('../../'.length)} ` +
        `(from src/embedded-postgres/server.ts): run npm run build (npm test does). (${(err as Error).message})`,
    );
  });
  return embeddedModule;
}

async function binaries(): Promise<Binaries> {
  const { loadBinaries } = await embedded();
  const s = stash();
  // As root and the checkout out of the postgres user's reach: one copy in the temp directory for all runs.
  s.binaries ??= loadBinaries({ copyDir: path.join(os.tmpdir(), 'pgkube-embedded-postgres') });
  s.binaries.catch(() => {
    s.binaries = undefined;
  });
  return s.binaries;
}

export class EmbeddedServer implements ServerControl {
  readonly backend = 'embedded' as const;
  private watchdog?: ChildProcess;
  private untrack?: () => void;
  private destroyed = false;

  private constructor(
    readonly dir: string,
    private readonly pg: EmbeddedPostgres,
  ) {}

  get port(): number {
    return this.pg.port;
  }
  get dataDir(): string {
    return this.pg.dataDir;
  }
  get logFile(): string {
    return this.pg.logFile;
  }
  get adminUrl(): string {
    return makeUrl('127.0.0.1', this.pg.port, 'postgres');
  }
  running(): boolean {
    return this.pg.running();
  }

  /** initdb a new cluster in the run's temp directory and start it on a free port. */
  static async create(name: string, maxConnections: number): Promise<EmbeddedServer> {
    const { EmbeddedPostgres } = await embedded();
    const b = await binaries();
    const dir = fs.mkdtempSync(path.join(runDir(), `${name}-${nodeProcess.pid}-`));
    fs.chmodSync(dir, 0o755);
    let server: EmbeddedServer | undefined;
    const pg = new EmbeddedPostgres({
      binaries: b,
      dataDir: path.join(dir, 'data'),
      logFile: path.join(dir, 'postgres.log'),
      user: USER,
      password: PASSWORD,
      settings: { max_connections: String(maxConnections), TimeZone: 'UTC' },
      unref: true,
      onSpawn: (pid) => server?.watch(pid),
      readyTimeoutMs: READY_TIMEOUT_MS,
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
    server = new EmbeddedServer(dir, pg);
    const srv = server;
    srv.untrack = track({
      describe: `embedded PostgreSQL in ${dir}`,
      destroy: () => srv.destroy(),
      destroySync: () => srv.destroySync(),
    });
    try {
      await pg.initdb();
      await pg.start();
      return srv;
    } catch (err) {
      await srv.destroy().catch(() => undefined);
      throw err;
    }
  }

  /** --pdeathsig covers this process's death; the watchdog also the run owner's (a killed jest). */
  private watch(pid: number): void {
    stopWatchdog(this.watchdog);
    this.watchdog = startWatchdog(
      `if tr '\\0' ' ' </proc/${pid}/cmdline 2>/dev/null | grep -qF -- ${shellQuote(this.dataDir)}; then ` +
        `kill -QUIT ${pid}; for i in $(seq 1 100); do kill -0 ${pid} 2>/dev/null || break; sleep 0.1; done; fi; ` +
        `rm -rf ${shellQuote(this.dir)}`,
    );
  }

  /** Starts it again, on the same port. */
  async start(): Promise<void> {
    if (this.destroyed) throw new Error('embedded PostgreSQL: start() after destroy()');
    await this.pg.start({ port: this.pg.port });
  }

  async stop(mode: StopMode = 'fast'): Promise<void> {
    try {
      await this.pg.stop(mode);
    } finally {
      stopWatchdog(this.watchdog);
      this.watchdog = undefined;
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
    this.pg.killSync();
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
        return await ContainerServer.create({ maxConnections, fixedPort: await (await embedded()).freePort() });
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
async function removeRunDir(dir: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  // without the built module (no dist/): no postmasters to find either, nothing ran
  const leftoverPostmaster = await embedded().then(
    (m) => m.leftoverPostmaster,
    () => () => undefined,
  );
  for (const e of entries) {
    const pid = leftoverPostmaster(path.join(dir, e, 'data'));
    if (pid === undefined) continue;
    try {
      nodeProcess.kill(pid, 'SIGQUIT');
    } catch {
      // gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

async function sweepStaleRunDirs(): Promise<void> {
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
    await removeRunDir(dir);
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
  if (dir !== undefined) await removeRunDir(dir);
}

/** jest globalSetup: sweep leftovers, start the run's shared server, hand its URL to the workers. */
export default async function globalSetup(): Promise<void> {
  const backend = backendName();
  const id = runId();
  const t0 = Date.now();
  await sweepStaleRunDirs();
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
