/**
 * The real kubectl binaries tests run against the server. CI provides them through
 * `../shared/tools/clients.sh kubectl` (beside the repository), which prints `<minor> <path>` lines
 * (1.27…1.33 and 1.35). `PGKUBE_TEST_KUBECTL`, when set, is the 1.33 binary (compose.test.ts documents it).
 *
 * A missing 1.33 is an error, never a skip; tests that cover optional versions skip those with a name
 * that says so (see openapi.test.ts).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLIENTS_SCRIPT = path.join(ROOT, '..', 'shared', 'tools', 'clients.sh');
/** The version every kubectl test needs. */
export const REQUIRED_MINOR = '1.33';

export interface KubectlBinary {
  minor: string;
  path: string;
}

let listed: Promise<KubectlBinary[]> | undefined;

function listBinaries(): Promise<KubectlBinary[]> {
  if (!fs.existsSync(CLIENTS_SCRIPT)) return Promise.reject(new Error(`kubectl binaries: ${CLIENTS_SCRIPT} does not exist (CI provides shared/tools beside the repository)`));
  return new Promise((resolve, reject) => {
    execFile('bash', [CLIENTS_SCRIPT, 'kubectl'], { timeout: 120_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${CLIENTS_SCRIPT} kubectl failed: ${err.message}\n${stderr}`));
      const found: KubectlBinary[] = [];
      for (const line of stdout.split('\n')) {
        const [minor, bin] = line.trim().split(/\s+/);
        if (minor && bin && fs.existsSync(bin)) found.push({ minor, path: bin });
      }
      resolve(found);
    });
  });
}

/** The kubectl binaries this machine has, by minor version (listed once per test file). */
export function kubectlBinaries(): Promise<KubectlBinary[]> {
  listed ??= listBinaries().then((found) => {
    const explicit = process.env.PGKUBE_TEST_KUBECTL;
    if (!explicit) return found;
    return [...found.filter((b) => b.minor !== REQUIRED_MINOR), { minor: REQUIRED_MINOR, path: explicit }];
  });
  return listed;
}

/** The kubectl of that minor version; rejects, naming what there is, when the machine lacks it. */
export async function kubectlPath(minor = REQUIRED_MINOR): Promise<string> {
  const found = await kubectlBinaries();
  const hit = found.find((b) => b.minor === minor);
  if (!hit) throw new Error(`kubectl ${minor} not found: ${CLIENTS_SCRIPT} kubectl lists ${found.map((b) => b.minor).join(', ') || 'none'}`);
  return hit.path;
}

export interface KubectlOptions {
  /** Passed as --server before the arguments. */
  server?: string;
  /** KUBECONFIG; /dev/null when not given. */
  kubeconfig?: string;
  /** HOME (where kubectl keeps ~/.kube/cache); a fresh temporary directory, removed afterwards, when not given. */
  home?: string;
  /** Added to the environment (PATH, HOME and KUBECONFIG only otherwise). */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is always closed (kubectl would otherwise wait on prompts). */
  input?: string;
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function prepare(args: string[], opts: KubectlOptions): { argv: string[]; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pgkube-kubectl-home-'));
  const cleanup = opts.home === undefined ? () => fs.rmSync(home, { recursive: true, force: true }) : () => undefined;
  return {
    argv: opts.server === undefined ? args : ['--server', opts.server, ...args],
    env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: opts.kubeconfig ?? '/dev/null', ...opts.env },
    cleanup,
  };
}

/**
 * Runs kubectl to the end: the exit code (124 when killed at the time-out, as timeout(1) reports it),
 * stdout and stderr. Rejects only when the binary cannot be started.
 */
export function runKubectl(binary: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const { argv, env, cleanup } = prepare(args, opts);
  return new Promise<KubectlResult>((resolve, reject) => {
    const child = execFile(binary, argv, { env, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code: unknown = (err as { code?: unknown }).code;
      if (typeof code === 'string') return reject(new Error(`kubectl ${binary} could not be started: ${err.message}`));
      resolve({ code: err.killed ? 124 : typeof code === 'number' ? code : 1, stdout, stderr });
    });
    child.stdin!.end(opts.input ?? '');
  }).finally(cleanup);
}

/** A long-running kubectl (e.g. `get -w`) with stdout and stderr piped; its temporary HOME goes when it exits. */
export function spawnKubectl(binary: string, args: string[], opts: Omit<KubectlOptions, 'input' | 'timeoutMs'> = {}): ChildProcess {
  const { argv, env, cleanup } = prepare(args, opts);
  const child = spawn(binary, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('close', cleanup);
  child.once('error', cleanup);
  return child;
}
