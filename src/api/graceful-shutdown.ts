import type { ServerResponse } from 'node:http';
import type { RequestObserver } from './http-app.js';
import type { RequestClassifier } from './request-labels.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for `p`, but no longer than `ms`. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** What shutdown needs of an http.Server or https.Server. */
export interface ClosableServer {
  close(callback?: (err?: Error) => void): unknown;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/**
 * Knows which requests are in flight, short ones apart from watches, so that shutdown can wait for the
 * first and then end the second. Once the server is closing, every response asks its connection to
 * close, and connections left idle are closed as their last response ends.
 */
export class InFlightRequests {
  private readonly short = new Set<ServerResponse>();
  private readonly long = new Set<ServerResponse>();
  private closingServer?: ClosableServer;
  private waiters: (() => void)[] = [];

  constructor(private readonly classify: RequestClassifier) {}

  readonly observer: RequestObserver = (req, res, ctx) => {
    const set = this.classify(req, ctx).longRunning ? this.long : this.short;
    set.add(res);
    if (this.closingServer && !res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => {
      set.delete(res);
      // Its connection may now be idle: do not let keep-alive hold the closing server open.
      if (this.closingServer) {
        const server = this.closingServer;
        setImmediate(() => server.closeIdleConnections());
      }
      if (this.short.size === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      }
    });
  };

  get shortCount(): number {
    return this.short.size;
  }

  get longCount(): number {
    return this.long.size;
  }

  /** From now on responses close their connections (the server has stopped accepting new ones). */
  closing(server: ClosableServer): void {
    this.closingServer = server;
    for (const res of this.short) if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  /** Resolves true once no short request is in flight, or false when the timeout passes first. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.short.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }
}

export interface ShutdownSteps {
  server: ClosableServer;
  inFlight: InFlightRequests;
  /** Makes /readyz fail (its `shutdown` check). */
  notReady(): void;
  /** `--shutdown-delay-duration`: /readyz fails but everything is still served, so load balancers move away. */
  delayMs: number;
  /** How long in-flight requests (watches aside) may take to finish before their connections are cut. */
  drainTimeoutMs: number;
  /** Lets the watchers catch up with what was written, so no acknowledged write is missing from a stream. */
  beforeClosingWatches(): Promise<void>;
  /** Ends every watch stream cleanly (a complete chunked response); clients re-watch elsewhere. */
  closeWatches(): void;
  /** How long ended watches and idle connections may take to close before they are cut. */
  closeTimeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * kube-apiserver's graceful termination: /readyz fails first while /livez stays ok; after the delay the
 * listener closes (no new connections); requests in flight finish; then watch streams end cleanly; then
 * the remaining connections close. The caller closes storage afterwards.
 */
export async function shutdownGracefully(s: ShutdownSteps): Promise<void> {
  const log = s.log ?? (() => {});
  s.notReady();
  if (s.delayMs > 0) {
    log('readyz failing; still serving during the shutdown delay', { delay: `${s.delayMs / 1000}s` });
    await sleep(s.delayMs);
  }
  const closed = new Promise<void>((resolve) => s.server.close(() => resolve()));
  s.inFlight.closing(s.server);
  s.server.closeIdleConnections();
  if (s.inFlight.shortCount > 0) log('waiting for requests in flight', { requests: s.inFlight.shortCount });
  if (!(await s.inFlight.drained(s.drainTimeoutMs))) log('requests still in flight after the drain timeout; cutting them', { requests: s.inFlight.shortCount });

  // Bounded: with PostgreSQL gone, the watches end without waiting for it.
  await withTimeout(s.beforeClosingWatches().catch(() => {}), 3000);
  if (s.inFlight.longCount > 0) log('ending watch streams', { watches: s.inFlight.longCount });
  s.closeWatches();
  s.server.closeIdleConnections();
  // A watch still being set up when the others were closed registers a moment later: close it too.
  const deadline = Date.now() + (s.closeTimeoutMs ?? 5000);
  let done = false;
  void closed.then(() => (done = true));
  while (!done && Date.now() < deadline) {
    await withTimeout(closed, 100);
    if (s.inFlight.longCount > 0) s.closeWatches();
    s.server.closeIdleConnections();
  }
  if (!done) {
    s.server.closeAllConnections();
    await withTimeout(closed, 1000);
  }
}
