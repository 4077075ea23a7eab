/**
 * A resource served at a version other than its storage version (kube-apiserver: one etcd prefix, many
 * served versions): every operation runs on the storage version's GenericStore, with the request's object
 * converted to the storage version on the way in and every object converted back on the way out (get,
 * list items, watch events, write results). Validation, defaults and field selectors are the storage
 * kind's, as upstream runs them on the internal object whichever version was asked for.
 */
import { formatFieldSelector, parseFieldSelector } from '../machinery/fields.js';
import type { KubeObject } from '../machinery/object.js';
import { invalid } from '../machinery/status.js';
import type { WriteResult } from '../storage/types.js';
import type { StoredObject } from '../storage/types.js';
import type { Watcher, WatchSink } from '../watch/watcher.js';
import type { VersionConversion } from './conversion.js';
import type { UpdateSubresource } from './object-lifecycle.js';
import { GenericStore } from './generic-store.js';
import type { DeleteParams, ListParams, StorageDeps, WatchParams } from './generic-store.js';
import { apiVersionOf } from './resource.js';
import type { ResourceDefinition } from './resource.js';

export class ConvertedStore extends GenericStore {
  constructor(
    def: ResourceDefinition,
    deps: StorageDeps,
    private readonly storage: GenericStore,
    private readonly conversion: VersionConversion,
  ) {
    super(def, deps);
  }

  private out(obj: KubeObject): KubeObject {
    return this.conversion.fromStorage(structuredClone(obj));
  }

  private in(obj: KubeObject): KubeObject {
    return this.conversion.toStorage(structuredClone(obj));
  }

  /**
   * The list options for the storage version: selectors checked against the served version's field
   * labels, which are then renamed to the storage version's (events.k8s.io's regarding.name is the core
   * Event's involvedObject.name).
   */
  private storageParams<P extends { labelSelector: string; fieldSelector: string }>(params: P): P {
    this.checkSelectors(params);
    if (!params.fieldSelector) return params;
    const renamed = parseFieldSelector(params.fieldSelector).map((f) => ({ ...f, field: this.fieldSelectors.labels[f.field] ?? f.field }));
    return { ...params, fieldSelector: formatFieldSelector(renamed) };
  }

  private result(r: WriteResult): WriteResult {
    const object = this.out(r.object);
    return { ...r, object, json: JSON.stringify(object) };
  }

  override async get(namespace: string, name: string): Promise<StoredObject> {
    const found = await this.storage.get(namespace, name);
    return { ...found, object: this.out(found.object) };
  }

  override async create(namespace: string, body: KubeObject, opts: { dryRun?: boolean } = {}): Promise<WriteResult> {
    const converted = this.in(body);
    if (this.conversion.validateCreate) {
      const errs = this.conversion.validateCreate({ ...converted, metadata: { ...converted.metadata, namespace: converted.metadata.namespace || namespace } });
      if (errs.length > 0) throw invalid({ group: this.def.group, kind: this.def.kind }, body.metadata.name ?? '', errs);
    }
    return this.result(await this.storage.create(namespace, converted, opts));
  }

  override async update(namespace: string, name: string, body: KubeObject, opts: { subresource?: UpdateSubresource; dryRun?: boolean } = {}): Promise<WriteResult> {
    return this.result(await this.storage.update(namespace, name, this.in(body), opts));
  }

  override async patch(
    namespace: string,
    name: string,
    apply: (current: KubeObject) => KubeObject,
    opts: { subresource?: UpdateSubresource; dryRun?: boolean } = {},
  ): Promise<WriteResult> {
    // The patch applies to the object in the request's version, as upstream's patcher does.
    return this.result(await this.storage.patch(namespace, name, (current) => this.in(apply(this.out(current))), opts));
  }

  override async delete(namespace: string, name: string, params: DeleteParams = {}): Promise<WriteResult> {
    return this.result(await this.storage.delete(namespace, name, params));
  }

  override async deleteCollection(namespace: string | undefined, list: ListParams, params: DeleteParams): Promise<WriteResult[]> {
    return (await this.storage.deleteCollection(namespace, this.storageParams(list), params)).map((r) => this.result(r));
  }

  override async list(namespace: string | undefined, params: ListParams): Promise<string> {
    const list = JSON.parse(await this.storage.list(namespace, this.storageParams(params))) as { metadata: unknown; items: KubeObject[] };
    const items = list.items.map((i) => JSON.stringify(this.conversion.fromStorage(i)));
    return `{"kind":"${this.def.listKind}","apiVersion":"${apiVersionOf(this.def)}","metadata":${JSON.stringify(list.metadata)},"items":[${items.join(',')}]}`;
  }

  override async watch(namespace: string | undefined, params: WatchParams, sink: WatchSink): Promise<Watcher> {
    return this.storage.watch(namespace, this.storageParams(params), this.convertingSink(sink));
  }

  /** Each event's object in the served version; a bookmark gets the served kind and apiVersion. */
  private convertingSink(sink: WatchSink): WatchSink {
    const apiVersion = apiVersionOf(this.def);
    const convert = (line: string): string => {
      const event = JSON.parse(line) as { type: string; object: KubeObject };
      if (!event.object || event.object.kind === 'Status' || event.type === 'ERROR') return line;
      const object = event.type === 'BOOKMARK' ? { ...event.object, apiVersion, kind: this.def.kind } : this.conversion.fromStorage(event.object);
      return `{"type":${JSON.stringify(event.type)},"object":${JSON.stringify(object)}}`;
    };
    return {
      write(chunk) {
        let out = '';
        for (const line of chunk.split('\n')) if (line !== '') out += `${convert(line)}\n`;
        sink.write(out);
      },
      buffered: () => sink.buffered(),
      end: () => sink.end(),
    };
  }
}
