import type { KubeObject } from '../machinery/object.js';
import { readHistory } from '../storage/object-store.js';
import { ChangeEvent } from './change-event.js';
import type { WatchHub } from './watch-hub.js';

/** Where a watcher's lines go (an HTTP response in the API layer). */
export interface WatchSink {
  write(line: string): void;
  /** Bytes written but not yet sent to the client. */
  buffered(): number;
  end(): void;
}

export interface WatchOptions {
  resource: string;
  namespace?: string;
  /** Label and field selector; undefined selects everything (and spares parsing the objects). */
  matches?: (object: KubeObject) => boolean;
  /** Builds the object of a BOOKMARK event (the resource's kind with only a resourceVersion). */
  bookmarkObject: (rv: string, annotations?: Record<string, string>) => KubeObject;
  allowBookmarks: boolean;
  timeoutMs: number;
  /** A watcher whose unsent output grows past this is closed; the client re-watches from its last rv. */
  maxBufferedBytes?: number;
  bookmarkIntervalMs?: number;
  /** Turns a storage error (compaction) into the ERROR event line; the watch then ends. */
  errorLine: (err: unknown) => string;
}

const HISTORY_PAGE = 1000;

/**
 * One watch stream. It keeps a cursor (the revision up to which it has delivered everything) and, when
 * woken, pulls the events after it: from the in-memory ring when the ring covers the cursor, otherwise
 * from the history table. Filtering follows kube-apiserver's watch cache: an object entering the
 * selector is ADDED, one leaving it is DELETED.
 */
export class Watcher {
  readonly resource: string;
  cursor = 0n;
  closed = false;
  private pumping = false;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  onClose?: () => void;

  constructor(
    private readonly hub: WatchHub,
    private readonly sink: WatchSink,
    private readonly opts: WatchOptions,
  ) {
    this.resource = opts.resource;
  }

  /** Writes the synthetic ADDED events of an initial list (objects already filtered). */
  sendInitial(items: string[]): void {
    for (const json of items) this.sink.write(`{"type":"ADDED","object":${json}}\n`);
  }

  /** Starts streaming every change after `rv`. */
  start(rv: bigint, initialEventsEnd = false): void {
    this.cursor = rv;
    if (initialEventsEnd) this.bookmark({ 'k8s.io/initial-events-end': 'true' });
    this.hub.add(this);
    const { timeoutMs } = this.opts;
    this.timers.push(setTimeout(() => this.close(), timeoutMs));
    if (this.opts.allowBookmarks) {
      const every = this.opts.bookmarkIntervalMs ?? 60_000;
      this.timers.push(setInterval(() => this.bookmark(), every));
      // One more shortly before the deadline, so the client resumes from a fresh revision.
      if (timeoutMs > 2_000) this.timers.push(setTimeout(() => this.bookmark(), timeoutMs - 2_000));
    }
    void this.pump();
  }

  wake(): void {
    if (!this.closed) void this.pump();
  }

  close(errorLine?: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.hub.remove(this);
    if (errorLine) this.sink.write(errorLine);
    this.sink.end();
    this.onClose?.();
  }

  private bookmark(annotations?: Record<string, string>): void {
    if (this.closed) return;
    if (!annotations) {
      // Advance to the feed's head first (synchronous when the ring covers us), so the bookmark carries
      // the latest revision even if no event of this resource arrived. Only a cursor that is caught up
      // may be promised: everything up to it has been sent.
      void this.pump();
      if (this.pumping || this.closed) return;
    }
    const object = this.opts.bookmarkObject(this.cursor.toString(), annotations);
    this.sink.write(`{"type":"BOOKMARK","object":${JSON.stringify(object)}}\n`);
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (!this.closed && this.cursor < this.hub.head) {
          const head = this.hub.head;
          const ring = this.hub.ring(this.resource);
          if (this.cursor >= ring.coveredFrom) {
            for (const ev of ring.after(this.cursor)) {
              if (ev.rv > head) break;
              this.deliver(ev);
            }
            this.flush();
            this.cursor = head;
          } else {
            // Behind the ring: catch up from the history table (410 if it was compacted).
            const upTo = ring.coveredFrom;
            const rows = await readHistory(this.hub.db, { after: this.cursor, upTo, resource: this.resource, limit: HISTORY_PAGE });
            if (this.closed) return;
            for (const row of rows) this.deliver(new ChangeEvent(row));
            this.flush();
            this.cursor = rows.length < HISTORY_PAGE ? upTo : rows[rows.length - 1].rv;
          }
          if (this.sink.buffered() > (this.opts.maxBufferedBytes ?? 16 * 1024 * 1024)) {
            this.close(); // too slow: never let it hold memory or others back
            return;
          }
        }
      } while (this.again && !this.closed);
    } catch (err) {
      this.close(this.opts.errorLine(err));
    } finally {
      this.pumping = false;
    }
  }

  /** Lines gathered during one pump: written to the socket in one call (one chunk, one syscall). */
  private pending: string[] = [];

  private flush(): void {
    if (this.pending.length === 0) return;
    this.sink.write(this.pending.length === 1 ? this.pending[0] : this.pending.join(''));
    this.pending = [];
  }

  private deliver(ev: ChangeEvent): void {
    if (this.opts.namespace !== undefined && ev.namespace !== this.opts.namespace) return;
    const matches = this.opts.matches;
    if (!matches) {
      this.pending.push(ev.line(ev.type));
      return;
    }
    const now = ev.type !== 'DELETED' && matches(ev.object);
    const before = ev.prevJson !== null && matches(ev.prevObject!);
    if (now && before) this.pending.push(ev.line('MODIFIED'));
    else if (now) this.pending.push(ev.line('ADDED'));
    else if (before) this.pending.push(ev.type === 'DELETED' ? ev.line('DELETED') : ev.leftSelectorLine());
  }
}
