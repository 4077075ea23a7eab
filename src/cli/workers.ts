import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * `pgkube apiserver --workers N`: N processes serving one port (node:cluster; the primary accepts
 * connections and hands them out round-robin). Each worker is a whole API server on the same database
 * and shares nothing else with the others: they meet in PostgreSQL as separate apiservers would (a
 * write through one reaches the watchers of all; migrations run under an advisory lock). The primary
 * serves nothing itself: it starts the workers, restarts one that dies, forwards SIGTERM and SIGINT,
 * and sums the workers' metrics for /metrics.
 */

const WORKER_ENV = 'PGKUBE_WORKER_ID';
const SERVING = 'pgkube:serving';
const METRICS_REQUEST = 'pgkube:metrics-request';
const METRICS_RESPONSE = 'pgkube:metrics-response';

interface ServingMessage {
  type: typeof SERVING;
  url: string;
  pid: number;
}

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}

interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/** This process's worker number (1..N) under `--workers`, undefined in a single process or the primary. */
export function workerId(): number | undefined {
  if (!cluster.isWorker) return undefined;
  return Number(process.env[WORKER_ENV]) || cluster.worker!.id;
}

/** True in the process that should start the workers rather than serve. */
export function isPrimaryOf(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

let nextRequest = 0;
const pendingMetrics = new Map<number, { resolve(text: string): void; reject(err: Error): void; timer: NodeJS.Timeout }>();

/** In a worker: the metrics text of the whole port, which the primary sums from every worker. */
function requestClusterMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = nextRequest++;
    const timer = setTimeout(() => {
      pendingMetrics.delete(id);
      reject(new Error('the workers\' metrics did not arrive within 10 s'));
    }, 10_000);
    pendingMetrics.set(id, { resolve, reject, timer });
    process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
  });
}

/**
 * In a worker: what startApiServer needs to know (its number, how to get the whole port's metrics).
 * Undefined outside a worker.
 */
export function workerServerOptions(): { id: number; aggregateMetrics: () => Promise<string> } | undefined {
  const id = workerId();
  if (id === undefined) return undefined;
  // Constructing one makes prom-client answer the primary's requests for this worker's registries.
  new AggregatorRegistry();
  process.on('message', (m: unknown) => {
    if (!isMessage<MetricsResponse>(m, METRICS_RESPONSE)) return;
    const pending = pendingMetrics.get(m.id);
    if (!pending) return;
    pendingMetrics.delete(m.id);
    clearTimeout(pending.timer);
    if (m.error !== undefined) pending.reject(new Error(m.error));
    else pending.resolve(m.text ?? '');
  });
  return { id, aggregateMetrics: requestClusterMetrics };
}

/**
 * Tells who waits that the server is up: the primary (in a worker), or stdout, where tests and scripts
 * read the serving address. In a worker it also hands prom-client the registries to report.
 */
export function announceServing(url: string, registries: Registry[]): void {
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries(registries);
    process.send!({ type: SERVING, url, pid: process.pid } satisfies ServingMessage);
    return;
  }
  process.stdout.write(`pgkube apiserver listening on ${url}\n`);
}

/**
 * Stops the server on SIGTERM or SIGINT and exits. In a single process a second signal exits at once;
 * a worker ignores repeats (Ctrl-C reaches it from the terminal and again through the primary).
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      if (cluster.isWorker) return;
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

export interface PrimaryOptions {
  /** First restart delay after a crash; doubles for each crash in a row, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A worker that served this long before dying starts the delay over. */
  healthyAfterMs?: number;
}

interface Slot {
  id: number;
  worker?: Worker;
  startedAt: number;
  serving: boolean;
  crashes: number;
  restartTimer?: NodeJS.Timeout;
}

/**
 * The primary: forks `count` workers running the same command line, prints the serving line once all
 * of them serve, restarts a worker that exits on its own (with a growing delay if it keeps dying),
 * and on SIGTERM or SIGINT passes SIGTERM on, waits for every worker to finish its graceful shutdown
 * and exits. If a worker dies before all have started, start-up has failed: the others are stopped and
 * the primary exits 1. A second signal kills the workers at once.
 */
export function runPrimary(count: number, logger: Logger, opts: PrimaryOptions = {}): Promise<void> {
  const restartDelayMs = opts.restartDelayMs ?? 1000;
  const maxRestartDelayMs = opts.maxRestartDelayMs ?? 30_000;
  const healthyAfterMs = opts.healthyAfterMs ?? 60_000;
  const slots: Slot[] = [];
  const aggregator = new AggregatorRegistry();
  let started = false;
  let stopping = false;
  let exitCode = 0;

  const live = () => slots.filter((s) => s.worker !== undefined);
  const finishIfDone = () => {
    if (stopping && live().length === 0) {
      logger.info({ code: exitCode }, 'all workers stopped');
      process.exit(exitCode);
    }
  };
  const stopAll = (signal: NodeJS.Signals) => {
    for (const s of slots) {
      clearTimeout(s.restartTimer);
      s.worker?.process.kill(signal);
    }
    finishIfDone();
  };

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.serving = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_ENV]: String(slot.id) });
    slot.worker = worker;
    worker.on('message', (m: unknown) => {
      if (isMessage<ServingMessage>(m, SERVING)) {
        slot.serving = true;
        logger.info({ worker: slot.id, pid: m.pid }, 'worker serving');
        if (!started && slots.every((s) => s.serving)) {
          started = true;
          process.stdout.write(`pgkube apiserver listening on ${m.url} with ${count} workers\n`);
        }
      } else if (isMessage<MetricsRequest>(m, METRICS_REQUEST)) {
        aggregator.clusterMetrics().then(
          (text) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: m.id, text } satisfies MetricsResponse),
          (err: unknown) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: m.id, error: (err as Error).message } satisfies MetricsResponse),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) {
        if (code !== 0 && signal !== 'SIGTERM') exitCode = 1;
        finishIfDone();
        return;
      }
      if (!started) {
        logger.error({ worker: slot.id, code, signal }, 'worker exited before the server started; stopping');
        exitCode = 1;
        stopping = true;
        stopAll('SIGTERM');
        return;
      }
      if (Date.now() - slot.startedAt >= healthyAfterMs) slot.crashes = 0;
      const delay = Math.min(maxRestartDelayMs, restartDelayMs * 2 ** slot.crashes);
      slot.crashes += 1;
      logger.error({ worker: slot.id, code, signal, restartIn: `${delay / 1000}s` }, 'worker exited; restarting it');
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  };

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: killing the workers');
      exitCode = 1;
      stopAll('SIGKILL');
      return;
    }
    logger.info({ signal, workers: live().length }, 'shutting down the workers');
    stopping = true;
    stopAll('SIGTERM');
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // The workers run this same command line; they tell from cluster.isWorker that they are workers.
  cluster.setupPrimary({ silent: false });
  for (let id = 1; id <= count; id++) {
    const slot: Slot = { id, startedAt: Date.now(), serving: false, crashes: 0 };
    slots.push(slot);
    fork(slot);
  }
  logger.info({ workers: count }, 'started workers');
  // Runs until a signal (or a failed start) ends the process.
  return new Promise<void>(() => {});
}
