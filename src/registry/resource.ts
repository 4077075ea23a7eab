import type { FieldError } from '../machinery/field-errors.js';
import type { NameValidator } from '../machinery/object-meta.js';
import type { KubeObject } from '../machinery/object.js';
import type { GenericStore } from './generic-store.js';
import type { Allocator } from './allocation.js';
import type { ServiceAccountTokens } from './serviceaccounts/token-issuer.js';

/** Per-kind rules, in the spirit of kube-apiserver's RESTCreateStrategy/RESTUpdateStrategy. All optional. */
export interface Strategy {
  /** Defaults and system-set fields on create (after the generic metadata is filled). */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over or reset fields on update; `old` must not be changed. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  nameValidator?: NameValidator;
  /** PUT of a missing object creates it (upstream: AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /**
   * Whether the kind itself still holds a deleted object back, beyond metadata.finalizers (a namespace
   * keeps it while spec.finalizers is not empty).
   */
  holdsDeletion?(obj: KubeObject): boolean;
  /** Changes made when a delete only marks the object (a namespace's phase becomes Terminating). */
  markDeleting?(obj: KubeObject): void;
  /**
   * Kinds deleted gracefully (pods): the grace period in seconds a delete of `obj` gets, from the
   * request's gracePeriodSeconds (undefined when not given) and the object (upstream: CheckGracefulDelete).
   * More than 0 marks the object with a deletionTimestamp that far ahead and keeps it.
   */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number;
  /** Values the kind holds exclusively across the cluster (a Service's cluster IPs and node ports). */
  allocator?: Allocator;
  /**
   * What a delete without propagation options does to dependents (upstream's
   * DefaultGarbageCollectionPolicy): DeleteDependents (background) unless the kind says otherwise.
   */
  defaultGarbageCollectionPolicy?: 'DeleteDependents' | 'OrphanDependents' | 'Unsupported';
  /**
   * Update rules of subresources written as whole objects other than status (a namespace's finalize):
   * the new object starts as the request body, then these run instead of the main strategy's.
   */
  subresourceUpdates?: Record<string, SubresourceUpdateStrategy>;
}

/** How a PUT to a subresource such as namespaces/finalize changes the stored object. */
export interface SubresourceUpdateStrategy {
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
}

/** A subresource's name: status, scale, binding, eviction, log, exec, ... */
export type Subresource = string;

/** One subresource as kube-apiserver 1.33 serves it (from src/registry/generated/resources.json). */
export interface SubresourceDefinition {
  name: string;
  /** The kind its requests and responses carry: autoscaling/v1 Scale for scale, policy/v1 Eviction for eviction. */
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** Who a request acts as (kube-apiserver's user.Info), as the registry sees it. */
export interface RequestUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** A request for a kind or subresource the generic store does not serve as stored CRUD. */
export interface SpecialRequest {
  verb: string;
  namespace: string;
  name: string;
  subresource: string;
  /** The decoded body of a create or update, already checked against the expected kind. */
  body?: KubeObject;
  user?: RequestUser;
  dryRun: boolean;
  query: URLSearchParams;
  /** The manager a write records in managedFields: ?fieldManager=, else the User-Agent's product. */
  fieldManager?: string;
  /** The generic store of the resource itself (the parent, for a subresource). */
  store: GenericStore;
  /** The stores of the other resources, by "group/version/plural" (core: "/v1/pods"). */
  stores: Map<string, GenericStore>;
  /** Issues service account tokens (serviceaccounts/token); absent when the server has no signing key. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** What follows the subresource in the path (nodes/{name}/proxy/{subpath}), without a leading slash. */
  subpath?: string;
}

/**
 * Where a connect subresource (pods/log, exec, attach, portforward; nodes/proxy) is served: the kubelet
 * API of a node. The HTTP layer proxies the request there, upgrades included.
 */
export interface KubeletTarget {
  node: string;
  host: string;
  port: number;
  /** Path and query on the kubelet API. */
  path: string;
}

/** The answer to a special request: an HTTP code and the JSON body (a string is sent as is). */
export interface SpecialResponse {
  code: number;
  body: unknown;
  /** Sent as is with this type when given (a log stream is text/plain). */
  contentType?: string;
  /** Instead of `body`: proxy the request to this kubelet API location. */
  proxy?: KubeletTarget;
}

/**
 * Code that answers a non-stored kind (reviews, bindings) or a subresource other than status (scale,
 * eviction). `verbs` lists what it answers; other verbs get 405.
 */
export interface SpecialHandler {
  verbs: string[];
  /** The kind whose bodies create and update requests carry, when it is not the resource's own. */
  bodyKind?: { group: string; version: string; kind: string };
  /** The handler checks the body's name and namespace against the URL itself (with its own messages). */
  checksBodyTarget?: boolean;
  /** A connection (logs, exec, proxy): no object body is read, whatever the verb. */
  connect?: boolean;
  handle(req: SpecialRequest): Promise<SpecialResponse>;
}

/** Everything the generic store and the HTTP layer need to serve one resource. */
export interface ResourceDefinition {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** The names of every subresource the kind has upstream (`status` makes create and update keep status). */
  subresources: Subresource[];
  /** The same subresources with their verbs and kinds, for discovery and routing. */
  subresourceDefinitions: SubresourceDefinition[];
  strategy: Strategy;
  /**
   * false for kinds that are not stored objects (reviews, bindings, component statuses): the generic
   * store never serves them; `handler` answers them, or requests get a clear 405 Status.
   */
  stored: boolean;
  /** Answers a non-stored kind. */
  handler?: SpecialHandler;
  /** Answers subresources other than status (which the generic store serves), by name. */
  subresourceHandlers: Record<string, SpecialHandler>;
  /**
   * Set when the resource is listed in discovery but not served yet (for instance a second version that
   * needs conversion): every request gets a 405 Status with this explanation.
   */
  unsupported?: string;
}

export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** "deployments.apps", or "configmaps" for the core group: the storage key and the form used in messages. */
export function groupResource(def: Pick<ResourceDefinition, 'group' | 'plural'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export function apiVersionOf(def: Pick<ResourceDefinition, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
