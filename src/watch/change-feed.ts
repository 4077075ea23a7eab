import pg from 'pg';
import type { Db } from '../storage/database.js';
import { readHistory } from '../storage/object-store.js';
import { CompactedError } from '../storage/types.js';
import { CHANGES_CHANNEL } from '../storage/write-batcher.js';
import { ChangeEvent } from './change-event.js';

export interface ChangeFeedOptions {
  db: Db;
  url: string;
  /** Safety-net poll interval: NOTIFY is only a hint, the history table is the truth. */
  pollIntervalMs?: number;
  pageSize?: number;
  onEvents(events: ChangeEvent[]): void;
  /** History was compacted past our position: events between `from` and `to` are gone. */
  onGap(from: bigint, to: bigint): void;
  onError?(err: unknown): void;
}

/**
 * Reads the history table in revision order and hands every committed change to the hub exactly once.
 * One LISTEN connection per process wakes it; a poll every second catches anything a lost connection
 * missed. Because revisions are gap-free in commit order, "rv > head" never skips an event.
 */
export class ChangeFeed {
  head = 0n;
  listening = false;
  lastPollAt = 0;
  private listener?: pg.Client;
  private connecting?: pg.Client;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private pollAgain = false;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private waiters: { rv: bigint; resolve(): void }[] = [];

  constructor(private readonly opts: ChangeFeedOptions) {}

  async start(startRv: bigint): Promise<void> {
    this.head = startRv;
    await this.connectListener().catch((err) => this.opts.onError?.(err));
    this.timer = setInterval(() => void this.poll(), this.opts.pollIntervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.reconnectTimer);
    await this.polling;
    await this.listener?.end().catch(() => {});
  }

  /** Resolves once the feed has delivered everything up to `rv`, or false after the timeout. */
  async waitFor(rv: bigint, timeoutMs: number): Promise<boolean> {
    if (this.head >= rv) return true;
    void this.poll();
    return new Promise<boolean>((resolve) => {
      const waiter = { rv, resolve: () => resolve(true) };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(this.head >= rv);
      }, timeoutMs).unref();
    });
  }

  /** Reads new history now; concurrent calls coalesce into one running poll plus at most one more. */
  poll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.pollAgain = false;
          await this.readAll();
        } while (this.pollAgain && !this.stopped);
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async readAll(): Promise<void> {
    const pageSize = this.opts.pageSize ?? 1000;
    for (;;) {
      let rows;
      try {
        rows = await readHistory(this.opts.db, { after: this.head, limit: pageSize });
      } catch (err) {
        if (!(err instanceof CompactedError)) throw err;
        // We were away longer than the history window: skip to what is left; watchers behind it get 410.
        this.opts.onGap(this.head, err.compacted);
        this.head = err.compacted;
        continue;
      }
      this.lastPollAt = Date.now();
      if (rows.length === 0) break;
      if (rows[0].rv !== this.head + 1n) this.opts.onGap(this.head, rows[0].rv - 1n);
      const events = rows.map((r) => new ChangeEvent(r));
      this.head = events[events.length - 1].rv;
      this.opts.onEvents(events);
      this.releaseWaiters();
      if (rows.length < pageSize) break;
    }
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.rv <= this.head);
    this.waiters = this.waiters.filter((w) => w.rv > this.head);
    for (const w of ready) w.resolve();
  }

  private async connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url, application_name: 'pgkube-listen' });
    client.on('notification', () => void this.poll());
    client.on('error', (err) => {
      this.opts.onError?.(err);
      this.dropListener(client);
    });
    client.on('end', () => this.dropListener(client));
    this.connecting = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      this.dropListener(client);
      throw err;
    }
    this.connecting = undefined;
    this.listener = client;
    this.listening = true;
    // Anything committed while we were not listening is picked up now rather than at the next tick.
    void this.poll();
  }

  /** Forgets a broken LISTEN connection and schedules one reconnect (the poll covers the meantime). */
  private dropListener(client: pg.Client): void {
    client.end().catch(() => {});
    if (client !== this.listener && client !== this.connecting) return; // an old client ending late
    this.listener = undefined;
    this.connecting = undefined;
    this.listening = false;
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectListener().catch((err) => this.opts.onError?.(err));
    }, 500);
    this.reconnectTimer.unref();
  }
}
