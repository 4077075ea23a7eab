import type { HistoryRow } from '../storage/object-store.js';
import type { EventType } from '../storage/types.js';
import type { KubeObject } from '../machinery/object.js';

/**
 * One committed change, shared by every watcher of the process. The JSON lines sent to watchers are
 * built once per event and type and reused; the object is parsed at most once, on first need.
 */
export class ChangeEvent {
  readonly rv: bigint;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly type: EventType;
  readonly json: string;
  readonly prevJson: string | null;
  private parsed?: KubeObject;
  private prevParsed?: KubeObject | null;
  private lines = new Map<string, string>();

  constructor(row: HistoryRow) {
    this.rv = row.rv;
    this.resource = row.resource;
    this.namespace = row.namespace;
    this.name = row.name;
    this.type = row.type;
    this.json = row.value;
    this.prevJson = row.prevValue;
  }

  get object(): KubeObject {
    return (this.parsed ??= JSON.parse(this.json) as KubeObject);
  }

  get prevObject(): KubeObject | null {
    if (this.prevParsed === undefined) this.prevParsed = this.prevJson === null ? null : (JSON.parse(this.prevJson) as KubeObject);
    return this.prevParsed;
  }

  /** The watch-stream line for this event as `type`, carrying the object after the change. */
  line(type: EventType): string {
    let l = this.lines.get(type);
    if (l === undefined) {
      l = `{"type":"${type}","object":${this.json}}\n`;
      this.lines.set(type, l);
    }
    return l;
  }

  /**
   * The DELETED line for a watcher whose selector the object just left: the previous state, stamped with
   * this event's revision (as kube-apiserver's watch cache does).
   */
  leftSelectorLine(): string {
    let l = this.lines.get('LEFT');
    if (l === undefined) {
      const prev = structuredClone(this.prevObject!);
      prev.metadata.resourceVersion = this.rv.toString();
      l = `{"type":"DELETED","object":${JSON.stringify(prev)}}\n`;
      this.lines.set('LEFT', l);
    }
    return l;
  }
}
