import { isNotFound } from '../../client/index.js';
import type { KubeObject, ResourceRef } from '../../client/index.js';
import type { ControllerContext } from '../context.js';
import type { ResourceMapper } from '../discovery.js';
import type { OwnerState } from './classify.js';
import { FINALIZER_FOREGROUND, refMatchesNode } from './graph.js';
import type { DependencyGraph, Identity, OwnerRef } from './graph.js';

const ABSENT_OWNER_CACHE_SIZE = 500;

/** An owner reference of a cluster-scoped object to a namespaced kind: never valid, never retried. */
export class NamespacedOwnerOfClusterScopedObject extends Error {}

type OwnerCoordinates = Pick<OwnerRef, 'apiVersion' | 'kind' | 'name' | 'uid'>;

/**
 * Decides whether an owner reference resolves (upstream's isDangling and classifyReferences): absent
 * (nothing by that name, or another uid), waiting (deleted in the foreground), or solid. An owner is
 * declared absent only on a live GET, or on an earlier GET's answer kept by uid (a uid never comes back).
 */
export class OwnerResolver {
  private readonly absent = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly graph: DependencyGraph,
    private readonly mapper: ResourceMapper,
  ) {}

  private key(owner: OwnerCoordinates, namespace: string): string {
    return `${owner.apiVersion}|${owner.kind}|${namespace}|${owner.name}|${owner.uid}`;
  }

  /** Records an owner as gone, so its other dependents need not ask again. */
  rememberAbsent(owner: OwnerCoordinates, namespace: string): void {
    if (this.absent.size >= ABSENT_OWNER_CACHE_SIZE) this.absent.delete(this.absent.values().next().value!);
    this.absent.add(this.key(owner, namespace));
  }

  private refFor(owner: OwnerRef): ResourceRef {
    const ref = this.mapper.find(owner.apiVersion, owner.kind);
    if (!ref) throw new Error(`unable to get REST mapping for ${owner.apiVersion}/${owner.kind}`);
    return ref;
  }

  /** The state of one owner of an object in `namespace` ('' for a cluster-scoped object). */
  async state(owner: OwnerRef, namespace: string): Promise<OwnerState> {
    if (this.absent.has(this.key(owner, '')) || this.absent.has(this.key(owner, namespace))) return 'absent';
    const ref = this.refFor(owner);
    if (ref.namespaced && namespace === '') {
      throw new NamespacedOwnerOfClusterScopedObject(`cluster-scoped object refers to namespaced owner ${owner.kind} ${owner.name}`);
    }
    const ownerNamespace = ref.namespaced ? namespace : '';
    // An owner the informers show alive keeps the object: no request needed (a stale cache only delays the
    // collection until the owner's deletion arrives). Every decision to delete rests on a live GET.
    const known = this.graph.get(owner.uid);
    if (known && !known.beingDeleted && refMatchesNode(owner, namespace, known.identity, ref.namespaced)) return 'solid';
    let live: KubeObject;
    try {
      live = await this.ctx.client.resource(ref, ref.namespaced ? namespace : undefined).get(owner.name, { signal: this.ctx.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.rememberAbsent(owner, ownerNamespace);
      return 'absent';
    }
    if (live.metadata.uid !== owner.uid) {
      this.rememberAbsent(owner, ownerNamespace);
      return 'absent';
    }
    if (live.metadata.deletionTimestamp && (live.metadata.finalizers ?? []).includes(FINALIZER_FOREGROUND)) return 'waiting';
    return 'solid';
  }

  /**
   * A namespaced dependent whose owner's uid belongs to an object of another namespace: the reference can
   * never resolve, and upstream reports it with a Warning event on the dependent.
   */
  reportInvalidNamespace(dependent: Identity, owner: OwnerRef): void {
    const known = this.graph.get(owner.uid);
    if (!known || known.identity.namespace === dependent.namespace || !this.mapper.find(owner.apiVersion, owner.kind)?.namespaced) return;
    const invalid = `[${owner.apiVersion}/${owner.kind}, namespace: ${dependent.namespace}, name: ${owner.name}, uid: ${owner.uid}]`;
    this.ctx.recorder('garbage-collector-controller').event(
      { apiVersion: dependent.apiVersion, kind: dependent.kind, metadata: { namespace: dependent.namespace, name: dependent.name, uid: dependent.uid } },
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${invalid} does not exist in namespace "${dependent.namespace}"`,
    );
  }
}
