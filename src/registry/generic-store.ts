import { generateName } from '../machinery/names.js';
import type { KubeObject } from '../machinery/object.js';
import {
  alreadyExists,
  forbidden,
  notFound,
  resourceExpired,
  StatusError,
  tooLargeResourceVersion,
  internalError,
} from '../machinery/status.js';
import type { ObjectStore } from '../storage/object-store.js';
import { CompactedError, FutureRevisionError, keyString } from '../storage/types.js';
import { NeedReads, withAllocations } from './allocation.js';
import type { AllocationContext, PortRange } from './allocation.js';
import type { ListQuery, ObjectKey, StoredObject, WriteDecision, WriteRequest, WriteResult } from '../storage/types.js';
import type { ChangeFeed } from '../watch/change-feed.js';
import type { WatchHub } from '../watch/watch-hub.js';
import { Watcher } from '../watch/watcher.js';
import type { WatchSink } from '../watch/watcher.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { decideDelete, decideUpdate, prepareCreate } from './object-lifecycle.js';
import type { DeletePreconditions, UpdateSubresource } from './object-lifecycle.js';
import { apiVersionOf, groupResource } from './resource.js';
import type { ResourceDefinition } from './resource.js';
import { compileSelectors } from './selectors.js';
import { fieldSelectorsFor } from './field-selectors.js';
import { recordUpdate } from '../machinery/apply/index.js';
import { fieldManagerScope } from './field-manager.js';
import { DEFAULT_ADMISSION } from './admission.js';
import type { AdmissionSettings } from './admission.js';
import type { KindFieldSelectors } from './field-selectors.js';

export interface ListParams {
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  resourceVersionMatch: '' | 'NotOlderThan' | 'Exact';
  limit: number;
  continue: string;
}

export interface WatchParams {
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

/** Options of a create, update or patch. */
export interface WriteOptions {
  dryRun?: boolean;
  /**
   * The manager the write is recorded for in managedFields (the request's fieldManager, else from its
   * User-Agent). Undefined: the object's managedFields are left as they come (apply has set them).
   */
  fieldManager?: string;
  /** The subresource the managedFields entry names when it is not the one written (scale writes the parent). */
  managerSubresource?: string;
}

export interface DeleteParams {
  preconditions?: DeletePreconditions;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

export interface StorageDeps {
  store: ObjectStore;
  hub: WatchHub;
  feed: ChangeFeed;
  /** How long a request naming a future resourceVersion waits for it (kube-apiserver: 3 s). */
  freshnessTimeoutMs?: number;
  bookmarkIntervalMs?: number;
  /** --service-cluster-ip-range (default 10.96.0.0/12): where Services get their cluster IPs. */
  serviceClusterIPRange?: string;
  /** --service-node-port-range (default 30000-32767): where Services get their node ports. */
  serviceNodePortRange?: PortRange;
  /** Settings of the built-in admission steps (default: upstream's). */
  admission?: AdmissionSettings;
}

const NAMESPACES = 'namespaces';
/** kube-apiserver retries a generated name that collides (RetryGenerateName). */
const GENERATE_NAME_ATTEMPTS = 8;

/**
 * One store for every resource: kube-apiserver's generic registry. The definition and its strategy say
 * what differs per kind; this class holds the create/get/list/update/delete/watch flow.
 */
export class GenericStore {
  readonly resource: string;
  /** The kind's field selectors: accepted labels, and the selectable fields stored with each object. */
  readonly fieldSelectors: KindFieldSelectors;

  constructor(
    readonly def: ResourceDefinition,
    private readonly deps: StorageDeps,
  ) {
    this.resource = groupResource(def);
    this.fieldSelectors = fieldSelectorsFor(def);
  }

  private key(namespace: string, name: string): ObjectKey {
    return { resource: this.resource, namespace: this.def.namespaced ? namespace : '', name };
  }

  private gr() {
    return { group: this.def.group, resource: this.def.plural };
  }

  async get(namespace: string, name: string): Promise<StoredObject> {
    const found = await this.deps.store.get(this.key(namespace, name));
    if (!found) throw notFound(this.gr(), name);
    return found;
  }

  async create(namespace: string, body: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    if (body.metadata?.resourceVersion) throw internalError(new Error('resourceVersion should not be set on objects to be created'));
    // As upstream, the field manager sees the object as the client sent it, before the create rules.
    const prepared = prepareCreate(this.def, this.admit(this.withCreateManagedFields(body, opts.fieldManager)), namespace);
    const generated = !prepared.metadata.name;
    for (let attempt = 1; ; attempt++) {
      const obj = structuredClone(prepared);
      if (generated) obj.metadata.name = generateName(obj.metadata.generateName!);
      const name = obj.metadata.name!;
      const nsKey: ObjectKey = { resource: NAMESPACES, namespace: '', name: namespace };
      const request: WriteRequest = {
        key: this.key(namespace, name),
        reads: this.def.namespaced ? [nsKey] : [],
        decide: (current, reads) => {
          if (this.def.namespaced) this.checkNamespace(namespace, name, reads.get(keyString(nsKey)) ?? null);
          if (current) throw alreadyExists(this.gr(), name);
          return { action: 'put', object: obj };
        },
      };
      try {
        return await this.write(request, opts.dryRun);
      } catch (err) {
        const collided = err instanceof StatusError && err.status.reason === 'AlreadyExists';
        if (!(generated && collided && attempt < GENERATE_NAME_ATTEMPTS)) throw err;
      }
    }
  }

  /** The kind's mutating admission (creates and main-resource updates), on a copy of the request's object. */
  private admit(body: KubeObject): KubeObject {
    const admit = this.def.strategy.admit;
    if (!admit) return body;
    const copy = structuredClone(body);
    admit(copy, this.deps.admission ?? DEFAULT_ADMISSION);
    return copy;
  }

  private withCreateManagedFields(body: KubeObject, manager: string | undefined): KubeObject {
    if (manager === undefined) return body;
    const scope = fieldManagerScope(this.def, '');
    if (!scope) return body;
    const copy = { ...body, metadata: { ...body.metadata } };
    recordUpdate(undefined, copy, manager, scope);
    return copy;
  }

  /** The managedFields recorder of an update or patch by `manager`, if it is to be recorded. */
  private updateRecorder(manager: string | undefined, subresource: string): ((old: KubeObject, obj: KubeObject) => void) | undefined {
    if (manager === undefined) return undefined;
    const scope = fieldManagerScope(this.def, subresource);
    if (!scope) return undefined;
    return (old, obj) => recordUpdate(old, obj, manager, scope);
  }

  /** Objects may not be created in a namespace that is missing or being deleted. */
  private checkNamespace(namespace: string, name: string, ns: StoredObject | null): void {
    if (!ns) throw notFound({ group: '', resource: NAMESPACES }, namespace);
    if (ns.object.metadata.deletionTimestamp) {
      const err = forbidden(
        this.gr(),
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      err.status.details = { ...err.status.details, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] };
      throw err;
    }
  }

  async update(
    namespace: string,
    name: string,
    body: KubeObject,
    opts: WriteOptions & { subresource?: UpdateSubresource } = {},
  ): Promise<WriteResult> {
    const subresource = opts.subresource ?? '';
    const record = this.updateRecorder(opts.fieldManager, opts.managerSubresource ?? subresource);
    const request: WriteRequest = {
      key: this.key(namespace, name),
      decide: (current) => {
        if (!current) throw notFound(this.gr(), name);
        return decideUpdate(this.def, current, subresource ? body : this.admit(body), subresource, record);
      },
    };
    if (!this.def.strategy.allowCreateOnUpdate || subresource) return this.write(request, opts.dryRun);
    const existing = await this.deps.store.get(this.key(namespace, name));
    if (!existing) return this.create(namespace, body, opts);
    return this.write(request, opts.dryRun);
  }

  /**
   * Patches an object: `apply` gets a copy of the current object (with its resourceVersion) inside the
   * write decision and returns the patched object, which then follows the rules of an update. A patch
   * never creates an object: a missing one is 404.
   */
  async patch(
    namespace: string,
    name: string,
    apply: (current: KubeObject) => KubeObject,
    opts: WriteOptions & { subresource?: UpdateSubresource } = {},
  ): Promise<WriteResult> {
    const subresource = opts.subresource ?? '';
    const record = this.updateRecorder(opts.fieldManager, subresource);
    const request: WriteRequest = {
      key: this.key(namespace, name),
      decide: (current) => {
        if (!current) throw notFound(this.gr(), name);
        const obj = structuredClone(current.object);
        obj.metadata.resourceVersion = current.rv.toString();
        const patched = apply(obj);
        return decideUpdate(this.def, current, subresource ? patched : this.admit(patched), subresource, record);
      },
    };
    return this.write(request, opts.dryRun);
  }

  async delete(namespace: string, name: string, params: DeleteParams = {}): Promise<WriteResult> {
    return this.write(
      {
        key: this.key(namespace, name),
        decide: (current) => {
          if (!current) throw notFound(this.gr(), name);
          return decideDelete(this.def, current, params);
        },
      },
      params.dryRun,
    );
  }

  /** Deletes every object the list parameters select; returns what was deleted or marked. */
  async deleteCollection(namespace: string | undefined, list: ListParams, params: DeleteParams): Promise<WriteResult[]> {
    const selectors = compileSelectors(list.labelSelector, list.fieldSelector, this.fieldSelectors);
    const page = await this.deps.store.list({
      resource: this.resource,
      namespace: this.def.namespaced ? namespace : undefined,
      labelSelector: selectors.labels,
      fields: selectors.columns,
    });
    const results = await Promise.allSettled(
      page.items.map((json) => {
        const obj = JSON.parse(json) as KubeObject;
        return this.delete(obj.metadata.namespace ?? '', obj.metadata.name!, params);
      }),
    );
    // Objects already gone by the time we reached them are not an error (as upstream).
    return results.flatMap((r) => {
      if (r.status === 'fulfilled') return [r.value];
      if (r.reason instanceof StatusError && r.reason.status.reason === 'NotFound') return [];
      throw r.reason;
    });
  }

  /**
   * Runs the write; for a kind holding allocated values (Service cluster IPs and node ports), the
   * decision also claims and releases them, retried when it needs keys it did not read.
   */
  private async write(request: WriteRequest, dryRun?: boolean): Promise<WriteResult> {
    if (!this.def.strategy.allocator) return this.writeOnce(request, dryRun);
    const ctx = await this.allocationContext();
    const extra = new Map<string, ObjectKey>();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writeOnce(withAllocations(this.def, request, ctx, [...extra.values()]), dryRun);
      } catch (err) {
        if (!(err instanceof NeedReads) || attempt >= 16) throw err instanceof NeedReads ? internalError(new Error('allocation did not settle')) : err;
        for (const k of err.keys) extra.set(keyString(k), k);
      }
    }
  }

  private async allocationContext(): Promise<AllocationContext> {
    const used = new Map<string, Set<string>>();
    for (const resource of this.def.strategy.allocator!.resources) {
      const list = await this.deps.store.list({ resource });
      used.set(resource, new Set(list.items.map((json) => (JSON.parse(json) as KubeObject).metadata.name!)));
    }
    return { serviceClusterIPRange: this.deps.serviceClusterIPRange ?? '10.96.0.0/12', serviceNodePortRange: this.deps.serviceNodePortRange, used, seed: Math.random() };
  }

  /** Runs the write, or for dryRun only decides it against the current state. */
  private async writeOnce(request: WriteRequest, dryRun?: boolean): Promise<WriteResult> {
    if (!dryRun) return this.deps.store.write(this.fieldSelectors.compute ? { ...request, fields: this.fieldSelectors.compute } : request);
    const current = await this.deps.store.get(request.key);
    const reads = new Map<string, StoredObject | null>();
    for (const k of request.reads ?? []) reads.set(keyString(k), await this.deps.store.get(k));
    const decision: WriteDecision = request.decide(current, reads);
    if (decision.action === 'noop') return { type: 'NOOP', rv: current!.rv, object: current!.object, json: JSON.stringify(current!.object) };
    const type = decision.action === 'delete' ? 'DELETED' : current ? 'MODIFIED' : 'ADDED';
    return { type, rv: current?.rv ?? 0n, object: decision.object, json: JSON.stringify(decision.object) };
  }

  /** Throws the 400 a list or watch with these selectors gets (bad syntax, a field label the kind lacks). */
  checkSelectors(params: { labelSelector: string; fieldSelector: string }): void {
    compileSelectors(params.labelSelector, params.fieldSelector, this.fieldSelectors);
  }

  async list(namespace: string | undefined, params: ListParams): Promise<string> {
    const selectors = compileSelectors(params.labelSelector, params.fieldSelector, this.fieldSelectors);
    const query: ListQuery = {
      resource: this.resource,
      namespace: this.def.namespaced ? namespace : undefined,
      labelSelector: selectors.labels,
      fields: selectors.columns,
      limit: params.limit > 0 ? params.limit : undefined,
      countRemaining: selectors.empty,
    };
    let consistent = true;
    if (params.continue) {
      const token = decodeContinue(params.continue);
      query.after = token.after;
      if (token.rv === 'latest') consistent = false;
      else query.atRevision = token.rv;
    } else if (params.resourceVersion && params.resourceVersion !== '0') {
      const rv = BigInt(params.resourceVersion);
      // Legacy: an rv with a limit and no match asks for that exact snapshot.
      const exact = params.resourceVersionMatch === 'Exact' || (params.resourceVersionMatch === '' && query.limit !== undefined);
      if (exact) query.atRevision = rv;
      else await this.waitForRevision(rv);
    }
    try {
      const result = await this.deps.store.list(query);
      const meta: Record<string, unknown> = { resourceVersion: result.rv.toString() };
      if (result.next) {
        meta.continue = encodeContinue(consistent ? result.rv : 'latest', result.next);
        if (result.remaining !== undefined) meta.remainingItemCount = result.remaining;
      }
      return `{"kind":"${this.def.listKind}","apiVersion":"${apiVersionOf(this.def)}","metadata":${JSON.stringify(meta)},"items":[${result.items.join(',')}]}`;
    } catch (err) {
      throw this.listError(err, params);
    }
  }

  private listError(err: unknown, params: ListParams): unknown {
    if (err instanceof CompactedError) {
      if (params.continue) {
        const token = decodeContinue(params.continue);
        const e = resourceExpired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
        e.status.metadata.continue = encodeContinue('latest', token.after);
        return e;
      }
      return resourceExpired('The resourceVersion for the provided list is too old.');
    }
    if (err instanceof FutureRevisionError) return tooLargeResourceVersion(err.current, err.requested, 1);
    return err;
  }

  /** A read "not older than" rv: wait briefly for a revision that another apiserver has just written. */
  private async waitForRevision(rv: bigint): Promise<void> {
    const deadline = Date.now() + (this.deps.freshnessTimeoutMs ?? 3000);
    for (;;) {
      const current = await this.deps.store.currentRevision();
      if (current >= rv) return;
      if (Date.now() >= deadline) throw tooLargeResourceVersion(current, rv, 1);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Starts a watch writing to `sink`. With no resourceVersion (or "0") the current objects come first as
   * ADDED events; with sendInitialEvents they are followed by the initial-events-end bookmark.
   */
  async watch(namespace: string | undefined, params: WatchParams, sink: WatchSink): Promise<Watcher> {
    const selectors = compileSelectors(params.labelSelector, params.fieldSelector, this.fieldSelectors);
    const ns = this.def.namespaced ? namespace : undefined;
    const timeoutMs = params.timeoutSeconds !== undefined && params.timeoutSeconds > 0
      ? params.timeoutSeconds * 1000
      : (1800 + Math.random() * 1800) * 1000; // kube-apiserver: between 30 and 60 minutes
    const watcher = new Watcher(this.deps.hub, sink, {
      resource: this.resource,
      namespace: ns,
      matches: selectors.matches,
      allowBookmarks: params.allowWatchBookmarks,
      bookmarkIntervalMs: this.deps.bookmarkIntervalMs,
      timeoutMs,
      bookmarkObject: (rv, annotations) => ({
        kind: this.def.kind,
        apiVersion: apiVersionOf(this.def),
        metadata: annotations ? { resourceVersion: rv, annotations } : { resourceVersion: rv },
      }),
      errorLine: (err) => `{"type":"ERROR","object":${JSON.stringify(this.watchError(err).status)}}\n`,
    });
    const initial = params.sendInitialEvents === true || params.resourceVersion === '' || params.resourceVersion === '0';
    if (initial) {
      const list = await this.deps.store.list({ resource: this.resource, namespace: ns, labelSelector: selectors.labels, fields: selectors.columns });
      watcher.sendInitial(list.items);
      // The initial-events-end bookmark goes only to clients that accept bookmarks (as the watch cache).
      watcher.start(list.rv, params.sendInitialEvents === true && params.allowWatchBookmarks);
      return watcher;
    }
    const rv = BigInt(params.resourceVersion);
    if (rv > this.deps.hub.head && !(await this.deps.feed.waitFor(rv, this.deps.freshnessTimeoutMs ?? 3000))) {
      watcher.close(`{"type":"ERROR","object":${JSON.stringify(tooLargeResourceVersion(this.deps.hub.head, rv, 1).status)}}\n`);
      return watcher;
    }
    watcher.start(rv);
    return watcher;
  }

  private watchError(err: unknown): StatusError {
    if (err instanceof CompactedError) {
      return resourceExpired(`too old resource version: ${err.requested} (${err.compacted})`);
    }
    if (err instanceof StatusError) return err;
    return internalError(err);
  }
}
