/**
 * Expectations (upstream pkg/controller ControllerExpectations + UIDTrackingControllerExpectations).
 *
 * After a controller asks for N creations or deletions it must not act on the same key again until its
 * informer has seen them, or it would act twice on a lagging cache. A record is satisfied when every
 * expected creation and deletion was observed, or when it is older than the timeout (5 minutes upstream),
 * so a lost watch event cannot wedge a controller forever. A key without a record is satisfied.
 */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Record_ {
  add: number;
  del: number;
  timestamp: number;
  /** Keys of the pods whose deletion is expected: a deletion counts only once, and only for these. */
  deleteKeys: Set<string>;
}

export class Expectations {
  private readonly records = new Map<string, Record_>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.now() - r.timestamp > this.timeoutMs;
  }

  expectCreations(key: string, count: number): void {
    this.records.set(key, { add: count, del: 0, timestamp: this.now(), deleteKeys: new Set() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.records.set(key, { add: 0, del: podKeys.length, timestamp: this.now(), deleteKeys: new Set(podKeys) });
  }

  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  /** A pod we asked to delete is gone (or its deletion failed): counted once per pod key. */
  deletionObserved(key: string, podKey: string): void {
    const r = this.records.get(key);
    if (!r || !r.deleteKeys.delete(podKey)) return;
    r.del--;
  }

  /** Creations that will never be observed, because they were skipped or failed. */
  lower(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= add;
    r.del -= del;
  }

  delete(key: string): void {
    this.records.delete(key);
  }
}
