/**
 * `pgkube apiserver` as a child process (the built dist/src/cli/main.js), so that the server and the
 * benchmark's clients do not share an event loop. It runs under `setpriv --pdeathsig=SIGTERM` when
 * available, so it stops with the benchmark even if the benchmark is killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

// dist/bench/support/apiserver.js -> dist/src/cli/main.js
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface ApiServerChild {
  url: string;
  pid: number;
  logFile: string;
  /** SIGTERM, wait for a clean exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** Last lines of its stderr log. */
  logTail(lines?: number): string;
}

export interface ApiServerSpawnOptions {
  databaseUrl: string;
  logFile: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  logLevel?: string;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

export async function spawnApiServer(opts: ApiServerSpawnOptions): Promise<ApiServerChild> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm run bench does)`);
  const nodeArgv = [
    ...(opts.nodeArgs ?? []),
    MAIN,
    'apiserver',
    '--insecure',
    '--port', '0',
    '--bind-address', '127.0.0.1',
    '--database-url', opts.databaseUrl,
    '--log-level', opts.logLevel ?? 'warn',
  ];
  const setpriv = process.platform === 'linux' ? which('setpriv') : undefined;
  // setpriv execs node: the child's pid is the apiserver's.
  const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig=SIGTERM', '--', process.execPath, ...nodeArgv]] : [process.execPath, nodeArgv];
  const errFd = fs.openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', errFd] });
  } finally {
    fs.closeSync(errFd);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logTail = (lines = 30) => {
    try {
      return fs.readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const unregister = onCleanup({
    name: 'pgkube apiserver',
    run: stop,
    runSync: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining whatever else it prints
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`apiserver exited (${code ?? signal}) before serving: ${out}\n${logTail()}`)));
    setTimeout(() => reject(new Error(`apiserver did not start within 60 s:\n${logTail()}`)), 60_000).unref();
  });
  return {
    url,
    pid: child.pid!,
    logFile: opts.logFile,
    logTail,
    async stop() {
      await stop();
      unregister();
    },
  };
}
