import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { startApiServer } from '../../src/api/apiserver.js';
import type { ApiServerOptions, RunningApiServer } from '../../src/api/apiserver.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** An apiserver inside the test process, on a free loopback port. */
export function startInProcess(databaseUrl: string, opts: Partial<ApiServerOptions> = {}): Promise<RunningApiServer> {
  return startApiServer({
    databaseUrl,
    port: 0,
    bindAddress: '127.0.0.1',
    logger: pino({ level: process.env.PGKUBE_TEST_LOG ?? 'silent' }),
    ...opts,
  });
}

export interface ApiServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL: no clean shutdown, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/**
 * `pgkube apiserver --insecure` as its own process (built output: `npm test` builds first). Resolves
 * when the process prints its serving address.
 */
export async function spawnApiServer(databaseUrl: string, args: string[] = [], port = 0): Promise<ApiServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(
    process.execPath,
    [MAIN, 'apiserver', '--insecure', '--port', String(port), '--database-url', databaseUrl, '--log-level', process.env.PGKUBE_TEST_LOG ?? 'warn', '--shutdown-delay-duration', '0', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`apiserver exited with ${code} before serving: ${out}`)));
    setTimeout(() => reject(new Error('apiserver did not start within 30 s')), 30_000).unref();
  });
  return {
    url,
    child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
