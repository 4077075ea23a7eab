/**
 * A cluster for tests, made of separate processes as in production: one `pgkube apiserver --insecure` on a
 * fresh database, a kubeconfig naming its plain-HTTP address, and `pgkube controller-manager` (and, where
 * this build has them, `pgkube scheduler` and `pgkube agent --runtime simulated`) started with
 * `--kubeconfig`. Each process's output is kept; stop() prints it when a process died on its own, and
 * logs() gives it for assertion messages.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnApiServer } from './apiserver.js';
import type { ApiServerProcess } from './apiserver.js';
import { createTestDatabase } from './postgres.js';
import type { TestDatabase } from './postgres.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'pgkube.js');
const CLI_DIR = path.join(ROOT, 'dist', 'src', 'cli');

export interface ClusterOptions {
  /** true: every controller; a list: those names (the --controllers flag); false or absent: none. */
  controllerManager?: boolean | string[];
  /** Extra flags for every controller-manager process (e.g. short leader-election periods). */
  controllerManagerArgs?: string[];
  scheduler?: boolean;
  /** Extra flags for the apiserver process (e.g. --kubelet-client-token-file). */
  apiServerArgs?: string[];
  /** Nodes of one `pgkube agent --runtime simulated` process. */
  simulatedNodes?: number;
  /** Extra flags for that agent process (and those of startAgent). */
  agentArgs?: string[];
  /**
   * The agent serves its kubelet API (--kubelet-port 0) and the apiserver proxies logs, exec and
   * port-forward to it, both holding one shared token.
   */
  kubeletApi?: boolean;
}

export interface RoleProcess {
  role: string;
  child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** Says the test expects this process to end by itself, so stop() does not report it as a failure. */
  expectExit(): void;
  readonly exitExpected: boolean;
  /** SIGKILL: no clean shutdown, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then wait for it to end. */
  stop(): Promise<void>;
}

export interface Cluster {
  /** The apiserver's plain-HTTP URL. */
  url: string;
  /** A kubeconfig file for that URL (context "pgkube"). */
  kubeconfig: string;
  db: TestDatabase;
  apiserver: ApiServerProcess;
  processes: RoleProcess[];
  /** Starts another controller-manager on this cluster (for leader election tests). */
  startControllerManager(args?: string[]): RoleProcess;
  /** Starts another `pgkube agent --runtime simulated` (e.g. `['--nodes', '1', '--node-name-prefix', 'b-']`), so one node can be stopped alone. */
  startAgent(args?: string[]): RoleProcess;
  logs(): string;
  stop(): Promise<void>;
}

/** A kubeconfig for a plain-HTTP server (no credentials: `--insecure` treats every request as an administrator). */
export function writeKubeconfig(dir: string, url: string): string {
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: pgkube',
      '  cluster:',
      `    server: ${url}`,
      'users:',
      '- name: pgkube',
      '  user: {}',
      'contexts:',
      '- name: pgkube',
      '  context:',
      '    cluster: pgkube',
      '    user: pgkube',
      'current-context: pgkube',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

function spawnRole(role: string, args: string[]): RoleProcess {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let ended = false;
  let expected = false;
  void exited.then(() => (ended = true));
  return {
    role,
    child,
    output: () => chunks.join(''),
    exited,
    expectExit() {
      expected = true;
    },
    get exitExpected() {
      return expected;
    },
    async kill() {
      expected = true;
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!ended) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function requireRole(role: string): void {
  if (!existsSync(path.join(CLI_DIR, `${role}.js`))) throw new Error(`this build has no "pgkube ${role}" (dist/src/cli/${role}.js is missing)`);
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  if (!existsSync(path.join(CLI_DIR, 'main.js'))) throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  if (opts.scheduler) requireRole('scheduler');
  if (opts.simulatedNodes) requireRole('agent');
  const db = await createTestDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgkube-cluster-'));
  let apiserver: ApiServerProcess;
  try {
    const tokenFile = path.join(dir, 'kubelet-token');
    if (opts.kubeletApi) writeFileSync(tokenFile, randomBytes(24).toString('hex'), { mode: 0o600 });
    apiserver = await spawnApiServer(db.url, [...(opts.kubeletApi ? ['--kubelet-client-token-file', tokenFile] : []), ...(opts.apiServerArgs ?? [])]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
    throw err;
  }
  const kubeconfig = writeKubeconfig(dir, apiserver.url);
  const processes: RoleProcess[] = [];
  const logLevel = process.env.PGKUBE_TEST_LOG ?? 'info';
  const common = ['--kubeconfig', kubeconfig, '--log-level', logLevel, '--log-format', 'text'];
  const startControllerManager = (args: string[] = []) => {
    const controllers = Array.isArray(opts.controllerManager) ? ['--controllers', opts.controllerManager.join(',')] : [];
    const p = spawnRole('controller-manager', ['controller-manager', ...common, ...controllers, ...(opts.controllerManagerArgs ?? []), ...args]);
    processes.push(p);
    return p;
  };
  const startAgent = (args: string[] = []) => {
    const p = spawnRole('agent', ['agent', ...common, '--runtime', 'simulated', ...(opts.agentArgs ?? []), ...args]);
    processes.push(p);
    return p;
  };
  if (opts.controllerManager) startControllerManager();
  if (opts.scheduler) processes.push(spawnRole('scheduler', ['scheduler', ...common]));
  const kubeletArgs = opts.kubeletApi ? ['--kubelet-port', '0', '--kubelet-token-file', path.join(dir, 'kubelet-token')] : [];
  if (opts.simulatedNodes) startAgent(['--nodes', String(opts.simulatedNodes), ...kubeletArgs]);

  const logs = () => processes.map((p, i) => `----- ${p.role} #${i} (pid ${p.child.pid}) -----\n${p.output()}`).join('\n');
  return {
    url: apiserver.url,
    kubeconfig,
    db,
    apiserver,
    processes,
    startControllerManager,
    startAgent,
    logs,
    async stop() {
      // A process that ended before stop() (other than by a test's kill) is worth its logs.
      const died = processes.map((p) => p.child.exitCode !== null && p.child.exitCode !== 0 && !p.exitExpected);
      await Promise.all(processes.map((p) => p.stop()));
      await apiserver.stop();
      if (died.some(Boolean)) process.stderr.write(`cluster processes exited early:\n${logs()}\n`);
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
