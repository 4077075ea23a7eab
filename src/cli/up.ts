import fs from 'node:fs';
import https from 'node:https';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startApiServer } from '../api/apiserver.js';
import type { RunningApiServer } from '../api/apiserver.js';
import { restConfigFromKubeconfig } from '../client/index.js';
import { startInProcessControllerManager } from './controller-manager.js';
import { isRoot, startEmbeddedPostgres } from './embedded-postgres.js';
import { createLogger } from './logger.js';
import type { RunningPostgres } from './embedded-postgres.js';
import { adminKubeconfig, kubeconfigPath, kubeconfigYaml, mergeKubeconfig } from './kubeconfig.js';
import { decideNodeRuntime } from './node-runtime.js';
import type { NodeRuntimeChoice } from './node-runtime.js';
import { ensureClusterPki, splitSans, writeFileAtomic } from './pki.js';
import type { RoleProcess } from './role-process.js';
import { ensureKubeletToken, startNodeAgent, startScheduler } from './up-roles.js';

export interface UpFlags {
  dataDir?: string;
  port: number;
  bindAddress: string;
  databaseUrl?: string;
  tlsSan?: string[];
  kubeconfig?: string;
  logLevel: string;
  /** Which node agent to run as a child process: auto (docker when reachable, else simulated), or none. */
  nodeRuntime: NodeRuntimeChoice;
  /** Whether to run the scheduler as a child process. */
  scheduler: boolean;
}

/** The name of the cluster, user and context in kubeconfigs. */
export const CONTEXT = 'pgkube';
/** The administrator's kubeconfig inside the data directory (what `pgkube kubeconfig` prints). */
export const ADMIN_KUBECONFIG = 'admin.kubeconfig';
const LOCK_FILE = 'pgkube.lock';
/** How long stopping waits for the controllers and the child processes before going on. */
const STOP_BOUND_MS = 5000;
/** The first address of the default service range (10.96.0.0/12), where in-cluster clients find the API. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';

/** As k3s does: system-wide data for root, the home directory for everyone else. */
export function defaultDataDir(): string {
  return isRoot() ? '/var/lib/pgkube' : path.join(os.homedir(), '.pgkube');
}

/**
 * One line per step, as kind prints them: on a terminal ` • step ...` becomes ` ✓ step` (or ` ✗`) in
 * place; elsewhere only the outcome is printed. Colour only on a terminal without NO_COLOR.
 */
class Steps {
  private readonly tty = process.stdout.isTTY === true;
  private readonly colour = this.tty && !process.env.NO_COLOR;

  private paint(code: number, text: string): string {
    return this.colour ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  line(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  async run<T>(text: string, work: () => Promise<T>, done?: (result: T) => string): Promise<T> {
    if (this.tty) process.stdout.write(` • ${text} ...`);
    const clear = this.tty ? '\r\x1b[2K' : '';
    try {
      const result = await work();
      process.stdout.write(`${clear} ${this.paint(32, '✓')} ${done?.(result) ?? text}\n`);
      return result;
    } catch (err) {
      process.stdout.write(`${clear} ${this.paint(31, '✗')} ${text}\n`);
      throw err;
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When a process started (Linux: /proc/<pid>/stat field 22), to tell a reused pid from the one that locked. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * One `pgkube up` per data directory: a lock file holding our pid (and start time). A lock whose
 * process is gone (a crash, a kill) is taken over.
 */
function acquireLock(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const content = `${process.pid} ${startTime(process.pid) ?? ''}`.trim();
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      fs.writeSync(fd, `${content}\n`);
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      const [pidText, started] = fs.readFileSync(file, 'utf8').trim().split(' ');
      const pid = Number.parseInt(pidText ?? '', 10);
      const alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid);
      if (alive && (started === undefined || startTime(pid) === undefined || startTime(pid) === started)) {
        throw new Error(`pgkube up is already running on ${dataDir} (pid ${pid}); stop it first (Ctrl-C in its terminal, or kill ${pid})`);
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (fs.readFileSync(file, 'utf8').trim() === content) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return release;
}

/** Where clients on this machine reach a server bound to `bindAddress`. */
function localServerUrl(bindAddress: string, port: number): string {
  let host = bindAddress;
  if (host === '0.0.0.0' || host === '' || host === 'localhost') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** The names the serving certificate carries: this machine, the in-cluster service names, --tls-san. */
function servingNames(flags: UpFlags): { dns: string[]; ips: string[] } {
  const base = ['localhost', os.hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const ips = ['127.0.0.1', '::1', KUBERNETES_SERVICE_IP];
  if (isIP(flags.bindAddress) && flags.bindAddress !== '0.0.0.0' && flags.bindAddress !== '::') ips.push(flags.bindAddress);
  return splitSans([...base, ...ips, ...(flags.tlsSan ?? [])]);
}

/** GET /readyz over TLS, verifying the server against our CA, until it answers 200. */
async function waitReady(url: string, ca: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = https.get(`${url}/readyz`, { ca, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        last = err.message;
        resolve(0);
      });
    });
    if (status === 200) return;
    if (status) last = `HTTP ${status}`;
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within ${timeoutMs / 1000} s (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function describeListenError(err: unknown, flags: UpFlags): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`port ${flags.port} on ${flags.bindAddress} is already in use; choose another with --port`);
  if (code === 'EADDRNOTAVAIL') return new Error(`${flags.bindAddress} is not an address of this machine (--bind-address)`);
  if (code === 'EACCES') return new Error(`not allowed to listen on port ${flags.port}; choose one above 1023 with --port`);
  return err as Error;
}

/**
 * `pgkube up`: a cluster on this machine. PostgreSQL (embedded unless --database-url) and the API
 * server on HTTPS, with a CA, serving and administrator certificates kept in the data directory, and
 * the administrator's kubeconfig merged into the user's. Ctrl-C stops it; the next start keeps all.
 */
export async function runUp(flags: UpFlags): Promise<void> {
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  const logger = createLogger({ level: flags.logLevel });
  const steps = new Steps();
  steps.line(`Starting pgkube in ${dataDir}`);

  // As root the embedded PostgreSQL runs as the postgres user, which must reach its directory.
  const shared = isRoot() && !flags.databaseUrl;
  fs.mkdirSync(dataDir, { recursive: true, mode: shared ? 0o755 : 0o700 });
  if (shared) fs.chmodSync(dataDir, 0o755);
  const releaseLock = acquireLock(dataDir);

  let postgres: RunningPostgres | undefined;
  let server: RunningApiServer | undefined;
  let controllers: { stop(): Promise<void> } | undefined;
  const children: RoleProcess[] = [];
  let started = false;
  let stopping = false;
  let shuttingDown = false;
  const shutdown = async (): Promise<void> => {
    shuttingDown = true;
    // The controllers, the scheduler and the agent stop within moments; a request stuck in flight must
    // not keep the API server and PostgreSQL running, so the wait is bounded (the process exits right
    // after anyway, and a child still there then gets SIGTERM through --pdeathsig).
    await Promise.race([
      Promise.all([
        controllers?.stop().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'stopping the controller-manager')),
        ...children.map((c) => c.stop(STOP_BOUND_MS - 1000)),
      ]),
      new Promise<void>((resolve) => setTimeout(() => {
        logger.warn({}, 'the controller-manager, scheduler or agent did not stop within 5 s; stopping the API server anyway');
        resolve();
      }, STOP_BOUND_MS).unref()),
    ]);
    await server?.stop().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'stopping the API server'));
    await postgres?.stop().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'stopping PostgreSQL'));
    releaseLock();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C: leave now (PostgreSQL gets SIGQUIT through --pdeathsig).
    if (stopping) process.exit(130);
    stopping = true;
    steps.line(`Stopping pgkube (${signal})`);
    // During start-up, the start-up stops after its current step and cleans up.
    if (!started) return;
    void shutdown().then(() => {
      steps.line('Stopped; the data stays for the next "pgkube up"');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A child that stops on its own while we run is not restarted: say so, with where its log is.
  const watchExit = (child: RoleProcess): RoleProcess => {
    void child.exited.then((code) => {
      if (!shuttingDown) steps.line(` ! The ${child.role} exited (${code}); its log: ${child.logFile}`);
    });
    return child;
  };
  const step = async <T>(text: string, work: () => Promise<T>, done?: (result: T) => string): Promise<T> => {
    const result = await steps.run(text, work, done);
    if (stopping) throw new Interrupted();
    return result;
  };

  try {
    const pki = await step(
      'Preparing certificates',
      () => ensureClusterPki(path.join(dataDir, 'pki'), servingNames(flags)),
      (p) => (p.written.includes('ca.crt') ? 'Created certificates' : p.written.length > 0 ? 'Renewed certificates' : 'Loaded certificates'),
    );

    let databaseUrl = flags.databaseUrl;
    if (!databaseUrl) {
      const pg = await step(
        'Starting PostgreSQL (embedded)',
        async () => (postgres = await startEmbeddedPostgres(dataDir)),
        (p) => (p.created ? 'Created and started PostgreSQL (embedded)' : 'Started PostgreSQL (embedded)'),
      );
      databaseUrl = pg.url;
    }

    const kubeletToken = ensureKubeletToken(path.join(dataDir, 'pki'));
    const running = await step(`Starting the API server on ${flags.bindAddress}:${flags.port}`, async () => {
      try {
        server = await startApiServer({
          databaseUrl: databaseUrl!,
          port: flags.port,
          bindAddress: flags.bindAddress,
          tls: { cert: pki.serving.cert, key: pki.serving.key, clientCA: pki.ca.cert },
          authentication: {
            clientCertificates: true,
            onFailure: (reason, req) => logger.info({ reason, uri: req.url }, 'unable to authenticate the request'),
          },
          serviceAccounts: { signingKey: pki.serviceAccount.key, keys: [pki.serviceAccount.pub] },
          kubeletClient: { token: kubeletToken },
          logger,
        });
        return server;
      } catch (err) {
        throw describeListenError(err, flags);
      }
    }, (s) => `Started the API server on ${s.url}`);
    const serverUrl = localServerUrl(flags.bindAddress, running.port);
    await step('Waiting for the API server to be ready', () => waitReady(serverUrl, pki.ca.cert));

    const config = adminKubeconfig({ name: CONTEXT, server: serverUrl, caCert: pki.ca.cert, client: pki.admin });
    const target = kubeconfigPath(flags.kubeconfig);
    const adminFile = path.join(dataDir, ADMIN_KUBECONFIG);
    await step(`Writing kubeconfig to ${target}`, async () => {
      writeFileAtomic(adminFile, kubeconfigYaml(config), 0o600);
      mergeKubeconfig(target, config);
    });
    const restConfig = restConfigFromKubeconfig(kubeconfigYaml(config));
    await step('Starting the controller-manager', async () => {
      controllers = startInProcessControllerManager(restConfig, logger);
    }, () => 'Started the controller-manager (garbage collector, namespace and pod GC controllers)');
    if (flags.scheduler) {
      await step('Starting the scheduler', async () => {
        children.push(watchExit(startScheduler(dataDir, adminFile)));
      }, () => `Started the scheduler (log: ${path.join(dataDir, 'scheduler.log')})`);
    }
    const decision = await decideNodeRuntime(flags.nodeRuntime);
    if (decision.runtime !== 'none') {
      const runtime = decision.runtime;
      await step(
        `Starting a node agent (${runtime}: ${decision.reason})`,
        async () => {
          const node = await startNodeAgent({ dataDir, kubeconfig: adminFile, runtime, config: restConfig });
          children.push(watchExit(node.agent));
          return node;
        },
        (a) => `Started a node agent (${runtime}: ${decision.reason}); node ${a.nodeName} is Ready (log: ${a.agent.logFile})`,
      );
    }
    started = true;

    const kubectl = flags.kubeconfig ? `kubectl --kubeconfig ${target} --context ${CONTEXT}` : `kubectl --context ${CONTEXT}`;
    steps.line(`Set kubectl context to "${CONTEXT}"`);
    steps.line(`You can now use your cluster with:\n\n    ${kubectl} get ns\n`);
    steps.line(`Press Ctrl-C to stop; the data stays in ${dataDir} for the next "pgkube up".`);
  } catch (err) {
    await shutdown();
    if (err instanceof Interrupted || stopping) {
      steps.line('Stopped');
      process.exit(130);
    }
    throw err;
  }
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export interface KubeconfigFlags {
  dataDir?: string;
  server?: string;
}

/** `pgkube kubeconfig`: prints the administrator's kubeconfig of the cluster in the data directory. */
export async function runKubeconfig(flags: KubeconfigFlags): Promise<void> {
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  const file = path.join(dataDir, ADMIN_KUBECONFIG);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no cluster in ${dataDir} yet: start one with "pgkube up --data-dir ${dataDir}"`);
  }
  if (flags.server) {
    const { parse } = await import('yaml');
    const config = parse(text, { version: '1.1' }) as Parameters<typeof kubeconfigYaml>[0];
    for (const c of config.clusters) (c.cluster as { server: string }).server = flags.server;
    text = kubeconfigYaml(config);
  }
  process.stdout.write(text);
}
