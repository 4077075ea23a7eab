import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

/** How to reach and authenticate to an apiserver: client-go's rest.Config, the parts pgkube uses. */
export interface RestConfig {
  /** https://host:port or http://host:port, optionally with a path prefix. */
  server: string;
  /** PEM of the CA that signs the server's certificate. */
  ca?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  /** Bearer token. */
  token?: string;
  insecureSkipTLSVerify?: boolean;
  /** TLS server name to verify, when it differs from the host in `server`. */
  tlsServerName?: string;
  username?: string;
  password?: string;
  /** The namespace of the kubeconfig's context (or the service account's, in-cluster). */
  namespace?: string;
  userAgent?: string;
  /** Client-side rate limit: requests per second and burst. client-go's defaults: 5 and 10. */
  qps?: number;
  burst?: number;
  /** Timeout of each non-watch request, in ms (0: none). */
  timeoutMs?: number;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Named {
  name?: string;
  [key: string]: unknown;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
  users?: { name?: string; user?: Record<string, unknown> }[];
  contexts?: { name?: string; context?: Record<string, unknown> }[];
}

/**
 * The RestConfig to use, as client-go's clientcmd picks it: `opts.kubeconfig` (a --kubeconfig flag), else the
 * files of $KUBECONFIG merged (the first file to name an entry wins), else in-cluster (service account files
 * and KUBERNETES_SERVICE_HOST/PORT), else ~/.kube/config.
 */
export function loadRestConfig(opts: { kubeconfig?: string; context?: string; env?: NodeJS.ProcessEnv } = {}): RestConfig {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) return fromKubeconfigFiles([path.resolve(opts.kubeconfig)], opts.context);
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (list.length > 0) return fromKubeconfigFiles(list.map((f) => path.resolve(f)), opts.context);
  const inCluster = inClusterConfig(env);
  if (inCluster) return inCluster;
  const home = path.join(env.HOME || os.homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeconfigFiles([home], opts.context);
  throw new Error('no configuration: pass --kubeconfig, set KUBECONFIG, run in a cluster, or create ~/.kube/config');
}

/** rest.InClusterConfig: the pod's service account token and CA, the service host and port from the environment. */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): RestConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(path.join(dir, 'token'))) return undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const cfg: RestConfig = { server: `https://${hostPart}:${port}`, token: readFileSync(path.join(dir, 'token'), 'utf8').trim() };
  if (existsSync(path.join(dir, 'ca.crt'))) cfg.ca = readFileSync(path.join(dir, 'ca.crt'), 'utf8');
  if (existsSync(path.join(dir, 'namespace'))) cfg.namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim();
  return cfg;
}

/** A RestConfig from kubeconfig text (one file); relative file paths resolve against `baseDir`. */
export function restConfigFromKubeconfig(text: string, opts: { context?: string; baseDir?: string } = {}): RestConfig {
  return resolveConfig([{ file: parseKubeconfig(text), dir: opts.baseDir ?? process.cwd() }], opts.context);
}

function parseKubeconfig(text: string): KubeconfigFile {
  // kubectl reads kubeconfigs as YAML 1.1 (sigs.k8s.io/yaml)
  const doc = parse(text, { version: '1.1' }) as unknown;
  return doc && typeof doc === 'object' ? (doc as KubeconfigFile) : {};
}

function fromKubeconfigFiles(files: string[], context?: string): RestConfig {
  const loaded = files.filter((f) => existsSync(f)).map((f) => ({ file: parseKubeconfig(readFileSync(f, 'utf8')), dir: path.dirname(f) }));
  if (loaded.length === 0) throw new Error(`kubeconfig ${files.join(path.delimiter)} does not exist`);
  return resolveConfig(loaded, context);
}

interface Located<T> {
  value: T;
  dir: string;
}

/** Merge as clientcmd does: the first file that names an entry (or sets current-context) wins. */
function resolveConfig(files: { file: KubeconfigFile; dir: string }[], contextName?: string): RestConfig {
  const find = <K extends 'clusters' | 'users' | 'contexts'>(kind: K, name: string): Located<Record<string, unknown>> | undefined => {
    for (const { file, dir } of files) {
      const entries = (file[kind] ?? []) as Named[];
      const hit = entries.find((e) => e?.name === name);
      const inner = kind === 'clusters' ? 'cluster' : kind === 'users' ? 'user' : 'context';
      if (hit) return { value: (hit[inner] as Record<string, unknown>) ?? {}, dir };
    }
    return undefined;
  };
  const current = contextName ?? files.map((f) => f.file['current-context']).find((c) => !!c);
  if (!current) throw new Error('kubeconfig has no current-context and none was given');
  const ctx = find('contexts', current);
  if (!ctx) throw new Error(`context "${current}" does not exist in the kubeconfig`);
  const clusterName = String(ctx.value.cluster ?? '');
  const cluster = find('clusters', clusterName);
  if (!cluster) throw new Error(`cluster "${clusterName}" of context "${current}" does not exist in the kubeconfig`);
  const user = ctx.value.user ? find('users', String(ctx.value.user)) : undefined;
  const c = cluster.value;
  const cfg: RestConfig = { server: String(c.server ?? '') };
  if (!cfg.server) throw new Error(`cluster "${clusterName}" has no server`);
  cfg.ca = dataOrFile(c['certificate-authority-data'], c['certificate-authority'], cluster.dir);
  if (c['insecure-skip-tls-verify'] === true) cfg.insecureSkipTLSVerify = true;
  if (typeof c['tls-server-name'] === 'string') cfg.tlsServerName = c['tls-server-name'];
  if (typeof ctx.value.namespace === 'string' && ctx.value.namespace) cfg.namespace = ctx.value.namespace;
  if (user) {
    const u = user.value;
    cfg.cert = dataOrFile(u['client-certificate-data'], u['client-certificate'], user.dir);
    cfg.key = dataOrFile(u['client-key-data'], u['client-key'], user.dir);
    if (typeof u.token === 'string' && u.token) cfg.token = u.token;
    else if (typeof u.tokenFile === 'string') cfg.token = readFileSync(path.resolve(user.dir, u.tokenFile), 'utf8').trim();
    if (typeof u.username === 'string') cfg.username = u.username;
    if (typeof u.password === 'string') cfg.password = u.password;
    if (u.exec || u['auth-provider']) throw new Error(`user "${String(ctx.value.user)}": exec and auth-provider credentials are not supported by the pgkube client`);
  }
  for (const k of Object.keys(cfg) as (keyof RestConfig)[]) if (cfg[k] === undefined) delete cfg[k];
  return cfg;
}

function dataOrFile(data: unknown, file: unknown, dir: string): string | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
  if (typeof file === 'string' && file) return readFileSync(path.resolve(dir, file), 'utf8');
  return undefined;
}
