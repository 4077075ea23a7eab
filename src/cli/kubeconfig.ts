import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from './pki.js';
import type { KeyPair } from './pki.js';

/**
 * Kubeconfig files: the administrator's kubeconfig of a `pgkube up` cluster, and merging it into the
 * user's kubeconfig as kind and minikube do (replace our own cluster, user and context, keep every other
 * entry, set current-context), written with mode 0600.
 */

interface Named {
  name?: unknown;
  [key: string]: unknown;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: Named[];
  contexts: Named[];
  'current-context': string;
  preferences: Record<string, unknown>;
  users: Named[];
  [key: string]: unknown;
}

// kubectl reads kubeconfigs as YAML 1.1 (`on`, `yes` are booleans there): read and write them so.
const YAML_OPTIONS = { version: '1.1', lineWidth: 0, indentSeq: false } as const;

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

/** A kubeconfig with one cluster, user and context, all called `name`, using the client certificate. */
export function adminKubeconfig(opts: { name: string; server: string; caCert: string; client: KeyPair }): Kubeconfig {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ cluster: { 'certificate-authority-data': b64(opts.caCert), server: opts.server }, name: opts.name }],
    contexts: [{ context: { cluster: opts.name, user: opts.name }, name: opts.name }],
    'current-context': opts.name,
    preferences: {},
    users: [{ name: opts.name, user: { 'client-certificate-data': b64(opts.client.cert), 'client-key-data': b64(opts.client.key) } }],
  };
}

export function kubeconfigYaml(config: Kubeconfig): string {
  return stringify(config, YAML_OPTIONS);
}

/**
 * The file to merge into, as kubectl picks the file it writes: `explicit` (--kubeconfig), else the
 * first file of $KUBECONFIG that exists (or its first one, when none does), else ~/.kube/config.
 */
export function kubeconfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (list.length > 0) return path.resolve(list.find((f) => existsSync(f)) ?? list[0]!);
  return path.join(env.HOME || os.homedir(), '.kube', 'config');
}

function replaceNamed(list: unknown, entries: Named[]): Named[] {
  const names = new Set(entries.map((e) => e.name));
  const kept = Array.isArray(list) ? (list as Named[]).filter((e) => !(e && typeof e === 'object' && names.has(e.name))) : [];
  return [...kept, ...entries];
}

/**
 * Merges `config`'s clusters, users and contexts into `file` (created if missing), replacing entries
 * of the same names and keeping all others, and sets current-context. A file that is not a kubeconfig
 * is left alone (an error says so).
 */
export function mergeKubeconfig(file: string, config: Kubeconfig): void {
  // Write through a symlink to its target, as kubectl does.
  const target = existsSync(file) ? realpathSync(file) : file;
  let existing: Record<string, unknown> = {};
  if (existsSync(target)) {
    let parsed: unknown;
    try {
      parsed = parse(readFileSync(target, 'utf8'), { version: '1.1' });
    } catch (err) {
      throw new Error(`cannot merge into ${file}: it is not valid YAML (${(err as Error).message.split('\n')[0]}); pass --kubeconfig to write another file`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`cannot merge into ${file}: it is not a kubeconfig; pass --kubeconfig to write another file`);
      existing = parsed as Record<string, unknown>;
    }
  }
  const merged: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Config',
    ...existing,
    clusters: replaceNamed(existing.clusters, config.clusters),
    contexts: replaceNamed(existing.contexts, config.contexts),
    'current-context': config['current-context'],
    preferences: existing.preferences ?? {},
    users: replaceNamed(existing.users, config.users),
  };
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  writeFileAtomic(target, stringify(merged, YAML_OPTIONS), 0o600);
}
