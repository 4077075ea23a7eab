import type { ServerResponse } from 'node:http';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestObserver } from './http-app.js';
import { KUBERNETES_VERSION, versionInfo } from './non-resource.js';
import { finalLabels } from './request-labels.js';
import type { RequestClassifier } from './request-labels.js';

/** kube-apiserver's apiserver_request_duration_seconds buckets (endpoints/metrics/metrics.go). */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** One group-commit transaction: from taking the batch to COMMIT. */
export const COMMIT_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Write requests decided in one transaction (the batcher takes at most 128). */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

const REQUEST_LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
const LONG_RUNNING_LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;

/** What the storage and watch gauges read at scrape time. */
export interface MetricsSources {
  pool: pg.Pool;
  feed: { readonly head: bigint; readonly listening: boolean };
  hub: { readonly watcherCount: number };
}

export interface MetricsOptions {
  /**
   * Under `--workers`, the text of /metrics for the whole port (all workers, summed by the primary);
   * without it /metrics shows this process.
   */
  aggregate?: () => Promise<string>;
  /** This process's worker number under `--workers` (pgkube_worker_info). */
  worker?: number;
  /** Milliseconds a scrape may wait for PostgreSQL before it reports the last values it had. */
  storageQueryTimeoutMs?: number;
}

let processRegistry: Registry | undefined;
let processWorker = 0;

/**
 * The process-wide metrics, created once per process: prom-client's default process and Node.js
 * metrics, kubernetes_build_info as kube-apiserver has it, and pgkube_worker_info naming the process
 * (its pid, and its worker number under `--workers`, 0 otherwise).
 */
export function processMetrics(worker?: number): Registry {
  if (processRegistry) {
    if (worker !== undefined && worker !== processWorker) {
      processWorker = worker;
      const info = processRegistry.getSingleMetric('pgkube_worker_info') as Gauge<string>;
      info.reset();
      info.set({ worker: String(worker), pid: String(process.pid) }, 1);
    }
    return processRegistry;
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const v = versionInfo();
  new Gauge({
    name: 'kubernetes_build_info',
    help: 'A metric with a constant \'1\' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.',
    labelNames: ['major', 'minor', 'git_version', 'git_commit', 'git_tree_state', 'build_date', 'go_version', 'compiler', 'platform'],
    registers: [registry],
    aggregator: 'first',
  }).set({ major: KUBERNETES_VERSION.major, minor: KUBERNETES_VERSION.minor, git_version: v.gitVersion, git_commit: v.gitCommit, git_tree_state: v.gitTreeState, build_date: v.buildDate, go_version: v.goVersion, compiler: v.compiler, platform: v.platform }, 1);
  new Gauge({
    name: 'pgkube_worker_info',
    help: 'Constant 1, labelled by the process id and worker number (0 without --workers) of each process serving this port.',
    labelNames: ['worker', 'pid'],
    registers: [registry],
    aggregator: 'sum',
  }).set({ worker: String(worker ?? 0), pid: String(process.pid) }, 1);
  processRegistry = registry;
  processWorker = worker ?? 0;
  return registry;
}

interface StorageSnapshot {
  revision?: number;
  compacted?: number;
  lagSeconds?: number;
}

/**
 * One API server's metrics: the request metrics kube-apiserver exports, with its names, labels and
 * buckets, and pgkube's own storage and watch metrics. Each server has its own registry (tests run
 * several servers in one process); /metrics shows it together with the process registry.
 */
export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly durations: Histogram<string>;
  private readonly longRunning: Gauge<string>;
  private readonly inflight: Gauge<string>;
  private readonly commitDuration: Histogram<string>;
  private readonly batchSize: Histogram<string>;
  private readonly writes: Counter<string>;
  private readonly commitErrors: Counter<string>;
  private snapshot?: { at: number; value: Promise<StorageSnapshot> };
  private last: StorageSnapshot = {};
  private objects?: { at: number; value: Promise<void> };

  constructor(
    private readonly classify: RequestClassifier,
    private readonly sources: MetricsSources,
    private readonly opts: MetricsOptions = {},
  ) {
    processMetrics(opts.worker ?? 0);
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...REQUEST_LABELS, 'code'],
      registers,
    });
    this.durations = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: [...REQUEST_LABELS],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.longRunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
      labelNames: [...LONG_RUNNING_LABELS],
      registers,
      aggregator: 'sum',
    });
    this.inflight = new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Number of requests being served, per request kind (readOnly or mutating), watches excluded. Unlike kube-apiserver, the value at scrape time rather than the maximum over the last second.',
      labelNames: ['request_kind'],
      registers,
      aggregator: 'sum',
    });
    this.inflight.set({ request_kind: 'readOnly' }, 0);
    this.inflight.set({ request_kind: 'mutating' }, 0);

    this.commitDuration = new Histogram({
      name: 'pgkube_storage_commit_duration_seconds',
      help: 'Time of one group-commit write transaction, from taking the batch to COMMIT.',
      buckets: COMMIT_DURATION_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'pgkube_storage_batch_size',
      help: 'Write requests decided in one group-commit transaction.',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.writes = new Counter({
      name: 'pgkube_storage_writes_total',
      help: 'Changes committed by this process (each takes one revision).',
      registers,
    });
    this.commitErrors = new Counter({
      name: 'pgkube_storage_commit_errors_total',
      help: 'Group-commit transactions that failed as a whole (every request in the batch got the error).',
      registers,
    });

    const storage = (name: string, help: string, aggregator: 'max' | 'min', pick: (s: StorageSnapshot) => number | undefined) => {
      const gauge: Gauge<string> = new Gauge({
        name,
        help,
        registers,
        aggregator,
        collect: async () => {
          const value = pick(await this.storageSnapshot());
          if (value !== undefined) gauge.set(value);
        },
      });
    };
    storage('pgkube_storage_revision', 'The newest committed revision in PostgreSQL (the cluster-wide resourceVersion).', 'max', (s) => s.revision);
    storage('pgkube_storage_compacted_revision', 'History at and below this revision has been compacted; older resourceVersions get 410 Gone.', 'max', (s) => s.compacted);
    storage(
      'pgkube_watch_feed_lag_seconds',
      'How long the oldest change committed but not yet read by this process\'s change feed has been waiting (0 when the feed is caught up).',
      'max',
      (s) => s.lagSeconds,
    );
    const feedRevision: Gauge<string> = new Gauge({
      name: 'pgkube_watch_feed_revision',
      help: 'The revision up to which this process\'s change feed has handed every change to its watchers.',
      registers,
      aggregator: 'min',
      collect: () => feedRevision.set(Number(this.sources.feed.head)),
    });
    const lagRevisions: Gauge<string> = new Gauge({
      name: 'pgkube_watch_feed_lag_revisions',
      help: 'Revisions committed in PostgreSQL that this process\'s change feed has not read yet.',
      registers,
      aggregator: 'max',
      collect: async () => {
        const { revision } = await this.storageSnapshot();
        if (revision !== undefined) lagRevisions.set(Math.max(0, revision - Number(this.sources.feed.head)));
      },
    });
    const listening: Gauge<string> = new Gauge({
      name: 'pgkube_watch_feed_listening',
      help: '1 while the change feed holds its LISTEN connection (without it, changes arrive by the one-second poll).',
      registers,
      aggregator: 'min',
      collect: () => listening.set(this.sources.feed.listening ? 1 : 0),
    });
    const watchers: Gauge<string> = new Gauge({
      name: 'pgkube_watchers',
      help: 'Open watch streams.',
      registers,
      aggregator: 'sum',
      collect: () => watchers.set(this.sources.hub.watcherCount),
    });
    const pool: Gauge<string> = new Gauge({
      name: 'pgkube_storage_pool_connections',
      help: 'PostgreSQL connections in this process\'s pool, by state (total, idle).',
      labelNames: ['state'],
      registers,
      aggregator: 'sum',
      collect: () => {
        pool.set({ state: 'total' }, this.sources.pool.totalCount);
        pool.set({ state: 'idle' }, this.sources.pool.idleCount);
      },
    });
    const waiting: Gauge<string> = new Gauge({
      name: 'pgkube_storage_pool_waiting_requests',
      help: 'Queries waiting for a free connection in this process\'s pool.',
      registers,
      aggregator: 'sum',
      collect: () => waiting.set(this.sources.pool.waitingCount),
    });
    const objects: Gauge<string> = new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind (checked at most every 30 seconds).',
      labelNames: ['resource'],
      registers,
      aggregator: 'max',
      collect: () => this.countObjects(objects),
    });
  }

  /** Counts every request when it ends, and tracks watches and in-flight requests while they run. */
  readonly observer: RequestObserver = (req, res, ctx) => {
    const c = this.classify(req, ctx);
    let longRunningLabels: Record<string, string> | undefined;
    let kind: string | undefined;
    if (c.longRunning) {
      const { dry_run: _d, ...labels } = c.labels;
      longRunningLabels = labels;
      this.longRunning.inc(labels);
    } else {
      kind = c.readOnly ? 'readOnly' : 'mutating';
      this.inflight.inc({ request_kind: kind });
    }
    res.once('close', () => {
      if (longRunningLabels) this.longRunning.dec(longRunningLabels);
      if (kind) this.inflight.dec({ request_kind: kind });
      const labels = finalLabels(c, res.statusCode);
      this.requests.inc({ ...labels, code: String(res.statusCode) });
      this.durations.observe({ ...labels }, (performance.now() - ctx.started) / 1000);
    });
  };

  /** One committed group-commit transaction. */
  observeCommit(requests: number, changes: number, seconds: number): void {
    this.commitDuration.observe(seconds);
    this.batchSize.observe(requests);
    this.writes.inc(changes);
  }

  observeCommitError(): void {
    this.commitErrors.inc();
  }

  /** Both registries of this process, for a cluster primary to aggregate. */
  get registries(): Registry[] {
    return [processMetrics(), this.registry];
  }

  /** The Prometheus text exposition of this process (or of the whole port under `--workers`). */
  async render(): Promise<{ contentType: string; text: string }> {
    if (this.opts.aggregate) return { contentType: this.registry.contentType, text: await this.opts.aggregate() };
    const texts = await Promise.all(this.registries.map((r) => r.metrics()));
    return { contentType: this.registry.contentType, text: texts.filter((t) => t.trim() !== '').join('\n') };
  }

  /** Answers GET /metrics. */
  async serve(res: ServerResponse): Promise<void> {
    const { contentType, text } = await this.render();
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end(text);
  }

  /** Revision, compaction floor and feed lag, read in one round trip and shared by one scrape's gauges. */
  private storageSnapshot(): Promise<StorageSnapshot> {
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.at < 1000) return this.snapshot.value;
    const value = this.withTimeout(
      this.sources.pool.query<{ rv: string; compacted: string; lag: number | null }>(
        `SELECT (SELECT rv FROM revision) AS rv,
                (SELECT compacted_rv FROM compaction) AS compacted,
                (SELECT extract(epoch FROM clock_timestamp() - created_at)::float8 FROM history WHERE rv > $1 ORDER BY rv LIMIT 1) AS lag`,
        [this.sources.feed.head.toString()],
      ),
    ).then(
      (r) => {
        const row = r.rows[0];
        this.last = { revision: Number(row.rv), compacted: Number(row.compacted), lagSeconds: row.lag === null ? 0 : Math.max(0, row.lag) };
        return this.last;
      },
      () => this.last, // PostgreSQL unreachable: /readyz says so; the gauges keep their last values
    );
    this.snapshot = { at: now, value };
    return value;
  }

  private countObjects(gauge: Gauge<string>): Promise<void> {
    const now = Date.now();
    if (this.objects && now - this.objects.at < 30_000) return this.objects.value;
    const value = this.withTimeout(this.sources.pool.query<{ resource: string; n: string }>('SELECT resource, count(*) AS n FROM objects GROUP BY resource')).then(
      (r) => {
        gauge.reset();
        for (const row of r.rows) gauge.set({ resource: row.resource }, Number(row.n));
      },
      () => {},
    );
    this.objects = { at: now, value };
    return value;
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.opts.storageQueryTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from PostgreSQL within ${ms} ms`)), ms);
      timer.unref();
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}
