import { Command, InvalidArgumentError, Option } from 'commander';
import { runApiServer } from './apiserver.js';
import { LOG_FORMATS } from './logger.js';
import { parsePortRange } from '../registry/allocation.js';
import { runKubeconfig, runUp } from './up.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function positive(value: string): number {
  const n = integer(value);
  if (n < 1) throw new InvalidArgumentError('must be at least 1');
  return n;
}

/** A Go-style duration ("3s", "500ms", "1m30s") or plain seconds, in seconds. */
function duration(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) throw new InvalidArgumentError('must be a duration such as 3s, 500ms or 1m');
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** --tls-san a --tls-san b,c (and PGKUBE_TLS_SAN=a,b): all of them. */
/** A repeatable flag: every value given. */
function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A comma-separated list flag (repeatable too). */
function commaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

function portRange(value: string): string {
  try {
    parsePortRange(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function boolean(value: string): boolean {
  if (/^(true|1|t)$/i.test(value)) return true;
  if (/^(false|0|f)$/i.test(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

function sanList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

const program = new Command('pgkube').description('A Kubernetes control plane whose only state is PostgreSQL');

program
  .command('apiserver')
  .description('serve the Kubernetes API from a PostgreSQL database')
  .addOption(new Option('--database-url <url>', 'PostgreSQL connection URL').env('PGKUBE_DATABASE_URL').makeOptionMandatory())
  .addOption(new Option('--port <port>', 'port to serve on (0: any free port)').env('PGKUBE_PORT').argParser(integer).default(6443))
  .addOption(new Option('--bind-address <address>', 'address to listen on').env('PGKUBE_BIND_ADDRESS').default('127.0.0.1'))
  .addOption(new Option('--insecure', 'serve plain HTTP on a loopback address; every request acts as an administrator (tests)').env('PGKUBE_INSECURE'))
  .addOption(new Option('--tls-cert-file <file>', 'serving certificate (PEM; may hold intermediates after it)').env('PGKUBE_TLS_CERT_FILE'))
  .addOption(new Option('--tls-private-key-file <file>', 'private key of the serving certificate (PEM)').env('PGKUBE_TLS_PRIVATE_KEY_FILE'))
  .addOption(new Option('--client-ca-file <file>', 'CA bundle (PEM): client certificates it signed authenticate as CN (user) and O (groups)').env('PGKUBE_CLIENT_CA_FILE'))
  .addOption(new Option('--token-auth-file <file>', 'static bearer tokens, CSV lines token,user,uid,"group1,group2"').env('PGKUBE_TOKEN_AUTH_FILE'))
  .addOption(new Option('--service-account-signing-key-file <file>', 'private key (PEM) service account tokens are signed with (default: one made for this process)').env('PGKUBE_SERVICE_ACCOUNT_SIGNING_KEY_FILE'))
  .addOption(new Option('--service-account-key-file <file>', 'public or private key(s) (PEM) service account tokens are verified with (repeatable)').env('PGKUBE_SERVICE_ACCOUNT_KEY_FILE').argParser(repeatable))
  .addOption(new Option('--service-account-issuer <url>', 'issuer of service account tokens; the first issues, all are accepted (repeatable; default https://kubernetes.default.svc.cluster.local)').env('PGKUBE_SERVICE_ACCOUNT_ISSUER').argParser(repeatable))
  .addOption(new Option('--api-audiences <list>', 'audiences of the API (comma-separated; default: the issuers)').env('PGKUBE_API_AUDIENCES').argParser(commaList))
  .addOption(new Option('--service-account-max-token-expiration <duration>', 'longest validity a TokenRequest gets (e.g. 24h; default: no limit)').env('PGKUBE_SERVICE_ACCOUNT_MAX_TOKEN_EXPIRATION').argParser(duration))
  .addOption(new Option('--service-account-extend-token-expiration <bool>', "extend pod-bound tokens asked for 3607 s to a year (kubelet's)").env('PGKUBE_SERVICE_ACCOUNT_EXTEND_TOKEN_EXPIRATION').argParser(boolean).default(true))
  .addOption(new Option('--service-node-port-range <range>', 'ports Services of type NodePort and LoadBalancer get (e.g. 30000-32767, 30000+2767)').env('PGKUBE_SERVICE_NODE_PORT_RANGE').argParser(portRange).default('30000-32767'))
  .addOption(new Option('--service-cluster-ip-range <cidrs>', 'IP range(s) for Service cluster IPs (one per family, comma-separated)').env('PGKUBE_SERVICE_CLUSTER_IP_RANGE').default('10.96.0.0/12'))
  .addOption(new Option('--compaction-window <seconds>', 'history kept for watches and paged lists').env('PGKUBE_COMPACTION_WINDOW').argParser(integer).default(300))
  .addOption(new Option('--compaction-interval <seconds>', 'how often history is compacted').env('PGKUBE_COMPACTION_INTERVAL').argParser(integer).default(60))
  .addOption(new Option('--watch-cache-size <events>', 'recent events kept in memory per resource for watches').env('PGKUBE_WATCH_CACHE_SIZE').argParser(integer).default(10000))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('info'))
  .addOption(new Option('--log-format <format>', 'text (klog lines) or json (klog JSON) (default: text on a terminal, else json)').env('PGKUBE_LOG_FORMAT').choices(LOG_FORMATS))
  .addOption(new Option('--workers <n>', 'processes serving the port, each a whole API server on the database').env('PGKUBE_WORKERS').argParser(positive).default(1))
  .addOption(new Option('--shutdown-delay-duration <duration>', 'on SIGTERM, how long /readyz fails before the server stops accepting (e.g. 3s, 500ms)').env('PGKUBE_SHUTDOWN_DELAY_DURATION').argParser(duration).default(3, '3s'))
  .action(runApiServer);

program
  .command('up')
  .description('run a whole cluster on this machine, with an embedded PostgreSQL')
  .addOption(new Option('--data-dir <dir>', 'where the cluster keeps its data (default: ~/.pgkube, or /var/lib/pgkube as root)').env('PGKUBE_DATA_DIR'))
  .addOption(new Option('--port <port>', 'API server port').env('PGKUBE_PORT').argParser(integer).default(6443))
  .addOption(new Option('--bind-address <address>', 'address the API server listens on').env('PGKUBE_BIND_ADDRESS').default('127.0.0.1'))
  .addOption(new Option('--database-url <url>', 'use this PostgreSQL instead of the embedded one').env('PGKUBE_DATABASE_URL'))
  .addOption(new Option('--tls-san <name>', 'extra DNS name or IP address for the serving certificate (repeatable, or comma-separated)').env('PGKUBE_TLS_SAN').argParser(sanList))
  .addOption(new Option('--kubeconfig <file>', 'merge the admin kubeconfig into this file instead of $KUBECONFIG or ~/.kube/config').env('PGKUBE_KUBECONFIG'))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('warn'))
  .action(runUp);

program
  .command('kubeconfig')
  .description("print the administrator's kubeconfig of the cluster that \"pgkube up\" runs")
  .addOption(new Option('--data-dir <dir>', 'the cluster\'s data directory (default: ~/.pgkube, or /var/lib/pgkube as root)').env('PGKUBE_DATA_DIR'))
  .addOption(new Option('--server <url>', 'put this server URL in it (e.g. as another host reaches the cluster)'))
  .action(runKubeconfig);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`pgkube: ${(err as Error).message}\n`);
  process.exit(1);
});
