import { Command, InvalidArgumentError, Option } from 'commander';
import { runApiServer } from './apiserver.js';
import { runUp } from './up.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

const program = new Command('pgkube').description('A Kubernetes control plane whose only state is PostgreSQL');

program
  .command('apiserver')
  .description('serve the Kubernetes API from a PostgreSQL database')
  .addOption(new Option('--database-url <url>', 'PostgreSQL connection URL').env('PGKUBE_DATABASE_URL').makeOptionMandatory())
  .addOption(new Option('--port <port>', 'port to serve on (0: any free port)').env('PGKUBE_PORT').argParser(integer).default(6443))
  .addOption(new Option('--bind-address <address>', 'address to listen on').env('PGKUBE_BIND_ADDRESS').default('127.0.0.1'))
  .addOption(new Option('--insecure', 'serve plain HTTP on a loopback address; every request acts as an administrator').env('PGKUBE_INSECURE'))
  .addOption(new Option('--compaction-window <seconds>', 'history kept for watches and paged lists').env('PGKUBE_COMPACTION_WINDOW').argParser(integer).default(300))
  .addOption(new Option('--compaction-interval <seconds>', 'how often history is compacted').env('PGKUBE_COMPACTION_INTERVAL').argParser(integer).default(60))
  .addOption(new Option('--watch-cache-size <events>', 'recent events kept in memory per resource for watches').env('PGKUBE_WATCH_CACHE_SIZE').argParser(integer).default(10000))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('info'))
  .action(runApiServer);

program
  .command('up')
  .description('run a whole cluster on this machine, with an embedded PostgreSQL')
  .addOption(new Option('--data-dir <dir>', 'where the cluster keeps its data (default: ~/.pgkube, or /var/lib/pgkube as root)').env('PGKUBE_DATA_DIR'))
  .addOption(new Option('--port <port>', 'API server port').env('PGKUBE_PORT').argParser(integer).default(6443))
  .addOption(new Option('--database-url <url>', 'use this PostgreSQL instead of the embedded one').env('PGKUBE_DATABASE_URL'))
  .addOption(new Option('--log-level <level>', 'trace, debug, info, warn or error').env('PGKUBE_LOG_LEVEL').default('warn'))
  .action(runUp);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`pgkube: ${(err as Error).message}\n`);
  process.exit(1);
});
