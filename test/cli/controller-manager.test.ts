import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKubeconfig } from '../support/cluster.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'pgkube.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pgkube-cm-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('an unknown controller name is refused before anything runs', async () => {
  const kubeconfig = writeKubeconfig(dir, 'http://127.0.0.1:1');
  const r = await run(['controller-manager', '--kubeconfig', kubeconfig, '--controllers', '*,nope', '--log-format', 'text']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('"nope" is not in the list of known controllers');
});

test('without --kubeconfig, KUBECONFIG, or a service account, it says it has no configuration', async () => {
  const r = await run(['controller-manager', '--log-format', 'text'], { HOME: dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^pgkube: /m);
});

test('--help lists the upstream flags', async () => {
  const r = await run(['controller-manager', '--help']);
  expect(r.code).toBe(0);
  for (const flag of ['--kubeconfig', '--controllers', '--leader-elect', '--leader-elect-lease-duration', '--leader-elect-renew-deadline', '--leader-elect-retry-period', '--leader-elect-resource-name', '--leader-elect-resource-namespace', '--concurrent-gc-syncs', '--concurrent-namespace-syncs', '--concurrent-replicaset-syncs', '--concurrent-deployment-syncs', '--concurrent-rc-syncs', '--terminated-pod-gc-threshold']) {
    expect(r.stdout).toContain(flag);
  }
});

test('KUBECONFIG names the server when --kubeconfig is not given', async () => {
  const kubeconfig = writeKubeconfig(dir, 'http://127.0.0.1:9');
  const child = spawn(process.execPath, [BIN, 'controller-manager', '--log-format', 'text', '--leader-elect=false', '--controllers', 'podgc'], {
    env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('controllers selected')) resolve();
    });
    child.once('exit', () => reject(new Error(`exited: ${err}`)));
  });
  child.kill('SIGTERM');
  await exited;
  expect(err).toContain('"pgkube controller-manager starting" server="http://127.0.0.1:9"');
  expect(err).toContain('controllers=["pod-garbage-collector-controller"]');
});
