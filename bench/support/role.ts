/**
 * A pgkube role other than the apiserver (`scheduler`, `agent`, `controller-manager`) as a child process
 * of the benchmark, logging to a file, under `setpriv --pdeathsig=SIGTERM` when available so it stops with
 * the benchmark however that ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface RoleChild {
  pid: number;
  /** How it ended, if it has: exit code or signal. */
  exit(): string | undefined;
  logFile: string;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export function spawnRole(role: string, args: string[], logFile: string): RoleChild {
  const setpriv = process.platform === 'linux' && spawnSync('sh', ['-c', 'command -v setpriv']).status === 0 ? 'setpriv' : undefined;
  const argv = [MAIN, role, ...args];
  const [cmd, cmdArgs] = setpriv ? [setpriv, ['--pdeathsig=SIGTERM', '--', process.execPath, ...argv]] : [process.execPath, argv];
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const unregister = onCleanup({
    name: `pgkube ${role}`,
    run: stop,
    runSync: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  });
  return {
    pid: child.pid!,
    exit: () => (child.exitCode !== null ? `exit code ${child.exitCode}` : child.signalCode ?? undefined),
    logFile,
    logTail(lines = 30) {
      try {
        return fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    async stop() {
      await stop();
      unregister();
    },
  };
}

/** A kubeconfig file in `dir` for a plain-HTTP apiserver (no credentials: `--insecure` serves everyone as admin). */
export function writePlainKubeconfig(dir: string, server: string): string {
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: bench\n  cluster:\n    server: ${server}\nusers:\n- name: bench\n  user: {}\ncontexts:\n- name: bench\n  context:\n    cluster: bench\n    user: bench\ncurrent-context: bench\n`,
  );
  return file;
}
