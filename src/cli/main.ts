import { Command, InvalidArgumentError, Option } from 'commander';
import { runApiServer } from './apiserver.js';
import { controllerManagerCommand } from './controller-manager.js';
import { boolean, commaList, duration, integer, positive, repeatable } from './flags.js';
import { runAgent } from './agent.js';
import { LOG_FORMATS } from './logger.js';
import { NODE_RUNTIMES } from './node-runtime.js';
import { DEFAULT_SCHEDULER_NAME, runScheduler } from './scheduler.js';
import { parsePortRange } from '../registry/allocation.js';
import { runKubeconfig, runUp } from './up.js';

function portRange(value: string): string {
  try {
    parsePortRange(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
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
  .addOption(new Option('--advertise-address <ip>', 'address pods and other hosts reach this apiserver at, for default/kubernetes endpoints (default: the bind address if specific, else the first host address)').env('PGKUBE_ADVERTISE_ADDRESS'))
  .addOption(new Option('--service-cluster-ip-range <cidrs>', 'IP range(s) for Service cluster IPs (one per family, comma-separated)').env('PGKUBE_SERVICE_CLUSTER_IP_RANGE').default('10.96.0.0/12'))
  .addOption(new Option('--default-not-ready-toleration-seconds <n>', 'tolerationSeconds of the not-ready:NoExecute toleration added to every pod that has none').env('PGKUBE_DEFAULT_NOT_READY_TOLERATION_SECONDS').argParser(integer).default(300))
  .addOption(new Option('--default-unreachable-toleration-seconds <n>', 'tolerationSeconds of the unreachable:NoExecute toleration added to every pod that has none').env('PGKUBE_DEFAULT_UNREACHABLE_TOLERATION_SECONDS').argParser(integer).default(300))
  .addOption(new Option('--compaction-window <seconds>', 'history kept for watches and paged lists').env('PGKUBE_COMPACTION_WINDOW').argParser(integer).default(300))
  .addOption(new Option('--compaction-interval <seconds>', 'how often history is compacted').env('PGKUBE_COMPACTION_INTERVAL').argParser(integer).default(60))
  .addOption(new Option('--watch-cache-size <events>', 'recent events kept in memory per resource for watches').env('PGKUBE_WATCH_CACHE_SIZE').argParser(integer).default(10000))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('info'))
  .addOption(new Option('--log-format <format>', 'text (klog lines) or json (klog JSON) (default: text on a terminal, else json)').env('PGKUBE_LOG_FORMAT').choices(LOG_FORMATS))
  .addOption(new Option('--workers <n>', 'processes serving the port, each a whole API server on the database').env('PGKUBE_WORKERS').argParser(positive).default(1))
  .addOption(new Option('--shutdown-delay-duration <duration>', 'on SIGTERM, how long /readyz fails before the server stops accepting (e.g. 3s, 500ms)').env('PGKUBE_SHUTDOWN_DELAY_DURATION').argParser(duration).default(3, '3s'))
  .addOption(new Option('--kubelet-client-certificate <file>', 'client certificate (PEM) presented to node agents\' kubelet API').env('PGKUBE_KUBELET_CLIENT_CERTIFICATE'))
  .addOption(new Option('--kubelet-client-key <file>', 'private key (PEM) of --kubelet-client-certificate').env('PGKUBE_KUBELET_CLIENT_KEY'))
  .addOption(new Option('--kubelet-client-token-file <file>', 'bearer token presented to node agents\' kubelet API (their --kubelet-token-file)').env('PGKUBE_KUBELET_CLIENT_TOKEN_FILE'))
  .action(runApiServer);

program
  .command('up')
  .description('run a whole cluster on this machine, with an embedded PostgreSQL')
  .addOption(new Option('--data-dir <dir>', 'where the cluster keeps its data (default: ~/.pgkube, or /var/lib/pgkube as root)').env('PGKUBE_DATA_DIR'))
  .addOption(new Option('--port <port>', 'API server port').env('PGKUBE_PORT').argParser(integer).default(6443))
  .addOption(new Option('--bind-address <address>', 'address the API server listens on').env('PGKUBE_BIND_ADDRESS').default('127.0.0.1'))
  .addOption(new Option('--database-url <url>', 'use this PostgreSQL instead of the embedded one').env('PGKUBE_DATABASE_URL'))
  .addOption(new Option('--tls-san <name>', 'extra DNS name or IP address for the serving certificate (repeatable, or comma-separated)').env('PGKUBE_TLS_SAN').argParser(commaList))
  .addOption(new Option('--kubeconfig <file>', 'merge the admin kubeconfig into this file instead of $KUBECONFIG or ~/.kube/config').env('PGKUBE_KUBECONFIG'))
  .addOption(new Option('--node-runtime <runtime>', 'the node agent it runs: docker (real containers), simulated, auto (docker when a Docker engine answers, else simulated) or none').env('PGKUBE_NODE_RUNTIME').choices(NODE_RUNTIMES).default('auto'))
  .addOption(new Option('--scheduler <bool>', 'run the scheduler (false: another process schedules, as in docker-compose.yml)').env('PGKUBE_SCHEDULER').argParser(boolean).default(true))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('warn'))
  .action(runUp);

program
  .command('kubeconfig')
  .description("print the administrator's kubeconfig of the cluster that \"pgkube up\" runs")
  .addOption(new Option('--data-dir <dir>', 'the cluster\'s data directory (default: ~/.pgkube, or /var/lib/pgkube as root)').env('PGKUBE_DATA_DIR'))
  .addOption(new Option('--server <url>', 'put this server URL in it (e.g. as another host reaches the cluster)'))
  .action(runKubeconfig);

program.addCommand(controllerManagerCommand());

program
  .command('scheduler')
  .description('place pending pods on nodes (kube-scheduler), leader-elected on the Lease kube-system/kube-scheduler')
  .addOption(new Option('--kubeconfig <file>', 'kubeconfig of the API server (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)').env('PGKUBE_KUBECONFIG'))
  .addOption(new Option('--scheduler-name <name>', 'the spec.schedulerName of the pods this scheduler places').default(DEFAULT_SCHEDULER_NAME))
  .addOption(new Option('--no-leader-elect', 'schedule without taking the leader Lease (only one scheduler may run then)'))
  .addOption(new Option('--leader-elect-namespace <ns>', 'namespace of the leader Lease').default('kube-system'))
  .addOption(new Option('--leader-elect-name <name>', 'name of the leader Lease').default('kube-scheduler'))
  .addOption(new Option('--kube-api-qps <qps>', 'requests per second to the API server').argParser(positive).default(50))
  .addOption(new Option('--kube-api-burst <n>', 'burst of requests to the API server').argParser(positive).default(100))
  .addOption(new Option('--parallel-bindings <n>', 'pod bindings in flight at once').argParser(positive).default(64))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('info'))
  .addOption(new Option('--log-format <format>', 'text (klog lines) or json (klog JSON) (default: text on a terminal, else json)').env('PGKUBE_LOG_FORMAT').choices(LOG_FORMATS))
  .action(runScheduler);

program
  .command('agent')
  .description('run nodes (kubelet): register them, keep their leases and status, run the pods bound to them')
  .addOption(new Option('--kubeconfig <file>', 'kubeconfig of the API server (default: $KUBECONFIG, else in-cluster, else ~/.kube/config)').env('PGKUBE_KUBECONFIG'))
  .addOption(new Option('--runtime <runtime>', 'container runtime').choices(['simulated', 'docker']).default('simulated'))
  .addOption(new Option('--nodes <n>', 'how many nodes this process runs').argParser(positive).default(1))
  .addOption(new Option('--node-name-prefix <prefix>', 'node names are <prefix><index>').default('sim-node-'))
  .addOption(new Option('--node-name <name>', 'docker runtime: the name of this node (default: the hostname)'))
  .addOption(new Option('--pod-cidr <cidr>', 'docker runtime: pod IPs of this node, a /24 of 10.244.0.0/16 (default: the Node\'s, else the first free one)'))
  .addOption(new Option('--pod-infra-image <image>', 'docker runtime: local image of the pod sandbox (the pause role)').default('local/busybox:1'))
  .addOption(new Option('--cluster-dns <ips>', 'docker runtime: DNS server IP(s) for dnsPolicy ClusterFirst (comma-separated)').argParser(commaList))
  .addOption(new Option('--cluster-domain <domain>', 'docker runtime: the cluster\'s DNS domain').default('cluster.local'))
  .addOption(new Option('--proxy-mode <mode>', 'service proxy: iptables (kube-proxy\'s iptables mode) or none (default: iptables with the docker runtime, none simulated)').choices(['iptables', 'none']))
  .addOption(new Option('--proxy-localhost-nodeports', 'service proxy: answer node ports on 127.0.0.1 too (sets net.ipv4.conf.all.route_localnet=1, as kube-proxy does)'))
  .addOption(new Option('--dns-bind-address <ip>', 'cluster DNS: where it listens, behind the kube-dns Service (default: the pgkube bridge gateway)').default('10.244.0.1'))
  .addOption(new Option('--dns-port <port>', 'cluster DNS: its port').argParser(integer).default(53))
  .addOption(new Option('--root-dir <dir>', 'docker runtime: where pod volumes and files live (default: <tmp>/pgkube-agent/<node>)'))
  .addOption(new Option('--container-backoff-base <duration>', 'docker runtime: first crash-loop back-off; doubles up to 30 times it').argParser(duration).default(10, '10s'))
  .addOption(new Option('--sync-frequency <duration>', 'docker runtime: how often configMap, secret and projected volumes are refreshed').argParser(duration).default(60, '1m'))
  .addOption(new Option('--pod-start-delay <duration>', 'time from accepting a pod to its containers running (e.g. 1s, 500ms)').argParser(duration).default(1, '1s'))
  .addOption(new Option('--cpu <quantity>', 'CPU capacity of each node (default: 32 simulated, the docker host\'s)'))
  .addOption(new Option('--memory <quantity>', 'memory capacity of each node (default: 256Gi simulated, the docker host\'s)'))
  .addOption(new Option('--pods <n>', 'pod capacity of each node').default('110'))
  .addOption(new Option('--kube-api-qps <qps>', 'requests per second to the API server (default: 50 per node)').argParser(positive))
  .addOption(new Option('--kube-api-burst <n>', 'burst of requests to the API server (default: 100 per node)').argParser(positive))
  .addOption(new Option('--status-workers <n>', 'pod status writes in flight at once').argParser(positive).default(32))
  .addOption(new Option('--node-lease-duration-seconds <n>', "duration of each node's Lease; it is renewed every quarter of it (kubelet's nodeLeaseDurationSeconds)").argParser(positive).default(40))
  .addOption(new Option('--kubelet-port <port>', 'serve the kubelet API (logs, exec, attach, port-forward) on this port, 0: any free one (default: not served)').argParser(integer))
  .addOption(new Option('--node-ip <ip>', 'the nodes\' InternalIP, where the API server reaches the kubelet API (default: 127.0.0.1)'))
  .addOption(new Option('--client-ca-file <file>', 'CA bundle (PEM): client certificates it signed may use the kubelet API'))
  .addOption(new Option('--kubelet-token-file <file>', 'bearer token that may use the kubelet API'))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('info'))
  .addOption(new Option('--log-format <format>', 'text (klog lines) or json (klog JSON) (default: text on a terminal, else json)').env('PGKUBE_LOG_FORMAT').choices(LOG_FORMATS))
  .action(runAgent);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`pgkube: ${(err as Error).message}\n`);
  process.exit(1);
});
