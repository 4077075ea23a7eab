/**
 * Helpers for the Docker Compose end-to-end test (compose.test.ts): the Docker engine, the compose
 * command (Debian's `docker-compose` v1 or the `docker compose` plugin), one compose project per run,
 * and stock kubectl.
 *
 * Nothing here imports project sources: the test drives the built image and the compose file only.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKubectl, spawnKubectl } from '../support/kubectl.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
/** Compose project names of this test: `pgkube-e2e-<pid of the jest worker>-<random>`. */
export const PROJECT_PREFIX = 'pgkube-e2e-';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to the end (never through a shell). Rejects only when it cannot be started. */
export function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20, cwd: opts.cwd ?? ROOT },
      (err, stdout, stderr) => {
        const out = { stdout: String(stdout), stderr: String(stderr) };
        if (!err) return resolve({ code: 0, ...out });
        const code: unknown = (err as { code?: unknown }).code;
        if (typeof code === 'string') return reject(err); // could not start (ENOENT, ...)
        // Killed at the time-out: 124, as timeout(1) reports it.
        resolve({ code: err.killed ? 124 : typeof code === 'number' ? code : 1, ...out });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Like run(), but a non-zero exit is an error that carries the output. */
export async function check(file: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) {
    const tail = (s: string) => s.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${file} ${args.join(' ')} exited with ${r.code}${r.code === 124 ? ' (timed out)' : ''}\n${tail(r.stdout)}\n${tail(r.stderr)}`);
  }
  return r.stdout;
}

/** Why no Docker engine can be used, or undefined when `docker info` answers. */
export async function dockerUnavailable(): Promise<string | undefined> {
  try {
    const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
    if (r.code === 0 && r.stdout.trim() !== '') return undefined;
    return `docker info failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  } catch (err) {
    return `no docker command: ${(err as Error).message}`;
  }
}

/**
 * The compose command: PGKUBE_TEST_COMPOSE ("docker-compose" or "docker compose") when set, else
 * Debian's `docker-compose` when on PATH, else the `docker compose` plugin.
 */
export async function composeCommand(): Promise<string[]> {
  const wanted = process.env.PGKUBE_TEST_COMPOSE?.trim();
  const candidates = wanted ? [wanted.split(/\s+/)] : [['docker-compose'], ['docker', 'compose']];
  const failures: string[] = [];
  for (const cmd of candidates) {
    try {
      const r = await run(cmd[0]!, [...cmd.slice(1), 'version'], { timeoutMs: 30_000 });
      if (r.code === 0) return cmd;
      failures.push(`${cmd.join(' ')} version: exit ${r.code} ${r.stderr.trim().split('\n')[0] ?? ''}`);
    } catch (err) {
      failures.push(`${cmd.join(' ')}: ${(err as Error).message}`);
    }
  }
  throw new Error(
    `no Docker Compose found (${failures.join('; ')}). Install Debian's docker-compose (apt-get install docker-compose) ` +
      'or the compose plugin; .ci/run does the former.',
  );
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** One compose project of docker-compose.yml, with its own name, environment and host port. */
export class ComposeProject {
  constructor(
    readonly compose: string[],
    readonly name: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `<compose> -f docker-compose.yml -p <name> <args>`, failing on a non-zero exit. */
  exec(args: string[], timeoutMs = 120_000): Promise<string> {
    return check(this.compose[0]!, [...this.compose.slice(1), '-f', COMPOSE_FILE, '-p', this.name, ...args], { env: this.env, timeoutMs });
  }

  /** Same, but never throws (for clean-up and diagnostics). */
  async tryExec(args: string[], timeoutMs = 120_000): Promise<RunResult> {
    try {
      return await run(this.compose[0]!, [...this.compose.slice(1), '-f', COMPOSE_FILE, '-p', this.name, ...args], { env: this.env, timeoutMs });
    } catch (err) {
      return { code: 1, stdout: '', stderr: (err as Error).message };
    }
  }

  async containerId(service: string): Promise<string> {
    const id = (await this.exec(['ps', '-q', service], 60_000)).trim();
    if (!id) throw new Error(`service ${service} has no container`);
    return id;
  }

  /** Waits until the service's container reports healthy; fails early when it stops. */
  async waitHealthy(service: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let last = '';
    while (Date.now() - started < timeoutMs) {
      const id = await this.containerId(service).catch(() => '');
      if (id) {
        const r = await run('docker', ['inspect', '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', id], { timeoutMs: 20_000 });
        last = r.stdout.trim();
        if (last === 'running healthy') return Date.now() - started;
        if (last.startsWith('exited') || last.startsWith('dead')) break;
      }
      await sleep(500);
    }
    throw new Error(`${service} is not healthy after ${Date.now() - started} ms (state: ${last || 'no container'})\n${await this.logs()}`);
  }

  /** The last lines of every service's log, for failure messages. */
  async logs(lines = 60): Promise<string> {
    const r = await this.tryExec(['logs', '--no-color', '--tail', String(lines)], 60_000);
    return `---- compose logs (${this.name}) ----\n${r.stdout}${r.stderr}`;
  }

  /** `down -v`: containers, network and volumes. Never throws. */
  async destroy(): Promise<RunResult> {
    return this.tryExec(['down', '-v', '--remove-orphans', '--timeout', '10'], 180_000);
  }
}

/**
 * Removes the projects that earlier runs of this test left behind when they were killed (their jest
 * worker, whose pid is in the name, is gone): containers, networks and volumes.
 */
export async function removeStaleProjects(compose: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const names = new Set<string>();
  for (const kind of [['ps', '-a'], ['volume', 'ls'], ['network', 'ls']]) {
    const r = await run('docker', [...kind, '--filter', 'label=com.docker.compose.project', '--format', '{{.Label "com.docker.compose.project"}}'], { timeoutMs: 30_000 }).catch(() => undefined);
    for (const line of r?.stdout.split('\n') ?? []) if (line.startsWith(PROJECT_PREFIX)) names.add(line.trim());
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(/^pgkube-e2e-(\d+)-/.exec(name)?.[1]);
    if (pid && pidAlive(pid)) continue;
    await new ComposeProject(compose, name, env).destroy();
    removed.push(name);
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until fn() returns a value other than undefined. */
export async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(300);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** kubectl with one kubeconfig (the binary from test/support/kubectl.ts). */
export class Kubectl {
  constructor(
    readonly binary: string,
    readonly kubeconfig: string,
  ) {}

  private args(args: string[]): string[] {
    return ['--request-timeout=20s', ...args];
  }

  run(args: string[], input?: string): Promise<RunResult> {
    return runKubectl(this.binary, this.args(args), { kubeconfig: this.kubeconfig, input });
  }

  /** stdout, or an error with kubectl's output. */
  async check(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
    return r.stdout;
  }

  /** A long-running kubectl (e.g. `get -w`) whose output lines are collected. */
  spawn(args: string[]): KubectlStream {
    return new KubectlStream(spawnKubectl(this.binary, this.args(args), { kubeconfig: this.kubeconfig }));
  }
}

export class KubectlStream {
  lines: string[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Waits for an output line equal to `line`. */
  async waitForLine(line: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.includes(line)) {
      if (this.child.exitCode !== null) throw new Error(`kubectl exited (${this.child.exitCode}) before printing ${JSON.stringify(line)}; stderr: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`kubectl did not print ${JSON.stringify(line)} within ${timeoutMs} ms; got ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
