import type { RestConfig } from './kubeconfig.js';
import type { KubeList, KubeObject, WatchEvent } from './object.js';
import type { ResourceRef } from './resource-ref.js';
import { Transport } from './transport.js';
import type { QueryValue, RawResponse, RequestOptions } from './transport.js';
import type { Status } from './types/meta-v1.js';
import { decodeWatchStream } from './watch/decode.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  /** true or 'All': validate and default, store nothing. */
  dryRun?: boolean | 'All';
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  signal?: AbortSignal;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean | 'All';
  signal?: AbortSignal;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType | 'apply', string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface SubresourceClient {
  get(): Promise<unknown>;
  create(body: unknown): Promise<unknown>;
  update(body: unknown): Promise<unknown>;
}

/** Typed REST calls on one resource, in one namespace or (for namespaced resources without one) across all. */
export interface ResourceClient<T> {
  get(name: string, opts?: { resourceVersion?: string; signal?: AbortSignal }): Promise<T>;
  list(opts?: ListOptions): Promise<KubeList<T>>;
  /** Every page of a list (following continue tokens), as one list at the first page's resourceVersion. */
  listAll(opts?: ListOptions): Promise<KubeList<T>>;
  create(obj: T, opts?: WriteOptions): Promise<T>;
  update(obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus(obj: T, opts?: WriteOptions): Promise<T>;
  patch(name: string, patch: unknown, type: PatchType, opts?: WriteOptions & { subresource?: string }): Promise<T>;
  /** Server-side apply (application/apply-patch+yaml; JSON is YAML). */
  apply(obj: T, opts: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean | 'All'; signal?: AbortSignal }): Promise<T>;
  delete(name: string, opts?: DeleteOptions): Promise<T | Status>;
  deleteCollection(opts?: ListOptions & DeleteOptions): Promise<unknown>;
  /** A watch stream; ends when the server closes it or `signal` aborts; ERROR events are thrown as ApiError. */
  watch(opts?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  subresource(name: string, sub: string): SubresourceClient;
}

/**
 * A client of one apiserver, as client-go's rest client and dynamic client: typed resource clients, and raw
 * requests for anything else. Connections are kept alive and shared by everything made from this client.
 */
export class Client {
  readonly transport: Transport;

  constructor(readonly config: RestConfig) {
    this.transport = new Transport(config);
  }

  resource<T extends KubeObject>(ref: ResourceRef<T>, namespace?: string): ResourceClient<T> {
    return new TypedResourceClient<T>(this.transport, ref, namespace);
  }

  /** A JSON request to any path; throws ApiError for non-2xx answers. */
  request<R = unknown>(opts: RequestOptions): Promise<R> {
    return this.transport.json<R>(opts);
  }

  /** A request whose answer (any code) is returned as text. */
  requestRaw(opts: RequestOptions): Promise<RawResponse> {
    return this.transport.raw(opts);
  }

  /** Closes the connection pool: open watches end at once (their iterators throw), other requests finish first. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

function dryRunQuery(d: boolean | 'All' | undefined): string | undefined {
  return d === true || d === 'All' ? 'All' : undefined;
}

function listQuery(o: ListOptions = {}): Record<string, QueryValue> {
  return {
    labelSelector: o.labelSelector,
    fieldSelector: o.fieldSelector,
    limit: o.limit,
    continue: o.continue,
    resourceVersion: o.resourceVersion,
    resourceVersionMatch: o.resourceVersionMatch,
    timeoutSeconds: o.timeoutSeconds,
  };
}

function writeQuery(o: WriteOptions = {}): Record<string, QueryValue> {
  return { dryRun: dryRunQuery(o.dryRun), fieldManager: o.fieldManager, fieldValidation: o.fieldValidation };
}

function deleteBody(o: DeleteOptions = {}): Record<string, unknown> | undefined {
  const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
  if (o.propagationPolicy) body.propagationPolicy = o.propagationPolicy;
  if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
  if (o.preconditions) body.preconditions = o.preconditions;
  if (dryRunQuery(o.dryRun)) body.dryRun = ['All'];
  return Object.keys(body).length > 2 ? body : undefined;
}

class TypedResourceClient<T extends KubeObject> implements ResourceClient<T> {
  constructor(
    private readonly t: Transport,
    private readonly ref: ResourceRef<T>,
    private readonly namespace?: string,
  ) {}

  /** /api/v1[/namespaces/ns]/pods[/name[/sub]] */
  private path(name?: string, sub?: string, namespace = this.namespace): string {
    const r = this.ref;
    let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${r.resource}`;
    if (name !== undefined) {
      if (!name) throw new Error(`${r.resource}: resource name may not be empty`);
      p += `/${encodeURIComponent(name)}`;
      if (sub) p += `/${sub}`;
    }
    return p;
  }

  /** The namespace of a write: the client's, else the object's; namespaced writes need one. */
  private namespaceFor(obj: T): string | undefined {
    const ns = this.namespace ?? obj.metadata?.namespace;
    if (this.ref.namespaced && !ns) throw new Error(`${this.ref.resource} is namespaced: give the client or the object a namespace`);
    return ns;
  }

  private nameOf(obj: T): string {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`${this.ref.resource}: the object has no metadata.name`);
    return name;
  }

  get(name: string, opts: { resourceVersion?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.t.json<T>({ method: 'GET', path: this.path(name), query: { resourceVersion: opts.resourceVersion }, signal: opts.signal });
  }

  list(opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.t.json<KubeList<T>>({ method: 'GET', path: this.path(), query: listQuery(opts), signal: opts.signal });
  }

  async listAll(opts: ListOptions = {}): Promise<KubeList<T>> {
    const first = await this.list(opts);
    const items = [...(first.items ?? [])];
    let cont = first.metadata?.continue;
    // continue tokens carry the snapshot's resourceVersion; a later page must not send one of its own
    const { resourceVersion: _rv, resourceVersionMatch: _m, ...rest } = opts;
    while (cont) {
      const page = await this.list({ ...rest, continue: cont });
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue;
    }
    const { continue: _c, remainingItemCount: _r, ...metadata } = first.metadata ?? {};
    return { ...first, metadata, items };
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const ns = this.namespaceFor(obj);
    return this.t.json<T>({ method: 'POST', path: this.path(undefined, undefined, ns), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.t.json<T>({ method: 'PUT', path: this.path(this.nameOf(obj), undefined, this.namespaceFor(obj)), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.t.json<T>({ method: 'PUT', path: this.path(this.nameOf(obj), 'status', this.namespaceFor(obj)), query: writeQuery(opts), body: obj, signal: opts.signal });
  }

  patch(name: string, patch: unknown, type: PatchType, opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    const contentType = PATCH_CONTENT_TYPES[type];
    if (!contentType) throw new Error(`unknown patch type ${String(type)}`);
    return this.t.json<T>({ method: 'PATCH', path: this.path(name, opts.subresource), query: writeQuery(opts), body: patch, contentType, signal: opts.signal });
  }

  apply(obj: T, opts: { fieldManager: string; force?: boolean; subresource?: string; dryRun?: boolean | 'All'; signal?: AbortSignal }): Promise<T> {
    return this.t.json<T>({
      method: 'PATCH',
      path: this.path(this.nameOf(obj), opts.subresource, this.namespaceFor(obj)),
      query: { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined, dryRun: dryRunQuery(opts.dryRun) },
      body: obj,
      contentType: PATCH_CONTENT_TYPES.apply,
      signal: opts.signal,
    });
  }

  delete(name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.t.json<T | Status>({ method: 'DELETE', path: this.path(name), body: deleteBody(opts), signal: opts.signal });
  }

  deleteCollection(opts: ListOptions & DeleteOptions = {}): Promise<unknown> {
    return this.t.json<unknown>({ method: 'DELETE', path: this.path(), query: listQuery(opts), body: deleteBody(opts), signal: opts.signal });
  }

  watch(opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const t = this.t;
    const path = this.path();
    const query = {
      ...listQuery(opts),
      watch: 'true',
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      sendInitialEvents: opts.sendInitialEvents === undefined ? undefined : String(opts.sendInitialEvents),
    };
    return {
      async *[Symbol.asyncIterator]() {
        let body: (AsyncIterable<Buffer> & { destroy(): void }) | undefined;
        try {
          body = await t.stream({ method: 'GET', path, query, signal: opts.signal });
          yield* decodeWatchStream<T>(body);
        } catch (e) {
          // an abort ends the stream quietly, as stopping a client-go watcher does
          if (opts.signal?.aborted) return;
          throw e;
        } finally {
          body?.destroy();
        }
      },
    };
  }

  subresource(name: string, sub: string): SubresourceClient {
    const path = this.path(name, sub);
    return {
      get: () => this.t.json({ method: 'GET', path }),
      create: (body: unknown) => this.t.json({ method: 'POST', path, body }),
      update: (body: unknown) => this.t.json({ method: 'PUT', path, body }),
    };
  }
}
