import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { tail, which } from '../embedded-postgres/server.js';

/** bin/pgkube.js of this installation (dist/src/cli/ is three levels below the package root). */
const PGKUBE_BIN = fileURLToPath(new URL('../../../bin/pgkube.js', import.meta.url));

/** A `pgkube <role>` child process of `pgkube up`. */
export interface RoleProcess {
  readonly role: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | string>;
  /** Whether it has exited. */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
}

/**
 * Runs `pgkube <role> <args>` (this Node, this installation) with its output appended to `logFile`.
 * On Linux it runs under `setpriv --pdeathsig=SIGTERM`, so it stops when we die however we die (as the
 * embedded PostgreSQL does); it gets its own process group, so a Ctrl-C in the terminal reaches only
 * us and we stop it in order.
 */
export function startRole(role: string, args: string[], logFile: string): RoleProcess {
  const out = fs.openSync(logFile, 'a', 0o600);
  fs.writeSync(out, `--- ${new Date().toISOString()} pgkube ${role} ${args.join(' ')}\n`);
  const setpriv = os.platform() === 'linux' ? which('setpriv') : undefined;
  const node = [process.execPath, PGKUBE_BIN, role, ...args];
  const [cmd, ...argv] = setpriv ? [setpriv, '--pdeathsig=SIGTERM', '--', ...node] : node;
  let child: ChildProcess;
  try {
    child = spawn(cmd!, argv, { stdio: ['ignore', out, out], detached: true });
  } finally {
    fs.closeSync(out); // the child has its own copy
  }
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      exitedFlag = true;
      fs.appendFileSync(logFile, `could not start: ${err.message}\n`);
      resolve(err.message);
    });
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    role,
    logFile,
    pid: child.pid,
    exited,
    hasExited: () => exitedFlag,
    async stop(graceMs) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
    logTail: (lines = 15) => tail(logFile, lines),
  };
}
